/**
 * `GET /healthz`: liveness and readiness in one answer, without authentication and without
 * side effects worth the name.
 *
 * - `version`: the package version this bundle was built from; `deployment`: the Worker
 *   version Cloudflare runs (its id is what `wrangler rollback` takes), when bound.
 * - `checks`: one read through each binding the call path needs, each with its time: KV (a
 *   key that never exists), the call objects (the snapshot of a call nobody started, which
 *   leaves no storage behind) and the event hub (its last sequence number). 200 when all pass,
 *   503 naming the one that failed, so a load balancer or uptime check can tell.
 */
import { Hono } from "hono";
import { version as packageVersion } from "../../package.json";
import { HUB_NAME } from "../events/EventHub.ts";
import { describeError } from "../log.ts";
import type { Paths } from "../http/openapi.ts";

export const health = new Hono<{ Bindings: Env }>();

/** Each check's time limit: a binding slower than this is as good as down for a call. */
const CHECK_TIMEOUT_MS = 2000;
/** A name no call can have (call ids never contain a colon), so the probe never meets a real call. */
const PROBE_CALL = "healthz:probe";

type Check = { ok: true; ms: number } | { ok: false; ms: number; error: string };

async function timed(run: () => Promise<unknown>): Promise<Check> {
  const start = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      run(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { ok: true, ms: Date.now() - start };
  } catch (err) {
    return { ok: false, ms: Date.now() - start, error: describeError(err).slice(0, 200) };
  } finally {
    clearTimeout(timer);
  }
}

health.get("/healthz", async (c) => {
  const [kv, calls, events] = await Promise.all([
    timed(() => c.env.FLOWS.get("healthz:probe")),
    timed(() => c.env.CALL.getByName(PROBE_CALL).snapshot({ limit: 0 })),
    timed(() => c.env.EVENT_HUB.getByName(HUB_NAME).lastSeq()),
  ]);
  const ok = kv.ok && calls.ok && events.ok;
  const meta = c.env.CF_VERSION_METADATA;
  c.header("cache-control", "no-store");
  return c.json(
    {
      ok,
      service: "tactflow",
      version: packageVersion,
      ...(meta?.id
        ? { deployment: { id: meta.id, ...(meta.tag ? { tag: meta.tag } : {}), ...(meta.timestamp ? { at: meta.timestamp } : {}) } }
        : {}),
      checks: { kv, calls, events },
    },
    ok ? 200 : 503,
  );
});

// ---- OpenAPI (src/routes/openapi.ts assembles the document) -------------------------------------

const check = {
  type: "object",
  required: ["ok", "ms"],
  properties: { ok: { type: "boolean" }, ms: { type: "integer" }, error: { type: "string" } },
};

/** The health answer's component schema (`#/components/schemas/Health`). */
export const healthSchemas = {
  Health: {
    type: "object",
    required: ["ok", "service", "version", "checks"],
    properties: {
      ok: { type: "boolean" },
      service: { type: "string" },
      version: { type: "string" },
      deployment: { type: "object", properties: { id: { type: "string" }, tag: { type: "string" }, at: { type: "string" } } },
      checks: { type: "object", properties: { kv: check, calls: check, events: check } },
    },
  },
};

export const healthPaths: Paths = {
  "/healthz": {
    get: {
      summary: "Liveness and readiness: the version, and a timed check of KV, the call objects and the event hub",
      responses: {
        "200": { description: "Every check passed", content: { "application/json": { schema: { $ref: "#/components/schemas/Health" } } } },
        "503": { description: "A check failed", content: { "application/json": { schema: { $ref: "#/components/schemas/Health" } } } },
      },
    },
  },
};
