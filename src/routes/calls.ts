/**
 * A call's developer-facing routes, each handed to the call's `CallSession`
 * (docs/architecture.md §2, 3); the platform-facing Gather route is src/routes/gather.ts:
 *
 * - `GET /v1/calls/{call}` (`calls:control`): state, pinned version, gather history, events.
 * - `POST /v1/calls/{call}/commands` (`calls:control`, or a Standard Webhooks signature):
 *   commands for a parked call.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { CommandsJsonBodySchema } from "../contract/bodies.ts";
import requestSchemas from "../contract/request-schemas.json";
import { MAX_COMMAND_CHARS } from "../call/commands.ts";
import { isCallId, quoteCallId } from "../call/id.ts";
import { allows, allowsEveryTn, type Principal } from "../access/scopes.ts";
import type { CallSnapshot } from "../call/api.ts";
import { type AccessEnv, forbidden, principalOf, requireScope } from "../http/access.ts";
import { signatureOr } from "../http/signedRequest.ts";
import { mediaType, readTextLimited } from "../http/body.ts";
import { intQuery } from "../http/query.ts";
import { bearerSecurity, callPathParam, problemRef, type Paths } from "../http/openapi.ts";
import { ProblemError } from "../http/problem.ts";

type Env_ = AccessEnv;

export const calls = new Hono<Env_>();

/** The `{call}` path parameter; 404 when it can't name a call (src/call/id.ts). */
function callParam(c: Context<Env_>): string {
  const call = c.req.param("call") ?? "";
  if (!isCallId(call)) throw new ProblemError(404, "Unknown call", `${quoteCallId(call)} is not a call id`);
  return call;
}

/** Whether `who` may control a call on `tn` (a key limited to TN patterns: only its numbers; no TN known: only unlimited keys). */
function callInScope(who: Principal, tn: string | null | undefined): boolean {
  return allowsEveryTn(who, "calls:control") || (tn ? allows(who, "calls:control", tn) : false);
}

calls.get("/v1/calls/:call", requireScope("calls:control"), async (c) => {
  const call = callParam(c);
  const since = intQuery(c.req.query("since"), "since", { min: 0, max: Number.MAX_SAFE_INTEGER, default: 0 });
  const limit = intQuery(c.req.query("limit"), "limit", { min: 1, max: 10_000, default: 1000 });
  const snap = await c.env.CALL.getByName(call).snapshot({ since, limit });
  if (!snap)
    throw new ProblemError(404, "Unknown call", `no state is kept for call ${call}: it never needed any, or it ended and was cleaned up`);
  // The RPC stub types the snapshot as never (CallEntity has an index signature); it is a CallSnapshot.
  const tn = (snap as unknown as CallSnapshot).flow?.tn;
  if (!callInScope(principalOf(c), tn)) throw forbidden("calls:control", tn);
  return c.json(snap);
});

calls.post(
  "/v1/calls/:call/commands",
  signatureOr(requireScope("calls:control"), { scope: "calls:control", maxBytes: MAX_COMMAND_CHARS * 4 }),
  async (c) => {
    const call = callParam(c);
    // A key limited to TN patterns controls only calls on its numbers: the call object knows the TN.
    const who = principalOf(c);
    if (!allowsEveryTn(who, "calls:control")) {
      const snap = (await c.env.CALL.getByName(call).snapshot({ limit: 0 })) as unknown as CallSnapshot | null;
      const tn = snap?.flow?.tn;
      if (!callInScope(who, tn)) throw forbidden("calls:control", tn);
    }
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
      const parsed = CommandsJsonBodySchema.safeParse(body);
      if (!parsed.success) throw new ProblemError(422, "Invalid commands", 'a JSON body must be {"xml": "<Say>…</Say>"}');
      xml = parsed.data.xml;
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
  },
);

// ---- OpenAPI (src/routes/openapi.ts assembles the document) -------------------------------------

export const callsPaths: Paths = {
  "/v1/calls/{call}": {
    parameters: [callPathParam],
    get: {
      summary: "A call's state: entity, pinned flow version, parked deadline, Gather attempts, digits and history, timers, events",
      security: bearerSecurity,
      parameters: [
        {
          name: "since",
          in: "query",
          description: "events after this sequence number",
          schema: { type: "integer", minimum: 0, default: 0 },
        },
        {
          name: "limit",
          in: "query",
          description: "events at most",
          schema: { type: "integer", minimum: 1, maximum: 10000, default: 1000 },
        },
      ],
      responses: { "200": { description: "The call" }, "401": problemRef, "404": problemRef },
    },
  },
  "/v1/calls/{call}/commands": {
    parameters: [callPathParam],
    post: {
      summary:
        "Commands for a parked call (async mode): delivered through the Call Control API, spaced by <Pause>, each re-arming the deadline",
      security: bearerSecurity,
      parameters: [{ name: "Idempotency-Key", in: "header", required: false, schema: { type: "string", maxLength: 200 } }],
      requestBody: {
        required: true,
        content: {
          "application/xml": { schema: { type: "string", description: "A <Response> or bare commands" } },
          "application/json": { schema: requestSchemas.CommandsJsonBody },
        },
      },
      responses: {
        "202": {
          description: "Queued; what was delivered at once",
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["call", "deliveries", "delivered", "pending"],
                properties: {
                  call: { type: "string" },
                  deliveries: { type: "integer" },
                  delivered: { type: "integer" },
                  pending: { type: "integer" },
                  deadline_at: { type: ["string", "null"], format: "date-time" },
                  dropped: { type: "array", items: { type: "string" }, description: "commands after a <Hangup/>, which can never run" },
                  warnings: { type: "array", items: {} },
                  errors: { type: "array", items: { type: "string" } },
                  replay: { type: "boolean" },
                },
              },
            },
          },
        },
        "401": problemRef,
        "404": problemRef,
        "409": problemRef,
        "413": problemRef,
        "415": problemRef,
        "422": { description: "Invalid commands: problem document with diagnostics [{severity, code, message, line, col}]" },
        "503": problemRef,
      },
    },
  },
};
