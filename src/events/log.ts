/**
 * The call's event log in the object's SQLite storage. `seq` is the table's integer primary
 * key, so it is gap-free and ordered by construction; resume (`?since=`) is a range scan.
 */
import type { CallEvent, CallEventType, UnsequencedEvent } from "./shapes.ts";

export class EventLog {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    EventLog.schema(sql);
  }

  /** The log's table (part of the call object's schema, src/call/schema.ts). */
  static schema(sql: SqlStorage): void {
    sql.exec(
      `CREATE TABLE IF NOT EXISTS events (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         uuid TEXT NOT NULL UNIQUE,
         type TEXT NOT NULL,
         created_on TEXT NOT NULL,
         body TEXT NOT NULL
       )`,
    );
  }

  /** Append an event and return it with its sequence number. */
  append(event: UnsequencedEvent): CallEvent {
    const row = this.#sql
      .exec<{ seq: number }>(
        "INSERT INTO events (uuid, type, created_on, body) VALUES (?, ?, ?, '') RETURNING seq",
        event.uuid,
        event.type,
        event.created_on,
      )
      .one();
    const full = { ...event, seq: row.seq } as CallEvent;
    this.#sql.exec("UPDATE events SET body = ? WHERE seq = ?", JSON.stringify(full), row.seq);
    return full;
  }

  /** Events with `seq > since`, oldest first, optionally only some types. */
  since(since: number, types?: readonly CallEventType[], limit = 10_000): CallEvent[] {
    const rows = this.#sql.exec<{ body: string }>("SELECT body FROM events WHERE seq > ? ORDER BY seq LIMIT ?", since, limit).toArray();
    const events = rows.map((r) => JSON.parse(r.body) as CallEvent);
    return types?.length ? events.filter((e) => types.includes(e.type)) : events;
  }

  /** Stored rows after `since`, oldest first, without parsing them: what a replay sends as is. */
  rawSince(since: number, limit: number): { seq: number; type: CallEventType; body: string }[] {
    return this.#sql
      .exec<{ seq: number; type: CallEventType; body: string }>(
        "SELECT seq, type, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
        since,
        limit,
      )
      .toArray();
  }

  /** The oldest sequence number held, 1 when the log is empty (a call's log is never trimmed). */
  firstSeq(): number {
    return this.#sql.exec<{ s: number | null }>("SELECT MIN(seq) AS s FROM events").one().s ?? 1;
  }

  /** The newest sequence number, 0 when the log is empty. */
  lastSeq(): number {
    return this.#sql.exec<{ s: number | null }>("SELECT MAX(seq) AS s FROM events").one().s ?? 0;
  }
}
