/**
 * The insights object's SQLite tables (src/insights/book.ts says what goes in them):
 *
 * | table            | row per                                  | kept                          |
 * |------------------|------------------------------------------|-------------------------------|
 * | `calls`          | call uuid: its version, hour, rollout side, whether counted | {@link CALL_ROW_RETENTION_MS} |
 * | `counters`       | (version, hour, node, outcome): n, summed ms | {@link COUNTER_RETENTION_MS} |
 * | `rollouts`       | rollout: the canary and how it ended      | for good (a few per number)   |
 * | `rollout_health` | (rollout, side): calls, fallbacks, errors, quick hang-ups | with its rollout |
 *
 * Writes are synchronous SQL, so each RPC's writes commit together (Durable Objects write coalescing).
 */
import type { CallTrace } from "../call/trace.ts";
import type { Rollout } from "../flows/canary.ts";
import type { CallRow, InsightsTables, Role, RoleHealth } from "./book.ts";
import type { Increment } from "./counts.ts";

export const CALL_ROW_RETENTION_MS = 6 * 3_600_000;
export const COUNTER_RETENTION_MS = 92 * 24 * 3_600_000;

const MARKED = 1;
const COUNTED = 2;
const HAD_ERROR = 4;
const QUICK = 8;

/** Aggregated counters: [node, outcome, n, ms]. */
export type CounterRow = [node: string, outcome: string, n: number, ms: number];

export function migrateInsights(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS calls (
    call TEXT PRIMARY KEY,
    version TEXT,
    at INTEGER NOT NULL,
    fallback TEXT,
    rollout TEXT,
    role TEXT,
    flags INTEGER NOT NULL,
    trace TEXT,
    seen INTEGER NOT NULL
  )`);
  sql.exec("CREATE INDEX IF NOT EXISTS calls_seen ON calls (seen)");
  sql.exec(`CREATE TABLE IF NOT EXISTS counters (
    version TEXT NOT NULL,
    hour INTEGER NOT NULL,
    node TEXT NOT NULL,
    outcome TEXT NOT NULL,
    n INTEGER NOT NULL,
    ms INTEGER NOT NULL,
    PRIMARY KEY (version, hour, node, outcome)
  )`);
  sql.exec("CREATE TABLE IF NOT EXISTS rollouts (id TEXT PRIMARY KEY, started_at INTEGER NOT NULL, body TEXT NOT NULL)");
  sql.exec(`CREATE TABLE IF NOT EXISTS rollout_health (
    rollout TEXT NOT NULL,
    role TEXT NOT NULL,
    started INTEGER NOT NULL DEFAULT 0,
    fallbacks INTEGER NOT NULL DEFAULT 0,
    reported INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    quick INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (rollout, role)
  )`);
}

interface SqlCallRow {
  call: string;
  version: string | null;
  at: number;
  fallback: string | null;
  rollout: string | null;
  role: string | null;
  flags: number;
  trace: string | null;
  seen: number;
}

export class SqlInsightsTables implements InsightsTables {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  call(uuid: string): CallRow | null {
    const r = this.#sql.exec<Record<string, SqlStorageValue>>("SELECT * FROM calls WHERE call = ?", uuid).toArray()[0] as
      | SqlCallRow
      | undefined;
    if (!r) return null;
    return {
      call: r.call,
      version: r.version,
      at: r.at,
      fallback: r.fallback,
      rollout: r.rollout,
      role: r.role === "stable" || r.role === "candidate" ? r.role : null,
      marked: (r.flags & MARKED) !== 0,
      counted: (r.flags & COUNTED) !== 0,
      hadError: (r.flags & HAD_ERROR) !== 0,
      quick: (r.flags & QUICK) !== 0,
      trace: r.trace ? (JSON.parse(r.trace) as CallTrace) : null,
      seen: r.seen,
    };
  }

  putCall(row: CallRow): void {
    const flags = (row.marked ? MARKED : 0) | (row.counted ? COUNTED : 0) | (row.hadError ? HAD_ERROR : 0) | (row.quick ? QUICK : 0);
    this.#sql.exec(
      "INSERT OR REPLACE INTO calls (call, version, at, fallback, rollout, role, flags, trace, seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      row.call,
      row.version,
      row.at,
      row.fallback,
      row.rollout,
      row.role,
      flags,
      row.trace ? JSON.stringify(row.trace) : null,
      row.seen,
    );
  }

  add(version: string, hour: number, incs: readonly Increment[]): void {
    // One upsert per (node, outcome): a path may name a pair twice (never today, but cheap to fold).
    const folded = new Map<string, Increment>();
    for (const inc of incs) {
      const key = `${inc[0]}\u0000${inc[1]}`;
      const prev = folded.get(key);
      folded.set(key, prev ? [inc[0], inc[1], prev[2] + inc[2], prev[3] + inc[3]] : inc);
    }
    for (const [node, outcome, n, ms] of folded.values()) {
      this.#sql.exec(
        "INSERT INTO counters (version, hour, node, outcome, n, ms) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (version, hour, node, outcome) DO UPDATE SET n = n + excluded.n, ms = ms + excluded.ms",
        version,
        hour,
        node,
        outcome,
        n,
        Math.round(ms),
      );
    }
  }

  addHealth(rollout: string, role: Role, d: Partial<RoleHealth>): void {
    this.#sql.exec(
      `INSERT INTO rollout_health (rollout, role, started, fallbacks, reported, errors, quick) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (rollout, role) DO UPDATE SET started = started + excluded.started, fallbacks = fallbacks + excluded.fallbacks,
         reported = reported + excluded.reported, errors = errors + excluded.errors, quick = quick + excluded.quick`,
      rollout,
      role,
      d.started ?? 0,
      d.fallbacks ?? 0,
      d.reported ?? 0,
      d.errors ?? 0,
      d.quick ?? 0,
    );
  }

  health(rollout: string): Record<Role, RoleHealth> {
    const zero = (): RoleHealth => ({ started: 0, fallbacks: 0, reported: 0, errors: 0, quick: 0 });
    const out: Record<Role, RoleHealth> = { stable: zero(), candidate: zero() };
    for (const r of this.#sql.exec<{ role: string; started: number; fallbacks: number; reported: number; errors: number; quick: number }>(
      "SELECT role, started, fallbacks, reported, errors, quick FROM rollout_health WHERE rollout = ?",
      rollout,
    )) {
      if (r.role === "stable" || r.role === "candidate") out[r.role] = { ...r };
    }
    return out;
  }

  /** Counters of a version over [fromHour, toHour), summed per (node, outcome). */
  counters(version: string, fromHour: number, toHour: number): CounterRow[] {
    return this.#sql
      .exec<{ node: string; outcome: string; n: number; ms: number }>(
        "SELECT node, outcome, SUM(n) AS n, SUM(ms) AS ms FROM counters WHERE version = ? AND hour >= ? AND hour < ? GROUP BY node, outcome",
        version,
        fromHour,
        toHour,
      )
      .toArray()
      .map((r) => [r.node, r.outcome, r.n, r.ms]);
  }

  /** The whole-call counters of a version per hour: [hour, outcome, n, ms]. */
  hourly(version: string, fromHour: number, toHour: number): Array<[number, string, number, number]> {
    return this.#sql
      .exec<{ hour: number; outcome: string; n: number; ms: number }>(
        "SELECT hour, outcome, n, ms FROM counters WHERE version = ? AND node = '' AND hour >= ? AND hour < ? ORDER BY hour",
        version,
        fromHour,
        toHour,
      )
      .toArray()
      .map((r) => [r.hour, r.outcome, r.n, r.ms]);
  }

  /** Calls per version over [fromHour, toHour), most first. */
  versions(fromHour: number, toHour: number): Array<{ version: string; calls: number; first: number; last: number }> {
    return this.#sql
      .exec<{ version: string; calls: number; first: number; last: number }>(
        "SELECT version, SUM(n) AS calls, MIN(hour) AS first, MAX(hour) AS last FROM counters WHERE node = '' AND outcome = 'calls' AND hour >= ? AND hour < ? GROUP BY version ORDER BY calls DESC",
        fromHour,
        toHour,
      )
      .toArray();
  }

  /** A rollout this number had, as the object last heard of it (and whether its end still has to reach KV). */
  rollout(id: string): (Rollout & { pending?: boolean }) | null {
    const r = this.#sql.exec<{ body: string }>("SELECT body FROM rollouts WHERE id = ?", id).toArray()[0];
    return r ? (JSON.parse(r.body) as Rollout & { pending?: boolean }) : null;
  }

  putRollout(r: Rollout & { pending?: boolean }): void {
    this.#sql.exec(
      "INSERT INTO rollouts (id, started_at, body) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body",
      r.id,
      Date.parse(r.startedAt) || 0,
      JSON.stringify(r),
    );
  }

  /** Rollouts whose automatic end has not reached the flow store yet. */
  pendingRollouts(): Array<Rollout & { pending?: boolean }> {
    return this.#sql
      .exec<{ body: string }>("SELECT body FROM rollouts ORDER BY started_at DESC LIMIT 20")
      .toArray()
      .map((r) => JSON.parse(r.body) as Rollout & { pending?: boolean })
      .filter((r) => r.pending);
  }

  /** The node with the most of `outcome` in a version since `fromHour`, and how many. */
  topNode(version: string, outcome: string, fromHour: number): { node: string; n: number } | null {
    return (
      this.#sql
        .exec<{ node: string; n: number }>(
          "SELECT node, SUM(n) AS n FROM counters WHERE version = ? AND outcome = ? AND node != '' AND hour >= ? GROUP BY node ORDER BY n DESC LIMIT 1",
          version,
          outcome,
          fromHour,
        )
        .toArray()[0] ?? null
    );
  }

  /** Forget call rows not touched since `before`, and counters older than `beforeHour`. */
  sweep(before: number, beforeHour: number): void {
    this.#sql.exec("DELETE FROM calls WHERE seen < ?", before);
    this.#sql.exec("DELETE FROM counters WHERE hour < ?", beforeHour);
  }
}
