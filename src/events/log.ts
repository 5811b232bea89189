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

  /**
   * The log's table as step 3 of the call object's schema made it (src/call/schema.ts); step 6
   * remakes it without AUTOINCREMENT and the uuid index. (The constructor makes it when it is
   * missing, for a log used on its own; in a call object the schema's steps came first.)
   */
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
    return this.appendFrame(event).event;
  }

  /**
   * Append an event; returns it with its sequence number and as stored (the JSON subscribers and
   * the hub are sent). One write: the object is the log's only writer, so the next number is
   * the newest plus one, and the body carries it from the start.
   */
  appendFrame(event: UnsequencedEvent): { event: CallEvent; json: string } {
    const seq = this.lastSeq() + 1;
    const full = { ...event, seq } as CallEvent;
    const json = JSON.stringify(full);
    this.#sql.exec(
      "INSERT INTO events (seq, uuid, type, created_on, body) VALUES (?, ?, ?, ?, ?)",
      seq,
      event.uuid,
      event.type,
      event.created_on,
      json,
    );
    return { event: full, json };
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
