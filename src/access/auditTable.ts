/**
 * The audit log in the access store's SQLite: who (a key id, or `root`), did what, to which TN,
 * from which version to which, when. Append-only, ordered by a sequence number, read newest
 * first, optionally for one TN.
 */

export const AUDIT_ACTIONS = [
  "flow.publish",
  "flow.rollback",
  "flow.delete",
  // Canary rollouts (docs/insights.md): started, promoted, aborted by hand, rolled back automatically.
  "flow.canary",
  "flow.promote",
  "flow.abort",
  "flow.auto-abort",
  "key.create",
  "key.revoke",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditInput {
  actor: string;
  action: AuditAction;
  tn?: string | null;
  before?: string | null;
  after?: string | null;
  detail?: string | null;
}

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: AuditAction;
  tn: string | null;
  before: string | null;
  after: string | null;
  detail: string | null;
}

interface AuditRow {
  seq: number;
  at: number;
  actor: string;
  action: string;
  tn: string | null;
  before: string | null;
  after: string | null;
  detail: string | null;
  [column: string]: SqlStorageValue;
}

export interface AuditQuery {
  tn?: string;
  /** Entries older than this sequence number (the previous page's `next`). */
  before?: number;
  limit: number;
}

export class AuditTable {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS audit (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
      tn TEXT, before TEXT, after TEXT, detail TEXT)`);
    sql.exec("CREATE INDEX IF NOT EXISTS audit_tn ON audit (tn, seq)");
  }

  append(e: AuditInput, now = Date.now()): number {
    this.#sql.exec(
      "INSERT INTO audit (at, actor, action, tn, before, after, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
      now,
      e.actor,
      e.action,
      e.tn ?? null,
      e.before ?? null,
      e.after ?? null,
      e.detail ?? null,
    );
    return this.#sql.exec<{ seq: number }>("SELECT last_insert_rowid() AS seq").one().seq;
  }

  /** Newest first; `next` is the `before` for the following page, absent on the last. */
  list(q: AuditQuery): { entries: AuditEntry[]; next?: number } {
    const before = q.before ?? Number.MAX_SAFE_INTEGER;
    const rows =
      q.tn !== undefined
        ? this.#sql.exec<AuditRow>("SELECT * FROM audit WHERE tn = ? AND seq < ? ORDER BY seq DESC LIMIT ?", q.tn, before, q.limit + 1)
        : this.#sql.exec<AuditRow>("SELECT * FROM audit WHERE seq < ? ORDER BY seq DESC LIMIT ?", before, q.limit + 1);
    const all = rows.toArray();
    const entries = all.slice(0, q.limit).map((r) => ({
      seq: r.seq,
      at: new Date(r.at).toISOString(),
      actor: r.actor,
      action: r.action as AuditAction,
      tn: r.tn,
      before: r.before,
      after: r.after,
      detail: r.detail,
    }));
    return all.length > q.limit ? { entries, next: entries.at(-1)!.seq } : { entries };
  }
}
