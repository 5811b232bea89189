/**
 * The tactflow Worker: one Hono app, one sub-app per resource, one error handler.
 * Platform-facing routes answer XML and never fail; developer-facing routes answer JSON and
 * RFC 9457 problem documents.
 */
import { Hono } from "hono";
import { notFound, onError } from "./http/problem.ts";
import { adminCors } from "./http/cors.ts";
import { logRequest, requestLog } from "./http/requestLog.ts";
import { callflow, handleCallflow } from "./routes/callflow.ts";
import { flows } from "./routes/flows.ts";
import { openapi } from "./routes/openapi.ts";
import { eventRoutes } from "./routes/events.ts";
import { calls } from "./routes/calls.ts";
import { gather } from "./routes/gather.ts";
import { insightsRoutes } from "./routes/insights.ts";
import { rolloutRoutes } from "./routes/rollout.ts";
import { webhooks } from "./routes/webhooks.ts";
import { keys } from "./routes/keys.ts";
import { health } from "./routes/health.ts";
import { signingKey } from "./routes/signingKey.ts";
import { audit } from "./routes/audit.ts";
import { phone } from "./routes/phone.ts";

export { CallSession } from "./call/CallSession.ts";
export { EventHub } from "./events/EventHub.ts";
export { AccessStore } from "./access/AccessStore.ts";
export { FlowInsights } from "./insights/FlowInsights.ts";

const app = new Hono<{ Bindings: Env }>();

app.use(requestLog());
for (const path of ["/v1/flows", "/v1/flows/*", "/v1/calls/*", "/v1/keys", "/v1/keys/*", "/v1/audit", "/v1/openapi.json", "/v1/phone/*"])
  app.use(path, adminCors());
app.route("/", health);
app.route("/", callflow);
app.route("/", insightsRoutes);
app.route("/", rolloutRoutes);
app.route("/v1/flows", flows);
app.route("/v1/openapi.json", openapi);
app.route("/", eventRoutes);
app.route("/", gather);
app.route("/", calls);
app.route("/", webhooks);
app.route("/", keys);
app.route("/", audit);
app.route("/", signingKey);
app.route("/", phone);

app.notFound(notFound);
app.onError(onError);

const CALLFLOW_PREFIX = "/v1/callflow";

export default {
  fetch(request: Request, env: Env, ctx?: ExecutionContext): Response | Promise<Response> {
    // Every inbound call hits the call-flow webhook first and the caller hears silence until it
    // answers, so it skips the router (~10% of a constant-response Worker's throughput in
    // bench:http). Everything else, including `/v1/callflow/` variants, goes through Hono.
    const url = request.url;
    const start = url.indexOf("/", url.indexOf("//") + 2);
    if (start >= 0 && url.startsWith(CALLFLOW_PREFIX, start)) {
      const after = url.charCodeAt(start + CALLFLOW_PREFIX.length);
      // NaN: the URL ends there; 63: "?".
      if ((Number.isNaN(after) || after === 63) && (request.method === "GET" || request.method === "POST")) {
        const began = Date.now();
        const logged = (res: Response): Response => {
          logRequest({
            method: request.method,
            route: CALLFLOW_PREFIX,
            status: res.status,
            ms: Date.now() - began,
            tn: after === 63 ? (new URL(url).searchParams.get("to") ?? undefined) : undefined,
            version: res.headers.get("x-tactflow-version") ?? undefined,
            fallback: res.headers.get("x-tactflow-fallback") ?? undefined,
          });
          return res;
        };
        const res = handleCallflow(request, env, ctx);
        return res instanceof Response ? logged(res) : res.then(logged);
      }
    }
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
