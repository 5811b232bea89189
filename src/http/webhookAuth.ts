/**
 * The platform-facing routes' token check: `?token=<WEBHOOK_TOKEN>` on the URL the platform
 * calls (the call-flow webhook, a Gather's URL, the events webhook), because Opentact signs
 * nothing and sends no auth header (docs/opentact.md §a.2, e). Compared in constant time.
 *
 * One decision, three ways in:
 * - {@link authoriseWebhook}: the verdict, for the `/v1/callflow` fast path, which runs before
 *   Hono's router and so can't use middleware;
 * - {@link webhookRefusal}: the logged 401 for a refused verdict;
 * - {@link requireWebhookToken}: both, as Hono middleware, for every other platform-facing route.
 */
import type { MiddlewareHandler } from "hono";
import { clip, log } from "../log.ts";
import { safeEqual } from "./auth.ts";
import { problemDocument, problemResponse } from "./problem.ts";

/** A platform-facing route, as its refusals name it. */
export interface WebhookRoute {
  /** The route in log lines: `callflow`, `gather`, `events webhook`. */
  name: string;
  /** What carries the token, for the 401's detail: `The webhook URL`, `The Gather URL`. */
  url: string;
}

export type WebhookVerdict = { ok: true } | { ok: false; reason: "missing-token" | "wrong-token" };

const ADMITTED: WebhookVerdict = { ok: true };

/**
 * Whether a platform-facing request may proceed, given the `?token=` it carried (undefined when
 * it carried none). Admits everything while no WEBHOOK_TOKEN is configured.
 */
export function authoriseWebhook(env: Pick<Env, "WEBHOOK_TOKEN">, token: string | undefined): WebhookVerdict {
  const expected = env.WEBHOOK_TOKEN;
  if (!expected) return ADMITTED;
  if (token === undefined) return { ok: false, reason: "missing-token" };
  return safeEqual(token, expected) ? ADMITTED : { ok: false, reason: "wrong-token" };
}

/** The answer to a refused platform-facing request: logged, then a 401 problem document. */
export function webhookRefusal(route: WebhookRoute, request: Request, verdict: Extract<WebhookVerdict, { ok: false }>): Response {
  const path = pathOf(request.url);
  log("warn", `${route.name} rejected: wrong or missing token`, {
    reason: verdict.reason,
    path: clip(path, 200),
    ip: request.headers.get("cf-connecting-ip") ?? undefined,
    hasToken: verdict.reason !== "missing-token",
  });
  return problemResponse({
    ...problemDocument(401, "Unauthorized", `${route.url}'s ?token= does not match WEBHOOK_TOKEN.`),
    instance: path,
  });
}

/** Middleware: the request goes on only with the right `?token=` (see {@link authoriseWebhook}). */
export function requireWebhookToken(route: WebhookRoute): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    const verdict = authoriseWebhook(c.env, c.req.query("token"));
    if (!verdict.ok) return webhookRefusal(route, c.req.raw, verdict);
    await next();
  };
}

/** The path of an absolute URL string, without the query. */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const q = url.indexOf("?", start);
  return q < 0 ? url.slice(start) : url.slice(start, q);
}
