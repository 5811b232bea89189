/**
 * The IVR engine's `CallState` (src/call/ivrState.ts) over the call object's SQLite storage:
 * the session row, the Gather history (counters and answers), and the response cache (the
 * initial document, and answers stored before the history kept them). Each write method
 * is a run of synchronous SQL, so it commits as one transaction (Durable Objects write coalescing).
 */
import type { CallEntity, UnsequencedEvent } from "../events/shapes.ts";
import type { GatherStore } from "./gatherStore.ts";
import { type CallState, type DecisionCommit, type GatherCounter, INITIAL_ANSWER, type PinnedCall, type StoredAnswer } from "./ivrState.ts";
import type { ResponseCache } from "./responseCache.ts";
import type { SessionStore } from "./sessionStore.ts";

export interface SqlCallStateParts {
  session: SessionStore;
  gathers: GatherStore;
  responses: ResponseCache;
  /** Log an event and fan it out (the call object's one seam for events). */
  emit: (event: UnsequencedEvent) => void;
  /** The call's record was just made (the object arms its maximum-length timer). */
  created: (nowMs: number) => void;
}

export class SqlCallState implements CallState {
  readonly #p: SqlCallStateParts;

  constructor(parts: SqlCallStateParts) {
    this.#p = parts;
  }

  pinned(): PinnedCall | null {
    return this.#p.session.get()?.pinned ?? null;
  }

  entity(): CallEntity | null {
    return this.#p.session.get()?.entity ?? null;
  }

  pin(call: PinnedCall, entity: CallEntity, nowMs: number): void {
    if (!this.#p.session.get()) {
      this.#p.session.create(call.call, nowMs, entity);
      this.#p.created(nowMs);
    }
    this.#p.session.pin(call, entity);
  }

  counter(node: string): GatherCounter {
    return this.#p.gathers.counter(node);
  }

  answer(node: string, attempt: number): StoredAnswer | null {
    if (node === INITIAL_ANSWER.node) return this.#p.responses.get(node, attempt);
    return this.#p.gathers.answer(node, attempt) ?? this.#p.responses.get(node, attempt);
  }

  saveAnswer(node: string, attempt: number, answer: StoredAnswer): void {
    this.#p.responses.put(node, attempt, answer);
  }

  commitDecision(node: string, commit: DecisionCommit): void {
    this.#p.gathers.record(node, commit.counter, commit.record, commit.answer.xml);
    if (commit.facts) this.#p.session.setFacts(commit.facts);
  }

  emit(event: UnsequencedEvent): void {
    this.#p.emit(event);
  }
}
