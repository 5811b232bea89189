/**
 * One structured log line per request (src/log.ts): method, route, status, time, and the call,
 * TN and flow version it concerned when there is one. Never a token, a header or a body; the
 * values a caller controls are clipped. The route is the pattern (`/v1/flows/:tn`), so lines
 * group by endpoint; the query string, which carries the platform's token, is never logged.
 */
import type { MiddlewareHandler } from "hono";
import { clip, log } from "../log.ts";

export interface RequestLine {
  method: string;
  route: string;
  status: number;
  ms: number;
  call?: string | undefined;
  tn?: string | undefined;
  version?: string | undefined;
  fallback?: string | undefined;
}

export function logRequest(line: RequestLine): void {
  log(line.status >= 500 ? "error" : "info", "request", {
    method: line.method,
    route: line.route,
    status: line.status,
    ms: line.ms,
    call: clip(line.call, 64),
    tn: clip(line.tn, 32),
    version: clip(line.version, 64),
    fallback: line.fallback,
  });
}

/** Hono middleware writing the line once the route has answered (or failed). */
export function requestLog(): MiddlewareHandler {
  return async (c, next) => {
    const start = Date.now();
    try {
      await next();
    } finally {
      const params = c.req.param() as Record<string, string | undefined>;
      logRequest({
        method: c.req.method,
        route: c.req.routePath || "(no route)",
        status: c.res.status,
        ms: Date.now() - start,
        call: params.call,
        tn: params.tn,
        version: c.res.headers.get("x-tactflow-version") ?? undefined,
        fallback: c.res.headers.get("x-tactflow-fallback") ?? undefined,
      });
    }
  };
}
