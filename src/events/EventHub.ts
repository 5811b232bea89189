import { DurableObject } from "cloudflare:workers";
import { HubLog, type HubFrame } from "./hubLog.ts";
import { Subscribers } from "./subscribers.ts";
import type { StreamFrame } from "./subscribers.ts";
import type { CallEvent } from "./shapes.ts";

/**
 * The name of the one hub object. A single object holds the whole account's stream so every
 * subscriber sees one order. A call forwards at most once per `FORWARD_INTERVAL_MS` (1 s),
 * carrying everything logged since its last forward, so the hub takes at most one RPC per busy
 * call per interval and usually one per call step, below a Durable Object's ~1,000 req/s
 * (the soft limit in the Durable Objects docs). If an account outgrows it, shard by name and have subscribers join
 * every shard.
 */
export const HUB_NAME = "account";

/** Where the hub remembers the alarm it asked for, so a later, later request does not postpone it. */
const WAKE_KEY = "events:wake_at";

/** The account-wide event stream (`/v1/events`): receives a copy of every call event. */
export class EventHub extends DurableObject<Env> {
  readonly #log: HubLog;
  readonly #subs: Subscribers;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#log = new HubLog(ctx.storage.sql);
    this.#subs = new Subscribers(ctx, env, {
      kind: "hub",
      scope: HUB_NAME,
      source: this.#log,
      requestWake: (at) => this.#requestWake(at),
    });
  }

  /**
   * Takes a batch of one call's events (in the call's order) and fans out the ones not seen
   * before. Called by `CallSession` off its critical path; safe to repeat.
   */
  async ingest(events: ReadonlyArray<CallEvent | HubFrame>): Promise<{ accepted: number; last_hub_seq: number }> {
    const frames: StreamFrame[] = [];
    for (const event of events) {
      const frame = this.#log.append(event);
      if (frame) frames.push(frame);
    }
    this.#subs.publishAll(frames);
    return { accepted: frames.length, last_hub_seq: this.#log.lastSeq() };
  }

  /** The newest hub sequence number given out (0 before the first event). */
  async lastSeq(): Promise<number> {
    return this.#log.lastSeq();
  }

  /** WebSocket upgrades for `/v1/events` only; everything else is RPC. */
  override async fetch(request: Request): Promise<Response> {
    return this.#subs.upgrade(request);
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    this.#subs.message(ws, message);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.#subs.close(ws, code, reason);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.#subs.error(ws);
  }

  override async alarm(): Promise<void> {
    this.ctx.storage.kv.delete(WAKE_KEY);
    this.#subs.alarm(Date.now());
  }

  /** For tests and operators: what each subscriber holds. */
  async subscribers(): Promise<ReturnType<Subscribers["inspect"]>> {
    return this.#subs.inspect();
  }

  get log(): HubLog {
    return this.#log;
  }

  get subs(): Subscribers {
    return this.#subs;
  }

  #requestWake(at: number): void {
    const armed = this.ctx.storage.kv.get<number>(WAKE_KEY);
    if (armed !== undefined && armed <= at && armed > Date.now()) return;
    this.ctx.storage.kv.put(WAKE_KEY, at);
    void this.ctx.storage.setAlarm(at);
  }
}
