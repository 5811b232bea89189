/**
 * `GET|POST /v1/callflow`: the SIP Control App's call-flow webhook (docs/opentact.md §a.2, a.3).
 *
 * Platform-facing: it answers `200 text/xml; charset=utf-8` with a document for every call —
 * the TN's flow, the catch-all, or the fallback — and never a 5xx or an empty body. The
 * exceptions: a wrong `?token=` is 401 and an address outside WEBHOOK_ALLOWED_IPS 403, logged;
 * with no WEBHOOK_TOKEN configured every call gets the fallback document and an error line.
 */
import { Hono } from "hono";
import { getQueryParam } from "hono/utils/url";
import { answerCall, type CallAnswer } from "../callflow/answer.ts";
import { fallbackXml } from "../callflow/fallback.ts";
import { originOf, readCallRequest } from "../callflow/request.ts";
import { authoriseWebhook, requireWebhookToken, webhookRefusal, type WebhookRoute } from "../http/webhookAuth.ts";
import { describeError, log } from "../log.ts";

export const callflow = new Hono<{ Bindings: Env }>();

const CALLFLOW_ROUTE: WebhookRoute = { name: "callflow", url: "The webhook URL", fallbackXml };

callflow.on(["GET", "POST"], "/", requireWebhookToken(CALLFLOW_ROUTE), (c) => answerWebhook(c.req.raw, c.env, c.req.query()));

/**
 * The webhook itself, as a plain function: `src/index.ts` calls it before Hono's router, because
 * this is the one hot path and its budget is measured against a constant-response Worker
 * (bench:http). So it makes the same token check as `requireWebhookToken` by calling it directly;
 * the sub-app above serves the same answer for anything that reaches the router.
 */
export function handleCallflow(request: Request, env: Env): Promise<Response> | Response {
  // Hono's query parser works on the URL string in JS; a workerd URL object would cross into
  // native code for every field.
  const query = getQueryParam(request.url) as Record<string, string>;
  const verdict = authoriseWebhook(env, query["token"], request.headers.get("cf-connecting-ip"));
  if (!verdict.ok) return webhookRefusal(CALLFLOW_ROUTE, request, verdict, env);
  return answerWebhook(request, env, query);
}

/** Read the call, answer it: always a 200 XML document. */
async function answerWebhook(request: Request, env: Env, query: Record<string, string>): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "text/xml; charset=utf-8", "cache-control": "no-store" };
  let answer: CallAnswer;
  try {
    answer = await answerCall(env, await readCallRequest(request, query, originOf(request.url)));
  } catch (err) {
    // answerCall doesn't throw; this is the last line of defence against dead air.
    log("error", "callflow fallback", { cause: "internal-error", error: describeError(err) });
    answer = { xml: fallbackXml(env), fallback: "render-error" };
  }
  if (answer.version) headers["x-tactflow-version"] = answer.version;
  if (answer.fallback) headers["x-tactflow-fallback"] = answer.fallback;
  return new Response(answer.xml, { status: 200, headers });
}
