/**
 * Authentication middleware. Developer-facing routes take `Authorization: Bearer $ADMIN_TOKEN`;
 * platform-facing routes take `?token=$WEBHOOK_TOKEN`, because Opentact signs nothing (docs/opentact.md §a.2, e).
 * Tokens are compared in constant time.
 */
import type { MiddlewareHandler } from "hono";
import { ProblemError } from "./problem.ts";

/**
 * Constant-time string comparison (length is not secret; content is). Compares UTF-16 code
 * units in plain JS: this runs on every webhook, and in workerd a TextEncoder call per side costs
 * more than the comparison.
 */
export function safeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}

export function bearerToken(header: string | undefined | null): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? "");
  return m?.[1]?.trim();
}

/** Requires `Authorization: Bearer <ADMIN_TOKEN>`; 401 problem otherwise. */
export function requireAdmin(): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    const expected = c.env.ADMIN_TOKEN;
    if (!expected) {
      throw new ProblemError(
        401,
        "Admin API disabled",
        "Set the ADMIN_TOKEN secret (npm start writes one to .dev.vars) to use the admin API.",
      );
    }
    const got = bearerToken(c.req.header("authorization"));
    if (!got || !safeEqual(got, expected)) {
      throw new ProblemError(
        401,
        "Unauthorized",
        got ? "The bearer token is not valid." : "Send Authorization: Bearer <ADMIN_TOKEN>.",
        {},
        { "www-authenticate": 'Bearer realm="tactflow"' },
      );
    }
    await next();
  };
}

/** Whether a platform-facing request carries the right `?token=` (true when no token is configured). */
export function webhookTokenOk(env: Env, url: URL): boolean {
  const expected = env.WEBHOOK_TOKEN;
  if (!expected) return true;
  const got = url.searchParams.get("token") ?? "";
  return safeEqual(got, expected);
}
