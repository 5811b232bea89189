/**
 * The hub copy of a call's events: forwards the call's log to the account-wide `EventHub`, in
 * order, off the call's critical path.
 */
import { describeError, log } from "../log.ts";
import { HUB_NAME } from "./EventHub.ts";
import type { EventHub } from "./EventHub.ts";
import { type HubFrame, tnOf } from "./hubLog.ts";
import type { EventLog } from "./log.ts";
import type { CallEvent } from "./shapes.ts";

const FORWARDED_KEY = "events:hub_forwarded_seq";
/** Events per forward at most; a longer backlog goes in several forwards, back to back. */
const FORWARD_BATCH = 200;
const FORWARD_ATTEMPTS = 4;
/**
 * A call forwards to the hub at most once per this interval. The first event after a quiet spell
 * goes at once; events that follow within the interval wait for it and travel together, so a
 * busy call costs the hub one RPC (and the hub one transaction) per interval, not one per event.
 * The price is at most this much extra latency on the hub stream; a call's own subscribers get
 * its events at once.
 *
 * Why a second (bench:calls, A/B on one machine): every forward is a write transaction in the
 * hub, and locally every transaction is a disk sync that the calls' own transactions queue
 * behind; with 32 busy calls, forwarding every 250 ms instead of every second cut the Gather
 * decisions' throughput by about a third.
 */
export const FORWARD_INTERVAL_MS = 1_000;
/**
 * A forwarder gone quiet stores the hub's acknowledgement this much later unless an event (whose
 * transaction it then joins) comes first: a busy call writes no transaction of its own for it.
 */
const QUIET_SAVE_MS = 1_000;
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
 * What it sends are frames ready for the hub's log (the event's JSON as the call logged it, and
 * its TN), so neither side parses or re-serialises an event. Events published while the object
 * is awake are queued in memory, in order; whenever the queue does not continue from what the
 * hub has acknowledged (the object was evicted, a forward failed, events were published out of
 * order) the forward reads the log instead. How far the hub has acknowledged is stored, so a
 * forward that failed or never ran is picked up by the next event or, failing that, by the
 * call's alarm; the hub drops repeats. The acknowledgement is stored with the call's next
 * event, or when the forwarder goes quiet, not in a transaction of its own.
 */
export class HubForwarder {
  readonly #ctx: DurableObjectState;
  readonly #env: Env;
  readonly #log: () => EventLog | null;
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
  /** Published frames not yet forwarded, consecutive, oldest first. */
  #queued: HubFrame[] = [];
  /** The newest seq known to be in the log; null until read from it. */
  #latest: number | null = null;
  /** Events queued so far (a count), so a quiet save can tell whether the call stayed quiet. */
  #published = 0;

  /** `log` is the call's event log, or null while the call has none. */
  constructor(ctx: DurableObjectState, env: Env, log: () => EventLog | null, requestWake: (atMs: number) => void) {
    this.#ctx = ctx;
    this.#env = env;
    this.#log = log;
    this.#requestWake = requestWake;
  }

  /** Events logged but not yet acknowledged by the hub. */
  behind(): boolean {
    return this.#latestSeq() > this.forwarded();
  }

  /** Read the log's end again (the alarm's check: events may have been logged by another hand). */
  refresh(): void {
    this.#latest = null;
  }

  /** An event was just logged: queue it for the next forward. */
  queue(frame: HubFrame): void {
    this.#published += 1;
    this.#latest = Math.max(this.#latestSeq(), frame.seq);
    const last = this.#queued.at(-1);
    if (last && (frame.seq !== last.seq + 1 || this.#queued.length >= FORWARD_BATCH * 4)) this.#queued = [];
    this.#queued.push(frame);
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
    this.#queued = [];
    this.#latest = null;
  }

  #latestSeq(): number {
    this.#latest ??= this.#log()?.lastSeq() ?? 0;
    return this.#latest;
  }

  /** The next frames to forward: from the queue when it continues from `after`, else from the log. */
  #next(after: number): HubFrame[] {
    const q = this.#queued;
    let drop = 0;
    while (drop < q.length && (q[drop]?.seq ?? 0) <= after) drop++;
    if (drop) q.splice(0, drop);
    if (q[0]?.seq === after + 1) return q.splice(0, FORWARD_BATCH);
    // Caught up: nothing to read.
    if (this.#latestSeq() <= after) return [];
    this.#queued = [];
    const log = this.#log();
    if (!log) return [];
    return log.rawSince(after, FORWARD_BATCH).map((r) => {
      const event = JSON.parse(r.body) as CallEvent;
      return { call_uuid: event.call_uuid, seq: r.seq, type: r.type, tn: tnOf(event), json: r.body };
    });
  }

  async #drain(wait: number): Promise<void> {
    let failures = 0;
    try {
      // With no wait, a microtask: the request that logged the event finishes its synchronous
      // work (and logs whatever else it logs) first; the forward is never something it awaits.
      if (wait > 0) await sleep(wait);
      else await Promise.resolve();
      for (;;) {
        const batch = this.#next(this.forwarded());
        const last = batch.at(-1);
        if (!last) {
          // Nothing left to send: store how far the hub got if the call stays quiet. An event
          // meanwhile stores it in its own transaction (publish → save) and starts the next
          // forward, whose own end schedules the next quiet save; saving here anyway would be a
          // transaction of its own, about once a second for every busy call.
          if (this.#unsaved) {
            const published = this.#published;
            this.#ctx.waitUntil(sleep(QUIET_SAVE_MS).then(() => published === this.#published && this.save()));
          }
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
