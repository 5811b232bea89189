/**
 * The call object's SQLite schema: numbered steps, oldest first, append only. Each step runs
 * once per object and the version reached is kept in `call_schema` (SQLite-backed objects don't
 * support `PRAGMA user_version`, Durable Objects SQLite limits), so an object created by older
 * code keeps its data and gains what is new. Never edit or reorder a step: add one, and make
 * `createCurrent` (a new object's tables, made at once) match what the steps now lead to.
 */
import { EventLog } from "../events/log.ts";
import { Timers } from "./timers.ts";

const MIGRATIONS: ReadonlyArray<(sql: SqlStorage) => void> = [
  // 1: the call's tables.
  (sql) => {
    sql.exec(`CREATE TABLE IF NOT EXISTS session (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      call_uuid TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      state TEXT NOT NULL,
      mode TEXT,
      flow_json TEXT,
      facts_json TEXT,
      entity_json TEXT NOT NULL,
      origin TEXT,
      park_timeout_ms INTEGER,
      ended_at INTEGER,
      end_reason TEXT
    )`);
    sql.exec(`CREATE TABLE IF NOT EXISTS nodes (
      node TEXT PRIMARY KEY,
      used INTEGER NOT NULL,
      done INTEGER NOT NULL DEFAULT 0
    )`);
    sql.exec(`CREATE TABLE IF NOT EXISTS responses (
      node TEXT NOT NULL,
      attempt INTEGER NOT NULL,
      xml TEXT NOT NULL,
      meta TEXT NOT NULL,
      PRIMARY KEY (node, attempt)
    )`);
    sql.exec(`CREATE TABLE IF NOT EXISTS gather_history (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      node TEXT NOT NULL,
      attempt INTEGER NOT NULL,
      attempts INTEGER NOT NULL,
      digits TEXT NOT NULL,
      input TEXT NOT NULL,
      action TEXT NOT NULL,
      branch TEXT,
      at INTEGER NOT NULL
    )`);
    sql.exec(`CREATE TABLE IF NOT EXISTS outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      kind TEXT NOT NULL,
      body TEXT NOT NULL,
      gap_ms INTEGER NOT NULL,
      tries INTEGER NOT NULL DEFAULT 0,
      names TEXT NOT NULL DEFAULT ''
    )`);
    sql.exec("CREATE TABLE IF NOT EXISTS command_keys (key TEXT PRIMARY KEY, result TEXT NOT NULL)");
    sql.exec("CREATE TABLE IF NOT EXISTS seen_events (key TEXT PRIMARY KEY, at INTEGER NOT NULL)");
    Timers.schema(sql);
  },
  // 2: the webhook token for Gather URLs travels with the call.
  (sql) => addColumn(sql, "session", "token TEXT"),
  // 3: a delivery's outcome stays in its outbox row (rows were deleted once delivered), so what
  // a command request reports survives the object being evicted while it delivers.
  (sql) => {
    addColumn(sql, "outbox", "status TEXT NOT NULL DEFAULT 'pending'");
    addColumn(sql, "outbox", "error TEXT");
    addColumn(sql, "outbox", "done_at INTEGER");
    // The event log is part of the call's schema too (it created its own table before).
    EventLog.schema(sql);
  },
  // 4: a decided Gather attempt is one row: its history row keeps the answer served (looked up
  // by node and attempt for repeats) and the counters are read from it, so a decision no longer
  // writes `nodes` and `responses` too. Older rows keep their answers in `responses`.
  (sql) => {
    addColumn(sql, "gather_history", "xml TEXT");
    sql.exec("CREATE INDEX IF NOT EXISTS gather_history_node ON gather_history (node, attempt)");
  },
  // 5: when the call's path was reported to the number's insights (once per call).
  (sql) => addColumn(sql, "session", "reported_at INTEGER"),
  // 6: the two append-only logs stop writing what nothing reads. `events` loses AUTOINCREMENT (its
  // seq is given explicitly, newest + 1, and a call's log is never trimmed, only deleted whole) and
  // the UNIQUE index on uuid (nothing looks an event up by it); `gather_history` loses
  // AUTOINCREMENT (its rows are never deleted either, so a rowid stays in order). Each was a row
  // written besides the event or decision itself: the sequence table's, the index's.
  (sql) => {
    rebuild(sql, "events", EVENTS_COLUMNS);
    rebuild(sql, "gather_history", GATHER_HISTORY_COLUMNS);
    sql.exec("CREATE INDEX IF NOT EXISTS gather_history_node ON gather_history (node, attempt)");
  },
];

const EVENTS_COLUMNS = [
  "seq INTEGER PRIMARY KEY",
  "uuid TEXT NOT NULL",
  "type TEXT NOT NULL",
  "created_on TEXT NOT NULL",
  "body TEXT NOT NULL",
];
const GATHER_HISTORY_COLUMNS = [
  "seq INTEGER PRIMARY KEY",
  "node TEXT NOT NULL",
  "attempt INTEGER NOT NULL",
  "attempts INTEGER NOT NULL",
  "digits TEXT NOT NULL",
  "input TEXT NOT NULL",
  "action TEXT NOT NULL",
  "branch TEXT",
  "at INTEGER NOT NULL",
  "xml TEXT",
];

/**
 * Make `table` again with `columns` (SQLite can't drop AUTOINCREMENT or a UNIQUE constraint in
 * place): a new table, the rows copied column by column, the old one dropped (its sequence row
 * and indexes with it), the new one renamed. One synchronous run, so it commits as one.
 */
function rebuild(sql: SqlStorage, table: string, columns: readonly string[]): void {
  const names = columns.map((c) => c.split(" ")[0]).join(", ");
  sql.exec(`CREATE TABLE ${table}_next (${columns.join(", ")})`);
  sql.exec(`INSERT INTO ${table}_next (${names}) SELECT ${names} FROM ${table}`);
  sql.exec(`DROP TABLE ${table}`);
  sql.exec(`ALTER TABLE ${table}_next RENAME TO ${table}`);
}

/** The version `migrate` brings an object to. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** ALTER TABLE … ADD COLUMN, tolerating a column that is already there (objects made before versioning). */
function addColumn(sql: SqlStorage, table: string, definition: string): void {
  try {
    sql.exec(`ALTER TABLE ${table} ADD COLUMN ${definition}`);
  } catch (err) {
    if (!/duplicate column/i.test(err instanceof Error ? err.message : String(err))) throw err;
  }
}

/**
 * A new call's tables, made at once in the shape the steps lead to: a call starts with a dozen
 * statements instead of every step's, and never makes a table only to remake it. A test compares
 * the two (columns, indexes, AUTOINCREMENT), so a step added above must be added here too.
 */
function createCurrent(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE session (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    call_uuid TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    mode TEXT,
    flow_json TEXT,
    facts_json TEXT,
    entity_json TEXT NOT NULL,
    origin TEXT,
    park_timeout_ms INTEGER,
    ended_at INTEGER,
    end_reason TEXT,
    token TEXT,
    reported_at INTEGER
  )`);
  sql.exec("CREATE TABLE nodes (node TEXT PRIMARY KEY, used INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0)");
  sql.exec(
    "CREATE TABLE responses (node TEXT NOT NULL, attempt INTEGER NOT NULL, xml TEXT NOT NULL, meta TEXT NOT NULL, PRIMARY KEY (node, attempt))",
  );
  sql.exec(`CREATE TABLE gather_history (${GATHER_HISTORY_COLUMNS.join(", ")})`);
  sql.exec("CREATE INDEX gather_history_node ON gather_history (node, attempt)");
  sql.exec(`CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    gap_ms INTEGER NOT NULL,
    tries INTEGER NOT NULL DEFAULT 0,
    names TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'pending',
    error TEXT,
    done_at INTEGER
  )`);
  sql.exec("CREATE TABLE command_keys (key TEXT PRIMARY KEY, result TEXT NOT NULL)");
  sql.exec("CREATE TABLE seen_events (key TEXT PRIMARY KEY, at INTEGER NOT NULL)");
  Timers.schema(sql);
  sql.exec(`CREATE TABLE events (${EVENTS_COLUMNS.join(", ")})`);
}

/**
 * Bring the schema up to date; a no-op (one read) when it already is. An object that holds none of
 * our tables gets the current shape at once; one made by older code runs the steps it has not run.
 * `steps`: run every step even for a new object (for the test that compares the two ways).
 */
export function migrate(sql: SqlStorage, opts: { steps?: boolean } = {}): void {
  const fresh = !holdsTables(sql);
  sql.exec("CREATE TABLE IF NOT EXISTS call_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)");
  const from = sql.exec<{ version: number }>("SELECT version FROM call_schema WHERE id = 1").toArray()[0]?.version ?? 0;
  if (fresh && !opts.steps) createCurrent(sql);
  else for (let v = from; v < MIGRATIONS.length; v++) MIGRATIONS[v]?.(sql);
  if (from < MIGRATIONS.length)
    sql.exec(
      "INSERT INTO call_schema (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version",
      MIGRATIONS.length,
    );
}

/**
 * Whether the object holds any table of ours (a read; creates nothing). The runtime's own
 * tables (`_cf_KV`, `_cf_METADATA` for an alarm) don't count: they are not a call.
 */
export function holdsTables(sql: SqlStorage): boolean {
  return (
    sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' LIMIT 1").toArray().length > 0
  );
}
