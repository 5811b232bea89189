/**
 * The admin API for flows (`Authorization: Bearer $ADMIN_TOKEN`):
 *
 * - `PUT /v1/flows/{tn}`: publish (JSON `{xml, …options}` or a raw XML body with options in the query);
 * - `GET /v1/flows`, `GET|DELETE /v1/flows/{tn}`;
 * - `GET /v1/flows/{tn}/versions`, `POST /v1/flows/{tn}/rollback`;
 * - `POST /v1/flows/{tn}/preview`: render for a given caller and time, without a call.
 *
 * `{tn}` is any spelling of a number (`+1 800 555 0100`, `8005550100`) or `*`, the catch-all.
 * Errors are RFC 9457 problem documents; a flow that doesn't validate is a 422 listing every
 * diagnostic with its line and column. The OpenAPI path items for these routes are in
 * src/routes/flowsOpenapi.ts.
 */
import { Hono, type Context } from "hono";
import type * as z from "../zod.ts";
import { recordAudit } from "../access/record.ts";
import { allowsTn } from "../access/scopes.ts";
import { type AccessEnv, principalOf, requireScope } from "../http/access.ts";
import { mediaType, readBytesLimited } from "../http/body.ts";
import { intQuery } from "../http/query.ts";
import { ProblemError } from "../http/problem.ts";
import { buildRenderContext } from "../callflow/context.ts";
import {
  FlowOptionsSchema,
  MAX_FLOW_BYTES,
  PreviewBodySchema,
  PublishBodySchema,
  PublishQuerySchema,
  RollbackBodySchema,
  type FlowMeta,
} from "../flows/meta.ts";
import {
  CATCH_ALL,
  flowKeyFor,
  deleteFlow,
  getFlow,
  getHistory,
  getVersion,
  listFlows,
  loadStoredVersion,
  loadVersion,
  publishFlow,
  resolveVersion,
  rollbackFlow,
  type StoredVersion,
} from "../flows/store.ts";
import type { CanaryInput } from "../flows/canary.ts";
import { startCanary } from "../flows/rollouts.ts";
import type { VersionMatch } from "../flows/versions.ts";
import { RenderError } from "../template/index.ts";
import { decodeTemplate, type Diagnostic } from "../xml/index.ts";
import { answerCanary, publishedBody } from "./rollout.ts";

type Env_ = AccessEnv;

export const flows = new Hono<Env_>();

// Reading (and previewing, which changes nothing) takes flows:read; anything else flows:write,
// for the TN in the path when there is one (src/access/scopes.ts).
const flowScope = (method: string, path: string) =>
  method === "GET" || method === "HEAD" || path.endsWith("/preview") ? "flows:read" : "flows:write";
flows.use("/", async (c, next) => requireScope(flowScope(c.req.method, c.req.path))(c, next));
flows.use("/:tn", async (c, next) => requireScope(flowScope(c.req.method, c.req.path), { tn: "tn" })(c, next));
flows.use("/:tn/*", async (c, next) => requireScope(flowScope(c.req.method, c.req.path), { tn: "tn" })(c, next));

const XML_TYPES = new Set(["application/xml", "text/xml"]);

/** The `{tn}` path parameter as a store key; 400 when it can't be a phone number. */
function keyParam(c: Context<Env_>): string {
  const raw = c.req.param("tn") ?? "";
  const key = flowKeyFor(raw);
  if (!key) {
    throw new ProblemError(
      400,
      "Bad TN",
      `"${raw}" is not a telephone number: use E.164 digits (e.g. 18005550100, +1 800 555 0100) or * for the catch-all.`,
      { tn: raw },
    );
  }
  return key;
}

/** A version name that names no version (404) or several (409): the one answer for every route. */
function versionProblem(match: Exclude<VersionMatch, { status: "found" }>): ProblemError {
  switch (match.status) {
    case "unknown-version":
      return new ProblemError(404, "Version not found", `${match.detail}.`);
    case "ambiguous-version":
      return new ProblemError(409, "Ambiguous version", `${match.detail}.`);
    default: {
      const never: never = match.status;
      throw new Error(`unhandled version match ${String(never)}`);
    }
  }
}

/** The version a `?version=` or body `version` names in the TN's history (src/flows/versions.ts). */
async function versionParam(c: Context<Env_>, key: string, wanted: string): Promise<string> {
  const match = await resolveVersion(c.env, key, wanted);
  if (match.status !== "found") throw versionProblem(match);
  return match.version;
}

function invalidBody(error: z.core.$ZodError, what = "request body"): ProblemError {
  const errors = error.issues.map((i) => ({ path: i.path.map(String).join(".") || "(root)", message: i.message }));
  return new ProblemError(400, "Invalid request", `The ${what} is not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`, {
    errors,
  });
}

/** The body as text; bytes that are not UTF-8 are refused at their place, never read as U+FFFD. */
async function readText(c: Context<Env_>, limit: number): Promise<string | null> {
  const bytes = await readBytesLimited(c.req.raw, limit);
  if (bytes === null) return null;
  const decoded = decodeTemplate(bytes);
  if (!decoded.ok) throw invalidFlow(decoded.diagnostics);
  return decoded.text;
}

async function readJson(c: Context<Env_>, limit: number, required: boolean): Promise<unknown> {
  const text = await readText(c, limit);
  if (text === null) throw new ProblemError(413, "Payload too large", `The body is over ${limit} bytes.`, { limit });
  if (!text.trim()) {
    if (required) throw new ProblemError(400, "Invalid request", "The body is empty; expected JSON.");
    return {};
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ProblemError(400, "Invalid JSON", `The body is not JSON: ${(err as Error).message}`);
  }
}

function invalidFlow(diagnostics: Diagnostic[]): ProblemError {
  const errors = diagnostics.filter((d) => d.severity === "error");
  const first = errors[0];
  return new ProblemError(
    422,
    "Invalid flow",
    `${errors.length} error${errors.length === 1 ? "" : "s"}${first ? `; first at ${first.line}:${first.col}: ${first.message}` : ""}`,
    { diagnostics },
  );
}

function versionJson(tn: string, version: string, stored: StoredVersion, extra: Record<string, unknown> = {}) {
  return {
    tn: tn,
    version,
    size: stored.size,
    createdAt: stored.createdAt,
    mode: stored.meta.mode,
    timezone: stored.meta.timezone,
    conditions: stored.meta.conditions,
    description: stored.meta.description,
    variables: stored.meta.variables,
    ...(stored.meta.parkTimeoutMs !== undefined ? { parkTimeoutMs: stored.meta.parkTimeoutMs } : {}),
    ...extra,
  };
}

// ---- PUT /v1/flows/{tn} ---------------------------------------------------------------------

flows.put("/:tn", async (c) => {
  const key = keyParam(c);
  const type = mediaType(c.req.header("content-type"));
  let xml: string;
  let meta: FlowMeta;
  let canary: CanaryInput | undefined;
  if (type === "application/json" || type.endsWith("+json")) {
    const parsed = PublishBodySchema.safeParse(await readJson(c, MAX_FLOW_BYTES, true));
    if (!parsed.success) throw invalidBody(parsed.error);
    const { xml: x, canary: share, ...options } = parsed.data;
    xml = x;
    meta = options;
    canary = share;
  } else if (XML_TYPES.has(type)) {
    const text = await readText(c, MAX_FLOW_BYTES);
    if (text === null)
      throw new ProblemError(413, "Payload too large", `The flow is over ${MAX_FLOW_BYTES} bytes (256 KiB).`, { limit: MAX_FLOW_BYTES });
    if (!text.trim()) throw new ProblemError(400, "Invalid request", "The body is empty; expected Opentact Call Flow XML.");
    const q = PublishQuerySchema.safeParse(c.req.query());
    if (!q.success) throw invalidBody(q.error, "query string");
    const tz = q.data.tz ?? q.data.timezone;
    meta = FlowOptionsSchema.parse({
      ...(q.data.mode ? { mode: q.data.mode } : {}),
      ...(tz ? { timezone: tz } : {}),
      ...(q.data.description !== undefined ? { description: q.data.description } : {}),
      ...(q.data.conditions ? { conditions: q.data.conditions } : {}),
      ...(q.data.parkTimeoutMs !== undefined ? { parkTimeoutMs: q.data.parkTimeoutMs } : {}),
    });
    xml = text;
    canary = q.data.canary;
  } else {
    throw new ProblemError(
      415,
      "Unsupported media type",
      `Send the flow as application/json ({"xml": "…"}) or as application/xml / text/xml${type ? `, not ${type}` : "; the request has no content-type"}.`,
      { accepted: ["application/json", "application/xml", "text/xml"] },
    );
  }
  if (new TextEncoder().encode(xml).length > MAX_FLOW_BYTES) {
    throw new ProblemError(413, "Payload too large", `The flow is over ${MAX_FLOW_BYTES} bytes (256 KiB).`, { limit: MAX_FLOW_BYTES });
  }
  // A canary keeps the current version and sends a share of callers to this one (src/routes/rollout.ts).
  if (canary !== undefined) {
    const started = await startCanary(c.env, key, xml, meta, canary);
    if (started.status === "invalid") throw invalidFlow(started.diagnostics);
    return answerCanary(c, key, started);
  }
  const before = (await getFlow(c.env, key))?.pointer.version ?? null;
  const result = await publishFlow(c.env, key, xml, meta);
  if (result.status === "invalid") throw invalidFlow(result.diagnostics);
  if (result.status === "created")
    await recordAudit(c.env, { actor: principalOf(c).id, action: "flow.publish", tn: key, before, after: result.version });
  return c.json(publishedBody(result), result.status === "created" ? 201 : 200, { location: `/v1/flows/${encodeURIComponent(result.tn)}` });
});

// ---- GET /v1/flows, GET|DELETE /v1/flows/{tn} ------------------------------------------------

flows.get("/", async (c) => {
  const limit = intQuery(c.req.query("limit"), "limit", { min: 1, max: 1000, default: 1000 });
  const cursor = c.req.query("cursor");
  const res = await listFlows(c.env, { limit, ...(cursor ? { cursor } : {}) });
  // A key limited to TN patterns lists only its numbers.
  const visible = allowsTn(principalOf(c), "flows:read");
  return c.json({ ...res, flows: res.flows.filter((f) => visible(f.tn)) });
});

function wantsXml(c: Context<Env_>): boolean {
  if (c.req.query("format") === "xml") return true;
  const accept = (c.req.header("accept") ?? "").toLowerCase();
  return /\b(application|text)\/xml\b/.test(accept) && !accept.includes("json");
}

flows.get("/:tn", async (c) => {
  const key = keyParam(c);
  const wanted = c.req.query("version");
  let version: string;
  let stored: StoredVersion | null;
  let updatedAt: string | undefined;
  const current = await getFlow(c.env, key);
  if (wanted) {
    version = await versionParam(c, key, wanted);
    stored = await getVersion(c.env, version);
  } else {
    if (!current)
      throw new ProblemError(
        404,
        "Flow not found",
        `${key} has no flow${key === CATCH_ALL ? "" : "; calls to it get the catch-all (*) or the fallback document"}.`,
        { tn: key },
      );
    version = current.pointer.version;
    stored = current.stored;
    updatedAt = current.pointer.updatedAt;
  }
  if (!stored) throw new ProblemError(404, "Version not found", `Version ${version} is no longer stored.`);
  if (wantsXml(c)) {
    const headers: Record<string, string> = { "content-type": "application/xml; charset=utf-8", "x-tactflow-version": version };
    const r = current?.pointer.rollout;
    // The XML alone has no room for it: the canary rollout in a header (docs/insights.md).
    if (r)
      headers["x-tactflow-rollout"] =
        r.state === "active"
          ? `canary ${r.candidate.slice(0, 12)} for ${r.percent} % of callers (rollout ${r.id}); this is the stable version`
          : `last canary ${r.candidate.slice(0, 12)} ${r.state}${r.reason ? `: ${r.reason}` : ""}`.replace(/[^\x20-\x7e]/g, "-");
    return c.body(stored.xml, 200, headers);
  }
  return c.json(
    versionJson(key, version, stored, {
      current: current?.pointer.version === version,
      ...(updatedAt ? { updatedAt } : {}),
      // The canary rollout, in progress or the last one since the last publish (docs/insights.md).
      ...(current?.pointer.rollout ? { rollout: current.pointer.rollout } : {}),
      xml: stored.xml,
    }),
  );
});

flows.delete("/:tn", async (c) => {
  const key = keyParam(c);
  const before = (await getFlow(c.env, key))?.pointer.version ?? null;
  if (!(await deleteFlow(c.env, key))) throw new ProblemError(404, "Flow not found", `${key} has no flow.`, { tn: key });
  await recordAudit(c.env, { actor: principalOf(c).id, action: "flow.delete", tn: key, before });
  return c.body(null, 204);
});

// ---- versions and rollback -------------------------------------------------------------------

flows.get("/:tn/versions", async (c) => {
  const key = keyParam(c);
  const [current, history] = await Promise.all([getFlow(c.env, key), getHistory(c.env, key)]);
  if (!current && !history.length) throw new ProblemError(404, "Flow not found", `${key} has no flow.`, { tn: key });
  // The newest entry that put the current version in place is current; canary and abort entries
  // name a candidate, which is not current (yet).
  const rollout = current?.pointer.rollout;
  const currentAt = history.findIndex(
    (h) => h.version === current?.pointer.version && h.action !== "canary" && h.action !== "abort" && h.action !== "auto-abort",
  );
  return c.json({
    tn: key,
    current: current?.pointer.version ?? null,
    ...(rollout ? { rollout } : {}),
    versions: history.map((h, i) => ({
      ...h,
      current: i === currentAt,
      ...(rollout?.state === "active" && h.action === "canary" && h.version === rollout.candidate ? { candidate: true } : {}),
    })),
  });
});

flows.post("/:tn/rollback", async (c) => {
  const key = keyParam(c);
  const type = mediaType(c.req.header("content-type"));
  const raw = type && type !== "application/json" ? {} : await readJson(c, 4096, false);
  const parsed = RollbackBodySchema.safeParse(raw);
  if (!parsed.success) throw invalidBody(parsed.error);
  const result = await rollbackFlow(c.env, key, parsed.data.version ?? c.req.query("version"));
  switch (result.status) {
    case "rolled-back":
      await recordAudit(c.env, {
        actor: principalOf(c).id,
        action: "flow.rollback",
        tn: key,
        before: result.previous,
        after: result.version,
      });
      return c.json(versionJson(result.tn, result.version, result.stored, { previous: result.previous }));
    case "no-flow":
      throw new ProblemError(404, "Flow not found", result.detail);
    case "nothing-to-roll-back-to":
      throw new ProblemError(409, "Nothing to roll back to", result.detail);
    case "unknown-version":
    case "ambiguous-version":
      throw versionProblem(result);
    default: {
      const never: never = result;
      throw new Error(`unhandled rollback result ${JSON.stringify(never)}`);
    }
  }
});

// ---- preview ---------------------------------------------------------------------------------

flows.post("/:tn/preview", async (c) => {
  const key = keyParam(c);
  const parsed = PreviewBodySchema.safeParse(await readJson(c, 64 * 1024, false));
  if (!parsed.success) throw invalidBody(parsed.error);
  const body = parsed.data;
  // Fresh reads (no cacheTtl): a preview right after a publish shows what was just published.
  let answeredBy = key;
  let hash: string;
  let stored: StoredVersion | null;
  if (body.version) {
    hash = await versionParam(c, key, body.version);
    stored = await getVersion(c.env, hash);
  } else {
    const current = (await getFlow(c.env, key)) ?? (key === CATCH_ALL ? null : await getFlow(c.env, CATCH_ALL));
    if (!current)
      throw new ProblemError(404, "Flow not found", `${key} has no flow and there is no catch-all: calls get the fallback document.`, {
        tn: key,
      });
    answeredBy = current.tn;
    hash = current.pointer.version;
    stored = current.stored;
  }
  if (!stored) throw new ProblemError(404, "Version not found", `Version ${hash} is no longer stored.`);
  const loaded = (await loadVersion(c.env, hash)) ?? loadStoredVersion(hash, stored);
  const now = body.at ? new Date(body.at) : new Date();
  const ctx = buildRenderContext(
    { from: body.from, to: body.to ?? (key === CATCH_ALL ? "" : key), call: body.call ?? "", sca: body.sca ?? "", state: body.state ?? "" },
    { tn: answeredBy, meta: loaded.meta },
    now,
  );
  if (body.vars) ctx.vars = { ...ctx.vars, ...body.vars };
  if (body.digits !== undefined) ctx.digits = body.digits;
  let xml: string;
  try {
    xml = loaded.compiled.render(ctx);
  } catch (err) {
    if (err instanceof RenderError) throw new ProblemError(422, "Render failed", err.message, { code: err.code });
    throw err;
  }
  return c.body(xml, 200, {
    "content-type": "text/xml; charset=utf-8",
    "x-tactflow-version": hash,
    "x-tactflow-tn": answeredBy,
    "x-tactflow-at": now.toISOString(),
  });
});
