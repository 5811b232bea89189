/**
 * WebSocket subscribers of one event stream, kept by the Durable Object that owns the stream:
 * a call's `CallSession` (`/v1/calls/{call}/events`) or the `EventHub` (`/v1/events`).
 *
 * Sockets are hibernatable (`ctx.acceptWebSocket`), so an idle stream costs nothing; every fact
 * that must survive hibernation lives in the socket's attachment, and the rest is rebuilt from
 * the stream's SQLite log when the object wakes (Durable Objects WebSocket hibernation docs).
 *
 * Per socket we keep a `cursor`: the stream sequence number up to which it has been brought,
 * whether or not each event passed its filters. Live events are sent only when they follow the
 * cursor; anything else is read from the log. So a resume (`?since=`) followed by live traffic
 * has no gap and no duplicate, whatever order `publish` is called in.
 *
 * Backpressure. workerd's server-side WebSocket has no `bufferedAmount` (workerd #988), so the
 * object cannot see a peer's TCP window. We use an application window instead: a client
 * acknowledges with `{"type":"ack","seq":N}`; frames sent and not acknowledged are in flight.
 * The buffer a subscriber may hold is `window` frames (and MAX_INFLIGHT_BYTES): live events
 * past a full window close it with 1013, so a reader that stalls costs the call one comparison
 * per event and never more memory. Replays (`since`) are paced to half the window, since the
 * log, not the socket, holds the backlog.
 */
import type { Attachment, SocketState, StreamFrame, StreamSource } from "./socketFlow.ts";
import { SocketFlow, closeQuietly } from "./socketFlow.ts";
import {
  AUTH_TIMEOUT_MS,
  CLOSE,
  ClientFrame,
  MAX_CLIENT_FRAME,
  MAX_SUBSCRIBERS,
  STALE_AFTER_MS,
  SWEEP_EVERY_MS,
  authFailureFrame,
  authSuccessFrame,
  authenticate,
  checkUpgrade,
  errorFrame,
  tokenOf,
} from "./protocol.ts";
import type { Role, StreamInfo, SubscribeOptions } from "./protocol.ts";
import { problemDocument, problemResponse } from "../http/problem.ts";

export type { StreamFrame, StreamSource };

export interface SubscribersOptions {
  kind: "call" | "hub";
  /** The call uuid or `account`, reported in the auth frame. */
  scope: string;
  source: StreamSource;
  /**
   * Ask the host to call `alarm(now)` at or before `atMs`. The host owns the object's single
   * alarm (CallSession shares it with its own timers), so we only ever ask.
   */
  requestWake: (atMs: number) => void;
}

const TAG = "events";

function problem(status: number, title: string, detail: string, extra: Record<string, unknown> = {}): Response {
  return problemResponse(problemDocument(status, title, detail, extra));
}

export class Subscribers {
  readonly #ctx: DurableObjectState;
  readonly #env: Env;
  readonly #opts: SubscribersOptions;
  /** Each socket's flow state (src/events/socketFlow.ts). */
  readonly #flow: SocketFlow;

  constructor(ctx: DurableObjectState, env: Env, opts: SubscribersOptions) {
    this.#ctx = ctx;
    this.#env = env;
    this.#opts = opts;
    this.#flow = new SocketFlow(opts.source);
    // Heartbeats answered by the runtime without waking the object; the sweep reads their time.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  /**
   * Open sockets of this stream (authenticated or not). A socket we closed stays in
   * `getWebSockets()` until the peer answers the close, so it is filtered out by state.
   */
  sockets(): WebSocket[] {
    return this.#ctx.getWebSockets(TAG).filter((ws) => ws.readyState === WebSocket.OPEN);
  }

  count(): number {
    return this.sockets().length;
  }

  /** Answers the upgrade request: accepts a hibernatable socket and, with a token on the URL, authenticates it at once. */
  upgrade(request: Request): Response {
    const parsed = checkUpgrade(request, this.#opts.kind);
    if (!parsed.ok) return problemResponse(parsed.problem, parsed.headers);
    if (this.count() >= MAX_SUBSCRIBERS) {
      return problem(503, "Too many subscribers", `This stream already has ${MAX_SUBSCRIBERS} subscribers.`);
    }
    const opts: SubscribeOptions = parsed.value;
    const now = Date.now();
    const pair = new WebSocketPair();
    const client = pair[0];
    const server = pair[1];
    this.#ctx.acceptWebSocket(server, [TAG]);
    const a: Attachment = {
      v: 1,
      conn: crypto.randomUUID(),
      ip: request.headers.get("cf-connecting-ip") ?? request.headers.get("x-real-ip") ?? "unknown",
      at: now,
      role: null,
      types: opts.types,
      tn: opts.tn,
      since: opts.since,
      window: opts.window,
      start: 0,
      acked: 0,
      live: false,
      cursor: 0,
      seen: now,
    };
    this.#flow.add(server, a);
    if (opts.token !== null) {
      this.#authenticate(server, opts.token);
    } else {
      // Opentact order (docs/opentact.md §d.2): connect, then an auth frame. Enforced by the alarm, not a
      // setTimeout, so the object may hibernate while it waits.
      this.#opts.requestWake(now + AUTH_TIMEOUT_MS);
    }
    this.#opts.requestWake(now + SWEEP_EVERY_MS);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Fan one new event out to every subscriber. Never throws, never waits. */
  publish(frame: StreamFrame): void {
    this.publishAll([frame]);
  }

  /** `publish` for consecutive new events, oldest first: the sockets are listed once for all of them. */
  publishAll(frames: readonly StreamFrame[]): void {
    if (frames.length === 0) return;
    const sockets = this.sockets();
    for (const frame of frames) {
      for (const ws of sockets) {
        // A socket dropped for an earlier frame of this batch is no longer open.
        if (ws.readyState === WebSocket.OPEN) this.#flow.publishTo(ws, frame);
      }
    }
  }

  message(ws: WebSocket, data: string | ArrayBuffer): void {
    const st = this.#flow.state(ws, this.#opts.source.lastSeq());
    if (!st) return;
    const now = Date.now();
    const size = typeof data === "string" ? data.length : data.byteLength;
    if (size > MAX_CLIENT_FRAME) {
      closeQuietly(ws, CLOSE.tooBig, `frames are limited to ${MAX_CLIENT_FRAME} bytes`);
      return;
    }
    st.a.seen = now;
    if (data === "ping") {
      // The auto-response normally answers this without waking us.
      this.#flow.trySend(ws, "pong");
      ws.serializeAttachment(st.a);
      return;
    }
    let frame: ClientFrame | null = null;
    let problemText = "";
    if (typeof data !== "string") {
      problemText = "binary frames are not part of this protocol; send JSON text";
    } else {
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch {
        json = undefined;
        problemText = "frames must be JSON";
      }
      if (json !== undefined) {
        const parsed = ClientFrame.safeParse(json);
        if (parsed.success) frame = parsed.data;
        else problemText = `unrecognised frame: ${parsed.error.issues.map((i) => i.message).join("; ")}`;
      }
    }
    if (st.a.role === null) {
      if (frame?.type === "auth") this.#authenticate(ws, tokenOf(frame));
      else
        this.#rejectAuth(
          ws,
          st,
          frame ? `expected an auth frame first, got ${frame.type}` : `expected an auth frame first (${problemText})`,
        );
      return;
    }
    if (!frame) {
      this.#flow.trySend(ws, errorFrame(problemText, new Date(now)));
      ws.serializeAttachment(st.a);
      return;
    }
    switch (frame.type) {
      case "auth":
        this.#flow.trySend(ws, errorFrame("already authenticated", new Date(now)));
        break;
      case "ping":
        this.#flow.trySend(ws, JSON.stringify({ type: "pong", created_on: new Date(now).toISOString() }));
        break;
      case "ack":
        this.#flow.ack(ws, st, frame.seq);
        break;
      default: {
        const unreachable: never = frame;
        throw new Error(`unhandled frame ${String(unreachable)}`);
      }
    }
    ws.serializeAttachment(st.a);
  }

  /** The peer closed: reciprocate, or the client is left in CLOSING and reports 1006 (Durable Objects WebSocket hibernation docs). */
  close(ws: WebSocket, code: number, reason: string): void {
    this.#flow.forget(ws);
    closeQuietly(ws, code, reason);
  }

  error(ws: WebSocket): void {
    this.#flow.forget(ws);
    closeQuietly(ws, 1011, "socket error");
  }

  /**
   * Auth deadlines and the stale-socket sweep. Safe to run at any time and more than once;
   * asks for the next wake only while there are sockets to watch.
   */
  alarm(now = Date.now()): void {
    let next = Number.POSITIVE_INFINITY;
    const sockets = this.sockets();
    for (const ws of sockets) {
      const st = this.#flow.state(ws, this.#opts.source.lastSeq());
      if (!st) continue;
      if (st.a.role === null) {
        const deadline = st.a.at + AUTH_TIMEOUT_MS;
        if (now >= deadline) this.#rejectAuth(ws, st, `no authentication within ${AUTH_TIMEOUT_MS / 1000} s`);
        else next = Math.min(next, deadline);
        continue;
      }
      // workerd #1187: webSocketClose does not always fire, so a socket that has shown no sign
      // of life (an auto-answered ping, an ack, any frame) for STALE_AFTER_MS is closed here.
      const pinged = this.#ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
      const life = Math.max(st.a.seen, st.a.at, pinged);
      if (now - life > STALE_AFTER_MS) {
        this.#flow.forget(ws);
        closeQuietly(ws, CLOSE.stale, `stale: no ping or frame for ${Math.round((now - life) / 1000)} s`);
      }
    }
    if (this.sockets().some((ws) => this.#flow.has(ws))) next = Math.min(next, now + SWEEP_EVERY_MS);
    if (Number.isFinite(next)) this.#opts.requestWake(next);
  }

  /** When the next `alarm` is due while sockets exist; null when nothing needs watching. */
  nextWake(now = Date.now()): number | null {
    let next: number | null = null;
    for (const ws of this.sockets()) {
      const st = this.#flow.state(ws, this.#opts.source.lastSeq());
      if (!st) continue;
      const due = st.a.role === null ? st.a.at + AUTH_TIMEOUT_MS : now + SWEEP_EVERY_MS;
      next = next === null ? due : Math.min(next, due);
    }
    return next;
  }

  /** The earliest auth deadline of a socket that has not authenticated yet; null when there is none. */
  authDeadline(): number | null {
    let next: number | null = null;
    for (const ws of this.sockets()) {
      const st = this.#flow.state(ws, this.#opts.source.lastSeq());
      if (st && st.a.role === null) next = Math.min(next ?? Number.POSITIVE_INFINITY, st.a.at + AUTH_TIMEOUT_MS);
    }
    return next;
  }

  /** What a test (or an operator) can observe about each subscriber. */
  inspect(): { conn: string; role: Role | null; cursor: number; acked: number; inflight: number; owed: number; live: boolean }[] {
    const out = [];
    for (const ws of this.sockets()) {
      const st = this.#flow.state(ws, this.#opts.source.lastSeq());
      if (st)
        out.push({
          conn: st.a.conn,
          role: st.a.role,
          cursor: st.cursor,
          acked: st.a.acked,
          inflight: st.inflight.length,
          owed: st.owed,
          live: st.a.live,
        });
    }
    return out;
  }

  // --- internals -----------------------------------------------------------------------

  #authenticate(ws: WebSocket, token: string): void {
    const st = this.#flow.state(ws, this.#opts.source.lastSeq());
    if (!st) return;
    const outcome = authenticate(this.#env, token);
    if (!outcome.ok) {
      this.#rejectAuth(ws, st, outcome.reason);
      return;
    }
    const now = new Date();
    const source = this.#opts.source;
    const last = source.lastSeq();
    const a = st.a;
    a.role = outcome.role;
    a.seen = now.getTime();
    a.start = last;
    const info: StreamInfo = {
      kind: this.#opts.kind,
      scope: this.#opts.scope,
      last_seq: last,
      seq_field: this.#opts.kind === "call" ? "seq" : "hub_seq",
      types: a.types,
      tn: a.tn,
      since: a.since,
      window: a.window,
    };
    this.#flow.trySend(ws, authSuccessFrame(a.conn, a.ip, outcome.role, info, now));
    this.#flow.start(ws, st, last);
  }

  #rejectAuth(ws: WebSocket, st: SocketState, reason: string): void {
    this.#flow.trySend(ws, authFailureFrame(st.a.conn, st.a.ip, reason, new Date()));
    this.#flow.forget(ws);
    closeQuietly(ws, CLOSE.authFailed, `auth failed: ${reason}`);
  }
}
