/**
 * `GET /v1/audit?tn=&limit=&before=` (`audit:read`): who published, rolled back or deleted which
 * flow, and who created or revoked which key, newest first. A key limited to TN patterns sees
 * only the entries of its numbers.
 */
import { Hono } from "hono";
import { ACCESS_NAME } from "../access/AccessStore.ts";
import { allows, allowsEveryTn } from "../access/scopes.ts";
import { type AccessEnv, forbidden, principalOf, requireScope } from "../http/access.ts";
import { ProblemError } from "../http/problem.ts";
import { intQuery } from "../http/query.ts";
import type { Paths } from "../http/openapi.ts";
import { AUDIT_ACTIONS } from "../access/auditTable.ts";
import { canonicalTn, normalizeTn } from "../tn.ts";

export const audit = new Hono<AccessEnv>();

export const AUDIT_LIMIT = { default: 100, max: 1000 } as const;

audit.get("/v1/audit", requireScope("audit:read"), async (c) => {
  const who = principalOf(c);
  const limit = intQuery(c.req.query("limit"), "limit", { min: 1, max: AUDIT_LIMIT.max, default: AUDIT_LIMIT.default });
  const before = intQuery(c.req.query("before"), "before", { min: 1, max: Number.MAX_SAFE_INTEGER });
  const tnRaw = c.req.query("tn");
  let tn: string | undefined;
  if (tnRaw !== undefined) {
    const n = tnRaw === "*" ? "*" : normalizeTn(tnRaw);
    if (!n)
      throw new ProblemError(400, "Invalid request", "tn is not a telephone number", { errors: [{ path: "tn", message: "a TN or *" }] });
    tn = n === "*" ? n : canonicalTn(n);
    if (!allows(who, "audit:read", tn)) throw forbidden("audit:read", tn);
  }
  const store = c.env.ACCESS.getByName(ACCESS_NAME);
  const page = await store.audit({ limit, ...(tn !== undefined ? { tn } : {}), ...(before !== undefined ? { before } : {}) });
  // A TN-limited key sees its numbers' entries only (never key changes); a page may then hold fewer than `limit`.
  const entries = allowsEveryTn(who, "audit:read")
    ? page.entries
    : page.entries.filter((e) => e.tn !== null && allows(who, "audit:read", e.tn));
  return c.json({ entries, ...(page.next ? { next: page.next } : {}) });
});

// ---- OpenAPI (src/routes/openapi.ts assembles the document) -------------------------------------

const entry = {
  type: "object",
  required: ["seq", "at", "actor", "action", "tn", "before", "after", "detail"],
  properties: {
    seq: { type: "integer" },
    at: { type: "string", format: "date-time" },
    actor: { type: "string", description: "root, or the API key id" },
    action: { type: "string", enum: [...AUDIT_ACTIONS] },
    tn: { type: ["string", "null"] },
    before: { type: ["string", "null"], description: "The version (or key id) before" },
    after: { type: ["string", "null"], description: "The version (or key id) after" },
    detail: { type: ["string", "null"] },
  },
};

export const auditPaths: Paths = {
  "/v1/audit": {
    get: {
      summary: "Who changed which flow or key, newest first",
      parameters: [
        { name: "tn", in: "query", required: false, description: "Only this number's entries", schema: { type: "string" } },
        {
          name: "limit",
          in: "query",
          required: false,
          description: `Entries per page (default ${AUDIT_LIMIT.default})`,
          schema: { type: "integer", minimum: 1, maximum: AUDIT_LIMIT.max, default: AUDIT_LIMIT.default },
        },
        { name: "before", in: "query", required: false, description: "The previous page's next", schema: { type: "integer", minimum: 1 } },
      ],
      responses: {
        "200": {
          description: "A page of entries",
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["entries"],
                properties: {
                  entries: { type: "array", items: entry },
                  next: { type: "integer", description: "before= for the next page" },
                },
              },
            },
          },
        },
        "400": { description: "A query parameter out of range (errors names it)" },
      },
    },
  },
};
