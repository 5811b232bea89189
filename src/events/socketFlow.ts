/**
 * One subscriber socket's flow (src/events/subscribers.ts has the stream's side): what survives
 * hibernation in its attachment, what is rebuilt from the stream's log when the object wakes,
 * and sending within the acknowledgement window — live while caught up, a paced replay from the
 * log while behind, closed with 1013 when a live event would overflow the window.
 */
import type { Role } from "./protocol.ts";
import { CLOSE, MAX_INFLIGHT_BYTES, closeReason, gapFrame, sendableCloseCode } from "./protocol.ts";
import type { StreamEventType } from "./shapes.ts";

/** One event as a stream sends it: its stream sequence number, what filters look at, the wire JSON. */
export interface StreamFrame {
  seq: number;
  type: StreamEventType;
  /** The call's TN (canonical digits), for the hub's `?tn=` filter; null when unknown. */
  tn: string | null;
  json: string;
}

/** The stream's log, as the subscribers read it. */
export interface StreamSource {
  lastSeq(): number;
  /** The oldest sequence number still held (the hub trims its log); 1 for a complete log. */
  firstSeq(): number;
  /** Frames with `seq > since`, oldest first, at most `limit`. */
  framesSince(since: number, limit: number): StreamFrame[];
}

/** The part of a socket's state that survives hibernation (far below the 16 KiB limit). */
export interface Attachment {
  v: 1;
  conn: string;
  ip: string;
  /** Connected at (ms). */
  at: number;
  role: Role | null;
  types: StreamEventType[] | null;
  tn: string | null;
  since: number | null;
  window: number;
  /** The stream's last seq when the subscription started: events after it are live traffic. */
  start: number;
  /** Highest seq the client acknowledged. */
  acked: number;
  /** Caught up: the cursor is the stream's last published seq, so it need not be stored. */
  live: boolean;
  /** Meaningful only while `!live` (replaying). */
  cursor: number;
  /** Last frame received from the client (ms). */
  seen: number;
}

export interface SocketState {
  a: Attachment;
  cursor: number;
  /** Frames in flight: sequence numbers and sizes, oldest first. */
  inflight: { seq: number; bytes: number }[];
  inflightBytes: number;
  /** Matching live events published while the socket was behind; they count against the window. */
  owed: number;
}

const REPLAY_BATCH = 256;

export function isAttachment(x: unknown): x is Attachment {
  return typeof x === "object" && x !== null && (x as { v?: unknown }).v === 1 && typeof (x as { conn?: unknown }).conn === "string";
}

export function matches(a: Attachment, f: StreamFrame): boolean {
  return (a.types === null || a.types.includes(f.type)) && (a.tn === null || f.tn === a.tn);
}

/**
 * `ws.close` that tolerates a socket already closing. The code is made sendable first
 * (`sendableCloseCode`): a peer that closed without a status is reported to us as 1005, one that
 * vanished as 1006, and echoing either back would be refused, leaving its side half closed.
 */
export function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(sendableCloseCode(code), closeReason(reason));
  } catch {
    // Already closed: nothing to reciprocate.
  }
}

/** The sockets' flow state, by socket; rebuilt lazily after the object wakes (WebSocket objects are new then). */
export class SocketFlow {
  readonly #source: StreamSource;
  readonly #states = new WeakMap<WebSocket, SocketState>();

  constructor(source: StreamSource) {
    this.#source = source;
  }

  /** Whether the socket's state is held (it has not been closed or dropped here). */
  has(ws: WebSocket): boolean {
    return this.#states.has(ws);
  }

  /** A socket we start following: its attachment is its whole state. */
  add(ws: WebSocket, a: Attachment): SocketState {
    ws.serializeAttachment(a);
    const st: SocketState = { a, cursor: 0, inflight: [], inflightBytes: 0, owed: 0 };
    this.#states.set(ws, st);
    return st;
  }

  /** Forget a socket that is closing. */
  forget(ws: WebSocket): void {
    this.#states.delete(ws);
  }

  /**
   * The socket's state, rebuilding it from the attachment after a wake. `sentUpTo` is the
   * newest seq every live socket has already been sent: the seq before the one being
   * published, or the stream's last seq when nothing is being published.
   */
  state(ws: WebSocket, sentUpTo: number): SocketState | null {
    const known = this.#states.get(ws);
    if (known) return known;
    const raw: unknown = ws.deserializeAttachment();
    if (!isAttachment(raw)) return null;
    const a = raw;
    const st: SocketState = { a, cursor: a.live ? sentUpTo : a.cursor, inflight: [], inflightBytes: 0, owed: 0 };
    if (a.role !== null) {
      // What was in flight when the object hibernated is what the log holds between the last
      // ack and the cursor; live events past a replay's cursor are owed.
      const window = a.window + 1;
      for (const f of this.#source.framesSince(a.acked, window)) {
        if (f.seq > st.cursor) break;
        if (matches(a, f)) {
          st.inflight.push({ seq: f.seq, bytes: f.json.length });
          st.inflightBytes += f.json.length;
        }
      }
      if (!a.live) {
        for (const f of this.#source.framesSince(Math.max(st.cursor, a.start), window)) if (matches(a, f)) st.owed += 1;
      }
    }
    this.#states.set(ws, st);
    return st;
  }

  /** Starts an authenticated socket: live from the end of the log, or replaying from `since`. */
  start(ws: WebSocket, st: SocketState, last: number): void {
    const a = st.a;
    if (a.since === null || a.since >= last) {
      // Nothing to replay: live from the current end of the log. A `since` beyond the end (a
      // log that was reset) is not trusted to skip events that have not happened yet.
      st.cursor = last;
      a.acked = st.cursor;
      a.live = true;
    } else {
      st.cursor = a.since;
      a.acked = a.since;
      a.live = false;
      a.cursor = a.since;
      this.pump(ws, st);
    }
    ws.serializeAttachment(a);
  }

  /** One new event for one socket. */
  publishTo(ws: WebSocket, frame: StreamFrame): void {
    const st = this.state(ws, frame.seq - 1);
    if (!st || st.a.role === null) return;
    if (frame.seq <= st.cursor) return; // already sent by a replay
    if (st.a.live && frame.seq === st.cursor + 1) {
      if (!matches(st.a, frame)) {
        st.cursor = frame.seq;
        return;
      }
      if (st.inflight.length < st.a.window && st.inflightBytes + frame.json.length <= MAX_INFLIGHT_BYTES) {
        this.send(ws, st, frame);
        return;
      }
      // The window is full and the event must wait: from here on the socket is behind.
      this.#fallBehind(ws, st);
      st.owed += 1;
    } else {
      if (matches(st.a, frame)) st.owed += 1;
      this.pump(ws, st);
    }
    if (st.owed > 0 && (st.inflight.length + st.owed > st.a.window || st.inflightBytes >= MAX_INFLIGHT_BYTES)) {
      this.drop(ws, `backpressure: ${st.inflight.length} events unacknowledged, ${st.owed} waiting; window ${st.a.window}`);
    }
  }

  ack(ws: WebSocket, st: SocketState, seq: number): void {
    const upTo = Math.min(seq, st.cursor);
    if (upTo > st.a.acked) st.a.acked = upTo;
    let drop = 0;
    while (drop < st.inflight.length && (st.inflight[drop]?.seq ?? Number.POSITIVE_INFINITY) <= upTo) {
      st.inflightBytes -= st.inflight[drop]?.bytes ?? 0;
      drop += 1;
    }
    if (drop > 0) st.inflight.splice(0, drop);
    if (!st.a.live) this.pump(ws, st);
  }

  send(ws: WebSocket, st: SocketState, frame: StreamFrame): boolean {
    if (!this.trySend(ws, frame.json)) return false;
    st.cursor = frame.seq;
    st.inflight.push({ seq: frame.seq, bytes: frame.json.length });
    st.inflightBytes += frame.json.length;
    return true;
  }

  trySend(ws: WebSocket, text: string): boolean {
    try {
      ws.send(text);
      return true;
    } catch {
      // The peer is gone; webSocketClose/Error (or the sweep) cleans up.
      this.#states.delete(ws);
      return false;
    }
  }

  #fallBehind(ws: WebSocket, st: SocketState): void {
    st.a.live = false;
    st.a.cursor = st.cursor;
    ws.serializeAttachment(st.a);
  }

  /**
   * Brings a socket that is behind towards the end of the log, reading from the log, while
   * less than half its window is in flight. Becomes live once caught up.
   */
  pump(ws: WebSocket, st: SocketState): void {
    const source = this.#source;
    const budget = Math.max(1, Math.floor(st.a.window / 2));
    const first = source.firstSeq();
    if (st.cursor + 1 < first) {
      // The hub trimmed events this socket never saw: say so rather than pretend.
      this.trySend(ws, gapFrame(st.cursor, first, new Date()));
      st.cursor = first - 1;
    }
    for (;;) {
      const last = source.lastSeq();
      if (st.cursor >= last) {
        st.a.live = true;
        st.owed = 0;
        ws.serializeAttachment(st.a);
        return;
      }
      if (st.inflight.length >= budget || st.inflightBytes >= MAX_INFLIGHT_BYTES / 2) break;
      const batch = source.framesSince(st.cursor, REPLAY_BATCH);
      if (batch.length === 0) {
        st.cursor = last;
        continue;
      }
      let paused = false;
      for (const f of batch) {
        if (!matches(st.a, f)) {
          st.cursor = f.seq;
          continue;
        }
        if (st.inflight.length >= budget || st.inflightBytes >= MAX_INFLIGHT_BYTES / 2) {
          paused = true;
          break;
        }
        if (!this.send(ws, st, f)) return;
        if (f.seq > st.a.start && st.owed > 0) st.owed -= 1;
      }
      if (paused) break;
    }
    st.a.live = false;
    st.a.cursor = st.cursor;
    ws.serializeAttachment(st.a);
  }

  drop(ws: WebSocket, reason: string): void {
    this.#states.delete(ws);
    closeQuietly(ws, CLOSE.backpressure, reason);
  }
}
