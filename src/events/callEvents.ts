/**
 * Everything a `CallSession` does with its events besides logging them: fan-out to the call's
 * WebSocket subscribers and a copy to the account-wide `EventHub`. CallSession holds one of
 * these and delegates `publish`, `fetch` (the upgrade) and the `webSocket*` handlers to it.
 */
import { EventLog } from "./log.ts";
import { HUB_NAME } from "./EventHub.ts";
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
const FORWARD_BATCH = 100;
const FORWARD_ATTEMPTS = 4;
/** After a forward gives up, the call's alarm tries again this much later (and again, while behind). */
export const FORWARD_RETRY_MS = 10_000;

function isRetryable(err: unknown): boolean {
  const e = err as { retryable?: unknown; overloaded?: unknown } | null;
  return e !== null && typeof e === "object" && e.retryable === true && e.overloaded !== true;
}

/**
 * Copies the call's log to the hub in order, one RPC at a time, off the call's critical path.
 * It reads from the log, not from memory, and remembers how far it got, so a failed or
 * interrupted forward is picked up by the next event or, failing that, by the call's alarm;
 * the hub drops repeats.
 */
export class HubForwarder {
  readonly #ctx: DurableObjectState;
  readonly #env: Env;
  readonly #log: EventLog;
  readonly #requestWake: (atMs: number) => void;
  #running = false;

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

  kick(): void {
    if (this.#running) return; // the running drain re-reads the log before it stops
    this.#running = true;
    this.#ctx.waitUntil(this.#drain());
  }

  /** How far the hub has acknowledged this call's log. */
  forwarded(): number {
    return this.#ctx.storage.kv.get<number>(FORWARDED_KEY) ?? 0;
  }

  async #drain(): Promise<void> {
    let failures = 0;
    try {
      for (;;) {
        const batch = this.#log.since(this.forwarded(), undefined, FORWARD_BATCH);
        const last = batch.at(-1);
        if (!last) return;
        try {
          // A fresh stub per attempt: a stub that has thrown can stay broken (platform-notes §1.2).
          await this.#env.EVENT_HUB.getByName(HUB_NAME).ingest(batch);
          this.#ctx.storage.kv.put(FORWARDED_KEY, Math.max(last.seq, this.forwarded()));
          failures = 0;
        } catch (err) {
          failures += 1;
          if (failures >= FORWARD_ATTEMPTS || !isRetryable(err)) {
            console.error(JSON.stringify({ level: "error", msg: "event hub forward failed; retrying with the next event or the alarm", call: this.#ctx.id.name, from_seq: batch[0]?.seq, error: String(err) }));
            this.#requestWake(Date.now() + FORWARD_RETRY_MS);
            return;
          }
          await new Promise((r) => setTimeout(r, 100 * 4 ** (failures - 1) * (0.5 + Math.random())));
        }
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
    this.forwarder.kick();
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
