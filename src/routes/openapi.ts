/**
 * `GET /v1/openapi.json`: the OpenAPI 3.1 description of the HTTP API. Request bodies come
 * from the same zod schemas the handlers validate with, turned into JSON Schema at build time
 * (src/contract/request-schemas.json, `npm run schemas`), so the document can't drift from them.
 *
 * Other resources add their operations to {@link openapiPaths} (one entry per path).
 */
import { Hono } from "hono";
import requestSchemas from "../contract/request-schemas.json";
import { finishOperations, PROBLEM_SCHEMA, SECURITY_SCHEMES } from "./contract.ts";

type Operation = Record<string, unknown>;
type PathItem = Record<string, Operation | unknown[]>;

const problem = {
  description: "Problem document (RFC 9457)",
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
};
const tnParam = {
  name: "tn",
  in: "path",
  required: true,
  description: "A telephone number in any usual spelling (E.164 digits, +1 800 555 0100, 8005550100) or `*` for the catch-all flow.",
  schema: { type: "string" },
};
const admin = [{ bearer: [] }];
const xmlOk = (description: string) => ({ description, content: { "text/xml": { schema: { type: "string" } } } });

export const openapiPaths: Record<string, PathItem> = {
  "/v1/callflow": {
    get: {
      summary: "Call-flow webhook (docs/opentact.md §a.2): the XML document for an inbound call",
      description:
        "Always answers 200 text/xml: the TN's flow, the catch-all, or the fallback document (header x-tactflow-fallback names why). 401 only when WEBHOOK_TOKEN is set and ?token= does not match.",
      parameters: ["from", "to", "token", "tn", "ani", "dnis", "call", "call_uuid", "uuid", "sca", "sip_control_app", "state"].map(
        (name) => ({
          name,
          in: "query",
          required: false,
          schema: { type: "string" },
        }),
      ),
      responses: { "200": xmlOk("Opentact Call Flow XML"), "401": problem },
    },
    post: {
      summary: "Call-flow webhook with the call entity as a JSON (or form) body",
      requestBody: {
        required: false,
        content: { "application/json": { schema: { type: "object", description: "The Opentact call entity, or { call: {…} }" } } },
      },
      responses: { "200": xmlOk("Opentact Call Flow XML"), "401": problem },
    },
  },
  "/v1/flows": {
    get: {
      summary: "List TNs with a flow",
      security: admin,
      parameters: [
        {
          name: "limit",
          in: "query",
          description: "flows per page",
          schema: { type: "integer", minimum: 1, maximum: 1000, default: 1000 },
        },
        { name: "cursor", in: "query", schema: { type: "string" } },
      ],
      responses: {
        "200": {
          description: "The TNs with a flow (a key limited to TN patterns sees its numbers)",
          content: { "application/json": { schema: { $ref: "#/components/schemas/FlowList" } } },
        },
        "401": problem,
      },
    },
  },
  "/v1/flows/{tn}": {
    parameters: [tnParam],
    put: {
      summary: "Publish a flow: validate, store an immutable version, point the TN at it",
      security: admin,
      parameters: [
        { name: "mode", in: "query", description: "raw-XML bodies only", schema: { type: "string", enum: ["sync", "async"] } },
        { name: "tz", in: "query", description: "raw-XML bodies only: IANA zone", schema: { type: "string" } },
        { name: "description", in: "query", description: "raw-XML bodies only", schema: { type: "string" } },
        { name: "conditions", in: "query", description: "raw-XML bodies only", schema: { type: "string", enum: ["evaluate", "platform"] } },
      ],
      requestBody: {
        required: true,
        content: {
          "application/json": { schema: requestSchemas.PublishBody },
          "application/xml": { schema: { type: "string" } },
          "text/xml": { schema: { type: "string" } },
        },
      },
      responses: {
        "201": {
          description: "New version now current",
          content: { "application/json": { schema: { $ref: "#/components/schemas/Published" } } },
        },
        "200": {
          description: "This content was already current",
          content: { "application/json": { schema: { $ref: "#/components/schemas/Published" } } },
        },
        "400": problem,
        "401": problem,
        "413": problem,
        "415": problem,
        "422": {
          description: "The flow has errors: problem document with diagnostics [{severity, code, message, line, col, tag?, attribute?}]",
        },
      },
    },
    get: {
      summary: "The TN's current flow (JSON with the XML; Accept: application/xml or ?format=xml for the XML alone)",
      security: admin,
      parameters: [
        {
          name: "version",
          in: "query",
          description: "a version from the TN's history (hash or unique prefix)",
          schema: { type: "string" },
        },
      ],
      responses: {
        "200": {
          description: "The flow (or, asked for XML, the XML alone)",
          content: {
            ...{ "application/json": { schema: { $ref: "#/components/schemas/Flow" } } },
            "application/xml": { schema: { type: "string" } },
          },
        },
        "401": problem,
        "404": problem,
      },
    },
    delete: {
      summary: "Remove the TN's flow and history",
      security: admin,
      responses: { "204": { description: "Deleted" }, "401": problem, "404": problem },
    },
  },
  "/v1/flows/{tn}/versions": {
    parameters: [tnParam],
    get: {
      summary: "The TN's history, newest first: [{version, at, size, action, current}]",
      security: admin,
      responses: {
        "200": { description: "History", content: { "application/json": { schema: { $ref: "#/components/schemas/History" } } } },
        "404": problem,
      },
    },
  },
  "/v1/flows/{tn}/rollback": {
    parameters: [tnParam],
    post: {
      summary: "Point the TN back at an earlier version (default: the one before the current)",
      security: admin,
      requestBody: { required: false, content: { "application/json": { schema: requestSchemas.RollbackBody } } },
      responses: {
        "200": {
          description: "Rolled back: the version now current",
          content: { "application/json": { schema: { $ref: "#/components/schemas/Flow" } } },
        },
        "404": problem,
        "409": problem,
      },
    },
  },
  "/v1/flows/{tn}/preview": {
    parameters: [tnParam],
    post: {
      summary: "Render the TN's flow for a caller and time without a call",
      security: admin,
      requestBody: { required: false, content: { "application/json": { schema: requestSchemas.PreviewBody } } },
      responses: { "200": xmlOk("The document the webhook would answer"), "400": problem, "404": problem, "422": problem },
    },
  },
  "/healthz": {
    get: {
      summary: "Liveness and readiness: the version, and a timed check of KV, the call objects and the event hub",
      responses: {
        "200": { description: "Every check passed", content: { "application/json": { schema: { $ref: "#/components/schemas/Health" } } } },
        "503": { description: "A check failed", content: { "application/json": { schema: { $ref: "#/components/schemas/Health" } } } },
      },
    },
  },
  "/v1/openapi.json": {
    get: {
      summary: "This document",
      responses: { "200": { description: "OpenAPI 3.1", content: { "application/json": { schema: { type: "object" } } } } },
    },
  },
};

const str = { type: "string" };
const diagnostic = { $ref: "#/components/schemas/Problem/properties/diagnostics/items" };
const flowFields = {
  tn: str,
  version: { type: "string", description: "The content hash" },
  size: { type: "integer" },
  createdAt: { type: "string", format: "date-time" },
  mode: { type: "string", enum: ["sync", "async"] },
  timezone: str,
  conditions: { type: "string", enum: ["evaluate", "platform"] },
  description: str,
  variables: { type: "object", additionalProperties: str },
  parkTimeoutMs: { type: "integer" },
};
const FLOW_SCHEMAS = {
  FlowList: {
    type: "object",
    required: ["flows"],
    properties: {
      flows: {
        type: "array",
        items: {
          type: "object",
          required: ["tn", "version"],
          properties: { tn: str, version: str, mode: str, updatedAt: str, size: { type: "integer" }, description: str },
        },
      },
      cursor: { type: "string", description: "pass as ?cursor= for the next page" },
    },
  },
  Published: {
    type: "object",
    required: ["tn", "version", "size", "createdAt", "mode", "warnings"],
    properties: {
      tn: str,
      version: str,
      size: { type: "integer" },
      createdAt: str,
      mode: str,
      warnings: { type: "array", items: diagnostic },
    },
  },
  Flow: {
    type: "object",
    required: ["tn", "version", "size", "createdAt", "mode"],
    properties: {
      ...flowFields,
      current: { type: "boolean" },
      updatedAt: { type: "string", format: "date-time" },
      previous: { type: "string", description: "rollback: the version it replaced" },
      xml: { type: "string" },
    },
  },
  History: {
    type: "object",
    required: ["tn", "current", "versions"],
    properties: {
      tn: str,
      current: { type: ["string", "null"] },
      versions: {
        type: "array",
        items: {
          type: "object",
          required: ["version", "at"],
          properties: { version: str, at: str, size: { type: "integer" }, action: str, current: { type: "boolean" } },
        },
      },
    },
  },
};

const check = {
  type: "object",
  required: ["ok", "ms"],
  properties: { ok: { type: "boolean" }, ms: { type: "integer" }, error: { type: "string" } },
};

/** The document, for a server at `origin` (PUBLIC_URL, else the request's origin). */
export function openapiDocument(origin = "/"): Record<string, unknown> {
  const paths = structuredClone(openapiPaths) as Record<string, Record<string, unknown>>;
  finishOperations(paths);
  return {
    openapi: "3.1.0",
    info: {
      title: "tactflow",
      version: "0.1.0",
      license: { name: "MIT", identifier: "MIT" },
      description:
        "Edge call-flow server for the Opentact voice platform. Developer-facing routes take Authorization: Bearer with ADMIN_TOKEN or a scoped API key; platform-facing routes take ?token=$WEBHOOK_TOKEN. Errors are RFC 9457 problem documents.",
    },
    servers: [{ url: origin, description: "this tactflow" }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: SECURITY_SCHEMES,
      schemas: {
        Problem: PROBLEM_SCHEMA,
        ...FLOW_SCHEMAS,
        Health: {
          type: "object",
          required: ["ok", "service", "version", "checks"],
          properties: {
            ok: { type: "boolean" },
            service: { type: "string" },
            version: { type: "string" },
            deployment: { type: "object", properties: { id: { type: "string" }, tag: { type: "string" }, at: { type: "string" } } },
            checks: { type: "object", properties: { kv: check, calls: check, events: check } },
          },
        },
      },
    },
    paths,
  };
}

export const openapi = new Hono<{ Bindings: Env }>();
openapi.get("/", (c) => c.json(openapiDocument((c.env.PUBLIC_URL?.trim() || new URL(c.req.url).origin).replace(/\/+$/, ""))));
