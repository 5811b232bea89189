/**
 * The pieces route modules build their OpenAPI entries from. Each route module exports its path
 * items beside its handlers (`callflowPaths`, `flowsPaths`, …); src/routes/openapi.ts assembles
 * the document from them and src/routes/contract.ts completes every operation (operationId,
 * security, the common refusals).
 */

export type Operation = Record<string, unknown>;
export type PathItem = Record<string, Operation | unknown[]>;
/** Path items by OpenAPI path (`/v1/calls/{call}`), as one route module describes them. */
export type Paths = Record<string, PathItem>;

/** A problem-document response (RFC 9457, src/http/problem.ts). */
export const problemRef = {
  description: "Problem document (RFC 9457)",
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
};

/** An Opentact Call Flow XML response. */
export function xmlAnswer(description = "Opentact Call Flow XML"): Operation {
  return { description, content: { "text/xml": { schema: { type: "string" } } } };
}

/** Developer-facing operations: `Authorization: Bearer` (the scope is filled in by src/routes/contract.ts). */
export const bearerSecurity = [{ bearer: [] }];

/** The `{call}` path parameter (src/call/id.ts says what a call id may be). */
export const callPathParam = {
  name: "call",
  in: "path",
  required: true,
  description: "The platform's call uuid.",
  schema: { type: "string" },
};
