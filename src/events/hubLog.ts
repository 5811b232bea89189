/**
 * The account-wide event log kept by `EventHub`: a bounded copy of every call's events in
 * arrival order, numbered by `hub_seq` so hub subscribers can resume as call subscribers do.
 * Each stored event keeps the call's own `seq` and `call_uuid`; the pair is unique, so a call
 * that forwards an event twice (a retried RPC) still has it logged once.
 */
import { canonicalTn, normalizeTn } from "../tn.ts";
import type { CallEntity, CallEvent, StreamEventType } from "./shapes.ts";
import type { StreamFrame, StreamSource } from "./subscribers.ts";

/** Events the hub keeps for resume; older ones are trimmed and a late resume gets a `gap` frame. */
export const HUB_RETAIN = 10_000;

/** A hub event: the call's event plus its place in the account-wide stream. */
export type HubEvent = CallEvent & { hub_seq: number };

/** An event as a call forwards it: its JSON as the call logged it, ready for the hub's log. */
export interface HubFrame {
  call_uuid: string;
  seq: number;
  type: StreamEventType;
  /** The call's TN (`tnOf`), for the hub's `?tn=` filter. */
  tn: string | null;
  json: string;
}

function isFrame(e: CallEvent | HubFrame): e is HubFrame {
  return typeof (e as Partial<HubFrame>).json === "string";
}

export function callOf(event: CallEvent): CallEntity {
  return event.type === "call_state" ? event.call : event.payload.call;
}

/** The call's own number: the dialled TN of an inbound call, the caller id of an outbound one. */
export function tnOf(event: CallEvent): string | null {
  const call = callOf(event);
  const tn = normalizeTn(call.direction === "out" ? call.from : call.to);
  return tn === null ? null : canonicalTn(tn);
}

export class HubLog implements StreamSource {
  readonly #sql: SqlStorage;
  #sinceTrim = 0;
  /** The newest hub_seq ever given out, so numbering continues (AUTOINCREMENT) even if every row was trimmed. */
  #last: number;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    this.#sql.exec(
      `CREATE TABLE IF NOT EXISTS hub_events (
         hub_seq INTEGER PRIMARY KEY AUTOINCREMENT,
         call_uuid TEXT NOT NULL,
         seq INTEGER NOT NULL,
         type TEXT NOT NULL,
         tn TEXT,
         body TEXT NOT NULL,
         UNIQUE (call_uuid, seq)
       )`,
    );
    const given = this.#sql.exec<{ seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'hub_events'").toArray()[0]?.seq ?? 0;
    const held = this.#sql.exec<{ s: number | null }>("SELECT MAX(hub_seq) AS s FROM hub_events").one().s ?? 0;
    this.#last = Math.max(given, held);
  }

  /** Logs an event (as the call forwarded it, or whole); null when this (call, seq) is already logged. */
  append(event: CallEvent | HubFrame): StreamFrame | null {
    // One statement per event: the hub_seq is ours to give (the object is the only writer), so
    // the body can carry it from the start. A forwarded frame's JSON gets it spliced in as the
    // last key, exactly what serialising `{ ...event, hub_seq }` writes.
    const hubSeq = this.#last + 1;
    const tn = isFrame(event) ? event.tn : tnOf(event);
    const json = isFrame(event) ? `${event.json.slice(0, -1)},"hub_seq":${hubSeq}}` : JSON.stringify({ ...event, hub_seq: hubSeq });
    const inserted = this.#sql
      .exec(
        "INSERT OR IGNORE INTO hub_events (hub_seq, call_uuid, seq, type, tn, body) VALUES (?, ?, ?, ?, ?, ?) RETURNING hub_seq",
        hubSeq,
        event.call_uuid,
        event.seq,
        event.type,
        tn,
        json,
      )
      .toArray();
    if (inserted.length === 0) return null;
    this.#last = hubSeq;
    if (++this.#sinceTrim >= 256) {
      this.#sinceTrim = 0;
      this.trim(HUB_RETAIN);
    }
    return { seq: hubSeq, type: event.type, tn, json };
  }

  /** Keeps the newest `keep` events. */
  trim(keep: number): void {
    this.#sql.exec("DELETE FROM hub_events WHERE hub_seq <= ?", this.lastSeq() - keep);
  }

  lastSeq(): number {
    return this.#last;
  }

  firstSeq(): number {
    return this.#sql.exec<{ s: number | null }>("SELECT MIN(hub_seq) AS s FROM hub_events").one().s ?? this.lastSeq() + 1;
  }

  framesSince(since: number, limit: number): StreamFrame[] {
    return this.#sql
      .exec<{ hub_seq: number; type: StreamEventType; tn: string | null; body: string }>(
        "SELECT hub_seq, type, tn, body FROM hub_events WHERE hub_seq > ? ORDER BY hub_seq LIMIT ?",
        since,
        limit,
      )
      .toArray()
      .map((r) => ({ seq: r.hub_seq, type: r.type, tn: r.tn, json: r.body }));
  }
}
