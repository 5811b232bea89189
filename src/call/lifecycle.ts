/**
 * A call's life as the platform reports it, and how it ends: platform events (a state only moves
 * forward, a repeat is applied once), the park deadline, the maximum length, and what ending
 * does (no more commands or deadline; the record kept a while, then deleted by the alarm).
 * Synchronous SQL throughout; the call object arms its alarm afterwards.
 */
import { type CallEvent, callFlowEvent, callStateEvent, type UnsequencedEvent } from "../events/shapes.ts";
import { type HangupCause, PARK_TIMEOUT_CAUSE } from "../platform/CallControl.ts";
import type { PlatformEvent, PlatformEventResult } from "./api.ts";
import { blankEntity, mergeEntity, overlay } from "./entity.ts";
import type { Outbox } from "./outbox.ts";
import { isTerminal, stateRank } from "./platformEvents.ts";
import type { Session, SessionStore } from "./sessionStore.ts";
import type { Timers } from "./timers.ts";

export interface LifecycleParts {
  sql: SqlStorage;
  session: SessionStore;
  timers: Timers;
  outbox: Outbox;
  /** Log an event and fan it out. */
  emit: (event: UnsequencedEvent) => CallEvent;
  maxCallMs: number;
  retentionMs: number;
  defaultParkMs: number;
  /**
   * How long after the call ends its path is reported to the number's insights, so events the
   * platform sends late still count; null when insights are off (env `INSIGHTS=off`).
   */
  insightsSettleMs: number | null;
}

export class CallLifecycle {
  readonly #p: LifecycleParts;

  constructor(parts: LifecycleParts) {
    this.#p = parts;
  }

  /** The call's record was just made: every record goes away eventually, even if the platform never says the call ended. */
  started(now: number): void {
    this.#p.timers.set("max_length", "max_length", now + this.#p.maxCallMs);
  }

  /**
   * Apply one platform event (docs/opentact.md §d.4, e). A repeat (same event) changes nothing;
   * a state never moves backwards (events may arrive out of order); a final state ends the call.
   */
  platformEvent(ev: PlatformEvent, now: number): PlatformEventResult {
    const { sql, session: store } = this.#p;
    let session: Session | null = store.get();
    if (sql.exec("SELECT key FROM seen_events WHERE key = ?", ev.key).toArray().length) {
      return { applied: false, duplicate: true, state: session?.state ?? "unknown", seq: null };
    }
    if (!session) {
      session = store.create(ev.callUuid, now, blankEntity(ev.callUuid));
      this.started(now);
    }
    sql.exec("INSERT INTO seen_events (key, at) VALUES (?, ?)", ev.key, now);
    const entity = mergeEntity(session.entity, overlay(ev.entity, stripUndefined(ev.call)), session.call);
    let seq: number | null = null;
    let applied = false;
    if (ev.type === "call_state" && ev.state) {
      if (stateRank(ev.state) > stateRank(session.state)) {
        entity.state = ev.state;
        applied = true;
        store.setEntity(entity, ev.state);
        const { q850_cause, q850_cause_string } = entity;
        const cause = {
          ...(q850_cause !== undefined ? { q850_cause } : {}),
          ...(q850_cause_string !== undefined ? { q850_cause_string } : {}),
        };
        seq = this.#p.emit(callStateEvent(entity, ev.state, new Date(ev.at), cause)).seq;
        if (isTerminal(ev.state)) {
          this.ended(now, `platform: ${ev.state}`);
          // The channel is gone (destroyed, finished, failed): nothing more is coming, report now.
          if (stateRank(ev.state) > stateRank("hangup")) this.#reportBy(now);
        }
      }
    } else if (ev.type === "call_flow" && ev.command) {
      applied = true;
      store.setEntity(entity);
      seq = this.#p.emit(callFlowEvent(entity, { ...ev.command, source: "platform" }, new Date(ev.at))).seq;
    }
    return { applied, duplicate: false, state: store.get()?.state ?? ev.state ?? "unknown", seq };
  }

  /** No command before the deadline: hang up with a timeout cause (docs/opentact.md §c) and say why. */
  parkDeadline(now: number): void {
    const s = this.#p.session.get();
    this.#p.timers.cancel("park_deadline");
    if (!s || s.endedAt !== null || isTerminal(s.state)) return;
    const timeoutMs = s.parkTimeoutMs ?? this.#p.defaultParkMs;
    const reason = `park timeout: no command within ${timeoutMs} ms`;
    const cause: HangupCause = { ...PARK_TIMEOUT_CAUSE, reason };
    const { q850_cause, q850_cause_string } = cause;
    const entity = { ...s.entity, state: "hangup", q850_cause, q850_cause_string, hangup_on: new Date(now).toISOString() };
    this.#p.session.setEntity(entity, "hangup");
    this.ended(now, "park timeout");
    // ended() cancelled what was queued; the hang-up is now the only thing to deliver.
    this.#p.outbox.enqueueHangup(cause, now);
    const at = new Date(now);
    this.#p.emit(callFlowEvent(entity, { name: "Deadline", success: false, reason, path: "Park[0]", deadline_ms: timeoutMs }, at));
    this.#p.emit(callStateEvent(entity, "hangup", at, { reason, q850_cause, q850_cause_string }));
  }

  /** The call outlived MAX_CALL_MS: say so and end it. */
  maxLength(now: number): void {
    this.#p.timers.cancel("max_length");
    const s = this.#p.session.get();
    if (!s || s.endedAt !== null) return;
    const reason = `call reached the maximum length of ${this.#p.maxCallMs} ms; its state will be deleted`;
    this.#p.emit(callFlowEvent(s.entity, { name: "Response", success: false, reason, path: "Response" }, new Date(now)));
    this.ended(now, "maximum call length");
  }

  /** The call is over: no more commands or deadline; keep the record a while, then delete it. */
  ended(now: number, reason: string): void {
    this.#p.session.end(now, reason);
    this.#p.timers.cancel("park_deadline");
    // Commands can't reach a call that is gone; a hang-up we still owe is moot too.
    this.#p.outbox.cancelPending(now);
    this.#p.timers.setNoLaterThan("cleanup", "cleanup", now + this.#p.retentionMs);
    if (this.#p.insightsSettleMs !== null) this.#reportBy(now + this.#p.insightsSettleMs);
  }

  /** Report the call's path to insights no later than `at` (once: the report clears the timer and marks the call). */
  #reportBy(at: number): void {
    if (this.#p.insightsSettleMs === null || this.#p.session.get()?.reportedAt != null) return;
    this.#p.timers.setNoLaterThan("insights", "insights", at);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
