/**
 * RFC 9457 problem documents for every developer-facing error, and the one `onError` that
 * turns thrown `ProblemError`s (and anything unexpected) into them.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { log } from "../log.ts";

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

/**
 * The one way a problem document is made: `type` is tactflow's URI for the title
 * (`https://tactflow.dev/problems/<slug>`), then status, detail and any extensions. `instance`
 * (the request path) is added where the response is made.
 */
export function problemDocument(status: number, title: string, detail?: string, extensions: Record<string, unknown> = {}): Problem {
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
  return { type: `https://tactflow.dev/problems/${slug}`, title, status, ...(detail ? { detail } : {}), ...extensions };
}

/** Throw this from a handler; `onError` renders it as `application/problem+json`. */
export class ProblemError extends HTTPException {
  readonly problem: Problem;
  readonly headers: Record<string, string>;
  constructor(
    status: ContentfulStatusCode,
    title: string,
    detail?: string,
    extensions: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    super(status, { message: detail ?? title });
    this.headers = headers;
    this.problem = problemDocument(status, title, detail, extensions);
  }
}

export function problemResponse(problem: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
}

/** The app-wide error handler: problems as JSON, never an HTML stack trace. */
export function onError(err: Error, c: Context): Response {
  if (err instanceof ProblemError) return problemResponse({ ...err.problem, instance: new URL(c.req.url).pathname }, err.headers);
  if (err instanceof HTTPException) {
    return problemResponse({
      type: "about:blank",
      title: err.message || "Request failed",
      status: err.status,
      instance: new URL(c.req.url).pathname,
    });
  }
  log("error", "unhandled error", { path: new URL(c.req.url).pathname, error: String(err?.stack ?? err) });
  return problemResponse({
    type: "about:blank",
    title: "Internal error",
    status: 500,
    detail: "The server hit an unexpected error; it has been logged.",
  });
}

export function notFound(c: Context): Response {
  return problemResponse({
    type: "about:blank",
    title: "Not found",
    status: 404,
    detail: `No route for ${c.req.method} ${new URL(c.req.url).pathname}`,
  });
}
