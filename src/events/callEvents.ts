/**
 * Everything a `CallSession` does with its events besides logging them: fan-out to the call's
 * WebSocket subscribers and a copy to the account-wide `EventHub`. CallSession holds one of
 * these and delegates `publish`, `fetch` (the upgrade) and the `webSocket*` handlers to it.
 */
import { FORWARD_RETRY_MS, HubForwarder } from "./hubForwarder.ts";
import { tnOf } from "./hubLog.ts";
import type { EventLog } from "./log.ts";
import { Subscribers } from "./subscribers.ts";
import type { StreamFrame, StreamSource } from "./subscribers.ts";
import type { CallEvent } from "./shapes.ts";

/** The call's log as its subscribers read it. */
export { FORWARD_INTERVAL_MS, FORWARD_RETRY_MS, HubForwarder } from "./hubForwarder.ts";

/** The call's log as its subscribers read it; empty while the call has none. */
class CallLogSource implements StreamSource {
  readonly #log: () => EventLog | null;
  constructor(log: () => EventLog | null) {
    this.#log = log;
  }
  lastSeq(): number {
    return this.#log()?.lastSeq() ?? 0;
  }
  firstSeq(): number {
    return this.#log()?.firstSeq() ?? 1;
  }
  framesSince(since: number, limit: number): StreamFrame[] {
    return (
      this.#log()
        ?.rawSince(since, limit)
        .map((r) => ({ seq: r.seq, type: r.type, tn: null, json: r.body })) ?? []
    );
  }
}

export interface CallEventsOptions {
  /** The call's log (the one CallSession appends to), or how to find it: null while the call has none. */
  log: EventLog | (() => EventLog | null);
  /** Ask the host's single alarm to fire at or before this time and call `alarm()`. */
  requestWake: (atMs: number) => void;
}

export class CallEvents {
  readonly subscribers: Subscribers;
  readonly forwarder: HubForwarder;
  readonly #requestWake: (atMs: number) => void;

  constructor(ctx: DurableObjectState, env: Env, opts: CallEventsOptions) {
    this.#requestWake = opts.requestWake;
    const given = opts.log;
    const log = typeof given === "function" ? given : () => given;
    this.subscribers = new Subscribers(ctx, env, {
      kind: "call",
      scope: ctx.id.name ?? ctx.id.toString(),
      source: new CallLogSource(log),
      requestWake: opts.requestWake,
    });
    this.forwarder = new HubForwarder(ctx, env, log, opts.requestWake);
  }

  /**
   * Fan-out of an event just appended to the log; `json` is the event as the log stored it.
   * Synchronous for subscribers; the hub copy is queued.
   */
  publish(event: CallEvent, json: string = JSON.stringify(event)): void {
    const frame = { call_uuid: event.call_uuid, seq: event.seq, type: event.type, tn: tnOf(event), json };
    this.subscribers.publish(frame);
    this.forwarder.queue(frame);
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
    this.forwarder.refresh();
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
