/**
 * A subscriber of tactflow's event streams in the browser (docs/events.md): the account-wide
 * `/v1/events` or one call's `/v1/calls/{call}/events`, as any other subscriber sees them.
 *
 * - **Authentication** the way `tactflow tail` does it: the token in the socket's first frame,
 *   so it stays out of URLs and logs. An API key (`tfk_…`) is only taken on the upgrade, so it
 *   goes in `?token=` instead.
 * - **Acknowledgements** every 32 events or 500 ms, within the server's window; a `ping` every
 *   25 s keeps the socket from being swept as stale.
 * - **Resuming.** After a drop (a deploy, a reload of `wrangler dev`, a network cut, a 1013) it
 *   reconnects with backoff (0.25 s doubling to 10 s) and `since` = the last sequence number it
 *   handed on, so nothing is lost or repeated. Authentication failures are final: a 4001 close,
 *   or, for an API key, a handshake the same URL refuses over HTTP (401/403, with its reason).
 *
 * Events are handed on in batches, at most once per animation frame, so a busy stream costs the
 * page one render per frame however many events arrive.
 */

import type { StreamEvent } from "./event.ts";

export type { StreamEvent };

export type StreamStatus =
  | { kind: "connecting"; attempt: number }
  | { kind: "live"; since: number | null }
  | { kind: "retrying"; inMs: number; why: string }
  | { kind: "failed"; why: string }
  | { kind: "closed" };

export interface StreamOptions {
  /** `/v1/events` or `/v1/calls/{call}/events`. */
  path: string;
  token: string;
  /** Query filters (`types`, `tn`). */
  filters?: Record<string, string>;
  /** Replay everything after this sequence number first (null: live only). */
  since: number | null;
  onEvents: (events: StreamEvent[]) => void;
  onStatus?: (status: StreamStatus) => void;
  /** A `gap` frame: events between `since` and `firstAvailable` are no longer retained. */
  onGap?: (since: number, firstAvailable: number) => void;
}

const ACK_EVERY = 32;
const ACK_MS = 500;
const PING_MS = 25_000;
const BACKOFF_MAX_MS = 10_000;

export class EventStream {
  readonly #opts: StreamOptions;
  #ws: WebSocket | null = null;
  /** The last sequence number handed on (`hub_seq` on the hub, `seq` on a call). */
  #cursor: number | null;
  #unacked = 0;
  #ackTimer: ReturnType<typeof setTimeout> | null = null;
  #ping: ReturnType<typeof setInterval> | null = null;
  #retry: ReturnType<typeof setTimeout> | null = null;
  #backoff = 250;
  #attempt = 0;
  #closed = false;
  #pending: StreamEvent[] = [];
  #frame: number | null = null;
  /** How many events this stream handed on, for budgets and tests. */
  received = 0;

  constructor(opts: StreamOptions) {
    this.#opts = opts;
    this.#cursor = opts.since;
    this.#connect();
  }

  /** How many times it has connected (1 + reconnects). */
  get connections(): number {
    return this.#attempt;
  }

  /** The sequence number a reconnect resumes after. */
  get cursor(): number | null {
    return this.#cursor;
  }

  close(): void {
    this.#closed = true;
    this.#clearTimers();
    if (this.#retry) clearTimeout(this.#retry);
    this.#ws?.close(1000, "page closed");
    this.#ws = null;
    this.#opts.onStatus?.({ kind: "closed" });
  }

  /** Drop the connection as a network cut would (tests and the bench use it to check resuming). */
  drop(): void {
    this.#ws?.close(4000, "dropped by the page");
  }

  #url(): string {
    const q = new URLSearchParams(this.#opts.filters ?? {});
    if (this.#cursor !== null) q.set("since", String(this.#cursor));
    if (this.#opts.token.startsWith("tfk_")) q.set("token", this.#opts.token);
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const query = q.toString();
    return `${proto}//${location.host}${this.#opts.path}${query ? `?${query}` : ""}`;
  }

  #connect(): void {
    if (this.#closed) return;
    this.#attempt++;
    this.#opts.onStatus?.({ kind: "connecting", attempt: this.#attempt });
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.#url());
    } catch (err) {
      this.#opts.onStatus?.({ kind: "failed", why: (err as Error).message });
      return;
    }
    this.#ws = ws;
    let authed = false;
    ws.onopen = () => {
      if (!this.#opts.token.startsWith("tfk_")) ws.send(JSON.stringify({ type: "auth", token: this.#opts.token }));
      this.#ping = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send("ping"), PING_MS);
    };
    ws.onmessage = (m) => {
      if (typeof m.data !== "string" || m.data === "pong") return;
      let frame: StreamEvent;
      try {
        frame = JSON.parse(m.data) as StreamEvent;
      } catch {
        return;
      }
      if (frame.type === "auth") {
        if (!frame.success) return;
        authed = true;
        this.#backoff = 250;
        // With nothing handed on yet, a reconnect resumes where the stream stood at subscription.
        const stream = (frame.payload?.["stream"] ?? {}) as { last_seq?: number };
        if (this.#cursor === null && typeof stream.last_seq === "number") this.#cursor = stream.last_seq;
        this.#opts.onStatus?.({ kind: "live", since: this.#opts.since });
        return;
      }
      if (frame.type === "gap") {
        const p = frame.payload as { since?: number; first_available?: number } | undefined;
        this.#opts.onGap?.(p?.since ?? 0, p?.first_available ?? 0);
        return;
      }
      if (frame.type === "error") return;
      const seq = frame.hub_seq ?? frame.seq;
      if (typeof seq !== "number") return;
      if (this.#cursor !== null && seq <= this.#cursor) return;
      this.#cursor = seq;
      this.received++;
      this.#pending.push(frame);
      this.#flushSoon();
      if (++this.#unacked >= ACK_EVERY) this.#ack();
      else this.#ackTimer ??= setTimeout(() => this.#ack(), ACK_MS);
    };
    ws.onclose = (e) => {
      this.#clearTimers();
      if (this.#ws === ws) this.#ws = null;
      if (this.#closed) return;
      if (e.code === 4001) {
        this.#opts.onStatus?.({ kind: "failed", why: e.reason || "the server refused the token" });
        return;
      }
      if (!authed && this.#opts.token.startsWith("tfk_")) {
        // An API key is checked on the upgrade, and a browser never sees why a handshake failed:
        // ask the same URL over HTTP once, and stop if the answer is a refusal.
        void this.#refusal().then((why) => (why === null ? this.#retryLater(authed, e) : this.#fail(why)));
        return;
      }
      this.#retryLater(authed, e);
    };
  }

  /** The problem document's detail when the stream's URL refuses the key (401/403), else null. */
  async #refusal(): Promise<string | null> {
    try {
      const res = await fetch(this.#url().replace(/^ws/, "http"), { headers: { accept: "application/problem+json" } });
      if (res.status !== 401 && res.status !== 403) return null;
      const body = (await res.json().catch(() => ({}))) as { detail?: unknown; title?: unknown };
      return typeof body.detail === "string" ? body.detail : `${res.status} ${typeof body.title === "string" ? body.title : "refused"}`;
    } catch {
      return null;
    }
  }

  #fail(why: string): void {
    if (this.#closed) return;
    this.#opts.onStatus?.({ kind: "failed", why });
  }

  #retryLater(authed: boolean, e: CloseEvent): void {
    if (this.#closed) return;
    const wait = authed ? 250 : this.#backoff;
    this.#backoff = Math.min(this.#backoff * 2, BACKOFF_MAX_MS);
    this.#opts.onStatus?.({ kind: "retrying", inMs: wait, why: e.reason || `closed (${e.code})` });
    this.#retry = setTimeout(() => this.#connect(), wait);
  }

  #ack(): void {
    if (this.#ackTimer) clearTimeout(this.#ackTimer);
    this.#ackTimer = null;
    this.#unacked = 0;
    if (this.#cursor !== null && this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify({ type: "ack", seq: this.#cursor }));
  }

  #flushSoon(): void {
    if (this.#frame !== null) return;
    const flush = () => {
      this.#frame = null;
      const batch = this.#pending;
      this.#pending = [];
      if (batch.length) this.#opts.onEvents(batch);
    };
    // A hidden tab gets no animation frames; events still have to be taken in.
    this.#frame = document.hidden ? (setTimeout(flush, 100) as unknown as number) : requestAnimationFrame(flush);
  }

  #clearTimers(): void {
    if (this.#ackTimer) clearTimeout(this.#ackTimer);
    this.#ackTimer = null;
    if (this.#ping) clearInterval(this.#ping);
    this.#ping = null;
  }
}
