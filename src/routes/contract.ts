/**
 * What every operation of the OpenAPI document states the same way, in one table: its
 * `operationId`, how it is authenticated (a security scheme per token kind, with the API-key
 * scope it needs), and a body schema for every response that has one. Route modules describe
 * their own operations beside their handlers (src/routes/openapi.ts assembles them);
 * `finishOperations` completes them.
 */
import type { Scope } from "../access/scopes.ts";

type Auth =
  | { kind: "none" }
  | { kind: "platform"; signature?: boolean }
  | { kind: "bearer"; scope: Scope; signature?: boolean }
  | { kind: "events" };

const OPERATIONS: Record<string, { id: string; auth: Auth }> = {
  "GET /healthz": { id: "getHealth", auth: { kind: "none" } },
  "GET /v1/openapi.json": { id: "getOpenApi", auth: { kind: "none" } },
  "GET /v1/webhooks/signing-key": { id: "getSigningKey", auth: { kind: "none" } },
  "GET /v1/callflow": { id: "callflowWebhook", auth: { kind: "platform" } },
  "POST /v1/callflow": { id: "callflowWebhookPost", auth: { kind: "platform" } },
  "GET /v1/calls/{call}/gather": { id: "gatherDigits", auth: { kind: "platform" } },
  "POST /v1/calls/{call}/gather": { id: "gatherDigitsPost", auth: { kind: "platform" } },
  "GET /v1/webhooks/events": { id: "platformEventQuery", auth: { kind: "platform" } },
  "POST /v1/webhooks/events": { id: "platformEvents", auth: { kind: "platform", signature: true } },
  "GET /v1/flows": { id: "listFlows", auth: { kind: "bearer", scope: "flows:read" } },
  "PUT /v1/flows/{tn}": { id: "publishFlow", auth: { kind: "bearer", scope: "flows:write" } },
  "GET /v1/flows/{tn}": { id: "getFlow", auth: { kind: "bearer", scope: "flows:read" } },
  "DELETE /v1/flows/{tn}": { id: "deleteFlow", auth: { kind: "bearer", scope: "flows:write" } },
  "GET /v1/flows/{tn}/versions": { id: "listFlowVersions", auth: { kind: "bearer", scope: "flows:read" } },
  "POST /v1/flows/{tn}/rollback": { id: "rollbackFlow", auth: { kind: "bearer", scope: "flows:write" } },
  "POST /v1/flows/{tn}/preview": { id: "previewFlow", auth: { kind: "bearer", scope: "flows:read" } },
  "GET /v1/flows/{tn}/insights": { id: "getInsights", auth: { kind: "bearer", scope: "flows:read" } },
  "GET /v1/flows/{tn}/rollout": { id: "getRollout", auth: { kind: "bearer", scope: "flows:read" } },
  "POST /v1/flows/{tn}/promote": { id: "promoteCanary", auth: { kind: "bearer", scope: "flows:write" } },
  "POST /v1/flows/{tn}/abort": { id: "abortCanary", auth: { kind: "bearer", scope: "flows:write" } },
  "GET /v1/calls/{call}": { id: "getCall", auth: { kind: "bearer", scope: "calls:control" } },
  "POST /v1/calls/{call}/commands": { id: "sendCommands", auth: { kind: "bearer", scope: "calls:control", signature: true } },
  "GET /v1/calls/{call}/events": { id: "subscribeCallEvents", auth: { kind: "events" } },
  "GET /v1/events": { id: "subscribeEvents", auth: { kind: "events" } },
  "POST /v1/keys": { id: "createKey", auth: { kind: "bearer", scope: "keys:admin" } },
  "GET /v1/keys": { id: "listKeys", auth: { kind: "bearer", scope: "keys:admin" } },
  "DELETE /v1/keys/{id}": { id: "revokeKey", auth: { kind: "bearer", scope: "keys:admin" } },
  "GET /v1/audit": { id: "listAudit", auth: { kind: "bearer", scope: "audit:read" } },
  "POST /v1/phone/tokens": { id: "createPhoneToken", auth: { kind: "bearer", scope: "calls:control" } },
};

export const SECURITY_SCHEMES = {
  bearer: {
    type: "http",
    scheme: "bearer",
    description:
      "ADMIN_TOKEN (the root key: every scope) or an API key `tfk_…` from POST /v1/keys. The scope each operation needs is listed in its security requirement; a key without it gets 403 naming the scope.",
  },
  webhookToken: {
    type: "apiKey",
    in: "query",
    name: "token",
    description:
      "WEBHOOK_TOKEN, on the URLs the platform calls (Opentact signs nothing, docs/opentact.md §e); or a phone token from POST /v1/phone/tokens, for its one call.",
  },
  webhookSignature: {
    type: "apiKey",
    in: "header",
    name: "webhook-signature",
    description:
      "A Standard Webhooks signature (with webhook-id and webhook-timestamp) by WEBHOOK_SIGNING_SECRET (v1) or a key in WEBHOOK_VERIFY_KEYS (v1a), instead of a token. Refused: a changed body, a timestamp 5 minutes off, a webhook-id seen before (409).",
  },
  eventsToken: {
    type: "apiKey",
    in: "query",
    name: "token",
    description:
      'EVENTS_TOKEN or ADMIN_TOKEN for the WebSocket streams, as ?token= or in the first frame {"type":"auth","token":…} (docs/events.md).',
  },
} as const;

function security(auth: Auth): Array<Record<string, string[]>> {
  switch (auth.kind) {
    case "none":
      return [];
    case "platform":
      return auth.signature ? [{ webhookToken: [] }, { webhookSignature: [] }] : [{ webhookToken: [] }];
    case "bearer":
      return auth.signature ? [{ bearer: [auth.scope] }, { webhookSignature: [] }] : [{ bearer: [auth.scope] }];
    case "events":
      return [{ eventsToken: [] }, { bearer: ["events:read"] }];
    default: {
      const never: never = auth;
      return never;
    }
  }
}

const problemContent = { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } };
const anyJson = { "application/json": { schema: { type: "object", additionalProperties: true } } };

type Json = Record<string, unknown>;

/** Fill in operationIds, security, the common refusals and missing response bodies. */
export function finishOperations(paths: Record<string, Json>): void {
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, value] of Object.entries(item)) {
      if (method === "parameters" || typeof value !== "object" || value === null) continue;
      const op = value as Json;
      const entry = OPERATIONS[`${method.toUpperCase()} ${path}`];
      if (entry) {
        op.operationId = entry.id;
        op.security = security(entry.auth);
      }
      const responses = (op.responses ?? {}) as Record<string, Json>;
      const auth = entry?.auth.kind;
      if (auth === "bearer") {
        responses["401"] ??= { description: "No or a wrong token (problem document)" };
        responses["403"] ??= { description: "The API key lacks the scope (problem document naming it)" };
        responses["429"] ??= { description: "Rate limited; Retry-After says when to retry (problem document)" };
        responses["503"] ??= { description: "ADMIN_TOKEN is not configured (problem document naming it)" };
      } else if (auth === "platform") {
        responses["401"] ??= { description: "Wrong or missing ?token= (problem document)" };
        responses["403"] ??= { description: "Source address outside WEBHOOK_ALLOWED_IPS (problem document)" };
      }
      for (const [code, response] of Object.entries(responses)) {
        if (response.content || code === "101" || code === "204") continue;
        response.content = code.startsWith("2") ? anyJson : problemContent;
      }
      op.responses = responses;
    }
  }
}

/** The problem document (RFC 9457) every error answers with, its extensions included. */
export const PROBLEM_SCHEMA = {
  type: "object",
  required: ["type", "title", "status"],
  properties: {
    type: { type: "string", description: "A URI naming the kind of problem" },
    title: { type: "string" },
    status: { type: "integer" },
    detail: { type: "string" },
    instance: { type: "string", description: "The request path" },
    errors: {
      type: "array",
      description: "What was wrong with the request, one item per field (400)",
      items: {
        type: "object",
        required: ["path", "message"],
        properties: { path: { type: "string", description: "Dotted path into the body or the query" }, message: { type: "string" } },
      },
    },
    diagnostics: {
      type: "array",
      description: "Findings in a flow or commands (422), each at a line and column",
      items: {
        type: "object",
        required: ["severity", "message", "line", "col"],
        properties: {
          severity: { type: "string", enum: ["error", "warning"] },
          code: { type: "string" },
          message: { type: "string" },
          line: { type: "integer" },
          col: { type: "integer" },
          tag: { type: "string" },
        },
      },
    },
    missing: { type: "array", items: { type: "string" }, description: "The secrets that are not configured (503)" },
    scope: { type: "string", description: "The scope the API key lacks (403)" },
  },
  additionalProperties: true,
} as const;
