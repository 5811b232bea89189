/**
 * `GET|POST /v1/callflow`: the SIP Control App's call-flow webhook (docs/opentact.md §a.2, a.3).
 *
 * Platform-facing: it answers `200 text/xml; charset=utf-8` with a document for every call —
 * the TN's flow, the catch-all, or the fallback — and never a 5xx or an empty body. The
 * exceptions: a wrong `?token=` is 401 and an address outside WEBHOOK_ALLOWED_IPS 403, logged;
 * with no WEBHOOK_TOKEN configured every call gets the fallback document and an error line.
 * HEAD, other methods and other paths under `/v1/callflow/` answer XML too
 * (src/routes/platform.ts).
 */
import { Hono } from "hono";
import { getQueryParam } from "hono/utils/url";
import { answerCall, type CallAnswer } from "../callflow/answer.ts";
import { fallbackXml } from "../callflow/fallback.ts";
import { originOf, readCallRequest } from "../callflow/request.ts";
import { problemRef, xmlAnswer, type Paths } from "../http/openapi.ts";
import { claimCovers, isPhoneToken, type PhoneClaim } from "../http/phoneToken.ts";
import {
  authoriseWebhook,
  authoriseWebhookOrPhone,
  phoneClaimOf,
  phoneRefusal,
  webhookRefusal,
  type WebhookRoute,
} from "../http/webhookAuth.ts";
import { noteAnswer } from "../insights/note.ts";
import type { Lifetime } from "../insights/renders.ts";
import { clip, describeError, log } from "../log.ts";
import { platformXmlRoute, XML_HEADERS } from "./platform.ts";

/** Mounted at `/`: its routes name their full paths. */
export const callflow = new Hono<{ Bindings: Env }>();

const CALLFLOW_ROUTE: WebhookRoute = { name: "callflow", url: "The webhook URL", fallbackXml };
const guard = platformXmlRoute(CALLFLOW_ROUTE);

// GET and POST of `/v1/callflow` itself skip the router (src/index.ts); what reaches these is
// HEAD, other methods, and the paths below.
callflow.all("/v1/callflow", ...guard, (c) => answerWebhook(c.req.raw, c.env, c.req.query(), executionCtx(c), phoneClaimOf(c.req.raw)));
// A webhook URL pasted with a trailing slash is the same webhook: callers keep their flow.
callflow.all("/v1/callflow/", ...guard, (c) => answerWebhook(c.req.raw, c.env, c.req.query(), executionCtx(c), phoneClaimOf(c.req.raw)));
// Anything deeper is no webhook of ours, but may be the platform's misconfigured one: it gets the
// fallback document, never a JSON 404, and a log line says why.
callflow.all("/v1/callflow/*", ...guard, (c) => {
  log("warn", "callflow fallback", { cause: "unknown-path", path: clip(new URL(c.req.url).pathname, 200) });
  return new Response(fallbackXml(c.env), { status: 200, headers: { ...XML_HEADERS, "x-tactflow-fallback": "unknown-path" } });
});

/** Hono's execution context, when the runtime gave one (a test calling `app.fetch` may not). */
function executionCtx(c: { executionCtx: Lifetime }): Lifetime | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}

/**
 * The webhook itself, as a plain function: `src/index.ts` calls it before Hono's router, because
 * this is the one hot path and its budget is measured against a constant-response Worker
 * (bench:http). So it makes the same token check as `requireWebhookToken` by calling it directly;
 * the sub-app above serves the same answer for anything that reaches the router.
 */
export function handleCallflow(request: Request, env: Env, ctx?: Lifetime): Promise<Response> | Response {
  // Hono's query parser works on the URL string in JS; a workerd URL object would cross into
  // native code for every field.
  const query = getQueryParam(request.url) as Record<string, string>;
  const verdict = authoriseWebhook(env, query["token"], request.headers.get("cf-connecting-ip"));
  if (!verdict.ok) {
    // The web console's phone (src/http/phoneToken.ts): off the hot path, only when the token says so.
    if (isPhoneToken(query["token"])) return phoneCall(request, env, query, ctx);
    return webhookRefusal(CALLFLOW_ROUTE, request, verdict, env);
  }
  return answerWebhook(request, env, query, ctx);
}

async function phoneCall(request: Request, env: Env, query: Record<string, string>, ctx: Lifetime | undefined): Promise<Response> {
  const verdict = await authoriseWebhookOrPhone(env, request, query["token"], request.headers.get("cf-connecting-ip"));
  if (!verdict.ok) return webhookRefusal(CALLFLOW_ROUTE, request, verdict, env);
  return answerWebhook(request, env, query, ctx, phoneClaimOf(request));
}

/**
 * Read the call, answer it: always a 200 XML document (a phone token's other number or call: 401).
 * Each answer is noted for the number's insights (no I/O here).
 */
async function answerWebhook(
  request: Request,
  env: Env,
  query: Record<string, string>,
  ctx: Lifetime | undefined,
  phone?: PhoneClaim,
): Promise<Response> {
  const headers: Record<string, string> = { ...XML_HEADERS };
  let answer: CallAnswer;
  try {
    let call = await readCallRequest(request, query, originOf(request.url));
    if (phone) {
      if (!claimCovers(phone, call.to) || call.call !== phone.call)
        return phoneRefusal(CALLFLOW_ROUTE, request, `a call to ${call.to.slice(0, 20) || "(no number)"} with this uuid`);
      // The call's Gather URLs carry the phone token, never WEBHOOK_TOKEN.
      call = { ...call, gatherToken: query["token"] };
    }
    answer = await answerCall(env, call);
    noteAnswer(env, ctx, call, answer);
  } catch (err) {
    // answerCall doesn't throw; this is the last line of defence against dead air.
    log("error", "callflow fallback", { cause: "internal-error", error: describeError(err) });
    answer = { xml: fallbackXml(env), fallback: "render-error" };
  }
  if (answer.version) headers["x-tactflow-version"] = answer.version;
  if (answer.fallback) headers["x-tactflow-fallback"] = answer.fallback;
  return new Response(answer.xml, { status: 200, headers });
}

// ---- OpenAPI (src/routes/openapi.ts assembles the document) -------------------------------------

export const callflowPaths: Paths = {
  "/v1/callflow": {
    get: {
      summary: "Call-flow webhook (docs/opentact.md §a.2): the XML document for an inbound call",
      description:
        "Always answers 200 text/xml: the TN's flow, the catch-all, or the fallback document (header x-tactflow-fallback names why). 401 only when WEBHOOK_TOKEN is set and ?token= does not match.",
      parameters: ["from", "to", "token", "tn", "ani", "dnis", "call", "call_uuid", "uuid", "sca", "sip_control_app", "state"].map(
        (name) => ({
          name,
          in: "query",
          required: false,
          schema: { type: "string" },
        }),
      ),
      responses: { "200": xmlAnswer("Opentact Call Flow XML"), "401": problemRef },
    },
    post: {
      summary: "Call-flow webhook with the call entity as a JSON (or form) body",
      requestBody: {
        required: false,
        content: { "application/json": { schema: { type: "object", description: "The Opentact call entity, or { call: {…} }" } } },
      },
      responses: { "200": xmlAnswer("Opentact Call Flow XML"), "401": problemRef },
    },
  },
};
