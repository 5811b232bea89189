/**
 * WebSocket event streams (docs/architecture.md §4): `/v1/calls/{call}/events` is served
 * by the call's `CallSession`, `/v1/events` by the account-wide `EventHub`. The Worker only
 * checks the request is a well-formed upgrade and hands it to the object; authentication
 * happens on the socket, the Opentact way (docs/opentact.md §d.2), so a bad token gets an `auth` frame and
 * close 4001 rather than a bare HTTP error.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { ProblemError } from "../http/problem.ts";
import { parseSubscribeRequest } from "../events/protocol.ts";
import { HUB_NAME } from "../events/EventHub.ts";
import { MAX_WINDOW } from "../events/protocol.ts";
import { openapiPaths } from "./openapi.ts";

export const eventRoutes = new Hono<{ Bindings: Env }>();

function checkUpgrade(c: Context<{ Bindings: Env }>, stream: "call" | "hub"): void {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new ProblemError(
      426,
      "Upgrade required",
      "This is a WebSocket endpoint: connect with Upgrade: websocket (e.g. `tactflow tail`).",
      {},
      { upgrade: "websocket" },
    );
  }
  const parsed = parseSubscribeRequest(c.req.raw, stream);
  if (!parsed.ok) {
    throw new ProblemError(400, "Invalid subscription", parsed.errors.map((e) => `${e.param}: ${e.message}`).join("; "), {
      errors: parsed.errors,
    });
  }
}

eventRoutes.get("/v1/calls/:call/events", (c) => {
  const call = c.req.param("call");
  if (call.length === 0 || call.length > 200) throw new ProblemError(400, "Invalid call id", "The call id must be 1 to 200 characters.");
  checkUpgrade(c, "call");
  return c.env.CALL.getByName(call).fetch(c.req.raw);
});

eventRoutes.get("/v1/events", (c) => {
  checkUpgrade(c, "hub");
  return c.env.EVENT_HUB.getByName(HUB_NAME).fetch(c.req.raw);
});

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
      "426": { description: "Not a WebSocket upgrade (problem document)" },
    },
  },
});
openapiPaths["/v1/calls/{call}/events"] = {
  parameters: [{ name: "call", in: "path", required: true, description: "The call uuid.", schema: { type: "string" } }],
  ...upgrade("Live events of one call (served by its CallSession)"),
};
openapiPaths["/v1/events"] = upgrade("Live events of every call (served by EventHub); frames carry hub_seq", [
  {
    name: "tn",
    in: "query",
    required: false,
    description: "Only calls on this number (the dialled TN of inbound calls, the caller id of outbound ones).",
    schema: { type: "string" },
  },
]);
