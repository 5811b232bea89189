import { DurableObject } from "cloudflare:workers";
import { CallEvents } from "../events/callEvents.ts";
import { EventLog } from "../events/log.ts";
import { callFlowEvent, callStateEvent, type CallEntity, type CallEvent, type UnsequencedEvent } from "../events/shapes.ts";
import { describeError, log } from "../log.ts";
import { CallControl, PARK_TIMEOUT_CAUSE, type HangupCause } from "../platform/CallControl.ts";
import type {
  BeginInput,
  BeginResult,
  CallSnapshot,
  CommandInput,
  CommandResult,
  GatherInputData,
  GatherResult,
  PlatformEvent,
  PlatformEventResult,
} from "./api.ts";
import { blankEntity, mergeEntity, overlay } from "./entity.ts";
import { GatherStore } from "./gatherStore.ts";
import { answerGather, beginCall } from "./ivr.ts";
import { Outbox, type OutboxRow } from "./outbox.ts";
import { queueCommands, rearmDeadline, type ParkedCall } from "./parked.ts";
import { isTerminal, stateRank } from "./platformEvents.ts";
import { ResponseCache } from "./responseCache.ts";
import { migrate } from "./schema.ts";
import { SessionStore, type Session } from "./sessionStore.ts";
import { callSnapshot } from "./snapshot.ts";
import { SqlCallState } from "./sqlState.ts";
import { Timers, type TimerRow } from "./timers.ts";

/** Default park deadline (docs/opentact.md §c, f.18), when neither the flow nor PARK_TIMEOUT_MS says. */
const DEFAULT_PARK_MS = 30_000;
const DEFAULT_MAX_CALL_MS = 4 * 60 * 60 * 1000;
const DEFAULT_RETENTION_MS = 10 * 60 * 1000;

/**
 * One object per call (docs/opentact.md §a, docs/architecture.md §2–4): the single writer for a
 * call's IVR state, deadlines and event log. Reached by `env.CALL.getByName(callUuid)`.
 *
 * This class is the RPC surface and `alarm()`; the work is done by its parts:
 * - the IVR engine (src/call/ivr.ts) over the SQLite state (src/call/sqlState.ts: the session
 *   row, the Gather counters and history, the response cache) answers `begin` and `gather`;
 * - the outbox (src/call/outbox.ts) delivers a parked call's commands (src/call/parked.ts);
 * - the timers table (src/call/timers.ts) drives the single alarm;
 * - the events (src/events/callEvents.ts) fan each logged event out to subscribers and the hub.
 *
 * Every event the call produces goes through `#emit` (append to the log, then `publish`), so
 * there is exactly one place subscribers hook into.
 */
export class CallSession extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  #log: EventLog;
  readonly #timers: Timers;
  readonly #session: SessionStore;
  readonly #gathers: GatherStore;
  readonly #outbox: Outbox;
  readonly #state: SqlCallState;
  readonly #parked: ParkedCall;
  /** Subscriber fan-out and the hub copy (src/events/callEvents.ts). */
  readonly #events: CallEvents;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    // The schema is created here, before anything can reach the object. SQL calls are
    // synchronous and a constructor runs to completion before any event is delivered, so this
    // needs no blockConcurrencyWhile (the Rules of Durable Objects keep that for async initialisation).
    migrate(this.#sql);
    this.#log = new EventLog(this.#sql);
    this.#timers = new Timers(this.#sql);
    this.#session = new SessionStore(this.#sql);
    this.#gathers = new GatherStore(this.#sql);
    this.#outbox = new Outbox(this.#sql, this.#timers, {
      control: () => CallControl.fromEnv(env),
      call: () => this.#session.get()?.call ?? null,
      settled: (row, success, reason, now) => this.#emitDelivery(row, success, reason, now),
      commandsDelivered: (now) => rearmDeadline(this.#parked, now),
    });
    this.#state = new SqlCallState({
      session: this.#session,
      gathers: this.#gathers,
      responses: new ResponseCache(this.#sql),
      emit: (event) => this.#emit(event),
      created: (now) => this.#timers.set("max_length", "max_length", now + this.#maxCallMs()),
    });
    this.#parked = {
      sql: this.#sql,
      session: this.#session,
      outbox: this.#outbox,
      timers: this.#timers,
      storage: ctx.storage,
      control: () => CallControl.fromEnv(env),
      retentionMs: this.#retentionMs(),
      defaultParkMs: this.#defaultParkMs(),
      deliveryFailed: (err) =>
        log("error", "command delivery failed; left for the alarm", { call: this.#callId(), error: describeError(err) }),
    };
    this.#events = new CallEvents(ctx, env, { log: this.#log, requestWake: (at) => this.#wakeForEvents(at) });
  }

  // ---- RPC: the call's flow ------------------------------------------------------------------

  /**
   * Pin the flow version for this call and answer its first document. A repeat (the platform
   * redelivering the webhook) gets the same document; the version stays the one pinned first.
   */
  async begin(input: BeginInput): Promise<BeginResult> {
    const { result, parkDeadlineAt } = beginCall(this.#state, input, { now: new Date(), defaultParkMs: this.#defaultParkMs() });
    if (result.ok && result.replay) return result;
    if (parkDeadlineAt !== null) this.#timers.set("park_deadline", "park_deadline", parkDeadlineAt);
    await this.#timers.arm(this.ctx.storage);
    return result;
  }

  /**
   * Answer one Gather attempt (docs/architecture.md §2): the same (node, attempt) twice gets the
   * same document and changes nothing; a new attempt is decided by the state table.
   */
  async gather(input: GatherInputData): Promise<GatherResult> {
    return answerGather(this.#state, input, { now: new Date() });
  }

  // ---- RPC: parked calls ------------------------------------------------------------------------

  /**
   * Queue commands for a parked call and deliver what is due now (docs/architecture.md §3).
   * Each command re-arms the park deadline; `<Pause>` gaps are kept by the alarm.
   */
  async command(input: CommandInput): Promise<CommandResult> {
    return queueCommands(this.#parked, input);
  }

  // ---- RPC: lifecycle ---------------------------------------------------------------------------

  /**
   * Apply one platform event (docs/opentact.md §d.4, e). A repeat (same event) changes nothing; a state
   * never moves backwards (events may arrive out of order); a final state ends the call and
   * schedules the cleanup.
   */
  async platformEvent(ev: PlatformEvent): Promise<PlatformEventResult> {
    const now = Date.now();
    let session = this.#session.get();
    if (this.#sql.exec("SELECT key FROM seen_events WHERE key = ?", ev.key).toArray().length) {
      return { applied: false, duplicate: true, state: session?.state ?? "unknown", seq: null };
    }
    session ??= this.#createSession(ev.callUuid, now);
    this.#sql.exec("INSERT INTO seen_events (key, at) VALUES (?, ?)", ev.key, now);
    const entity = mergeEntity(session.entity, overlay(ev.entity, stripUndefined(ev.call)), session.call);
    let seq: number | null = null;
    let applied = false;
    if (ev.type === "call_state" && ev.state) {
      if (stateRank(ev.state) > stateRank(session.state)) {
        entity.state = ev.state;
        applied = true;
        this.#session.setEntity(entity, ev.state);
        seq = this.#emit(
          callStateEvent(entity, ev.state, new Date(ev.at), {
            ...(entity.q850_cause !== undefined ? { q850_cause: entity.q850_cause } : {}),
            ...(entity.q850_cause_string !== undefined ? { q850_cause_string: entity.q850_cause_string } : {}),
          }),
        ).seq;
        if (isTerminal(ev.state)) this.#ended(now, `platform: ${ev.state}`);
      }
    } else if (ev.type === "call_flow" && ev.command) {
      applied = true;
      this.#session.setEntity(entity);
      seq = this.#emit(callFlowEvent(entity, { ...ev.command, source: "platform" }, new Date(ev.at))).seq;
    }
    await this.#timers.arm(this.ctx.storage);
    return { applied, duplicate: false, state: this.#session.get()?.state ?? ev.state ?? "unknown", seq };
  }

  /** What `GET /v1/calls/{call}` shows, or null for a call this object knows nothing of. */
  async snapshot(opts: { since?: number; limit?: number } = {}): Promise<CallSnapshot | null> {
    const session = this.#session.get();
    if (!session) return null;
    const parts = { gathers: this.#gathers, outbox: this.#outbox, timers: this.#timers, log: this.#log };
    return callSnapshot({ ...parts, session, defaultParkMs: this.#defaultParkMs() }, opts);
  }

  // ---- timers -----------------------------------------------------------------------------------

  /**
   * Run every due timer, deliver what is due, re-arm for the earliest remaining one. Safe to
   * run again at any time: a timer that is not due yet is left alone, and a timer's effect and
   * its removal are one synchronous batch. `info` is absent when a test helper runs the alarm.
   */
  override async alarm(info?: AlarmInvocationInfo): Promise<void> {
    try {
      await this.#runTimers(info);
    } catch (err) {
      // Something below the timers failed (storage?). Log it and come back later rather than
      // spend the runtime's six retries in 2 s steps.
      log("error", "call alarm failed", { call: this.ctx.id.name, error: describeError(err) });
      await this.ctx.storage.setAlarm(Date.now() + 30_000);
    }
  }

  async #runTimers(info: AlarmInvocationInfo | undefined): Promise<void> {
    if ((info?.retryCount ?? 0) > 0) log("warn", "call alarm retried", { call: this.#callId(), retryCount: info?.retryCount });
    const now = Date.now();
    for (const t of this.#timers.due(now)) {
      try {
        await this.#fire(t, now);
      } catch (err) {
        // Never throw out of alarm(): the runtime would retry it six times and give up. Push the
        // timer back instead, so a failing one can't spin.
        log("error", "call timer failed", { call: this.#callId(), timer: t.id, error: describeError(err) });
        if (this.#timers.get(t.id)) this.#timers.set(t.id, t.kind, now + 5000);
      }
      if (t.kind === "cleanup") return;
    }
    await this.#outbox.drain();
    await this.#timers.arm(this.ctx.storage);
  }

  async #fire(t: TimerRow, now: number): Promise<void> {
    switch (t.kind) {
      case "park_deadline":
        this.#parkDeadline(now);
        return;
      case "outbox":
        // The delivery loop after the timers handles it.
        return;
      case "events": {
        this.#timers.cancel("events");
        this.#events.alarm(now);
        const next = this.#events.nextWake(now);
        if (next !== null) this.#timers.setNoLaterThan("events", "events", next);
        return;
      }
      case "max_length": {
        this.#timers.cancel("max_length");
        const s = this.#session.get();
        if (s && s.endedAt === null) {
          const reason = `call reached the maximum length of ${this.#maxCallMs()} ms; its state will be deleted`;
          this.#emit(callFlowEvent(s.entity, { name: "Response", success: false, reason, path: "Response" }, new Date(now)));
          this.#ended(now, "maximum call length");
        }
        return;
      }
      case "cleanup":
        await this.#cleanup();
        return;
      default: {
        const never: never = t.kind;
        log("warn", "unknown timer kind", { kind: String(never) });
        this.#timers.cancel(t.id);
      }
    }
  }

  /** No command before the deadline: hang up with a timeout cause (docs/opentact.md §c) and say why. */
  #parkDeadline(now: number): void {
    const s = this.#session.get();
    this.#timers.cancel("park_deadline");
    if (!s || s.endedAt !== null || isTerminal(s.state)) return;
    const timeoutMs = s.parkTimeoutMs ?? this.#defaultParkMs();
    const reason = `park timeout: no command within ${timeoutMs} ms`;
    const cause: HangupCause = { ...PARK_TIMEOUT_CAUSE, reason };
    const { q850_cause, q850_cause_string } = cause;
    const entity: CallEntity = { ...s.entity, state: "hangup", q850_cause, q850_cause_string, hangup_on: new Date(now).toISOString() };
    this.#session.setEntity(entity, "hangup");
    this.#ended(now, "park timeout");
    // #ended cancelled what was queued; the hang-up is now the only thing to deliver.
    this.#outbox.enqueueHangup(cause, now);
    this.#emit(callFlowEvent(entity, { name: "Deadline", success: false, reason, path: "Park[0]", deadline_ms: timeoutMs }, new Date(now)));
    this.#emit(callStateEvent(entity, "hangup", new Date(now), { reason, q850_cause, q850_cause_string }));
  }

  /** The call is over: no more commands or deadline; keep the record a while, then delete it. */
  #ended(now: number, reason: string): void {
    this.#session.end(now, reason);
    this.#timers.cancel("park_deadline");
    // Commands can't reach a call that is gone; a hang-up we still owe is moot too.
    this.#outbox.cancelPending(now);
    this.#timers.setNoLaterThan("cleanup", "cleanup", now + this.#retentionMs());
  }

  /** Delete everything this call stored; the object is then as new. */
  async #cleanup(): Promise<void> {
    const call = this.#callId();
    await this.ctx.storage.deleteAll();
    // From compat date 2026-02-24 deleteAll() also drops the alarm; say it anyway for older dates.
    await this.ctx.storage.deleteAlarm();
    migrate(this.#sql);
    this.#log = new EventLog(this.#sql);
    this.#session.forget();
    this.#gathers.forget();
    this.#events.reset();
    log("info", "call state deleted", { call });
  }

  // ---- events: the fan-out point and the WebSocket stream --------------------------------

  /**
   * The one seam between the call and its subscribers: call it with every event right after
   * `EventLog.append` returned it. Synchronous and cheap; the hub copy goes out later, batched
   * (src/events/callEvents.ts), so nothing the request awaits depends on the hub.
   */
  publish(event: CallEvent): void {
    this.#events.publish(event);
  }

  /** Only the WebSocket upgrade for `/v1/calls/{call}/events` arrives here; the rest is RPC. */
  override async fetch(request: Request): Promise<Response> {
    return this.#events.upgrade(request);
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    this.#events.message(ws, message);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.#events.close(ws, code, reason);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.#events.error(ws);
  }

  /** The events seam asks for the object's single alarm (auth deadlines, stale sweep): a timer row. */
  #wakeForEvents(at: number): void {
    this.#timers.setNoLaterThan("events", "events", at);
    void this.#timers.arm(this.ctx.storage);
  }

  #emit(event: UnsequencedEvent): CallEvent {
    const stored = this.#log.appendFrame(event);
    this.#events.publish(stored.event, stored.json);
    return stored.event;
  }

  /** A delivery's events: one per command it carried, or the hang-up. */
  #emitDelivery(row: OutboxRow, success: boolean, reason: string, now: number): void {
    const entity = this.#session.get()?.entity ?? blankEntity(this.#callId());
    const at = new Date(now);
    if (row.kind === "hangup") {
      this.#emit(callFlowEvent(entity, { name: "Hangup", success, reason, path: `Commands[${row.seq}].Hangup[0]` }, at));
      return;
    }
    const { names, tags } = JSON.parse(row.names || '{"names":[],"tags":[]}') as { names: string[]; tags: Array<string | null> };
    const counts = new Map<string, number>();
    names.forEach((name, i) => {
      const n = counts.get(name) ?? 0;
      counts.set(name, n + 1);
      const tag = tags[i] ?? undefined;
      this.#emit(callFlowEvent(entity, { name, success, reason, path: `Commands[${row.seq}].${name}[${n}]`, ...(tag ? { tag } : {}) }, at));
    });
  }

  // ---- helpers ----------------------------------------------------------------------------------

  #createSession(call: string, now: number): Session {
    const session = this.#session.create(call, now, blankEntity(call));
    // Every session goes away eventually, even if the platform never says the call ended.
    this.#timers.set("max_length", "max_length", now + this.#maxCallMs());
    return session;
  }

  #callId(): string {
    return this.#session.get()?.call ?? this.ctx.id.name ?? this.ctx.id.toString();
  }

  #defaultParkMs(): number {
    return positive(this.env.PARK_TIMEOUT_MS) ?? DEFAULT_PARK_MS;
  }

  #maxCallMs(): number {
    return positive(this.env.MAX_CALL_MS) ?? DEFAULT_MAX_CALL_MS;
  }

  #retentionMs(): number {
    return positive(this.env.CALL_RETENTION_MS) ?? DEFAULT_RETENTION_MS;
  }
}

function positive(v: string | undefined): number | null {
  const n = Number(v);
  return v !== undefined && Number.isFinite(n) && n > 0 ? n : null;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
