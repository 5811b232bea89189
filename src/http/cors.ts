/**
 * CORS for the developer-facing API, so a browser app on another origin can call it:
 * `CORS_ALLOWED_ORIGINS` lists the origins (comma-separated, exact, e.g.
 * `https://console.example.com`; `*` for any, which is safe only because credentials are bearer
 * tokens, never cookies). Unset: no cross-origin access (same-origin pages, like the console
 * served by the Worker itself, need none). Preflights are answered before authentication.
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";

export function adminCors(): MiddlewareHandler<{ Bindings: Env }> {
  const handler = cors({
    origin: (origin, c) => {
      const list = ((c.env as Env).CORS_ALLOWED_ORIGINS ?? "").split(/[\s,]+/).filter(Boolean);
      if (list.includes("*")) return "*";
      return list.includes(origin) ? origin : null;
    },
    allowMethods: ["GET", "PUT", "POST", "DELETE", "OPTIONS"],
    allowHeaders: ["authorization", "content-type", "accept", "idempotency-key", "webhook-id", "webhook-timestamp", "webhook-signature"],
    exposeHeaders: ["x-tactflow-version", "location", "retry-after", "www-authenticate"],
    maxAge: 600,
  });
  return async (c, next) => {
    if (!c.env.CORS_ALLOWED_ORIGINS) return next();
    return handler(c, next);
  };
}
