/**
 * Everything a `CallSession` does with its events besides logging them: fan-out to the call's
 * WebSocket subscribers and a copy to the account-wide `EventHub`. CallSession holds one of
 * these and delegates `publish`, `fetch` (the upgrade) and the `webSocket*` handlers to it.
 */
import { describeError, log } from "../log.ts";
import type { EventLog } from "./log.ts";
import { HUB_NAME } from "./EventHub.ts";
import type { EventHub } from "./EventHub.ts";
import { Subscribers } from "./subscribers.ts";
import type { StreamFrame, StreamSource } from "./subscribers.ts";
import type { CallEvent } from "./shapes.ts";

/** The call's log as its subscribers read it. */
class CallLogSource implements StreamSource {
  readonly #log: EventLog;
  constructor(log: EventLog) {
    this.#log = log;
  }
  lastSeq(): number {
    return this.#log.lastSeq();
  }
  firstSeq(): number {
    return this.#log.firstSeq();
  }
  framesSince(since: number, limit: number): StreamFrame[] {
    return this.#log.rawSince(since, limit).map((r) => ({ seq: r.seq, type: r.type, tn: null, json: r.body }));
  }
}

const FORWARDED_KEY = "events:hub_forwarded_seq";
/** Events per forward at most; a longer backlog goes in several forwards, back to back. */
const FORWARD_BATCH = 200;
const FORWARD_ATTEMPTS = 4;
/**
 * A call forwards to the hub at most once per this interval. The first event after a quiet spell
 * goes at once; events that follow within the interval wait for it and travel together, so a
 * busy call costs the hub one RPC per interval, not one per event. The price is at most this
 * much extra latency on the hub stream.
 */
export const FORWARD_INTERVAL_MS = 250;
/** After a forward gives up, the call's alarm tries again this much later (and again, while behind). */
export const FORWARD_RETRY_MS = 10_000;

function isRetryable(err: unknown): boolean {
  const e = err as { retryable?: unknown; overloaded?: unknown } | null;
  return e !== null && typeof e === "object" && e.retryable === true && e.overloaded !== true;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Copies the call's log to the hub in order, off the call's critical path.
 *
 * Why it batches (measured with `bench:calls` / `bench:events`): a Durable Object RPC costs far
 * more than logging an event, so one RPC per event made the hub copy cost more than the call's
 * own work. Here at most one forward per call is in flight or waiting, each carries everything
 * after what the hub has acknowledged, and forwards are spaced by `FORWARD_INTERVAL_MS`.
 *
 * It reads from the log, not from memory, and stores how far the hub has acknowledged, so a
 * forward that failed or never ran (the object was evicted) is picked up by the next event or,
 * failing that, by the call's alarm; the hub drops repeats. The acknowledgement is stored with
 * the call's next event, or when the forwarder goes quiet, not in a transaction of its own.
 */
export class HubForwarder {
  readonly #ctx: DurableObjectState;
  readonly #env: Env;
  readonly #log: EventLog;
  readonly #requestWake: (atMs: number) => void;
  /** A forward is waiting or in flight; it re-reads the log before it stops. */
  #running = false;
  /** When the last forward left (ms), for the spacing. */
  #lastSentAt = Number.NEGATIVE_INFINITY;
  /** Reused while it works; dropped after an error, since a stub that has thrown can stay broken (Durable Objects error-handling docs). */
  #hub: DurableObjectStub<EventHub> | null = null;
  /** How far the hub has acknowledged, as known here; null until read from storage. */
  #acked: number | null = null;
  /** `#acked` is ahead of storage. */
  #unsaved = false;
  /** Bumped when the call's storage is wiped, so an answer to a forward sent before is not stored after. */
  #epoch = 0;

  constructor(ctx: DurableObjectState, env: Env, log: EventLog, requestWake: (atMs: number) => void) {
    this.#ctx = ctx;
    this.#env = env;
    this.#log = log;
    this.#requestWake = requestWake;
  }

  /** Events logged but not yet acknowledged by the hub. */
  behind(): boolean {
    return this.#log.lastSeq() > this.forwarded();
  }

  /** Make sure a forward will run: now if the last one left more than an interval ago, else when the interval is up. */
  kick(now = Date.now()): void {
    if (this.#running) return;
    this.#running = true;
    this.#ctx.waitUntil(this.#drain(Math.max(0, this.#lastSentAt + FORWARD_INTERVAL_MS - now)));
  }

  /** How far the hub has acknowledged this call's log. */
  forwarded(): number {
    this.#acked ??= this.#ctx.storage.kv.get<number>(FORWARDED_KEY) ?? 0;
    return this.#acked;
  }

  /**
   * Stores the latest acknowledgement. The call runs this right after it logs an event, so the
   * write joins a transaction that is being committed anyway instead of costing one of its own.
   */
  save(): void {
    if (!this.#unsaved || this.#acked === null) return;
    this.#ctx.storage.kv.put(FORWARDED_KEY, this.#acked);
    this.#unsaved = false;
  }

  /** The call's storage was wiped: forget what was acknowledged (a new log starts at seq 1). */
  reset(): void {
    this.#epoch += 1;
    this.#acked = null;
    this.#unsaved = false;
  }

  async #drain(wait: number): Promise<void> {
    let failures = 0;
    try {
      // With no wait, a microtask: the request that logged the event finishes its synchronous
      // work (and logs whatever else it logs) first; the forward is never something it awaits.
      if (wait > 0) await sleep(wait);
      else await Promise.resolve();
      for (;;) {
        const batch = this.#log.since(this.forwarded(), undefined, FORWARD_BATCH);
        const last = batch.at(-1);
        if (!last) {
          // Nothing left to send: store how far the hub got before going quiet.
          this.save();
          return;
        }
        this.#lastSentAt = Date.now();
        const epoch = this.#epoch;
        try {
          this.#hub ??= this.#env.EVENT_HUB.getByName(HUB_NAME);
          await this.#hub.ingest(batch);
          failures = 0;
          if (epoch !== this.#epoch) continue;
          this.#acked = Math.max(last.seq, this.forwarded());
          this.#unsaved = true;
        } catch (err) {
          this.#hub = null;
          failures += 1;
          if (failures >= FORWARD_ATTEMPTS || !isRetryable(err)) {
            log("error", "event hub forward failed; retrying with the next event or the alarm", {
              call: this.#ctx.id.name,
              from_seq: batch[0]?.seq,
              error: describeError(err),
            });
            this.#requestWake(Date.now() + FORWARD_RETRY_MS);
            return;
          }
          await sleep(100 * 4 ** (failures - 1) * (0.5 + Math.random()));
          continue;
        }
        // Whatever was logged meanwhile goes in the next forward, an interval after this one.
        if (batch.length < FORWARD_BATCH && this.behind()) await sleep(Math.max(0, this.#lastSentAt + FORWARD_INTERVAL_MS - Date.now()));
      }
    } finally {
      this.#running = false;
    }
  }
}

export interface CallEventsOptions {
  /** The call's log (the one CallSession appends to). */
  log: EventLog;
  /** Ask the host's single alarm to fire at or before this time and call `alarm()`. */
  requestWake: (atMs: number) => void;
}

export class CallEvents {
  readonly subscribers: Subscribers;
  readonly forwarder: HubForwarder;
  readonly #requestWake: (atMs: number) => void;

  constructor(ctx: DurableObjectState, env: Env, opts: CallEventsOptions) {
    this.#requestWake = opts.requestWake;
    this.subscribers = new Subscribers(ctx, env, {
      kind: "call",
      scope: ctx.id.name ?? ctx.id.toString(),
      source: new CallLogSource(opts.log),
      requestWake: opts.requestWake,
    });
    this.forwarder = new HubForwarder(ctx, env, opts.log, opts.requestWake);
  }

  /** Fan-out of an event just appended to the log. Synchronous for subscribers; the hub copy is queued. */
  publish(event: CallEvent): void {
    this.subscribers.publish({ seq: event.seq, type: event.type, tn: null, json: JSON.stringify(event) });
    this.forwarder.save();
    this.forwarder.kick();
  }

  /** The host wiped its storage (the call's log with it). */
  reset(): void {
    this.forwarder.reset();
  }

  upgrade(request: Request): Response {
    return this.subscribers.upgrade(request);
  }

  message(ws: WebSocket, data: string | ArrayBuffer): void {
    this.subscribers.message(ws, data);
  }

  close(ws: WebSocket, code: number, reason: string): void {
    this.subscribers.close(ws, code, reason);
  }

  error(ws: WebSocket): void {
    this.subscribers.error(ws);
  }

  /** Auth deadlines, the stale sweep and a hub forward left behind; run it from the host's alarm whenever it fires. */
  alarm(now = Date.now()): void {
    this.subscribers.alarm(now);
    if (this.forwarder.behind()) {
      // Keep the alarm coming while the hub is behind, so a call gone quiet still gets its copy out.
      this.forwarder.kick();
      this.#requestWake(now + FORWARD_RETRY_MS);
    }
  }

  /** The next time `alarm` needs to run, or null when nothing needs watching. */
  nextWake(now = Date.now()): number | null {
    const subs = this.subscribers.nextWake(now);
    const forward = this.forwarder.behind() ? now + FORWARD_RETRY_MS : null;
    if (subs === null) return forward;
    return forward === null ? subs : Math.min(subs, forward);
  }
}
