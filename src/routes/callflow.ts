/**
 * `GET|POST /v1/callflow`: the SIP Control App's call-flow webhook (docs/opentact.md §a.2, a.3).
 *
 * Platform-facing: it answers `200 text/xml; charset=utf-8` with a document for every call —
 * the TN's flow, the catch-all, or the fallback — and never a 5xx or an empty body. The one
 * exception is a wrong `?token=` when `WEBHOOK_TOKEN` is set: 401, logged.
 */
import { Hono } from "hono";
import { getQueryParam } from "hono/utils/url";
import { answerCall, type CallAnswer } from "../callflow/answer.ts";
import { fallbackXml } from "../callflow/fallback.ts";
import { originOf, readCallRequest } from "../callflow/request.ts";
import { safeEqual } from "../http/auth.ts";
import { problemResponse } from "../http/problem.ts";
import { describeError, log } from "../log.ts";

export const callflow = new Hono<{ Bindings: Env }>();

callflow.on(["GET", "POST"], "/", (c) => handleCallflow(c.req.raw, c.env));

/**
 * The webhook itself, as a plain function: `src/index.ts` calls it before Hono's router, because
 * this is the one hot path and its budget is measured against a constant-response Worker
 * (bench:http); the sub-app above serves the same handler for anything that reaches the router.
 */
export async function handleCallflow(request: Request, env: Env): Promise<Response> {
  // Hono's query parser works on the URL string in JS; a workerd URL object would cross into
  // native code for every field.
  const query = getQueryParam(request.url) as Record<string, string>;
  const expected = env.WEBHOOK_TOKEN;
  if (expected && !safeEqual(query["token"] ?? "", expected)) {
    log("warn", "callflow rejected: wrong or missing token", {
      ip: request.headers.get("cf-connecting-ip") ?? undefined,
      hasToken: "token" in query,
    });
    return problemResponse(
      {
        type: "https://tactflow.dev/problems/unauthorized",
        title: "Unauthorized",
        status: 401,
        detail: "The webhook URL's ?token= does not match WEBHOOK_TOKEN.",
        instance: "/v1/callflow",
      },
      {},
    );
  }
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
