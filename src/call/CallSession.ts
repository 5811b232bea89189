import { DurableObject } from "cloudflare:workers";
import { CallEvents } from "../events/callEvents.ts";
import { EventLog } from "../events/log.ts";
import type { CallEvent } from "../events/shapes.ts";

/** Where the events seam remembers the alarm it asked for (see `#wakeForEvents`). */
const EVENTS_WAKE_KEY = "events:wake_at";

/**
 * One object per call (SPEC a, DESIGN "paths data takes"): the single writer for a call's
 * IVR state, deadlines and event log. Reached by `env.CALL.getByName(callUuid)`.
 */
export class CallSession extends DurableObject<Env> {
  /** Issue 6: subscriber fan-out and the hub copy (src/events/callEvents.ts). */
  readonly #events = new CallEvents(this.ctx, this.env, {
    log: new EventLog(this.ctx.storage.sql),
    requestWake: (at) => this.#wakeForEvents(at),
  });

  async ping(): Promise<string> {
    return "pong";
  }

  /**
   * The one seam between the call and its subscribers: call it with every event right after
   * `EventLog.append` returned it. Synchronous and cheap; the hub copy goes out via waitUntil.
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

  override async alarm(): Promise<void> {
    this.ctx.storage.kv.delete(EVENTS_WAKE_KEY);
    this.#events.alarm(Date.now());
  }

  /**
   * The events seam asks for the object's single alarm (auth deadlines, stale sweep). When the
   * call's timers table owns the alarm, this becomes a timer row of kind "events" instead.
   */
  #wakeForEvents(at: number): void {
    const armed = this.ctx.storage.kv.get<number>(EVENTS_WAKE_KEY);
    if (armed !== undefined && armed <= at && armed > Date.now()) return;
    this.ctx.storage.kv.put(EVENTS_WAKE_KEY, at);
    void this.ctx.storage.setAlarm(at);
  }
}
