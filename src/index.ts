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
import { gather, handleGather } from "./routes/gather.ts";
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
const CALLS_PREFIX = "/v1/calls/";
const GATHER_SUFFIX = "/gather";
const GATHER_ROUTE = "/v1/calls/:call/gather";

/** The one request log line for a request that skipped the router (Hono's `requestLog` writes the others). */
function logged(request: Request, route: string, began: number, fields: { call?: string; tn?: string }) {
  return (res: Response): Response => {
    logRequest({
      method: request.method,
      route,
      status: res.status,
      ms: Date.now() - began,
      ...fields,
      version: res.headers.get("x-tactflow-version") ?? undefined,
      fallback: res.headers.get("x-tactflow-fallback") ?? undefined,
    });
    return res;
  };
}

/**
 * The call id of `GET|POST /v1/calls/{call}/gather` exactly, as the platform sends it (no trailing
 * slash, no percent-encoding in the id, no `Origin` header), or null for anything else.
 */
function gatherCall(request: Request, url: string, start: number, pathEnd: number): string | null {
  if (!url.startsWith(CALLS_PREFIX, start) || !url.endsWith(GATHER_SUFFIX, pathEnd)) return null;
  const call = url.slice(start + CALLS_PREFIX.length, pathEnd - GATHER_SUFFIX.length);
  if (call === "" || call.includes("/") || call.includes("%")) return null;
  if ((request.method !== "GET" && request.method !== "POST") || request.headers.has("origin")) return null;
  return call;
}

export default {
  fetch(request: Request, env: Env, ctx?: ExecutionContext): Response | Promise<Response> {
    // A caller hears silence until the call-flow webhook answers, and again after every key press
    // until the Gather's URL does, so both skip the router (~10% of a constant-response Worker's
    // throughput in bench:http). Everything else, including their trailing-slash variants, HEAD
    // and other methods, goes through Hono, whose routes answer the same.
    const url = request.url;
    const start = url.indexOf("/", url.indexOf("//") + 2);
    if (start < 0) return app.fetch(request, env, ctx);
    if (url.startsWith(CALLFLOW_PREFIX, start)) {
      const after = url.charCodeAt(start + CALLFLOW_PREFIX.length);
      // NaN: the URL ends there; 63: "?".
      if ((Number.isNaN(after) || after === 63) && (request.method === "GET" || request.method === "POST")) {
        const tn = after === 63 ? (new URL(url).searchParams.get("to") ?? undefined) : undefined;
        const done = logged(request, CALLFLOW_PREFIX, Date.now(), { tn });
        const res = handleCallflow(request, env, ctx);
        return res instanceof Response ? done(res) : res.then(done);
      }
    } else {
      const q = url.indexOf("?", start);
      const call = gatherCall(request, url, start, q < 0 ? url.length : q);
      if (call !== null) {
        const done = logged(request, GATHER_ROUTE, Date.now(), { call });
        const res = handleGather(request, env, call);
        return res instanceof Response ? done(res) : res.then(done);
      }
    }
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
