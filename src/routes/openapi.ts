/**
 * `GET /v1/openapi.json`: the OpenAPI 3.1 description of the HTTP API. Request bodies come
 * from the same zod schemas the handlers validate with, turned into JSON Schema at build time
 * (src/contract/request-schemas.json, `npm run schemas`), so the document can't drift from them.
 *
 * Each route module describes its own paths beside its handlers (shared pieces:
 * src/http/openapi.ts); this module assembles them, and src/routes/contract.ts completes every
 * operation (operationId, security, the common refusals).
 */
import { Hono } from "hono";
import type { Paths } from "../http/openapi.ts";
import { auditPaths } from "./audit.ts";
import { callflowPaths } from "./callflow.ts";
import { callsPaths } from "./calls.ts";
import { finishOperations, PROBLEM_SCHEMA, SECURITY_SCHEMES } from "./contract.ts";
import { eventPaths } from "./events.ts";
import { flowSchemas, flowsPaths } from "./flowsOpenapi.ts";
import { gatherPaths } from "./gather.ts";
import { healthPaths, healthSchemas } from "./health.ts";
import { insightsPaths } from "./insights.ts";
import { keysPaths } from "./keys.ts";
import { phonePaths } from "./phone.ts";
import { rolloutPaths, rolloutSchemas } from "./rollout.ts";
import { signingKeyPaths } from "./signingKey.ts";
import { webhooksPaths } from "./webhooks.ts";

/** This document's own route. */
const openapiOwnPaths: Paths = {
  "/v1/openapi.json": {
    get: {
      summary: "This document",
      responses: { "200": { description: "OpenAPI 3.1", content: { "application/json": { schema: { type: "object" } } } } },
    },
  },
};

/** Every path, each described beside its route. */
const paths: Paths = {
  ...callflowPaths,
  ...flowsPaths,
  ...healthPaths,
  ...openapiOwnPaths,
  ...eventPaths,
  ...callsPaths,
  ...webhooksPaths,
  ...gatherPaths,
  ...keysPaths,
  ...signingKeyPaths,
  ...auditPaths,
  ...phonePaths,
  ...insightsPaths,
  ...rolloutPaths,
};

/** The document, for a server at `origin` (PUBLIC_URL, else the request's origin). */
export function openapiDocument(origin = "/"): Record<string, unknown> {
  const all = structuredClone(paths) as Record<string, Record<string, unknown>>;
  finishOperations(all);
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
        ...flowSchemas,
        ...healthSchemas,
        ...rolloutSchemas,
      },
    },
    paths: all,
  };
}

export const openapi = new Hono<{ Bindings: Env }>();
openapi.get("/", (c) => c.json(openapiDocument((c.env.PUBLIC_URL?.trim() || new URL(c.req.url).origin).replace(/\/+$/, ""))));
