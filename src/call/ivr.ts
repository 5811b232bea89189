/**
 * The IVR engine of a stateful call (docs/architecture.md §2): pin the flow and answer the
 * call's first document with its branching Gathers rewritten to report back, then answer each
 * Gather attempt by the state table, with the branch and the continuation.
 *
 * Plain TypeScript over a `CallState` (src/call/ivrState.ts), with no Workers imports: the call
 * object runs it over SQLite, `tactflow test` over memory, and both get the same documents.
 * Time comes in as an argument, so a virtual clock drives it as well as the real one.
 */
import { callFlowEvent } from "../events/shapes.ts";
import type { RenderContext } from "../template/index.ts";
import { elementChildren, type ElementNode } from "../xml/index.ts";
import type { BeginInput, BeginResult, GatherInputData, GatherResult } from "./api.ts";
import { blankEntity, entityFrom } from "./entity.ts";
import { decideGather, normaliseDigits, type GatherAction, type GatherDecision, type GatherInput } from "./gatherTable.ts";
import { INITIAL_ANSWER, type CallState, type PinnedCall, type StoredFacts } from "./ivrState.ts";
import { branchValue, gatherSite, parsedFlow, renderAnswer, renderInitial, type GatherSite, type PinnedFlow } from "./render.ts";

export interface BeginOptions {
  now: Date;
  /** The park deadline (ms) of an async flow that names none. */
  defaultParkMs: number;
}

export interface BeginOutcome {
  result: BeginResult;
  /** When a freshly served async call's park deadline falls due (epoch ms); null otherwise. */
  parkDeadlineAt: number | null;
}

const TAG_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Pin the flow version for this call and answer its first document. A repeat (the platform
 * redelivering the webhook) gets the same document; the version stays the one pinned first.
 */
export function beginCall(state: CallState, input: BeginInput, opts: BeginOptions): BeginOutcome {
  const existing = state.pinned();
  if (existing) {
    const cached = state.answer(INITIAL_ANSWER.node, INITIAL_ANSWER.attempt);
    if (cached) {
      const { version, meta } = existing.flow;
      return { result: { ok: true, xml: cached.xml, version, mode: meta.mode, replay: true }, parkDeadlineAt: null };
    }
  }
  const now = opts.now;
  // Pinned means pinned: a repeat whose first render failed still renders the first version.
  const flow = existing?.flow ?? input.flow;
  const mode = flow.meta.mode;
  const parkMs = mode === "async" ? flow.meta.parkTimeoutMs || opts.defaultParkMs : null;
  const facts: StoredFacts = { ...input.facts, digits: "", gather: {} };
  const entity = entityFrom(input.call, input.facts, state.entity());
  const pinned: PinnedCall = { call: input.call, flow, facts, origin: input.origin, token: input.token, parkTimeoutMs: parkMs };
  state.pin(pinned, entity, now.getTime());
  const short = flow.version.slice(0, 12);
  let xml: string;
  try {
    xml = renderInitial(flow, input.origin, input.token, parkMs, renderContext(input.call, flow, facts, now));
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    state.emit(
      callFlowEvent(
        entity,
        { name: "Response", success: false, reason: `flow ${short} could not be rendered: ${error}`, path: "Response" },
        now,
      ),
    );
    return { result: { ok: false, error, version: flow.version }, parkDeadlineAt: null };
  }
  state.saveAnswer(INITIAL_ANSWER.node, INITIAL_ANSWER.attempt, { xml, decision: null });
  const reason = mode === "async" ? `call parked: flow ${short} served, commands due within ${parkMs} ms` : `flow ${short} served`;
  state.emit(
    callFlowEvent(entity, { name: "Response", success: true, reason, path: "Response", version: flow.version, tn: flow.tn, mode }, now),
  );
  return {
    result: { ok: true, xml, version: flow.version, mode, replay: false },
    parkDeadlineAt: parkMs === null ? null : now.getTime() + parkMs,
  };
}

/**
 * Answer one Gather attempt (docs/architecture.md §2). The same (node, attempt) twice gets the
 * same document and changes nothing; a new attempt is decided by the state table
 * (src/call/gatherTable.ts). Synchronous, so in the call object no other request can interleave.
 */
export function answerGather(state: CallState, input: GatherInputData, opts: { now: Date }): GatherResult {
  const pinned = state.pinned();
  if (!pinned) return { ok: false, reason: "unknown-call", detail: "no flow was started for this call" };
  const { flow } = pinned;
  const parsed = parsedFlow(flow);
  const site = gatherSite(parsed, input.node);
  if (!site)
    return { ok: false, reason: "unknown-node", detail: `no branching Gather "${input.node}" in flow ${flow.version.slice(0, 12)}` };
  const counter = state.counter(input.node);
  const attempt = input.attempt ?? (counter.done ? counter.used : counter.used + 1);
  // Only decided attempts have an answer, and decisions go one attempt at a time.
  if (attempt <= counter.used) {
    const cached = state.answer(input.node, attempt);
    if (cached?.decision) {
      const { input: how, action, digits } = cached.decision;
      return { ok: true, xml: cached.xml, duplicate: true, node: input.node, attempt, input: how, action, digits };
    }
  }
  if (counter.done || attempt !== counter.used + 1) {
    return {
      ok: false,
      reason: "unexpected-attempt",
      detail: counter.done
        ? `Gather "${input.node}" was already answered at attempt ${counter.used}`
        : `Gather "${input.node}" is waiting for attempt ${counter.used + 1}, not ${attempt}`,
    };
  }
  const now = opts.now;
  const g = site.el;
  const digits = normaliseDigits(input.digits, g.props.finishKey);
  const ctxBefore = renderContext(pinned.call, flow, pinned.facts, now);
  const decision = decideGather(site.parts, digits, attempt, g.props.attempts, (b) => branchValue(b, ctxBefore).toUpperCase());
  const final = decision.action !== "retry";
  // Digits become `{{digits}}` and `{{gather.NODE}}` (and `{{gather.TAG}}`) from here on.
  const facts: StoredFacts = final
    ? {
        ...pinned.facts,
        digits,
        gather: {
          ...pinned.facts.gather,
          [input.node]: digits,
          ...(g.props.tag && TAG_NAME.test(g.props.tag) ? { [g.props.tag]: digits } : {}),
        },
      }
    : pinned.facts;
  const bodyNode = decision.body ? (parsed.ids.get(decision.body) ?? null) : null;
  let xml: string;
  try {
    const bodyId = decision.body ? (bodyNode ?? decision.body.name) : "-";
    // A retried Gather's URL carries the next attempt; other Gathers in the answer their next one.
    const attemptFor = (id: string) => (id === input.node ? attempt + 1 : state.counter(id).used + 1);
    xml = renderAnswer(
      flow,
      `${input.node}|${decision.action}|${bodyId}`,
      () => answerCommands(site, decision),
      pinned.origin,
      pinned.token,
      attemptFor,
      { ...renderContext(pinned.call, flow, facts, now), digits },
    );
  } catch (err) {
    // Nothing is kept: the platform's retry of this attempt gets another go.
    return { ok: false, reason: "render-error", detail: err instanceof Error ? err.message : String(err) };
  }
  const branch = decision.action === "branch" ? `${decision.body?.name}=${decision.value}` : decision.body ? decision.body.name : null;
  const meta = { input: decision.input, action: decision.action, digits };
  state.commitDecision(input.node, {
    record: { ...meta, node: input.node, attempt, attempts: decision.attempts, branch, at: now.getTime() },
    counter: { used: attempt, done: final },
    facts: final ? facts : null,
    answer: { xml, decision: meta },
  });
  state.emit(
    callFlowEvent(
      state.entity() ?? blankEntity(pinned.call),
      {
        name: "Gather",
        success: decision.input === "match" || decision.input === "taken",
        reason: describeDecision(decision.input, decision.action, digits, attempt, decision.attempts, branch),
        path: input.node,
        ...(g.props.tag !== undefined ? { tag: g.props.tag } : {}),
        node: input.node,
        attempt,
        attempts: decision.attempts,
        digits,
        input: decision.input,
        action: decision.action,
        branch,
        // The branch element's node id: what the answer ran, for per-node insights (src/insights).
        ...(bodyNode ? { body: bodyNode } : {}),
      },
      now,
    ),
  );
  return { ok: true, xml, duplicate: false, node: input.node, attempt, input: decision.input, action: decision.action, digits };
}

/**
 * What the answer to a decision holds, before the rewrite: the branch's or the Gather's commands,
 * then the continuation. Insights (src/insights) rebuild a call's documents with it.
 */
export function answerCommands(site: GatherSite, decision: Pick<GatherDecision, "action" | "body">): ElementNode[] {
  switch (decision.action) {
    case "branch":
    case "default":
    case "error":
      return decision.body ? [...elementChildren(decision.body), ...site.continuation] : site.continuation;
    case "retry":
      return [site.el, ...site.continuation];
    case "continue":
      return site.continuation;
    default: {
      const never: never = decision.action;
      throw new Error(`unhandled action ${String(never)}`);
    }
  }
}

/** The render context of a call at `now`. */
export function renderContext(call: string, flow: PinnedFlow, facts: StoredFacts, now: Date): RenderContext {
  return {
    from: facts.from,
    to: facts.to,
    tn: flow.tn,
    call,
    sca: facts.sca,
    now,
    vars: flow.meta.variables,
    timezone: flow.meta.timezone,
    digits: facts.digits,
    gather: facts.gather,
    ...(facts.state ? { state: facts.state } : {}),
    ...(facts.entity ? { entity: facts.entity } : {}),
  };
}

function describeDecision(
  input: GatherInput,
  action: GatherAction,
  digits: string,
  attempt: number,
  attempts: number,
  branch: string | null,
): string {
  const what =
    input === "none"
      ? "no input"
      : input === "wrong"
        ? `digits "${digits}" matched no branch`
        : input === "match"
          ? `digits "${digits}" matched`
          : `digits "${digits}" taken`;
  const of = `attempt ${attempt} of ${attempts}`;
  switch (action) {
    case "branch":
      return `${what} <${branch}> (${of})`;
    case "retry":
      return `${what} (${of}): prompts replay`;
    case "default":
    case "error":
      return `${what} (${of}): <${branch}> runs`;
    case "continue":
      return `${what} (${of}): no branch to run, the flow continues`;
    default: {
      const never: never = action;
      return String(never);
    }
  }
}
