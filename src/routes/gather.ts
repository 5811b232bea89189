/**
 * `GET|POST /v1/calls/{call}/gather` (platform-facing, `?token=`): a stateful Gather's digits
 * in, the next document out, decided by the call's `CallSession` (docs/architecture.md §2).
 * Always `200 text/xml`; an unknown call or node, or any failure, gets the fallback document and
 * a log line, never dead air. A wrong token is 401, logged.
 */
import { Hono } from "hono";
import { getQueryParam } from "hono/utils/url";
import type { GatherResult } from "../call/api.ts";
import { parseNodeId } from "../call/flowTree.ts";
import { isCallId } from "../call/id.ts";
import { fallbackXml } from "../callflow/fallback.ts";
import { mediaType, readTextLimited } from "../http/body.ts";
import { callPathParam, problemRef, xmlAnswer, type Paths } from "../http/openapi.ts";
import { isPhoneToken } from "../http/phoneToken.ts";
import {
  authoriseWebhook,
  authoriseWebhookOrPhone,
  phoneClaimOf,
  phoneRefusal,
  type WebhookRoute,
  webhookRefusal,
} from "../http/webhookAuth.ts";
import { clip, describeError, log } from "../log.ts";
import { platformXmlRoute, XML_HEADERS } from "./platform.ts";

type Env_ = { Bindings: Env };

export const gather = new Hono<Env_>();

const GATHER_ROUTE: WebhookRoute = { name: "gather", url: "The Gather URL", fallbackXml };

const guard = platformXmlRoute(GATHER_ROUTE);

// Only our own documents name these URLs, never with a trailing slash; it is taken all the same,
// as on /v1/callflow/. HEAD and other methods: src/routes/platform.ts. GET and POST of the URL
// itself usually skip the router (src/index.ts, `handleGather`); these serve the same answer.
gather.all("/v1/calls/:call/gather", ...guard, (c) => answerGather(c.req.raw, c.env, c.req.param("call") ?? "", c.req.query()));
gather.all("/v1/calls/:call/gather/", ...guard, (c) => answerGather(c.req.raw, c.env, c.req.param("call") ?? "", c.req.query()));

/**
 * A Gather's URL as a plain function, for `src/index.ts` to call before Hono's router, as it does
 * the call-flow webhook: every key press waits on this answer. The same token check as the
 * route's middleware (`requireWebhookToken`), made directly; `call` is the path's call id.
 */
export function handleGather(request: Request, env: Env, call: string): Promise<Response> | Response {
  const query = getQueryParam(request.url) as Record<string, string>;
  const token = query["token"];
  if (isPhoneToken(token)) return phoneGather(request, env, call, query);
  const verdict = authoriseWebhook(env, token, request.headers.get("cf-connecting-ip"));
  if (!verdict.ok) return webhookRefusal(GATHER_ROUTE, request, verdict, env);
  return answerGather(request, env, call, query);
}

async function phoneGather(request: Request, env: Env, call: string, query: Record<string, string>): Promise<Response> {
  const verdict = await authoriseWebhookOrPhone(env, request, query["token"], request.headers.get("cf-connecting-ip"));
  if (!verdict.ok) return webhookRefusal(GATHER_ROUTE, request, verdict, env);
  return answerGather(request, env, call, query);
}

/** `query`: the URL's query, one (decoded) value per name. */
async function answerGather(request: Request, env: Env, call: string, query: Record<string, string | undefined>): Promise<Response> {
  const node = query["node"] ?? "";
  const attemptRaw = query["attempt"];
  const attempt = attemptRaw !== undefined && /^\d{1,9}$/.test(attemptRaw) && Number(attemptRaw) > 0 ? Number(attemptRaw) : null;
  const fallback = (reason: string, detail: string) => {
    log("warn", "gather fallback", { reason, detail, call: clip(call), node: clip(node, 64) });
    return new Response(fallbackXml(env), { status: 200, headers: { ...XML_HEADERS, "x-tactflow-fallback": reason } });
  };
  if (!isCallId(call)) return fallback("unknown-call", "not a call id");
  const phone = phoneClaimOf(request);
  if (phone && phone.call !== call) return phoneRefusal(GATHER_ROUTE, request, `call ${call.slice(0, 64)}`);
  if (!parseNodeId(node)) return fallback("unknown-node", `node "${node.slice(0, 40)}" is not a Gather node id`);
  let digits: string | null;
  try {
    digits = await readDigits(request, query);
  } catch {
    digits = null;
  }
  let result: GatherResult;
  try {
    result = await env.CALL.getByName(call).gather({ node, attempt, digits });
  } catch (err) {
    return fallback("internal-error", describeError(err));
  }
  if (!result.ok) return fallback(result.reason, result.detail);
  return new Response(result.xml, {
    status: 200,
    headers: {
      ...XML_HEADERS,
      "x-tactflow-gather": `${result.node};attempt=${result.attempt};${result.action}${result.duplicate ? ";duplicate" : ""}`,
    },
  });
}

/**
 * The entered digits (docs/opentact.md §b.6, f.4): `dtmf` (dialect B) or `code` (dialect A), from the query,
 * else from a form or JSON body. Null when neither came at all; "" when they came empty.
 */
async function readDigits(req: Request, query: Record<string, string | undefined>): Promise<string | null> {
  for (const name of ["dtmf", "code", "digits", "Digits"]) {
    const v = query[name];
    if (v !== undefined) return v;
  }
  if (req.method !== "POST" || !req.body) return null;
  const text = await readTextLimited(req, 256 * 1024);
  if (!text) return null;
  if (mediaType(req.headers.get("content-type")) === "application/x-www-form-urlencoded") {
    const form = new URLSearchParams(text);
    for (const name of ["dtmf", "code", "digits", "Digits"]) {
      const v = form.get(name);
      if (v !== null) return v;
    }
    return null;
  }
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === "object" && !Array.isArray(body)) {
      for (const name of ["dtmf", "code", "digits"]) {
        const v = (body as Record<string, unknown>)[name];
        if (typeof v === "string") return v;
        if (typeof v === "number" && Number.isFinite(v)) return String(v);
      }
    }
  } catch {
    // Not JSON: no digits in the body.
  }
  return null;
}

// ---- OpenAPI (src/routes/openapi.ts assembles the document) -------------------------------------

export const gatherPaths: Paths = {
  "/v1/calls/{call}/gather": {
    parameters: [callPathParam],
    get: {
      summary: "A stateful Gather's digits (platform-facing): the branch and the continuation, per the Gather state table",
      description:
        "Always 200 text/xml; an unknown call, node or attempt gets the fallback document (x-tactflow-fallback). The same node+attempt twice gets the same document. 401 when WEBHOOK_TOKEN is set and ?token= does not match.",
      parameters: ["node", "attempt", "dtmf", "code", "token"].map((name) => ({
        name,
        in: "query",
        required: name === "node",
        schema: { type: "string" },
      })),
      responses: { "200": xmlAnswer(), "401": problemRef },
    },
    post: {
      summary: "The same, with dtmf or code in a form or JSON body",
      requestBody: {
        required: false,
        content: {
          "application/x-www-form-urlencoded": { schema: { type: "object" } },
          "application/json": { schema: { type: "object" } },
        },
      },
      responses: { "200": xmlAnswer(), "401": problemRef },
    },
  },
};
