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
import { canonicalTn, normalizeTn } from "../tn.ts";

export const audit = new Hono<AccessEnv>();

export const AUDIT_LIMIT = { default: 100, max: 1000 } as const;

audit.get("/v1/audit", requireScope("audit:read"), async (c) => {
  const who = principalOf(c);
  const limitRaw = c.req.query("limit");
  const limit = limitRaw === undefined ? AUDIT_LIMIT.default : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > AUDIT_LIMIT.max)
    throw new ProblemError(400, "Invalid request", `limit must be an integer from 1 to ${AUDIT_LIMIT.max}`, {
      errors: [{ path: "limit", message: `an integer from 1 to ${AUDIT_LIMIT.max}` }],
    });
  const beforeRaw = c.req.query("before");
  const before = beforeRaw === undefined ? undefined : Number(beforeRaw);
  if (before !== undefined && (!Number.isInteger(before) || before < 1))
    throw new ProblemError(400, "Invalid request", "before must be a positive integer (the previous page's next)", {
      errors: [{ path: "before", message: "a positive integer" }],
    });
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
