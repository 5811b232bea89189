/**
 * `requireAdmin()`: the developer-facing routes' middleware. `Authorization: Bearer
 * <ADMIN_TOKEN>`, compared in constant time; a 401 problem document (with `WWW-Authenticate`)
 * otherwise, and when no ADMIN_TOKEN is configured the API is off rather than open.
 */
import type { MiddlewareHandler } from "hono";
import { bearerToken, safeEqual } from "./auth.ts";
import { ProblemError } from "./problem.ts";

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
