/**
 * Every deadline of a call in one SQLite table, driven by the object's single alarm, which is
 * always armed for the earliest due row (one alarm per object, so many timers share it).
 *
 * A row is removed in the same synchronous batch of SQL that records its effect, so a re-run
 * of the alarm (delivery is at least once) finds nothing left to do for it.
 */

/** What a timer does when it is due. */
export type TimerKind =
  /** A parked call's deadline: no command by then → hang up (docs/opentact.md §c). */
  | "park_deadline"
  /** The next queued delivery to the platform is due (spaced by `<Pause>`). */
  | "outbox"
  /** The call has lived longer than MAX_CALL_MS: clean up. */
  | "max_length"
  /** Delete the object's storage. */
  | "cleanup"
  /** WebSocket subscribers need attention: auth deadlines, the stale sweep. */
  | "events"
  /** The call is over: report its path to the number's insights (src/call/trace.ts). */
  | "insights";

export interface TimerRow {
  id: string;
  kind: TimerKind;
  due_at: number;
}

export class Timers {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  static schema(sql: SqlStorage): void {
    sql.exec(`CREATE TABLE IF NOT EXISTS timers (
      id TEXT PRIMARY KEY,
      kind TEXT NOT NULL,
      due_at INTEGER NOT NULL
    )`);
    sql.exec("CREATE INDEX IF NOT EXISTS timers_due ON timers (due_at)");
  }

  /** Set (or move) a timer. The id is the timer's identity: one row per id. */
  set(id: string, kind: TimerKind, dueAt: number): void {
    this.#sql.exec(
      "INSERT INTO timers (id, kind, due_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, due_at = excluded.due_at",
      id,
      kind,
      Math.round(dueAt),
    );
  }

  /** Set a timer unless it is already due sooner. */
  setNoLaterThan(id: string, kind: TimerKind, dueAt: number): void {
    const cur = this.get(id);
    if (!cur || cur.due_at > dueAt) this.set(id, kind, dueAt);
  }

  get(id: string): TimerRow | null {
    return (
      this.#sql
        .exec<{ id: string; kind: TimerKind; due_at: number }>("SELECT id, kind, due_at FROM timers WHERE id = ?", id)
        .toArray()[0] ?? null
    );
  }

  cancel(id: string): void {
    this.#sql.exec("DELETE FROM timers WHERE id = ?", id);
  }

  /** Timers due at `now`, earliest first. */
  due(now: number): TimerRow[] {
    return this.#sql
      .exec<{ id: string; kind: TimerKind; due_at: number }>(
        "SELECT id, kind, due_at FROM timers WHERE due_at <= ? ORDER BY due_at, id",
        now,
      )
      .toArray();
  }

  all(): TimerRow[] {
    return this.#sql
      .exec<{ id: string; kind: TimerKind; due_at: number }>("SELECT id, kind, due_at FROM timers ORDER BY due_at, id")
      .toArray();
  }

  /** When the earliest timer is due, or null when none is set. */
  next(): number | null {
    return this.#sql.exec<{ t: number | null }>("SELECT MIN(due_at) AS t FROM timers").one().t;
  }

  /**
   * Arm the alarm for the earliest timer, or clear it. Never in the past, and never `now`
   * itself: an alarm set for `Date.now()` from inside `alarm()` is silently dropped
   * (workerd #6866), so the floor is `now + 1`.
   */
  async arm(storage: DurableObjectStorage): Promise<void> {
    const next = this.next();
    if (next === null) await storage.deleteAlarm();
    else await storage.setAlarm(Math.max(next, Date.now() + 1));
  }
}
