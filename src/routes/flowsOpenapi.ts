/**
 * The OpenAPI path items and schemas of the flow routes (src/routes/flows.ts); src/routes/openapi.ts
 * assembles the document from every route file's part.
 */
import requestSchemas from "../contract/request-schemas.json";
import { bearerSecurity, problemRef, xmlAnswer, type Paths } from "../http/openapi.ts";

const tnParam = {
  name: "tn",
  in: "path",
  required: true,
  description: "A telephone number in any usual spelling (E.164 digits, +1 800 555 0100, 8005550100) or `*` for the catch-all flow.",
  schema: { type: "string" },
};

export const flowsPaths: Paths = {
  "/v1/flows": {
    get: {
      summary: "List TNs with a flow",
      security: bearerSecurity,
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
        "401": problemRef,
      },
    },
  },
  "/v1/flows/{tn}": {
    parameters: [tnParam],
    put: {
      summary: "Publish a flow: validate, store an immutable version, point the TN at it",
      security: bearerSecurity,
      parameters: [
        { name: "mode", in: "query", description: "raw-XML bodies only", schema: { type: "string", enum: ["sync", "async"] } },
        { name: "tz", in: "query", description: "raw-XML bodies only: IANA zone", schema: { type: "string" } },
        { name: "description", in: "query", description: "raw-XML bodies only", schema: { type: "string" } },
        { name: "conditions", in: "query", description: "raw-XML bodies only", schema: { type: "string", enum: ["evaluate", "platform"] } },
        {
          name: "canary",
          in: "query",
          description:
            "raw-XML bodies only: publish as a canary for this percentage of callers (JSON bodies: `canary`); the current version stays stable (docs/insights.md)",
          schema: { type: "number", exclusiveMinimum: 0, exclusiveMaximum: 100 },
        },
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
          description:
            "New version now current; with canary, the candidate of a rollout that started (rollout says what share of callers gets it)",
          content: { "application/json": { schema: { $ref: "#/components/schemas/Published" } } },
        },
        "200": {
          description: "This content was already current",
          content: { "application/json": { schema: { $ref: "#/components/schemas/Published" } } },
        },
        "400": problemRef,
        "401": problemRef,
        "413": problemRef,
        "415": problemRef,
        "409": { description: "canary: the number has no current version to compare with, or this content is the current version" },
        "422": {
          description: "The flow has errors: problem document with diagnostics [{severity, code, message, line, col, tag?, attribute?}]",
        },
      },
    },
    get: {
      summary: "The TN's current flow (JSON with the XML; Accept: application/xml or ?format=xml for the XML alone)",
      security: bearerSecurity,
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
        "401": problemRef,
        "404": problemRef,
      },
    },
    delete: {
      summary: "Remove the TN's flow and history",
      security: bearerSecurity,
      responses: { "204": { description: "Deleted" }, "401": problemRef, "404": problemRef },
    },
  },
  "/v1/flows/{tn}/versions": {
    parameters: [tnParam],
    get: {
      summary: "The TN's history, newest first: [{version, at, size, action, current}]",
      security: bearerSecurity,
      responses: {
        "200": { description: "History", content: { "application/json": { schema: { $ref: "#/components/schemas/History" } } } },
        "404": problemRef,
      },
    },
  },
  "/v1/flows/{tn}/rollback": {
    parameters: [tnParam],
    post: {
      summary: "Point the TN back at an earlier version (default: the one before the current)",
      security: bearerSecurity,
      requestBody: { required: false, content: { "application/json": { schema: requestSchemas.RollbackBody } } },
      responses: {
        "200": {
          description: "Rolled back: the version now current",
          content: { "application/json": { schema: { $ref: "#/components/schemas/Flow" } } },
        },
        "404": problemRef,
        "409": problemRef,
      },
    },
  },
  "/v1/flows/{tn}/preview": {
    parameters: [tnParam],
    post: {
      summary: "Render the TN's flow for a caller and time without a call",
      security: bearerSecurity,
      requestBody: { required: false, content: { "application/json": { schema: requestSchemas.PreviewBody } } },
      responses: { "200": xmlAnswer("The document the webhook would answer"), "400": problemRef, "404": problemRef, "422": problemRef },
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
/** The flow routes' component schemas (`#/components/schemas/Flow`, …). */
export const flowSchemas = {
  FlowList: {
    type: "object",
    required: ["flows"],
    properties: {
      flows: {
        type: "array",
        items: {
          type: "object",
          required: ["tn", "version"],
          properties: {
            tn: str,
            version: str,
            mode: str,
            updatedAt: str,
            size: { type: "integer" },
            description: str,
            rollout: { type: "object", properties: { candidate: str, percent: { type: "number" }, state: str } },
          },
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
      rollout: { $ref: "#/components/schemas/Rollout", description: "a publish with canary: the rollout it started" },
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
      rollout: { $ref: "#/components/schemas/Rollout", description: "the canary rollout since the last publish, if any" },
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
