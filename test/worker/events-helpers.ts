/**
 * Helpers for the event-stream tests: open a subscriber through the Worker, collect what it
 * receives, wait (boundedly) for frames or the close, and produce events inside a call.
 */
import { env, exports } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import type { CallSession } from "../../src/call/CallSession.ts";
import { EventLog } from "../../src/events/log.ts";
import { callFlowEvent, callStateEvent } from "../../src/events/shapes.ts";
import type { CallEntity, CallEvent } from "../../src/events/shapes.ts";

export const ADMIN = "test-admin-token";
export const READER = "test-events-token";

export interface Frame {
  type: string;
  seq?: number;
  hub_seq?: number;
  call_uuid?: string;
  uuid?: string;
  success?: boolean;
  message?: string;
  tag?: string;
  payload?: Record<string, unknown> & { state?: string; stream?: Record<string, unknown> };
  [k: string]: unknown;
}

/** A subscriber's socket with everything it received, in order. */
export class Inbox {
  readonly ws: WebSocket;
  readonly frames: Frame[] = [];
  readonly texts: string[] = [];
  closed: { code: number; reason: string } | null = null;
  #waiters: (() => void)[] = [];

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.addEventListener("message", (e) => {
      const text = typeof e.data === "string" ? e.data : new TextDecoder().decode(e.data as ArrayBuffer);
      this.texts.push(text);
      try {
        this.frames.push(JSON.parse(text) as Frame);
      } catch {
        // plain text such as "pong"
      }
      this.#wake();
    });
    ws.addEventListener("close", (e) => {
      this.closed = { code: e.code, reason: e.reason };
      this.#wake();
    });
  }

  /** Call-event frames (not auth / error / gap). */
  events(): Frame[] {
    return this.frames.filter((f) => f.type === "call_state" || f.type === "call_flow");
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Waits until `done()` holds, failing with `what` after `ms`. */
  async until(done: () => boolean, what: string, ms = 4_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `timed out after ${ms} ms waiting for ${what}; received ${this.texts.length} frames: ${this.texts.slice(-5).join(" | ").slice(0, 800)}; closed=${JSON.stringify(this.closed)}`,
        );
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 250));
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async auth(ms = 4_000): Promise<Frame> {
    await this.until(() => this.frames.some((f) => f.type === "auth"), "the auth frame", ms);
    return this.frames.find((f) => f.type === "auth") as Frame;
  }

  async eventCount(n: number, ms = 4_000): Promise<Frame[]> {
    await this.until(() => this.events().length >= n, `${n} events`, ms);
    return this.events();
  }

  async close(ms = 4_000): Promise<{ code: number; reason: string }> {
    await this.until(() => this.closed !== null, "the socket to close", ms);
    return this.closed as { code: number; reason: string };
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }
}

/** Opens a subscriber through the Worker (`exports.default.fetch`), as a client would. */
export async function subscribe(path: string, headers: Record<string, string> = {}): Promise<Inbox> {
  const res = await exports.default.fetch(`http://tactflow.test${path}`, { headers: { Upgrade: "websocket", ...headers } });
  if (res.status !== 101 || !res.webSocket) throw new Error(`expected 101 from ${path}, got ${res.status}: ${await res.text()}`);
  const ws = res.webSocket;
  const inbox = new Inbox(ws);
  ws.accept();
  return inbox;
}

export function callEntity(uuid: string, to = "+18382049000", direction: "in" | "out" = "in"): CallEntity {
  return { uuid, direction, from: "+18389999168", to, state: "live", duration: 0, type: "CallSCA" };
}

/**
 * Appends events to the call's log and publishes them, inside the call's object, exactly as
 * CallSession's own steps do (append, then `publish`). Alternates call_state and call_flow.
 */
export async function emit(
  callId: string,
  n: number,
  opts: { to?: string; direction?: "in" | "out"; publish?: boolean } = {},
): Promise<CallEvent[]> {
  const stub = env.CALL.getByName(callId);
  return runInDurableObject(stub, (instance: CallSession, state) => {
    const log = new EventLog(state.storage.sql);
    const call = callEntity(callId, opts.to, opts.direction);
    const out: CallEvent[] = [];
    for (let i = 0; i < n; i++) {
      const e =
        (log.lastSeq() + 1) % 2 === 1
          ? log.append(callStateEvent(call, "live", new Date(), { reason: `step ${log.lastSeq() + 1}` }))
          : log.append(
              callFlowEvent(call, { name: "Say", success: true, reason: "played", path: `Say[${i}]`, tag: "greeting" }, new Date()),
            );
      if (opts.publish !== false) instance.publish(e);
      out.push(e);
    }
    return out;
  });
}

export function seqs(frames: Frame[], field: "seq" | "hub_seq" = "seq"): number[] {
  return frames.map((f) => f[field] as number);
}

export function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}
