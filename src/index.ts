/**
 * The tactflow Worker: one Hono app, one sub-app per resource, one error handler.
 * Platform-facing routes answer XML and never fail; developer-facing routes answer JSON and
 * RFC 9457 problem documents.
 */
import { Hono } from "hono";
import { notFound, onError } from "./http/problem.ts";
import { callflow } from "./routes/callflow.ts";
import { flows } from "./routes/flows.ts";
import { openapi } from "./routes/openapi.ts";
import { eventRoutes } from "./routes/events.ts";
import { calls } from "./routes/calls.ts";
import { webhooks } from "./routes/webhooks.ts";

export { CallSession } from "./call/CallSession.ts";
export { EventHub } from "./events/EventHub.ts";

const app = new Hono<{ Bindings: Env }>();

app.get("/healthz", (c) => c.json({ ok: true, service: "tactflow" }));
app.route("/v1/callflow", callflow);
app.route("/v1/flows", flows);
app.route("/v1/openapi.json", openapi);
app.route("/", eventRoutes);
app.route("/", calls);
app.route("/", webhooks);

app.notFound(notFound);
app.onError(onError);

export default app;
