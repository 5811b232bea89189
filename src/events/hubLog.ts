/**
 * The account-wide event log kept by `EventHub`: a bounded copy of every call's events in
 * arrival order, numbered by `hub_seq` so hub subscribers can resume as call subscribers do.
 * Each stored event keeps the call's own `seq` and `call_uuid`; the pair is unique, so a call
 * that forwards an event twice (a retried RPC) still has it logged once.
 */
import { canonicalTn, normalizeTn } from "../tn.ts";
import type { CallEntity, CallEvent, CallEventType } from "./shapes.ts";
import type { StreamFrame, StreamSource } from "./subscribers.ts";

/** Events the hub keeps for resume; older ones are trimmed and a late resume gets a `gap` frame. */
export const HUB_RETAIN = 10_000;

/** A hub event: the call's event plus its place in the account-wide stream. */
export type HubEvent = CallEvent & { hub_seq: number };

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
  }

  /** Logs an event; null when this (call, seq) is already logged. */
  append(event: CallEvent): StreamFrame | null {
    const tn = tnOf(event);
    const row = this.#sql
      .exec<{ hub_seq: number }>(
        "INSERT OR IGNORE INTO hub_events (call_uuid, seq, type, tn, body) VALUES (?, ?, ?, ?, '') RETURNING hub_seq",
        event.call_uuid,
        event.seq,
        event.type,
        tn,
      )
      .toArray()[0];
    if (!row) return null;
    const json = JSON.stringify({ ...event, hub_seq: row.hub_seq });
    this.#sql.exec("UPDATE hub_events SET body = ? WHERE hub_seq = ?", json, row.hub_seq);
    if (++this.#sinceTrim >= 256) {
      this.#sinceTrim = 0;
      this.trim(HUB_RETAIN);
    }
    return { seq: row.hub_seq, type: event.type, tn, json };
  }

  /** Keeps the newest `keep` events. */
  trim(keep: number): void {
    this.#sql.exec("DELETE FROM hub_events WHERE hub_seq <= ?", this.lastSeq() - keep);
  }

  lastSeq(): number {
    return this.#sql.exec<{ s: number | null }>("SELECT MAX(hub_seq) AS s FROM hub_events").one().s ?? 0;
  }

  firstSeq(): number {
    return this.#sql.exec<{ s: number | null }>("SELECT MIN(hub_seq) AS s FROM hub_events").one().s ?? this.lastSeq() + 1;
  }

  framesSince(since: number, limit: number): StreamFrame[] {
    return this.#sql
      .exec<{ hub_seq: number; type: CallEventType; tn: string | null; body: string }>(
        "SELECT hub_seq, type, tn, body FROM hub_events WHERE hub_seq > ? ORDER BY hub_seq LIMIT ?",
        since,
        limit,
      )
      .toArray()
      .map((r) => ({ seq: r.hub_seq, type: r.type, tn: r.tn, json: r.body }));
  }
}
