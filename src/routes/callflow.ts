/**
 * `GET|POST /v1/callflow`: the SIP Control App's call-flow webhook (docs/opentact.md §a.2, a.3).
 *
 * Platform-facing: it answers `200 text/xml; charset=utf-8` with a document for every call —
 * the TN's flow, the catch-all, or the fallback — and never a 5xx or an empty body. The one
 * exception is a wrong `?token=` when `WEBHOOK_TOKEN` is set: 401, logged.
 */
import { Hono } from "hono";
import { getQueryParam } from "hono/utils/url";
import { safeEqual } from "../http/auth.ts";
import { mediaType, readTextLimited } from "../http/body.ts";
import { problemResponse } from "../http/problem.ts";
import { answerCall, fallbackXml, log, type CallAnswer, type CallRequest } from "../flows/render.ts";

/** POST bodies beyond this are not read for call fields (the call entity is a few KiB). */
const MAX_BODY_BYTES = 1 << 20;

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
    log("error", "callflow fallback", {
      cause: "internal-error",
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
    answer = { xml: fallbackXml(env), fallback: "render-error" };
  }
  if (answer.version) headers["x-tactflow-version"] = answer.version;
  if (answer.fallback) headers["x-tactflow-fallback"] = answer.fallback;
  return new Response(answer.xml, { status: 200, headers });
}

type Fields = Record<string, unknown>;

/**
 * The call's fields, query first, then a JSON or form body (docs/opentact.md §a.2 [R]). Aliases: `ani` for
 * `from`; `tn`, `dnis` for `to`; `call_uuid`, `uuid` for `call`; `sip_control_app` for `sca`.
 * A JSON body may be the call entity itself or `{ call: {…} }`. Never throws: a body that can't
 * be read just contributes nothing.
 */
export async function readCallRequest(req: Request, query: Fields, origin: string): Promise<CallRequest> {
  let body: Fields = {};
  let entity: Fields | undefined;
  if (req.method === "POST" && req.body) {
    const parsed = await readBody(req);
    if (parsed) {
      body = parsed;
      const inner = parsed["call"];
      entity = isObject(inner) ? inner : "from" in parsed || "uuid" in parsed || "to" in parsed ? parsed : undefined;
    }
  }
  const pick = (names: string[], fromEntity: (e: Fields) => unknown = () => undefined): string => {
    for (const source of [query, body]) {
      for (const n of names) {
        const v = scalar(source[n]);
        if (v) return v;
      }
    }
    return (entity && scalar(fromEntity(entity))) || "";
  };
  return {
    from: pick(["from", "ani"], (e) => e["from"]),
    to: pick(["to", "dnis", "tn"], (e) => e["to"] ?? (isObject(e["tn"]) ? e["tn"]["tn"] : e["tn"])),
    call: pick(["call", "call_uuid", "uuid"], (e) => e["uuid"]),
    sca: pick(["sca", "sip_control_app"], (e) => (isObject(e["sip_control_app"]) ? e["sip_control_app"]["uuid"] : e["sip_control_app"])),
    state: pick(["state"], (e) => e["state"]),
    ...(entity ? { entity } : {}),
    origin,
  };
}

async function readBody(req: Request): Promise<Fields | null> {
  try {
    const text = await readTextLimited(req, MAX_BODY_BYTES);
    if (text === null || !text.trim()) return null;
    if (mediaType(req.headers.get("content-type")) === "application/x-www-form-urlencoded")
      return Object.fromEntries(new URLSearchParams(text));
    // Opentact sends JSON (docs/opentact.md §a.2); accept it whatever the declared type, if it parses.
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

/** `https://host:port` of an absolute URL string. */
function originOf(url: string): string {
  const start = url.indexOf("//");
  const end = url.indexOf("/", start + 2);
  return end < 0 ? url : url.slice(0, end);
}

function isObject(v: unknown): v is Fields {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function scalar(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return "";
}
