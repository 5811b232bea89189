import { DurableObject } from "cloudflare:workers";
import { CallEvents } from "../events/callEvents.ts";
import { EventLog } from "../events/log.ts";
import type { CallEvent, UnsequencedEvent } from "../events/shapes.ts";
import { describeError, log } from "../log.ts";
import { CallControl } from "../platform/CallControl.ts";
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
import { blankEntity } from "./entity.ts";
import { GatherStore } from "./gatherStore.ts";
import { answerGather, beginCall } from "./ivr.ts";
import { CallLifecycle } from "./lifecycle.ts";
import { Outbox } from "./outbox.ts";
import { deliveryEvents, type ParkedCall, queueCommands, rearmDeadline } from "./parked.ts";
import { reportPath } from "./report.ts";
import { ResponseCache } from "./responseCache.ts";
import { holdsTables, migrate } from "./schema.ts";
import { SessionStore } from "./sessionStore.ts";
import { callSnapshot } from "./snapshot.ts";
import { SqlCallState } from "./sqlState.ts";
import { type TimerRow, Timers } from "./timers.ts";

/** Default park deadline (docs/opentact.md §c, f.18), when neither the flow nor PARK_TIMEOUT_MS says. */
const DEFAULT_PARK_MS = 30_000;
const DEFAULT_MAX_CALL_MS = 4 * 60 * 60 * 1000;
const DEFAULT_RETENTION_MS = 10 * 60 * 1000;
/** After a call ends, how long its late events get before its path goes to insights. */
const DEFAULT_INSIGHTS_SETTLE_MS = 2000;

/**
 * One object per call (docs/opentact.md §a, docs/architecture.md §2–4): the single writer for a
 * call's IVR state, deadlines and event log. Reached by `env.CALL.getByName(callUuid)`.
 *
 * This class is the RPC surface and `alarm()`; the work is done by its parts:
 * - the IVR engine (src/call/ivr.ts) over the SQLite state (src/call/sqlState.ts: the session
 *   row, the Gather counters and history, the response cache) answers `begin` and `gather`;
 * - the outbox (src/call/outbox.ts) delivers a parked call's commands (src/call/parked.ts);
 * - the lifecycle (src/call/lifecycle.ts) applies platform events and ends the call;
 * - the timers table (src/call/timers.ts) drives the single alarm;
 * - the events (src/events/callEvents.ts) fan each logged event out to subscribers and the hub.
 *
 * Every event the call produces goes through `#emit` (append to the log, then publish), so
 * there is exactly one place subscribers hook into.
 *
 * Nothing is stored for a call nobody started. Every call id names an object, and anyone can
 * name one (a WebSocket upgrade authenticates on the socket, after the object answers), so the
 * object writes nothing — no table, no row, no alarm — until the call's first write: `begin`
 * (the webhook), a platform event, or an event logged. Until then reads answer "unknown call"
 * (`snapshot` null, `gather` unknown-call, `command` 404) and a subscriber's auth deadline is a
 * timer in memory; an object that holds anything of ours brings its schema up to date and runs
 * as before. When the call's state is deleted nothing is made again, so the object holds
 * nothing. (Locally, workerd keeps an empty 4 KiB SQLite file for every object it ever started,
 * whatever it wrote; what counts is that nothing is in it.)
 */
export class CallSession extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  /** The call's event log, once the schema is in place. */
  #log: EventLog | null = null;
  /** The schema is in place: the object holds a call. */
  #ready = false;
  /** A subscriber's auth deadline while the call is unknown (no alarm without storage). */
  #authTimer: { at: number; handle: ReturnType<typeof setTimeout> } | null = null;
  readonly #timers: Timers;
  readonly #session: SessionStore;
  readonly #gathers: GatherStore;
  readonly #outbox: Outbox;
  readonly #state: SqlCallState;
  readonly #parked: ParkedCall;
  readonly #life: CallLifecycle;
  /** Subscriber fan-out and the hub copy (src/events/callEvents.ts). */
  readonly #events: CallEvents;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // No SQL here: an object nobody started must stay empty (see above). #isReady() makes the
    // schema or brings it up to date, synchronously, so no other request can interleave with it.
    const sql = ctx.storage.sql;
    const control = () => CallControl.fromEnv(env);
    this.#sql = sql;
    this.#timers = new Timers(sql);
    this.#session = new SessionStore(sql);
    this.#gathers = new GatherStore(sql);
    this.#outbox = new Outbox(sql, this.#timers, {
      control,
      call: () => this.#session.get()?.call ?? null,
      settled: (row, success, reason, now) => {
        const entity = this.#session.get()?.entity ?? blankEntity(this.#callId());
        for (const event of deliveryEvents(row, success, reason, entity, new Date(now))) this.#emit(event);
      },
      commandsDelivered: (now) => rearmDeadline(this.#parked, now),
    });
    const durations = {
      maxCallMs: positive(env.MAX_CALL_MS) ?? DEFAULT_MAX_CALL_MS,
      retentionMs: positive(env.CALL_RETENTION_MS) ?? DEFAULT_RETENTION_MS,
      defaultParkMs: positive(env.PARK_TIMEOUT_MS) ?? DEFAULT_PARK_MS,
    };
    const insightsSettleMs = env.INSIGHTS_COUNTING === "off" ? null : (nonNegative(env.INSIGHTS_SETTLE_MS) ?? DEFAULT_INSIGHTS_SETTLE_MS);
    const parts = { sql, session: this.#session, timers: this.#timers, outbox: this.#outbox, ...durations };
    this.#life = new CallLifecycle({ ...parts, insightsSettleMs, emit: (event) => this.#emit(event) });
    this.#state = new SqlCallState({
      session: this.#session,
      gathers: this.#gathers,
      responses: new ResponseCache(sql),
      emit: (event) => this.#emit(event),
      created: (now) => this.#life.started(now),
    });
    this.#parked = {
      ...parts,
      storage: ctx.storage,
      control,
      deliveryFailed: (err) =>
        log("error", "command delivery failed; left for the alarm", { call: this.#callId(), error: describeError(err) }),
    };
    this.#events = new CallEvents(ctx, env, {
      log: () => (this.#isReady() ? this.#log : null),
      requestWake: (at) => this.#wakeForEvents(at),
    });
  }

  // ---- RPC ----------------------------------------------------------------------------------------

  /**
   * Pin the flow version for this call and answer its first document. A repeat (the platform
   * redelivering the webhook) gets the same document; the version stays the one pinned first.
   */
  async begin(input: BeginInput): Promise<BeginResult> {
    this.#ensure();
    const { result, parkDeadlineAt } = beginCall(this.#state, input, { now: new Date(), defaultParkMs: this.#parked.defaultParkMs });
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
    if (!this.#isReady()) return { ok: false, reason: "unknown-call", detail: "no flow was started for this call" };
    return answerGather(this.#state, input, { now: new Date() });
  }

  /**
   * Queue commands for a parked call and deliver what is due now (docs/architecture.md §3).
   * Each command re-arms the park deadline; `<Pause>` gaps are kept by the alarm.
   */
  async command(input: CommandInput): Promise<CommandResult> {
    if (!this.#isReady()) return { ok: false, status: 404, title: "Unknown call", detail: "tactflow knows nothing of this call" };
    return queueCommands(this.#parked, input);
  }

  /**
   * Apply one platform event (docs/opentact.md §d.4, e). The platform (authenticated by the
   * route) reports a call, so its events are the call's record, even before the webhook or
   * without one (a flow the webhook answered alone).
   */
  async platformEvent(ev: PlatformEvent): Promise<PlatformEventResult> {
    this.#ensure();
    const result = this.#life.platformEvent(ev, Date.now());
    if (!result.duplicate) await this.#timers.arm(this.ctx.storage);
    return result;
  }

  /** What `GET /v1/calls/{call}` shows, or null for a call this object knows nothing of. */
  async snapshot(opts: { since?: number; limit?: number } = {}): Promise<CallSnapshot | null> {
    const session = this.#isReady() ? this.#session.get() : null;
    if (!session) return null;
    const parts = { session, gathers: this.#gathers, outbox: this.#outbox, timers: this.#timers, log: this.#log };
    return callSnapshot({ ...parts, defaultParkMs: this.#parked.defaultParkMs }, opts);
  }

  /**
   * The one seam between the call and its subscribers: call it with every event right after
   * `EventLog.append` returned it. Synchronous and cheap; the hub copy goes out later, batched
   * (src/events/callEvents.ts), so nothing the request awaits depends on the hub.
   */
  publish(event: CallEvent): void {
    this.#events.publish(event);
    // An event was logged in this object, so it holds a call now (after the fan-out: sockets
    // woken from hibernation must first see this event as the next one).
    this.#isReady();
  }

  // ---- the alarm ----------------------------------------------------------------------------------

  /**
   * Run every due timer, deliver what is due, re-arm for the earliest remaining one. Safe to
   * run again at any time: a timer that is not due yet is left alone, and a timer's effect and
   * its removal are one synchronous batch. `info` is absent when a test helper runs the alarm.
   */
  override async alarm(info?: AlarmInvocationInfo): Promise<void> {
    if (!this.#isReady()) {
      // An alarm with no call behind it (its state was deleted): leave nothing, the alarm included.
      await this.ctx.storage.deleteAll();
      return;
    }
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
        this.#life.parkDeadline(now);
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
      case "max_length":
        this.#life.maxLength(now);
        return;
      case "insights":
        await this.#report(now);
        return;
      case "cleanup":
        // A path not reported yet goes now, before the record it is read from is deleted.
        if (this.#timers.get("insights")) await this.#report(now).catch(() => undefined);
        await this.#cleanup();
        return;
      default: {
        const never: never = t.kind;
        log("warn", "unknown timer kind", { kind: String(never) });
        this.#timers.cancel(t.id);
      }
    }
  }

  /** The call's path to the dialled number's insights (src/call/report.ts). */
  #report(now: number): Promise<void> {
    const parts = { session: this.#session, log: this.#log, timers: this.#timers };
    return reportPath({ ...parts, send: (trace) => this.env.INSIGHTS.getByName(trace.tn).report(trace) }, now);
  }

  /** Delete everything this call stored; the object then holds nothing. */
  async #cleanup(): Promise<void> {
    const call = this.#callId();
    // From compat date 2026-02-24 deleteAll() drops the alarm too.
    await this.ctx.storage.deleteAll();
    this.#ready = false;
    this.#log = null;
    this.#session.forget();
    this.#gathers.forget();
    this.#events.reset();
    log("info", "call state deleted", { call });
  }

  // ---- the WebSocket stream -------------------------------------------------------------------

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

  /**
   * The events seam asks for the object's single alarm (auth deadlines, stale sweep): a timer row.
   * While the call is unknown there is no storage for one: only a socket's auth deadline matters
   * then (the sweep waits for the call), and a timer in memory keeps it; the object stays awake
   * those few seconds.
   */
  #wakeForEvents(at: number): void {
    if (this.#isReady()) {
      this.#timers.setNoLaterThan("events", "events", at);
      void this.#timers.arm(this.ctx.storage);
      return;
    }
    const due = this.#events.subscribers.authDeadline();
    if (due === null || (this.#authTimer && this.#authTimer.at <= due)) return;
    if (this.#authTimer) clearTimeout(this.#authTimer.handle);
    const handle = setTimeout(
      () => {
        this.#authTimer = null;
        // Once the call exists its alarm has the deadline (#ensure).
        if (!this.#isReady()) this.#events.subscribers.alarm(Date.now());
      },
      Math.max(0, due - Date.now()),
    );
    this.#authTimer = { at: due, handle };
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /** Whether the object holds a call; an object that holds anything of ours gets its schema up to date. */
  #isReady(): boolean {
    if (!this.#ready && holdsTables(this.#sql)) this.#ensure();
    return this.#ready;
  }

  /** The call's first write is coming (or the object already holds one): the schema, then the alarm for any waiting sockets. */
  #ensure(): void {
    if (this.#ready) return;
    migrate(this.#sql);
    this.#log = new EventLog(this.#sql);
    this.#ready = true;
    const wake = this.#events.nextWake(Date.now());
    if (wake !== null) this.#wakeForEvents(wake);
  }

  #emit(event: UnsequencedEvent): CallEvent {
    if (!this.#log) throw new Error("the call's event log is not open");
    const stored = this.#log.appendFrame(event);
    this.#events.publish(stored.event, stored.json);
    return stored.event;
  }

  #callId(): string {
    return (this.#ready ? this.#session.get()?.call : undefined) ?? this.ctx.id.name ?? this.ctx.id.toString();
  }
}

function nonNegative(v: string | undefined): number | null {
  const n = Number(v);
  return v !== undefined && v !== "" && Number.isFinite(n) && n >= 0 ? n : null;
}

function positive(v: string | undefined): number | null {
  const n = Number(v);
  return v !== undefined && Number.isFinite(n) && n > 0 ? n : null;
}
