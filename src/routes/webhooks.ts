/**
 * `POST|GET /v1/webhooks/events?token=`: the platform's call events (docs/opentact.md §d.4, e), routed by call
 * uuid to the call's `CallSession`, which updates the call's state and logs them.
 *
 * Platform-facing: a wrong token is 401 (logged); anything we can't use is acknowledged and
 * skipped (`ignored` says why), so the platform never retries a body that will never work.
 * The body may be one event or an array of them; each event is applied once, however often it
 * is delivered (retried webhooks must not repeat side effects).
 */
import { Hono } from "hono";
import { readTextLimited } from "../http/body.ts";
import { problemRef, type Paths } from "../http/openapi.ts";
import { ProblemError } from "../http/problem.ts";
import type { AccessEnv } from "../http/access.ts";
import { signatureOr } from "../http/signedRequest.ts";
import { phoneClaimOf, requireWebhookToken, type WebhookRoute } from "../http/webhookAuth.ts";
import { log } from "../log.ts";
import { readPlatformEvent, readQueryEvent, type ReadResult } from "../call/platformEvents.ts";
import type { PlatformEventResult } from "../call/api.ts";
import { isCallId } from "../call/id.ts";

export const webhooks = new Hono<AccessEnv>();

const MAX_EVENTS_BYTES = 1 << 20;
const MAX_EVENTS_PER_REQUEST = 100;

const EVENTS_ROUTE: WebhookRoute = { name: "events webhook", url: "The events webhook URL" };

// A sender that can sign (Opentact can't) may send a Standard Webhooks signature instead of ?token=.
webhooks.on(
  ["GET", "POST"],
  "/v1/webhooks/events",
  signatureOr(requireWebhookToken(EVENTS_ROUTE), { maxBytes: MAX_EVENTS_BYTES }),
  async (c) => {
    const url = new URL(c.req.url);
    let reads: ReadResult[];
    if (c.req.method === "GET") {
      reads = [readQueryEvent(url.searchParams)];
    } else {
      const text = await readTextLimited(c.req.raw, MAX_EVENTS_BYTES);
      if (text === null) throw new ProblemError(413, "Body too large", `send at most ${MAX_EVENTS_BYTES} bytes of events per request`);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new ProblemError(400, "Invalid JSON", "the body must be a JSON event (docs/opentact.md §d.4) or an array of them");
      }
      const list = Array.isArray(body) ? body : [body];
      if (list.length > MAX_EVENTS_PER_REQUEST)
        throw new ProblemError(413, "Too many events", `send at most ${MAX_EVENTS_PER_REQUEST} events per request`);
      reads = list.map(readPlatformEvent);
    }
    const results: Array<{ call: string; type: string; state?: string } & Partial<PlatformEventResult> & { error?: string }> = [];
    const ignored: string[] = [];
    // One call's events go in order; different calls' events go in parallel.
    const byCall = new Map<string, Extract<ReadResult, { ok: true }>["event"][]>();
    // The web console's phone posts with a phone token: events about its own call only.
    const phone = phoneClaimOf(c.req.raw);
    for (const r of reads) {
      if (!r.ok) {
        ignored.push(r.reason);
        continue;
      }
      if (phone && r.event.callUuid !== phone.call) {
        ignored.push(`call ${r.event.callUuid.slice(0, 40)} is not the phone token's call`);
        continue;
      }
      if (!isCallId(r.event.callUuid)) {
        ignored.push(`call uuid "${r.event.callUuid.slice(0, 40)}" is not a call id`);
        continue;
      }
      const list = byCall.get(r.event.callUuid) ?? [];
      list.push(r.event);
      byCall.set(r.event.callUuid, list);
    }
    await Promise.all(
      [...byCall].map(async ([call, events]) => {
        for (const ev of events) {
          try {
            const res = await c.env.CALL.getByName(call).platformEvent(ev);
            results.push({ call, type: ev.type, ...(ev.state ? { state: ev.state } : {}), ...res });
          } catch (err) {
            const error = err instanceof Error ? err.message : String(err);
            log("error", "platform event not applied", { call, type: ev.type, state: ev.state, error });
            results.push({ call, type: ev.type, error });
          }
        }
      }),
    );
    if (ignored.length) log("info", "platform events ignored", { ignored: ignored.slice(0, 10) });
    // 503 only when every event failed on our side: then a platform retry can help.
    const failed = results.filter((r) => r.error !== undefined).length;
    const status = failed > 0 && failed === results.length ? 503 : 202;
    return c.json({ accepted: results.length - failed, results, ignored }, status);
  },
);

// ---- OpenAPI (src/routes/openapi.ts assembles the document) -------------------------------------

export const webhooksPaths: Paths = {
  "/v1/webhooks/events": {
    post: {
      summary: "Platform call events (docs/opentact.md §d.4, e): one event or an array, either generation, routed to each call's object",
      parameters: [{ name: "token", in: "query", schema: { type: "string" } }],
      requestBody: {
        required: true,
        content: { "application/json": { schema: { oneOf: [{ type: "object" }, { type: "array", items: { type: "object" } }] } } },
      },
      responses: {
        "202": {
          description: "Acknowledged",
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["accepted", "results", "ignored"],
                properties: {
                  accepted: { type: "integer" },
                  results: {
                    type: "array",
                    items: {
                      type: "object",
                      properties: {
                        call: { type: "string" },
                        type: { type: "string" },
                        state: { type: "string" },
                        applied: { type: "boolean" },
                        duplicate: { type: "boolean" },
                        seq: { type: "integer" },
                        error: { type: "string" },
                      },
                    },
                  },
                  ignored: { type: "array", items: { type: "string" } },
                },
              },
            },
          },
        },
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
  },
};
