/**
 * Rendering a flow for a call, and the fallback document served whenever that can't be done.
 *
 * `answerCall` is the whole synchronous call path (docs/architecture.md §1): find the TN's
 * flow, render it with the call's values, and on any failure — no flow, KV error, render error,
 * budget exceeded — answer the fallback document and log why. It never throws.
 */
import { RenderError, type RenderContext } from "../template/index.ts";
import { checkFlow } from "../xml/index.ts";
import { canonicalTn, normalizeTn } from "../tn.ts";
import { CATCH_ALL, FlowStoreError, loadFlowForTn, peekFlowForTn, type LoadedFlow } from "./store.ts";
import { beginStatefulCall, needsSession } from "../call/begin.ts";

/** The call as the platform described it (docs/opentact.md §a.2), every field a plain string. */
export interface CallRequest {
  /** Caller number (ANI) as received. */
  from: string;
  /** Dialled number (DNIS) as received; the TN is looked up from it. */
  to: string;
  /** Call uuid, or "". */
  call: string;
  /** SIP Control App uuid, or "". */
  sca: string;
  /** Call state (`live`, …), or "". */
  state: string;
  /** The call entity from a POST body, when one came. */
  entity?: Record<string, unknown>;
  /** The origin the webhook was reached at, for URLs the platform calls back. */
  origin?: string;
}

export type FallbackCause = "no-flow" | "kv-error" | "render-error" | "budget-exceeded";

export interface CallAnswer {
  xml: string;
  /** The version served, when a flow was rendered. */
  version?: string;
  /** The TN key that answered (`*` for the catch-all). */
  tn?: string;
  /** Why the fallback was served instead, if it was. */
  fallback?: FallbackCause;
}

/** Said when nothing better can be: polite, then end the call rather than leave dead air. */
export const BUILTIN_FALLBACK_XML =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Say>We are sorry, we cannot take your call right now. Please try again later. Goodbye.</Say>\n  <Hangup/>\n</Response>\n';

const DEFAULT_BUDGET_MS = 2500;

// FALLBACK_XML is checked once per isolate (per distinct value), not per call.
let fallbackMemo: { source: string | undefined; xml: string } | undefined;

/** The fallback document: `FALLBACK_XML` when it is a valid flow, else the built-in apology. */
export function fallbackXml(env: Pick<Env, "FALLBACK_XML">): string {
  const source = env.FALLBACK_XML;
  if (fallbackMemo && fallbackMemo.source === source) return fallbackMemo.xml;
  let xml = BUILTIN_FALLBACK_XML;
  if (source?.trim()) {
    const checked = checkFlow(source);
    // Placeholders would need a render, which is exactly what may have just failed.
    if (checked.ok && !source.includes("{{")) xml = source;
    else
      log("error", "FALLBACK_XML is not a valid flow without placeholders; serving the built-in fallback", {
        diagnostics: checked.diagnostics.slice(0, 5),
      });
  }
  fallbackMemo = { source, xml };
  return xml;
}

/** The render context for a call of `flow`. */
export function buildRenderContext(call: CallRequest, flow: Pick<LoadedFlow, "tn" | "meta">, now: Date): RenderContext {
  // {{tn}} is the number the call was for: the flow's own TN, or for the catch-all the dialled one.
  const dialled = normalizeTn(call.to);
  return {
    from: call.from,
    to: call.to,
    tn: flow.tn === CATCH_ALL ? (dialled ? canonicalTn(dialled) : "") : flow.tn,
    call: call.call,
    sca: call.sca,
    now,
    vars: flow.meta.variables,
    timezone: flow.meta.timezone,
    ...(call.state ? { state: call.state } : {}),
    ...(call.entity ? { entity: call.entity } : {}),
  };
}

/**
 * Render `flow` for one call: the document the platform executes.
 *
 * This is the seam for stateful calls : it is where branching Gathers get rewritten to
 * report to the call's CallSession and where async-mode flows park the call (src/call/begin.ts).
 * Other flows render the compiled template as is, conditions evaluated per the flow's
 * `conditions` option.
 */
export async function renderCallFlow(env: Env, call: CallRequest, flow: LoadedFlow, now: Date = new Date()): Promise<string> {
  // branching Gathers and async mode need the call's CallSession (src/call/begin.ts).
  if (needsSession(flow)) return beginStatefulCall(env, call, flow);
  return renderStateless(call, flow, now);
}

/** A flow that needs no CallSession, rendered: no I/O, synchronous. */
function renderStateless(call: CallRequest, flow: LoadedFlow, now: Date): string {
  return flow.compiled.render(buildRenderContext(call, flow, now));
}

/**
 * The synchronous call path: always resolves to a document to answer with `200 text/xml`.
 * `budgetMs` bounds the whole lookup and render (env `CALLFLOW_BUDGET_MS`, default 2500 ms):
 * a slow KV read must not turn into dead air on the line.
 */
export async function answerCall(env: Env, call: CallRequest, opts: { budgetMs?: number; now?: Date } = {}): Promise<CallAnswer> {
  const started = Date.now();
  // Warm path: the pointer and the compiled version are in this isolate and the flow needs no
  // CallSession, so the answer needs no I/O and no time budget — just the render.
  const warm = peekFlowForTn(env, call.to);
  if (warm === null) return fallback(env, call, "no-flow", started);
  if (warm && !needsSession(warm)) {
    try {
      return { xml: renderStateless(call, warm, opts.now ?? new Date()), version: warm.version, tn: warm.tn };
    } catch (err) {
      return fallback(env, call, "render-error", started, err);
    }
  }
  const budgetMs = opts.budgetMs ?? budgetFrom(env);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const work = (async (): Promise<CallAnswer> => {
    const flow = await loadFlowForTn(env, call.to);
    if (!flow) return { xml: "", fallback: "no-flow" };
    const xml = await renderCallFlow(env, call, flow, opts.now ?? new Date());
    return { xml, version: flow.version, tn: flow.tn };
  })();
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), budgetMs);
  });
  let answer: CallAnswer;
  let error: unknown;
  try {
    const r = await Promise.race([work, deadline]);
    answer = r === "timeout" ? { xml: "", fallback: "budget-exceeded" } : r;
  } catch (err) {
    error = err;
    answer = { xml: "", fallback: err instanceof FlowStoreError ? "kv-error" : "render-error" };
  } finally {
    clearTimeout(timer);
  }
  // The losing side of the race may still reject later; don't let that surface as unhandled.
  work.catch(() => undefined);
  return answer.fallback ? fallback(env, call, answer.fallback, started, error) : answer;
}

/** The fallback answer, logged with its cause. */
function fallback(env: Env, call: CallRequest, cause: FallbackCause, started: number, error?: unknown): CallAnswer {
  log(cause === "no-flow" ? "warn" : "error", "callflow fallback", {
    cause,
    // Caller-controlled and possibly huge: log enough to find the call, not the whole value.
    to: call.to.slice(0, 64),
    call: call.call.slice(0, 128) || undefined,
    ms: Date.now() - started,
    ...(error ? { error: describe(error) } : {}),
  });
  return { xml: fallbackXml(env), fallback: cause };
}

function budgetFrom(env: Env): number {
  const n = Number(env.CALLFLOW_BUDGET_MS);
  return Number.isFinite(n) && n > 0 ? n : DEFAULT_BUDGET_MS;
}

function describe(err: unknown): string {
  if (err instanceof RenderError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** One JSON line per event, the shape Workers Logs indexes. */
export function log(level: "info" | "warn" | "error", msg: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, msg, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
