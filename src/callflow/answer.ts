/**
 * Answering a call: the whole synchronous call path (docs/architecture.md §1). Find the TN's
 * flow, render it with the call's values, and on any failure — no flow, KV error, render error,
 * budget exceeded — answer the fallback document and log why. It never throws.
 */
import { beginStatefulCall, needsSession } from "../call/begin.ts";
import type { CallRequest } from "../call/request.ts";
import { callerKey } from "../flows/canary.ts";
import { FlowStoreError, loadFlowForTn, peekFlowForTn, type LoadedFlow } from "../flows/store.ts";
import { clip, describeError, log } from "../log.ts";
import { RenderError } from "../template/index.ts";
import { buildRenderContext } from "./context.ts";
import { fallbackXml } from "./fallback.ts";

export type FallbackCause = "no-flow" | "kv-error" | "render-error" | "budget-exceeded";

export interface CallAnswer {
  xml: string;
  /** The version served, when a flow was rendered. */
  version?: string;
  /** The TN key that answered (`*` for the catch-all). */
  tn?: string;
  /** Why the fallback was served instead, if it was. */
  fallback?: FallbackCause;
  /** The version whose render failed, when the fallback was served for a flow that was found. */
  failedVersion?: string;
  /** The canary rollout the caller was assigned in, and to which side. */
  rollout?: { id: string; role: "stable" | "candidate" };
}

const DEFAULT_BUDGET_MS = 2500;

/**
 * Render `flow` for one call: the document the platform executes.
 *
 * This is the seam for stateful calls: branching Gathers get rewritten to report to the call's
 * CallSession and async-mode flows park the call (src/call/begin.ts). Other flows render the
 * compiled template as is, conditions evaluated per the flow's `conditions` option.
 */
export async function renderCallFlow(env: Env, call: CallRequest, flow: LoadedFlow, now: Date = new Date()): Promise<string> {
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
  // During a canary rollout the caller's key picks the side; computed only when a rollout asks.
  const caller = () => callerKey(call.from, call.call);
  const warm = peekFlowForTn(env, call.to, caller);
  if (warm === null) return fallback(env, call, "no-flow", started);
  if (warm && !needsSession(warm)) {
    try {
      const xml = renderStateless(call, warm, opts.now ?? new Date());
      return warm.rollout
        ? { xml, version: warm.version, tn: warm.tn, rollout: warm.rollout }
        : { xml, version: warm.version, tn: warm.tn };
    } catch (err) {
      const served = { ...fallback(env, call, "render-error", started, err), failedVersion: warm.version, tn: warm.tn };
      return warm.rollout ? { ...served, rollout: warm.rollout } : served;
    }
  }
  const budgetMs = opts.budgetMs ?? budgetFrom(env);
  let timer: ReturnType<typeof setTimeout> | undefined;
  // The flow found, so a render failure's fallback can still say which version failed.
  const found: { flow: LoadedFlow | null } = { flow: null };
  const work = (async (): Promise<CallAnswer> => {
    const flow = await loadFlowForTn(env, call.to, caller);
    if (!flow) return { xml: "", fallback: "no-flow" };
    found.flow = flow;
    const xml = await renderCallFlow(env, call, flow, opts.now ?? new Date());
    return { xml, version: flow.version, tn: flow.tn, ...(flow.rollout ? { rollout: flow.rollout } : {}) };
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
  if (!answer.fallback) return answer;
  const served = fallback(env, call, answer.fallback, started, error);
  const flow = found.flow;
  return flow ? { ...served, failedVersion: flow.version, tn: flow.tn, ...(flow.rollout ? { rollout: flow.rollout } : {}) } : served;
}

/** The fallback answer, logged with its cause. */
function fallback(env: Env, call: CallRequest, cause: FallbackCause, started: number, error?: unknown): CallAnswer {
  log(cause === "no-flow" ? "warn" : "error", "callflow fallback", {
    cause,
    // Caller-controlled and possibly huge: log enough to find the call, not the whole value.
    to: call.to.slice(0, 64),
    call: clip(call.call),
    ms: Date.now() - started,
    ...(error ? { error: error instanceof RenderError ? `${error.code}: ${error.message}` : describeError(error) } : {}),
  });
  return { xml: fallbackXml(env), fallback: cause };
}

function budgetFrom(env: Env): number {
  const n = Number(env.CALLFLOW_BUDGET_MS);
  return Number.isFinite(n) && n > 0 ? n : DEFAULT_BUDGET_MS;
}
