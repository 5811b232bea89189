/**
 * A call's routes, each handed to the call's `CallSession` (docs/architecture.md §2, 3):
 *
 * - `GET|POST /v1/calls/{call}/gather` (platform-facing, `?token=`): a Gather's digits in, the
 *   next document out. Always `200 text/xml`; an unknown call or node, or any failure, gets the
 *   fallback document and a log line, never dead air. A wrong token is 401, logged.
 * - `GET /v1/calls/{call}` (Bearer ADMIN_TOKEN): state, pinned version, gather history, events.
 * - `POST /v1/calls/{call}/commands` (Bearer ADMIN_TOKEN): commands for a parked call.
 */
import { Hono } from "hono";
import { requireAdmin, webhookTokenOk } from "../http/auth.ts";
import { mediaType, readTextLimited } from "../http/body.ts";
import { ProblemError, problemResponse } from "../http/problem.ts";
import { fallbackXml } from "../callflow/fallback.ts";
import { describeError, log } from "../log.ts";
import type { GatherResult } from "../call/api.ts";
import { MAX_COMMAND_CHARS } from "../call/commands.ts";
import { isCallId } from "../call/id.ts";
import { parseNodeId } from "../call/flowTree.ts";
import { openapiPaths } from "./openapi.ts";

export const calls = new Hono<{ Bindings: Env }>();

const XML_HEADERS = { "content-type": "text/xml; charset=utf-8", "cache-control": "no-store" };

calls.on(["GET", "POST"], "/v1/calls/:call/gather", async (c) => {
  const url = new URL(c.req.url);
  const call = c.req.param("call");
  if (!webhookTokenOk(c.env, url)) {
    log("warn", "gather rejected: wrong or missing token", { call, hasToken: url.searchParams.has("token") });
    return problemResponse({
      type: "https://tactflow.dev/problems/unauthorized",
      title: "Unauthorized",
      status: 401,
      detail: "The Gather URL's ?token= does not match WEBHOOK_TOKEN.",
      instance: url.pathname,
    });
  }
  const node = url.searchParams.get("node") ?? "";
  const attemptRaw = url.searchParams.get("attempt");
  const attempt = attemptRaw !== null && /^\d{1,9}$/.test(attemptRaw) && Number(attemptRaw) > 0 ? Number(attemptRaw) : null;
  const fallback = (reason: string, detail: string) => {
    log("warn", "gather fallback", { reason, detail, call, node });
    return new Response(fallbackXml(c.env), { status: 200, headers: { ...XML_HEADERS, "x-tactflow-fallback": reason } });
  };
  if (!isCallId(call)) return fallback("unknown-call", "not a call id");
  if (!parseNodeId(node)) return fallback("unknown-node", `node "${node.slice(0, 40)}" is not a Gather node id`);
  let digits: string | null;
  try {
    digits = await readDigits(c.req.raw, url);
  } catch {
    digits = null;
  }
  let result: GatherResult;
  try {
    result = await c.env.CALL.getByName(call).gather({ node, attempt, digits });
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
});

/**
 * The entered digits (docs/opentact.md §b.6, f.4): `dtmf` (dialect B) or `code` (dialect A), from the query,
 * else from a form or JSON body. Null when neither came at all; "" when they came empty.
 */
async function readDigits(req: Request, url: URL): Promise<string | null> {
  for (const name of ["dtmf", "code", "digits", "Digits"]) {
    const v = url.searchParams.get(name);
    if (v !== null) return v;
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

calls.get("/v1/calls/:call", requireAdmin(), async (c) => {
  const call = c.req.param("call");
  if (!isCallId(call)) throw new ProblemError(404, "Unknown call", `"${call.slice(0, 40)}" is not a call id`);
  const since = Number(c.req.query("since") ?? "0");
  const limit = Number(c.req.query("limit") ?? "1000");
  const snap = await c.env.CALL.getByName(call).snapshot({
    since: Number.isFinite(since) && since > 0 ? since : 0,
    limit: Number.isFinite(limit) ? limit : 1000,
  });
  if (!snap)
    throw new ProblemError(404, "Unknown call", `no state is kept for call ${call}: it never needed any, or it ended and was cleaned up`);
  return c.json(snap);
});

calls.post("/v1/calls/:call/commands", requireAdmin(), async (c) => {
  const call = c.req.param("call");
  if (!isCallId(call)) throw new ProblemError(404, "Unknown call", `"${call.slice(0, 40)}" is not a call id`);
  const type = mediaType(c.req.header("content-type"));
  const text = await readTextLimited(c.req.raw, MAX_COMMAND_CHARS * 4);
  if (text === null || text.length > MAX_COMMAND_CHARS)
    throw new ProblemError(413, "Commands too large", `send at most ${MAX_COMMAND_CHARS} characters of XML per request`);
  let xml = text;
  if (type === "application/json") {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ProblemError(
        400,
        "Invalid JSON",
        'the body is not JSON; send the commands as application/xml, or JSON {"xml": "<Say>…</Say>"}',
      );
    }
    const v = body && typeof body === "object" ? (body as Record<string, unknown>).xml : undefined;
    if (typeof v !== "string") throw new ProblemError(422, "Invalid commands", 'a JSON body must be {"xml": "<Say>…</Say>"}');
    xml = v;
  } else if (type && !["application/xml", "text/xml", "text/plain"].includes(type)) {
    throw new ProblemError(415, "Unsupported media type", 'send the commands as application/xml (or text/xml), or JSON {"xml": "…"}');
  }
  const key = c.req.header("idempotency-key")?.trim();
  if (key !== undefined && (key.length === 0 || key.length > 200))
    throw new ProblemError(400, "Invalid Idempotency-Key", "an Idempotency-Key is 1 to 200 characters");
  const result = await c.env.CALL.getByName(call).command({ xml, ...(key ? { idempotencyKey: key } : {}) });
  if (!result.ok) {
    throw new ProblemError(result.status, result.title, result.detail, result.diagnostics ? { diagnostics: result.diagnostics } : {});
  }
  const a = result.accepted;
  return c.json(
    {
      call,
      deliveries: a.deliveries,
      delivered: a.delivered,
      pending: a.pending,
      deadline_at: a.deadlineAt === null ? null : new Date(a.deadlineAt).toISOString(),
      dropped: a.dropped,
      warnings: a.warnings,
      errors: a.errors,
      replay: a.replay,
    },
    202,
  );
});

// ---- OpenAPI (src/routes/openapi.ts collects one entry per path) --------------------------------

const callParam = { name: "call", in: "path", required: true, description: "The platform's call uuid.", schema: { type: "string" } };
const problemRef = {
  description: "Problem document (RFC 9457)",
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
};
const xmlAnswer = { description: "Opentact Call Flow XML", content: { "text/xml": { schema: { type: "string" } } } };

openapiPaths["/v1/calls/{call}/gather"] = {
  parameters: [callParam],
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
    responses: { "200": xmlAnswer, "401": problemRef },
  },
  post: {
    summary: "The same, with dtmf or code in a form or JSON body",
    requestBody: {
      required: false,
      content: { "application/x-www-form-urlencoded": { schema: { type: "object" } }, "application/json": { schema: { type: "object" } } },
    },
    responses: { "200": xmlAnswer, "401": problemRef },
  },
};
openapiPaths["/v1/calls/{call}"] = {
  parameters: [callParam],
  get: {
    summary: "A call's state: entity, pinned flow version, parked deadline, Gather attempts, digits and history, timers, events",
    security: [{ bearer: [] }],
    parameters: [
      { name: "since", in: "query", description: "events after this sequence number", schema: { type: "integer" } },
      { name: "limit", in: "query", schema: { type: "integer", maximum: 10000 } },
    ],
    responses: { "200": { description: "The call" }, "401": problemRef, "404": problemRef },
  },
};
openapiPaths["/v1/calls/{call}/commands"] = {
  parameters: [callParam],
  post: {
    summary:
      "Commands for a parked call (async mode): delivered through the Call Control API, spaced by <Pause>, each re-arming the deadline",
    security: [{ bearer: [] }],
    parameters: [{ name: "Idempotency-Key", in: "header", required: false, schema: { type: "string", maxLength: 200 } }],
    requestBody: {
      required: true,
      content: {
        "application/xml": { schema: { type: "string", description: "A <Response> or bare commands" } },
        "application/json": { schema: { type: "object", required: ["xml"], properties: { xml: { type: "string" } } } },
      },
    },
    responses: {
      "202": { description: "{ call, deliveries, delivered, pending, deadline_at, dropped, warnings, errors, replay }" },
      "401": problemRef,
      "404": problemRef,
      "409": problemRef,
      "413": problemRef,
      "415": problemRef,
      "422": { description: "Invalid commands: problem document with diagnostics [{severity, code, message, line, col}]" },
      "503": problemRef,
    },
  },
};
openapiPaths["/v1/webhooks/events"] = {
  post: {
    summary: "Platform call events (docs/opentact.md §d.4, e): one event or an array, either generation, routed to each call's object",
    parameters: [{ name: "token", in: "query", schema: { type: "string" } }],
    requestBody: {
      required: true,
      content: { "application/json": { schema: { oneOf: [{ type: "object" }, { type: "array", items: { type: "object" } }] } } },
    },
    responses: {
      "202": { description: "{ accepted, results: [{call, type, state?, applied, duplicate, seq}], ignored: [reason] }" },
      "400": problemRef,
      "401": problemRef,
      "413": problemRef,
    },
  },
  get: {
    summary: "The GET form of the SCA event webhook: ?state=&from=&to=&call=",
    parameters: ["state", "from", "to", "call", "token"].map((name) => ({ name, in: "query", schema: { type: "string" } })),
    responses: { "202": { description: "As for POST" }, "401": problemRef },
  },
};
