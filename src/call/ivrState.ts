/**
 * What the IVR engine (src/call/ivr.ts) reads and writes for one call, as an interface: the
 * call object keeps it in SQLite (src/call/sqlState.ts), `tactflow test` and the unit tests keep
 * it in memory (src/call/memoryState.ts). The engine never sees which, so a flow tested
 * in-process runs the very code a call runs in the Worker.
 *
 * Plain TypeScript, no Workers imports.
 */
import type { CallEntity, UnsequencedEvent } from "../events/shapes.ts";
import type { CallFacts } from "./api.ts";
import type { GatherAction, GatherInput } from "./gatherTable.ts";
import type { PinnedFlow } from "./render.ts";

/** What the call keeps of the render context; `call`, `vars`, `timezone` and `now` are derived. */
export interface StoredFacts extends CallFacts {
  /** The digits of the last Gather that finished (`{{digits}}`). */
  digits: string;
  /** Digits per Gather node id and per Gather tag (`{{gather.NAME}}`). */
  gather: Record<string, string>;
}

/** A call whose flow is pinned: everything the engine needs to answer its Gathers. */
export interface PinnedCall {
  /** The call uuid (what `{{call}}` renders and Gather URLs name). */
  call: string;
  flow: PinnedFlow;
  facts: StoredFacts;
  /** Where the platform reaches us, for Gather URLs. */
  origin: string;
  /** The webhook token Gather URLs carry, if any. */
  token: string | undefined;
  /** The park deadline of an async flow, null for a sync one. */
  parkTimeoutMs: number | null;
}

/** How far one Gather node has got: attempts used, and whether one of them finished it. */
export interface GatherCounter {
  used: number;
  done: boolean;
}

/** What a Gather attempt decided, kept with its answer so a repeat reports the same. */
export interface DecisionMeta {
  input: GatherInput;
  action: GatherAction;
  digits: string;
}

/** A document served for a (node, attempt): the initial document is node "", attempt 0. */
export interface StoredAnswer {
  xml: string;
  /** The decision, for a Gather answer; null for the initial document. */
  decision: DecisionMeta | null;
}

/** One decided attempt, as the call's Gather history shows it. */
export interface DecisionRecord extends DecisionMeta {
  node: string;
  attempt: number;
  attempts: number;
  /** `DTMF=1`, `Default`, `Error`, or null when no branch ran. */
  branch: string | null;
  /** Epoch ms. */
  at: number;
}

/** Everything one decided attempt changes, committed at once (all or nothing). */
export interface DecisionCommit {
  record: DecisionRecord;
  counter: GatherCounter;
  /** The call's facts after the decision; null when they did not change (a retry). */
  facts: StoredFacts | null;
  answer: StoredAnswer;
}

/** The initial document's slot among the stored answers. */
export const INITIAL_ANSWER = { node: "", attempt: 0 } as const;

/**
 * One call's state as the engine sees it. Reads are cheap and may be called often; every write
 * is one method call, so an implementation can make each one a single transaction.
 */
export interface CallState {
  /** The pinned call, or null before `begin` (or after the call's state was deleted). */
  pinned(): PinnedCall | null;
  /** The call entity events carry, or null when nothing is known of the call. */
  entity(): CallEntity | null;
  /** Pin the flow and the call's facts (creating the call's record if there is none yet). */
  pin(call: PinnedCall, entity: CallEntity, nowMs: number): void;
  counter(node: string): GatherCounter;
  /** The document served for (node, attempt), if one was. */
  answer(node: string, attempt: number): StoredAnswer | null;
  saveAnswer(node: string, attempt: number, answer: StoredAnswer): void;
  /** Record a decided Gather attempt: its counter, the facts, the history row and the answer. */
  commitDecision(node: string, commit: DecisionCommit): void;
  /** Append an event to the call's log (and, in the Worker, fan it out). */
  emit(event: UnsequencedEvent): void;
}
