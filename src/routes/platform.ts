/**
 * What every platform-facing XML route (the call-flow webhook, a Gather's URL) answers besides
 * its document. The platform executes whatever comes back on these paths, so nothing here is
 * ever JSON (docs/opentact.md §a.3); the exceptions are the refusals of src/http/webhookAuth.ts
 * (401 wrong token, 403 address not allowed).
 *
 * - GET and POST go on to the route: they are the methods the platform uses
 *   (`call_flow_method`, docs/opentact.md §a.2).
 * - HEAD is a reachability probe, never a call: after the token check it answers 200 with the
 *   XML headers and no body, and renders nothing, so a probe never starts a call object or
 *   spends a Gather attempt. (Hono would otherwise run the GET handler for it.)
 * - Any other method is never the platform's: 405 with `Allow: GET, POST, HEAD`, and still an
 *   XML body — the fallback document — so anything that executes it anyway hears an apology,
 *   not dead air. It comes before the token check: it reveals nothing and does nothing.
 */
import type { MiddlewareHandler } from "hono";
import { fallbackXml } from "../callflow/fallback.ts";
import { requireWebhookToken, type WebhookRoute } from "../http/webhookAuth.ts";
import { clip, log } from "../log.ts";

type Env_ = { Bindings: Env };

/** The headers of every XML answer on a platform-facing path. */
export const XML_HEADERS = { "content-type": "text/xml; charset=utf-8", "cache-control": "no-store" } as const;

/** What a platform-facing XML route takes, for `Allow`. */
export const PLATFORM_METHODS = "GET, POST, HEAD";

/** 405 for a method the platform never uses; GET, POST and HEAD go on. */
export function platformMethods(route: WebhookRoute): MiddlewareHandler<Env_> {
  return async (c, next) => {
    // Hono routes HEAD as GET; the request keeps its own method.
    const method = c.req.raw.method;
    if (method === "GET" || method === "POST" || method === "HEAD") return next();
    log("warn", `${route.name}: method not allowed`, { method: clip(method, 16), path: clip(new URL(c.req.url).pathname, 200) });
    return new Response(fallbackXml(c.env), {
      status: 405,
      headers: { ...XML_HEADERS, allow: PLATFORM_METHODS, "x-tactflow-fallback": "method-not-allowed" },
    });
  };
}

/** HEAD: 200, the XML headers, no body, nothing rendered. */
export function headProbe(): MiddlewareHandler<Env_> {
  return async (c, next) => {
    if (c.req.raw.method === "HEAD") return new Response(null, { status: 200, headers: XML_HEADERS });
    await next();
  };
}

/** The chain in front of a platform-facing XML handler: methods, then the token, then HEAD. */
export function platformXmlRoute(route: WebhookRoute): [MiddlewareHandler<Env_>, MiddlewareHandler<Env_>, MiddlewareHandler<Env_>] {
  return [platformMethods(route), requireWebhookToken(route), headProbe()];
}
