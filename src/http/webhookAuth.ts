/**
 * The platform-facing routes' token check: `?token=<WEBHOOK_TOKEN>` on the URL the platform
 * calls (the call-flow webhook, a Gather's URL, the events webhook), because Opentact signs
 * nothing and sends no auth header (docs/opentact.md §a.2, e). Compared in constant time.
 *
 * It fails closed: with no WEBHOOK_TOKEN configured every request is refused (503 naming the
 * secret; the call-flow and Gather routes, whose caller is a live call, answer the fallback
 * document instead and log an error), unless `INSECURE_DEV_MODE=1` says this is a development
 * server that may run open. `WEBHOOK_ALLOWED_IPS` (comma-separated addresses or CIDR ranges,
 * matched against `cf-connecting-ip`) adds a source-address check on top of the token.
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
import { ipAllowed } from "./ipAllow.ts";
import { isPhoneToken, verifyPhoneToken, type PhoneClaim } from "./phoneToken.ts";
import { problemDocument, problemResponse } from "./problem.ts";

/** A platform-facing route, as its refusals name it. */
export interface WebhookRoute {
  /** The route in log lines: `callflow`, `gather`, `events webhook`. */
  name: string;
  /** What carries the token, for the 401's detail: `The webhook URL`, `The Gather URL`. */
  url: string;
  /**
   * For routes a live call is waiting on: the document to answer when WEBHOOK_TOKEN is not
   * configured, so the caller hears the fallback rather than dead air.
   */
  fallbackXml?: (env: Env) => string;
}

export type WebhookVerdict =
  | { ok: true }
  | { ok: false; reason: "missing-token" | "wrong-token" | "not-configured" | "address-not-allowed" };

const ADMITTED: WebhookVerdict = { ok: true };

/** Whether `INSECURE_DEV_MODE=1` lets routes whose secret is not configured run open. */
export function insecureDevMode(env: Pick<Env, "INSECURE_DEV_MODE">): boolean {
  return env.INSECURE_DEV_MODE === "1" || env.INSECURE_DEV_MODE === "true";
}

/**
 * Whether a platform-facing request may proceed, given the `?token=` it carried (undefined when
 * it carried none) and its source address (`cf-connecting-ip`, null when absent).
 */
export function authoriseWebhook(
  env: Pick<Env, "WEBHOOK_TOKEN" | "INSECURE_DEV_MODE" | "WEBHOOK_ALLOWED_IPS">,
  token: string | undefined,
  ip: string | null = null,
): WebhookVerdict {
  if (env.WEBHOOK_ALLOWED_IPS && !ipAllowed(env.WEBHOOK_ALLOWED_IPS, ip)) return { ok: false, reason: "address-not-allowed" };
  const expected = env.WEBHOOK_TOKEN;
  if (!expected) return insecureDevMode(env) ? ADMITTED : { ok: false, reason: "not-configured" };
  if (token === undefined) return { ok: false, reason: "missing-token" };
  return safeEqual(token, expected) ? ADMITTED : { ok: false, reason: "wrong-token" };
}

/**
 * The answer to a refused platform-facing request, logged: 401 for a wrong or missing token,
 * 403 for an address outside WEBHOOK_ALLOWED_IPS, 503 naming WEBHOOK_TOKEN when it is not set.
 */
export function webhookRefusal(
  route: WebhookRoute,
  request: Request,
  verdict: Extract<WebhookVerdict, { ok: false }>,
  env?: Env,
): Response {
  const path = pathOf(request.url);
  if (verdict.reason === "not-configured") {
    log("error", `${route.name} refused: WEBHOOK_TOKEN is not configured`, {
      path: clip(path, 200),
      answered: route.fallbackXml && env ? "fallback document" : "503",
    });
    if (route.fallbackXml && env)
      return new Response(route.fallbackXml(env), {
        status: 200,
        headers: { "content-type": "text/xml; charset=utf-8", "cache-control": "no-store", "x-tactflow-fallback": "not-configured" },
      });
    return problemResponse({
      ...problemDocument(
        503,
        "Not configured",
        "The WEBHOOK_TOKEN secret is not set, so platform-facing routes refuse every request (wrangler secret put WEBHOOK_TOKEN; INSECURE_DEV_MODE=1 runs them open on a development server).",
        { missing: ["WEBHOOK_TOKEN"] },
      ),
      instance: path,
    });
  }
  if (verdict.reason === "address-not-allowed") {
    log("warn", `${route.name} rejected: source address not allowed`, {
      path: clip(path, 200),
      ip: clip(request.headers.get("cf-connecting-ip"), 64),
    });
    return problemResponse({
      ...problemDocument(403, "Forbidden", "The request's source address is not in WEBHOOK_ALLOWED_IPS."),
      instance: path,
    });
  }
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

/** The phone tokens requests were admitted with (src/http/phoneToken.ts), for their routes to check the call. */
const phoneClaims = new WeakMap<Request, PhoneClaim>();

/** The phone token's claim when `request` was admitted with one (not with WEBHOOK_TOKEN). */
export function phoneClaimOf(request: Request): PhoneClaim | undefined {
  return phoneClaims.get(request);
}

/**
 * {@link authoriseWebhook}, and failing that a phone token (the web console's browser phone).
 * A phone token is checked against WEBHOOK_TOKEN's derived key and is not subject to
 * WEBHOOK_ALLOWED_IPS (its holder is a browser, not the platform); its claim is kept for the
 * route, which admits only the token's own call.
 */
export async function authoriseWebhookOrPhone(
  env: Pick<Env, "WEBHOOK_TOKEN" | "INSECURE_DEV_MODE" | "WEBHOOK_ALLOWED_IPS">,
  request: Request,
  token: string | undefined,
  ip: string | null,
): Promise<WebhookVerdict> {
  if (isPhoneToken(token) && env.WEBHOOK_TOKEN) {
    const claim = await verifyPhoneToken(env.WEBHOOK_TOKEN, token, Date.now());
    if (!claim) return { ok: false, reason: "wrong-token" };
    phoneClaims.set(request, claim);
    return ADMITTED;
  }
  return authoriseWebhook(env, token, ip);
}

/** Middleware: the request goes on only with the right `?token=` (see {@link authoriseWebhookOrPhone}). */
export function requireWebhookToken<E extends { Bindings: Env } = { Bindings: Env }>(route: WebhookRoute): MiddlewareHandler<E> {
  return async (c, next) => {
    const verdict = await authoriseWebhookOrPhone(c.env, c.req.raw, c.req.query("token"), c.req.header("cf-connecting-ip") ?? null);
    if (!verdict.ok) return webhookRefusal(route, c.req.raw, verdict, c.env);
    await next();
  };
}

/** A phone token used for another call than its own: 401, logged. */
export function phoneRefusal(route: WebhookRoute, request: Request, why: string): Response {
  const path = pathOf(request.url);
  log("warn", `${route.name} rejected: phone token for another call`, { path: clip(path, 200), why });
  return problemResponse({ ...problemDocument(401, "Unauthorized", `The phone token is not for ${why}.`), instance: path });
}

/** The path of an absolute URL string, without the query. */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const q = url.indexOf("?", start);
  return q < 0 ? url.slice(start) : url.slice(start, q);
}
