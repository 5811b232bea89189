/**
 * WebSocket event streams (DESIGN "paths data takes" 4): `/v1/calls/{call}/events` is served
 * by the call's `CallSession`, `/v1/events` by the account-wide `EventHub`. The Worker only
 * checks the request is a well-formed upgrade and hands it to the object; authentication
 * happens on the socket, the Opentact way (SPEC d.2), so a bad token gets an `auth` frame and
 * close 4001 rather than a bare HTTP error.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { ProblemError } from "../http/problem.ts";
import { parseSubscribeRequest } from "../events/protocol.ts";
import { HUB_NAME } from "../events/EventHub.ts";

export const eventRoutes = new Hono<{ Bindings: Env }>();

function checkUpgrade(c: Context<{ Bindings: Env }>, stream: "call" | "hub"): void {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new ProblemError(426, "Upgrade required", "This is a WebSocket endpoint: connect with Upgrade: websocket (e.g. `tactflow tail`).", {}, { upgrade: "websocket" });
  }
  const parsed = parseSubscribeRequest(c.req.raw, stream);
  if (!parsed.ok) {
    throw new ProblemError(400, "Invalid subscription", parsed.errors.map((e) => `${e.param}: ${e.message}`).join("; "), { errors: parsed.errors });
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
