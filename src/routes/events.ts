/**
 * WebSocket event streams (docs/architecture.md §4): `/v1/calls/{call}/events` is served
 * by the call's `CallSession`, `/v1/events` by the account-wide `EventHub`. The Worker only
 * checks the request is a well-formed upgrade and hands it to the object; authentication
 * happens on the socket, the Opentact way (docs/opentact.md §d.2), so a bad token gets an `auth` frame and
 * close 4001 rather than a bare HTTP error.
 */
import { Hono } from "hono";
import type { MiddlewareHandler } from "hono";
import { isCallId, quoteCallId } from "../call/id.ts";
import { HUB_NAME } from "../events/EventHub.ts";
import { checkUpgrade, MAX_WINDOW } from "../events/protocol.ts";
import { ACCESS_NAME } from "../access/AccessStore.ts";
import { keyIdOf } from "../access/keyTable.ts";
import { allows, allowsEveryTn, type Principal } from "../access/scopes.ts";
import { bearerToken } from "../http/auth.ts";
import { callPathParam, problemRef, type Paths } from "../http/openapi.ts";
import { ProblemError, problemResponse } from "../http/problem.ts";

type Env_ = { Bindings: Env };

export const eventRoutes = new Hono<Env_>();

/** Middleware: only a well-formed subscription upgrade goes on to the object (events/protocol.ts). */
function subscriptionUpgrade(stream: "call" | "hub"): MiddlewareHandler<Env_> {
  return async (c, next) => {
    const checked = checkUpgrade(c.req.raw, stream);
    if (!checked.ok) return problemResponse({ ...checked.problem, instance: new URL(c.req.url).pathname }, checked.headers);
    await next();
  };
}

/**
 * An API key with `events:read` opens a stream too. The objects know only the configured
 * tokens, so the Worker checks the key (src/access/) and hands the object the request with the
 * key taken out and EVENTS_TOKEN (or ADMIN_TOKEN) in its place. A key limited to TN patterns may
 * only follow the account-wide stream filtered to one of its numbers (`/v1/events?tn=`); a
 * call's own stream needs an unlimited grant. A key in the first frame is not supported: send it
 * as `?token=` or `Authorization: Bearer`. The key is checked before the upgrade is, so a plain
 * GET learns why a key is refused (401/403): a browser can't read the answer to a failed
 * WebSocket handshake, and the console asks this way instead.
 */
function streamKey(stream: "call" | "hub"): MiddlewareHandler<Env_> {
  return async (c, next) => {
    const url = new URL(c.req.url);
    const header = c.req.header("x-auth-token") ?? bearerToken(c.req.header("authorization")) ?? null;
    const presented = url.searchParams.get("token") ?? url.searchParams.get("jwt") ?? header;
    if (!presented || !keyIdOf(presented)) return next();
    const key = await c.env.ACCESS.getByName(ACCESS_NAME).authenticate(presented);
    if (!key) throw new ProblemError(401, "Unauthorized", "The API key is not valid, or it was revoked.");
    const who: Principal = { kind: "key", id: key.id, grants: key.grants };
    const tn = url.searchParams.get("tn") ?? undefined;
    const permitted = allowsEveryTn(who, "events:read") || (stream === "hub" && tn !== undefined && allows(who, "events:read", tn));
    if (!permitted)
      throw new ProblemError(
        403,
        "Forbidden",
        `This API key does not hold the scope events:read${tn ? ` for ${tn.slice(0, 32)}` : " for every number"}.`,
        {
          scope: "events:read",
        },
      );
    const stand = c.env.EVENTS_TOKEN || c.env.ADMIN_TOKEN;
    if (!stand)
      throw new ProblemError(503, "Not configured", "Event streams need EVENTS_TOKEN or ADMIN_TOKEN configured.", {
        missing: ["EVENTS_TOKEN"],
      });
    url.searchParams.delete("token");
    url.searchParams.delete("jwt");
    const headers = new Headers(c.req.raw.headers);
    headers.delete("authorization");
    headers.set("x-auth-token", stand);
    c.req.raw = new Request(url, { method: "GET", headers });
    return next();
  };
}

eventRoutes.get(
  "/v1/calls/:call/events",
  async (c, next) => {
    const call = c.req.param("call");
    if (!isCallId(call)) throw new ProblemError(400, "Invalid call id", `${quoteCallId(call)} is not a call id.`);
    await next();
  },
  streamKey("call"),
  subscriptionUpgrade("call"),
  (c) => c.env.CALL.getByName(c.req.param("call")).fetch(c.req.raw),
);

eventRoutes.get("/v1/events", streamKey("hub"), subscriptionUpgrade("hub"), (c) => c.env.EVENT_HUB.getByName(HUB_NAME).fetch(c.req.raw));

// The streams in the OpenAPI document. OpenAPI has no words for a WebSocket, so the operation
// describes the upgrade and points at docs/events.md for the frames.
const streamParams = [
  { name: "types", in: "query", required: false, description: "Comma-separated: call_state, call_flow.", schema: { type: "string" } },
  {
    name: "since",
    in: "query",
    required: false,
    description: "Replay every logged event with a sequence number above this (seq on a call, hub_seq on /v1/events), then go live.",
    schema: { type: "integer", minimum: 0 },
  },
  {
    name: "window",
    in: "query",
    required: false,
    description: "Acknowledgement window in events.",
    schema: { type: "integer", minimum: 1, maximum: MAX_WINDOW },
  },
  {
    name: "token",
    in: "query",
    required: false,
    description: 'ADMIN_TOKEN or EVENTS_TOKEN; or send a first frame {"type":"auth","token":…} (also ?jwt=, X-Auth-Token).',
    schema: { type: "string" },
  },
];
const upgrade = (summary: string, extra: unknown[] = []) => ({
  get: {
    summary,
    description:
      'WebSocket (send Upgrade: websocket). Authenticate within 5 s (auth frame answer per docs/opentact.md §d.2; failure closes 4001), acknowledge with {"type":"ack","seq":N}, ping with the text `ping`. See docs/events.md in the repository.',
    parameters: [...streamParams, ...extra],
    responses: {
      "101": { description: "Switching protocols: events follow as JSON text frames" },
      "400": { description: "Invalid filter or since (problem document)" },
      "401": {
        ...problemRef,
        description: "An API key that is not valid or was revoked (checked before the upgrade, so a plain GET gets it too)",
      },
      "403": {
        ...problemRef,
        description: "An API key without events:read for this stream (checked before the upgrade, so a plain GET gets it too)",
      },
      "426": { description: "Not a WebSocket upgrade (problem document)" },
    },
  },
});

export const eventPaths: Paths = {
  "/v1/calls/{call}/events": {
    parameters: [callPathParam],
    ...upgrade("Live events of one call (served by its CallSession)"),
  },
  "/v1/events": upgrade("Live events of every call (served by EventHub); frames carry hub_seq", [
    {
      name: "tn",
      in: "query",
      required: false,
      description: "Only calls on this number (the dialled TN of inbound calls, the caller id of outbound ones).",
      schema: { type: "string" },
    },
  ]),
};
