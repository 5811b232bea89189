/**
 * A `CallState` in memory: the IVR engine (src/call/ivr.ts) without a Durable Object, for
 * `tactflow test` and the unit tests. It keeps what the call object keeps in SQLite, and hands
 * values through JSON as SQLite does, so a flow behaves the same here and in the Worker.
 *
 * @example
 * const state = new MemoryCallState();
 * const first = beginCall(state, { call: "c1", flow, facts, origin: "https://flows.example" }, { now, defaultParkMs: 30_000 });
 * const next = answerGather(state, { node: "g1", attempt: 1, digits: "2" }, { now });
 * state.events; // what the call logged, numbered from 1
 */
import type { CallEntity, CallEvent, UnsequencedEvent } from "../events/shapes.ts";
import type { CallState, DecisionCommit, DecisionRecord, GatherCounter, PinnedCall, StoredAnswer, StoredFacts } from "./ivrState.ts";

const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

export class MemoryCallState implements CallState {
  #pinned: PinnedCall | null = null;
  #entity: CallEntity | null = null;
  readonly #counters = new Map<string, GatherCounter>();
  readonly #answers = new Map<string, StoredAnswer>();
  readonly #onEvent: ((event: CallEvent) => void) | undefined;
  /** When the call's record was made (epoch ms), null before anything was kept. */
  createdAt: number | null = null;
  /** Every decided Gather attempt, oldest first (the call's Gather history). */
  readonly history: DecisionRecord[] = [];
  /** Every event the call logged, with its sequence number, oldest first. */
  readonly events: CallEvent[] = [];

  /** `onEvent` sees each event as it is logged. */
  constructor(opts: { onEvent?: (event: CallEvent) => void } = {}) {
    this.#onEvent = opts.onEvent;
  }

  pinned(): PinnedCall | null {
    return this.#pinned;
  }

  entity(): CallEntity | null {
    return this.#entity;
  }

  /** What the platform's events say of the call before or after the webhook (the call object's `platformEvent`). */
  setEntity(entity: CallEntity, nowMs: number): void {
    this.createdAt ??= nowMs;
    this.#entity = copy(entity);
  }

  pin(call: PinnedCall, entity: CallEntity, nowMs: number): void {
    this.createdAt ??= nowMs;
    // The record keeps the call uuid it was made with, as the call object does.
    this.#pinned = copy({ ...call, call: this.#pinned?.call ?? this.#entity?.uuid ?? call.call });
    this.#entity = copy(entity);
  }

  counter(node: string): GatherCounter {
    return { ...(this.#counters.get(node) ?? { used: 0, done: false }) };
  }

  answer(node: string, attempt: number): StoredAnswer | null {
    const a = this.#answers.get(`${node}|${attempt}`);
    return a ? copy(a) : null;
  }

  saveAnswer(node: string, attempt: number, answer: StoredAnswer): void {
    this.#answers.set(`${node}|${attempt}`, copy(answer));
  }

  commitDecision(node: string, commit: DecisionCommit): void {
    this.#counters.set(node, { ...commit.counter });
    if (commit.facts && this.#pinned) this.#pinned = { ...this.#pinned, facts: copy(commit.facts) as StoredFacts };
    this.history.push(copy(commit.record));
    this.saveAnswer(node, commit.record.attempt, commit.answer);
  }

  emit(event: UnsequencedEvent): void {
    const stored = copy({ ...event, seq: this.events.length + 1 }) as CallEvent;
    this.events.push(stored);
    this.#onEvent?.(stored);
  }
}
