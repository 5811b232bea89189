/**
 * Authentication and authorisation for the developer-facing API: one middleware per route,
 * `requireScope(scope, { tn })`.
 *
 * - `Authorization: Bearer <ADMIN_TOKEN>` is the bootstrap root key: every scope, every TN.
 * - `Authorization: Bearer tfk_…` is a scoped API key (src/access/): checked against the access
 *   store on every request, so a revocation holds from the next request on.
 * - No or a wrong token: 401. A key without the scope (or not for this TN): 403 naming the
 *   scope. `ADMIN_TOKEN` not configured and no key presented: 503 naming the secret (the API
 *   fails closed; `INSECURE_DEV_MODE=1` is not an exception here, the root key has no default).
 * - Rate limits before the check (per client IP, so guessing is slow) and after it (per key):
 *   429 with `Retry-After`, through the Workers rate-limiting binding `ADMIN_RATE_LIMIT`.
 *
 * The principal is left in `c.var.principal` for routes that filter by TN (lists, audit).
 */
import type { Context, MiddlewareHandler } from "hono";
import { ACCESS_NAME } from "../access/AccessStore.ts";
import { keyIdOf } from "../access/keyTable.ts";
import { allows, type Principal, ROOT, type Scope } from "../access/scopes.ts";
import { bearerToken, safeEqual } from "./auth.ts";
import { ProblemError } from "./problem.ts";

export type AccessEnv = { Bindings: Env; Variables: { principal: Principal } };

/** Seconds a client is asked to wait after a 429 (the rate limiter's window). */
const RETRY_AFTER_SECONDS = 60;

async function rateLimited(env: Env, key: string): Promise<boolean> {
  try {
    const { success } = await env.ADMIN_RATE_LIMIT.limit({ key });
    return !success;
  } catch {
    // A limiter that fails must not take the API down with it.
    return false;
  }
}

function tooMany(detail: string): ProblemError {
  return new ProblemError(429, "Too many requests", detail, {}, { "retry-after": String(RETRY_AFTER_SECONDS) });
}

function unauthorized(detail: string): ProblemError {
  return new ProblemError(401, "Unauthorized", detail, {}, { "www-authenticate": 'Bearer realm="tactflow"' });
}

/** Who the request's bearer token names, or the refusal. */
export async function authenticate(env: Env, authorization: string | null | undefined, clientIp: string | null): Promise<Principal> {
  if (clientIp && (await rateLimited(env, `ip:${clientIp}`))) throw tooMany("too many requests from this address; wait and retry");
  const got = bearerToken(authorization);
  const root = env.ADMIN_TOKEN;
  if (got && root && safeEqual(got, root)) return ROOT;
  if (got && keyIdOf(got)) {
    const key = await env.ACCESS.getByName(ACCESS_NAME).authenticate(got);
    if (!key) throw unauthorized("The API key is not valid, or it was revoked.");
    if (await rateLimited(env, `key:${key.id}`)) throw tooMany(`too many requests with key ${key.id}; wait and retry`);
    return { kind: "key", id: key.id, grants: key.grants };
  }
  if (!root)
    throw new ProblemError(
      503,
      "Not configured",
      "The ADMIN_TOKEN secret is not set, so the admin API refuses every request (npm start writes one to .dev.vars; in production: wrangler secret put ADMIN_TOKEN).",
      { missing: ["ADMIN_TOKEN"] },
    );
  throw unauthorized(got ? "The bearer token is not valid." : "Send Authorization: Bearer <ADMIN_TOKEN or an API key>.");
}

export interface ScopeOptions {
  /** The route parameter holding the TN the request acts on. */
  tn?: string;
}

/** Authenticate, then require `scope` (for the route's TN, when it has one). */
export function requireScope(scope: Scope, opts: ScopeOptions = {}): MiddlewareHandler<AccessEnv> {
  return async (c, next) => {
    const who = await authenticate(c.env, c.req.header("authorization"), c.req.header("cf-connecting-ip") ?? null);
    const tn = opts.tn ? c.req.param(opts.tn) : undefined;
    if (!allows(who, scope, tn)) throw forbidden(scope, tn);
    c.set("principal", who);
    await next();
  };
}

export function forbidden(scope: Scope, tn?: string): ProblemError {
  return new ProblemError(
    403,
    "Forbidden",
    tn !== undefined
      ? `This API key does not hold the scope ${scope} for ${tn.slice(0, 32)}.`
      : `This API key does not hold the scope ${scope}.`,
    { scope, ...(tn !== undefined ? { tn: tn.slice(0, 32) } : {}) },
  );
}

/** The principal `requireScope` left on the context. */
export function principalOf(c: Context<AccessEnv>): Principal {
  return c.get("principal");
}
