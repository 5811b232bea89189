import { DurableObject } from "cloudflare:workers";
import { CallEvents } from "../events/callEvents.ts";
import { EventLog } from "../events/log.ts";
import { callFlowEvent, callStateEvent, type CallEntity, type CallEvent, type UnsequencedEvent } from "../events/shapes.ts";
import type { RenderContext } from "../template/index.ts";
import { CallControl, PARK_TIMEOUT_CAUSE, type DeliveryResult, type HangupCause } from "../platform/CallControl.ts";
import { elementChildren, type ElementNode } from "../xml/index.ts";
import type {
  BeginInput,
  BeginResult,
  CallFacts,
  CallSnapshot,
  CommandInput,
  CommandResult,
  GatherHistoryEntry,
  GatherInputData,
  GatherResult,
  PlatformEvent,
  PlatformEventResult,
} from "./api.ts";
import { planCommands } from "./commands.ts";
import { continuationOf, gatherParts, isBranchingGather, locateGather } from "./flowTree.ts";
import { decideGather, normaliseDigits, type GatherAction, type GatherInput } from "./gatherTable.ts";
import { isTerminal, stateRank } from "./platformEvents.ts";
import { branchValue, parsedFlow, renderAnswer, renderInitial, type PinnedFlow } from "./render.ts";
import { Timers, type TimerRow } from "./timers.ts";

/** Default park deadline (docs/opentact.md §c, f.18), when neither the flow nor PARK_TIMEOUT_MS says. */
const DEFAULT_PARK_MS = 30_000;
const DEFAULT_MAX_CALL_MS = 4 * 60 * 60 * 1000;
const DEFAULT_RETENTION_MS = 10 * 60 * 1000;
/** Deliveries to the platform are tried this many times before they are given up. */
const MAX_DELIVERY_TRIES = 5;
/** What `command_keys` holds for a key whose request has not answered yet. */
const IN_FLIGHT = "in-flight";
/** The initial document's slot in the response cache. */
const INITIAL = { node: "", attempt: 0 };

interface SessionRow {
  call_uuid: string;
  created_at: number;
  state: string;
  mode: "sync" | "async" | null;
  flow_json: string | null;
  facts_json: string | null;
  entity_json: string;
  origin: string | null;
  token: string | null;
  park_timeout_ms: number | null;
  ended_at: number | null;
  end_reason: string | null;
}

/** What the object keeps of the render context; `call`, `vars`, `timezone` and `now` are derived. */
interface StoredFacts extends CallFacts {
  digits: string;
  gather: Record<string, string>;
}

type OutboxRow = {
  seq: number;
  kind: "commands" | "hangup";
  body: string;
  gap_ms: number;
  tries: number;
  names: string;
};

/** Schema steps, oldest first; append only (see `#migrate`). */
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
];

/** ALTER TABLE … ADD COLUMN, tolerating a column that is already there (objects made before versioning). */
function addColumn(sql: SqlStorage, table: string, definition: string): void {
  try {
    sql.exec(`ALTER TABLE ${table} ADD COLUMN ${definition}`);
  } catch (err) {
    if (!/duplicate column/i.test(err instanceof Error ? err.message : String(err))) throw err;
  }
}

/**
 * One object per call (docs/opentact.md §a, docs/architecture.md §2–4): the single writer for a call's
 * IVR state, deadlines and event log. Reached by `env.CALL.getByName(callUuid)`.
 *
 * - `begin` pins the flow version and answers the call's first document;
 * - `gather` answers a Gather's digits from the state table (src/call/gatherTable.ts);
 * - `command` queues commands for a parked call and delivers them through CallControl;
 * - `platformEvent` applies the platform's lifecycle events;
 * - `snapshot` is what `GET /v1/calls/{call}` shows;
 * - `alarm` runs whatever timers are due (src/call/timers.ts).
 *
 * Every event the call produces goes through `emit` (append to the log) and then `publish`
 * (fan-out), so there is exactly one place subscribers hook into.
 */
export class CallSession extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  #log: EventLog;
  readonly #timers: Timers;
  /** Subscriber fan-out and the hub copy (src/events/callEvents.ts). */
  readonly #events: CallEvents;
  /** The delivery loop in flight, so two requests never deliver at once. */
  #draining: Promise<void> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#timers = new Timers(this.#sql);
    // The schema is created here, before anything can reach the object. SQL calls are
    // synchronous and a constructor runs to completion before any event is delivered, so this
    // needs no blockConcurrencyWhile (the Rules of Durable Objects keep that for async initialisation).
    this.#migrate();
    // The event log creates its own table (src/events/log.ts).
    this.#log = new EventLog(this.#sql);
    this.#events = new CallEvents(ctx, env, { log: this.#log, requestWake: (at) => this.#wakeForEvents(at) });
  }

  /**
   * Bring the schema up to date. Steps run in order and each runs once per object: the version
   * reached is kept in `call_schema` (SQLite-backed objects don't support `PRAGMA user_version`,
   * Durable Objects SQLite limits). An object created by older code keeps its data and gains what is new.
   */
  #migrate(): void {
    const sql = this.#sql;
    sql.exec("CREATE TABLE IF NOT EXISTS call_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)");
    const from = sql.exec<{ version: number }>("SELECT version FROM call_schema WHERE id = 1").toArray()[0]?.version ?? 0;
    for (let v = from; v < MIGRATIONS.length; v++) MIGRATIONS[v]!(sql);
    if (from < MIGRATIONS.length)
      sql.exec(
        "INSERT INTO call_schema (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version",
        MIGRATIONS.length,
      );
  }

  // ---- RPC: the call's flow ------------------------------------------------------------------

  /**
   * Pin the flow version for this call and answer its first document. A repeat (the platform
   * redelivering the webhook) gets the same document; the version stays the one pinned first.
   */
  async begin(input: BeginInput): Promise<BeginResult> {
    const existing = this.#session();
    if (existing?.flow_json) {
      const cached = this.#cached(INITIAL.node, INITIAL.attempt);
      const flow = JSON.parse(existing.flow_json) as PinnedFlow;
      if (cached) return { ok: true, xml: cached, version: flow.version, mode: flow.meta.mode, replay: true };
    }
    const now = Date.now();
    // Pinned means pinned: a repeat whose first render failed still renders the first version.
    const flow = existing?.flow_json ? (JSON.parse(existing.flow_json) as PinnedFlow) : input.flow;
    const mode = flow.meta.mode;
    const parkMs = mode === "async" ? this.#parkTimeout(flow) : null;
    const facts: StoredFacts = { ...input.facts, digits: "", gather: {} };
    const entity = this.#entityFrom(input.call, input.facts, existing);
    if (!existing) this.#createSession(input.call, now, entity);
    this.#sql.exec(
      "UPDATE session SET mode = ?, flow_json = ?, facts_json = ?, entity_json = ?, origin = ?, token = ?, park_timeout_ms = ? WHERE id = 1",
      mode,
      JSON.stringify(flow),
      JSON.stringify(facts),
      JSON.stringify(entity),
      input.origin,
      input.token ?? null,
      parkMs,
    );
    let xml: string;
    try {
      xml = renderInitial(flow, input.origin, input.token, parkMs, this.#renderContext(input.call, flow, facts, new Date(now)));
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.#emit(
        callFlowEvent(
          entity,
          {
            name: "Response",
            success: false,
            reason: `flow ${flow.version.slice(0, 12)} could not be rendered: ${error}`,
            path: "Response",
          },
          new Date(now),
        ),
      );
      return { ok: false, error, version: flow.version };
    }
    this.#storeResponse(INITIAL.node, INITIAL.attempt, xml, { kind: "initial" });
    if (parkMs !== null) {
      this.#timers.set("park_deadline", "park_deadline", now + parkMs);
    }
    this.#emit(
      callFlowEvent(
        entity,
        {
          name: "Response",
          success: true,
          reason:
            mode === "async"
              ? `call parked: flow ${flow.version.slice(0, 12)} served, commands due within ${parkMs} ms`
              : `flow ${flow.version.slice(0, 12)} served`,
          path: "Response",
          version: flow.version,
          tn: flow.tn,
          mode,
        },
        new Date(now),
      ),
    );
    await this.#timers.arm(this.ctx.storage);
    return { ok: true, xml, version: flow.version, mode, replay: false };
  }

  /**
   * Answer one Gather attempt (docs/architecture.md §2). The same (node, attempt) twice
   * gets the same document and changes nothing; a new attempt is decided by the state table.
   * Entirely synchronous, so no other request can interleave with it.
   */
  async gather(input: GatherInputData): Promise<GatherResult> {
    const session = this.#session();
    if (!session?.flow_json || !session.facts_json)
      return { ok: false, reason: "unknown-call", detail: "no flow was started for this call" };
    const flow = JSON.parse(session.flow_json) as PinnedFlow;
    const facts = JSON.parse(session.facts_json) as StoredFacts;
    const root = parsedFlow(flow).root;
    const located = locateGather(root, input.node);
    if (!located || !isBranchingGather(located.el)) {
      return { ok: false, reason: "unknown-node", detail: `no branching Gather "${input.node}" in flow ${flow.version.slice(0, 12)}` };
    }
    const g = located.el;
    const node = this.#node(input.node);
    const attempt = input.attempt ?? (node.done ? node.used : node.used + 1);
    const cached = this.#cachedWithMeta(input.node, attempt);
    if (cached) {
      const m = cached.meta as { input: GatherInput; action: GatherAction; digits: string };
      return { ok: true, xml: cached.xml, duplicate: true, node: input.node, attempt, input: m.input, action: m.action, digits: m.digits };
    }
    if (node.done || attempt !== node.used + 1) {
      return {
        ok: false,
        reason: "unexpected-attempt",
        detail: node.done
          ? `Gather "${input.node}" was already answered at attempt ${node.used}`
          : `Gather "${input.node}" is waiting for attempt ${node.used + 1}, not ${attempt}`,
      };
    }
    const now = new Date();
    const digits = normaliseDigits(input.digits, g.props.finishKey);
    const parts = gatherParts(g);
    const ctxBefore = this.#renderContext(session.call_uuid, flow, facts, now);
    const decision = decideGather(parts, digits, attempt, g.props.attempts, (b) => branchValue(b, ctxBefore).toUpperCase());
    const final = decision.action !== "retry";
    // Digits become `{{digits}}` and `{{gather.NODE}}` (and `{{gather.TAG}}`) from here on.
    const nextFacts: StoredFacts = final
      ? {
          ...facts,
          digits,
          gather: {
            ...facts.gather,
            [input.node]: digits,
            ...(g.props.tag && /^[A-Za-z_][A-Za-z0-9_-]*$/.test(g.props.tag) ? { [g.props.tag]: digits } : {}),
          },
        }
      : facts;
    const continuation = continuationOf(located.steps);
    let commands: ElementNode[];
    switch (decision.action) {
      case "branch":
      case "default":
      case "error":
        commands = [...elementChildren(decision.body!), ...continuation];
        break;
      case "retry":
        commands = [g, ...continuation];
        break;
      case "continue":
        commands = continuation;
        break;
      default: {
        const never: never = decision.action;
        throw new Error(`unhandled action ${String(never)}`);
      }
    }
    // Count the attempt before rendering, so a retried Gather's URL carries the next attempt.
    this.#sql.exec(
      "INSERT INTO nodes (node, used, done) VALUES (?, ?, ?) ON CONFLICT (node) DO UPDATE SET used = excluded.used, done = excluded.done",
      input.node,
      attempt,
      final ? 1 : 0,
    );
    const origin = session.origin ?? "";
    const token = session.token ?? undefined;
    let xml: string;
    try {
      const bodyId = decision.body ? (parsedFlow(flow).ids.get(decision.body) ?? decision.body.name) : "-";
      xml = renderAnswer(flow, `${input.node}|${decision.action}|${bodyId}`, commands, origin, token, (id) => this.#node(id).used + 1, {
        ...this.#renderContext(session.call_uuid, flow, nextFacts, now),
        digits,
      });
    } catch (err) {
      // Nothing is kept: the platform's retry of this attempt gets another go.
      this.#sql.exec("UPDATE nodes SET used = ?, done = 0 WHERE node = ?", node.used, input.node);
      return { ok: false, reason: "render-error", detail: err instanceof Error ? err.message : String(err) };
    }
    const branchLabel =
      decision.action === "branch" ? `${decision.body!.name}=${decision.value}` : decision.body ? decision.body.name : null;
    this.#sql.exec("UPDATE session SET facts_json = ? WHERE id = 1", JSON.stringify(nextFacts));
    this.#sql.exec(
      "INSERT INTO gather_history (node, attempt, attempts, digits, input, action, branch, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      input.node,
      attempt,
      decision.attempts,
      digits,
      decision.input,
      decision.action,
      branchLabel,
      now.getTime(),
    );
    this.#storeResponse(input.node, attempt, xml, { input: decision.input, action: decision.action, digits });
    this.#emit(
      callFlowEvent(
        this.#entity(),
        {
          name: "Gather",
          success: decision.input === "match" || decision.input === "taken",
          reason: describeDecision(decision.input, decision.action, digits, attempt, decision.attempts, branchLabel),
          path: input.node,
          ...(g.props.tag !== undefined ? { tag: g.props.tag } : {}),
          node: input.node,
          attempt,
          attempts: decision.attempts,
          digits,
          input: decision.input,
          action: decision.action,
          branch: branchLabel,
        },
        now,
      ),
    );
    return { ok: true, xml, duplicate: false, node: input.node, attempt, input: decision.input, action: decision.action, digits };
  }

  // ---- RPC: parked calls ------------------------------------------------------------------------

  /**
   * Queue commands for a parked call and deliver what is due now (docs/architecture.md §3).
   * Each command re-arms the park deadline; `<Pause>` gaps are kept by the alarm.
   */
  async command(input: CommandInput): Promise<CommandResult> {
    const session = this.#session();
    if (!session) return { ok: false, status: 404, title: "Unknown call", detail: "tactflow knows nothing of this call" };
    if (input.idempotencyKey) {
      const seen = this.#sql.exec<{ result: string }>("SELECT result FROM command_keys WHERE key = ?", input.idempotencyKey).toArray()[0];
      if (seen) {
        if (seen.result === IN_FLIGHT) {
          return {
            ok: false,
            status: 409,
            title: "Request in progress",
            detail: "a request with this Idempotency-Key is still being delivered; retry shortly for its answer",
          };
        }
        const prior = JSON.parse(seen.result) as CommandResult;
        return prior.ok ? { ok: true, accepted: { ...prior.accepted, replay: true } } : prior;
      }
    }
    if (session.mode !== "async") {
      const detail =
        session.mode === "sync"
          ? "commands are for calls of an async-mode flow; this call runs a sync flow"
          : "the call has not reached its flow yet: commands can follow once the webhook has parked it";
      return { ok: false, status: 409, title: "Call is not parked", detail };
    }
    if (session.ended_at !== null || isTerminal(session.state)) {
      return {
        ok: false,
        status: 409,
        title: "Call has ended",
        detail: `the call ended (${session.end_reason ?? session.state}); it takes no more commands`,
      };
    }
    const plan = planCommands(input.xml);
    if (!plan.ok)
      return {
        ok: false,
        status: 422,
        title: "Invalid commands",
        detail: `${plan.diagnostics.filter((d) => d.severity === "error").length} error(s) in the commands`,
        diagnostics: plan.diagnostics,
      };
    const control = CallControl.fromEnv(this.env);
    if (!control.configured) {
      return {
        ok: false,
        status: 503,
        title: "Call control not configured",
        detail: "set PLATFORM_API_URL (and PLATFORM_API_TOKEN) so commands can reach the platform",
      };
    }
    const now = Date.now();
    // Claim the key before the first await: a repeat arriving while this one delivers must not
    // deliver again (a check-then-mark race).
    if (input.idempotencyKey)
      this.#sql.exec("INSERT OR REPLACE INTO command_keys (key, result) VALUES (?, ?)", input.idempotencyKey, IN_FLIGHT);
    const wasEmpty = this.#outboxCount() === 0;
    const seqs: number[] = [];
    for (const d of plan.deliveries) {
      seqs.push(
        this.#sql
          .exec<{ seq: number }>(
            "INSERT INTO outbox (kind, body, gap_ms, names) VALUES ('commands', ?, ?, ?) RETURNING seq",
            d.xml,
            d.gapMs,
            JSON.stringify({ names: d.names, tags: d.tags }),
          )
          .one().seq,
      );
    }
    if (wasEmpty) this.#timers.set("outbox", "outbox", now + plan.deliveries[0]!.gapMs);
    if (plan.hangup) {
      // The commands end the call: refuse more, and let the hang-up (not the deadline) finish it.
      this.#sql.exec("UPDATE session SET ended_at = ?, end_reason = 'hangup command' WHERE id = 1", now);
      this.#timers.cancel("park_deadline");
      this.#timers.setNoLaterThan("cleanup", "cleanup", now + this.#retentionMs());
    } else {
      this.#rearmDeadline(now);
    }
    try {
      await this.#drain();
    } catch (err) {
      // The commands are queued in the outbox either way and the alarm retries them; answer
      // "accepted, pending" so the Idempotency-Key gets a result instead of staying in flight.
      console.error(
        JSON.stringify({ level: "error", msg: "command delivery failed; left for the alarm", call: this.ctx.id.name, error: String(err) }),
      );
    }
    await this.#timers.arm(this.ctx.storage);
    const deadline = this.#timers.get("park_deadline");
    const pendingSeqs = new Set(
      this.#sql
        .exec<{ seq: number }>("SELECT seq FROM outbox")
        .toArray()
        .map((r) => r.seq),
    );
    const errors = seqs.flatMap((q) => {
      const e = this.#deliveryErrors.get(q);
      return e ? [e] : [];
    });
    const result: CommandResult = {
      ok: true,
      accepted: {
        deliveries: plan.deliveries.length,
        delivered: seqs.filter((q) => !pendingSeqs.has(q) && !this.#deliveryFailed.has(q)).length,
        pending: seqs.filter((q) => pendingSeqs.has(q)).length,
        deadlineAt: deadline ? deadline.due_at : null,
        dropped: plan.dropped,
        warnings: plan.warnings,
        errors,
        replay: false,
      },
    };
    if (input.idempotencyKey)
      this.#sql.exec("INSERT OR REPLACE INTO command_keys (key, result) VALUES (?, ?)", input.idempotencyKey, JSON.stringify(result));
    return result;
  }

  /** The last error per outbox row, and the rows given up on, for the answer to `command`. */
  readonly #deliveryErrors = new Map<number, string>();
  readonly #deliveryFailed = new Set<number>();

  /** The deadline: now + the Pauses still queued + the park timeout. */
  #rearmDeadline(now: number): void {
    const session = this.#session();
    if (session?.mode !== "async" || session.ended_at !== null) return;
    const gaps = this.#sql.exec<{ g: number | null }>("SELECT SUM(gap_ms) AS g FROM outbox WHERE kind = 'commands'").one().g ?? 0;
    this.#timers.set("park_deadline", "park_deadline", now + gaps + (session.park_timeout_ms ?? this.#parkTimeout(null)));
  }

  /** Deliver every queued item that is due, in order; one loop at a time. */
  async #drain(): Promise<void> {
    while (this.#draining) await this.#draining;
    this.#draining = this.#drainLoop().finally(() => {
      this.#draining = null;
    });
    return this.#draining;
  }

  async #drainLoop(): Promise<void> {
    const control = CallControl.fromEnv(this.env);
    for (;;) {
      const head = this.#sql.exec<OutboxRow>("SELECT seq, kind, body, gap_ms, tries, names FROM outbox ORDER BY seq LIMIT 1").toArray()[0];
      if (!head) {
        this.#timers.cancel("outbox");
        return;
      }
      const timer = this.#timers.get("outbox");
      if (!timer) this.#timers.set("outbox", "outbox", Date.now());
      else if (timer.due_at > Date.now()) return;
      const session = this.#session();
      if (!session) return;
      const key = `${session.call_uuid}:${head.kind}:${head.seq}`;
      const result: DeliveryResult =
        head.kind === "hangup"
          ? await control.hangup(session.call_uuid, JSON.parse(head.body) as HangupCause, key)
          : await control.sendCommands(session.call_uuid, head.body, key);
      // Other requests may have run during the fetch: re-read before deciding.
      const still = this.#sql.exec<{ seq: number }>("SELECT seq FROM outbox WHERE seq = ?", head.seq).toArray()[0];
      const now = Date.now();
      if (!still) continue;
      if (result.ok) {
        this.#sql.exec("DELETE FROM outbox WHERE seq = ?", head.seq);
        this.#emitDelivery(head, true, head.kind === "hangup" ? "hang-up delivered to the platform" : "delivered to the platform", now);
        const next = this.#sql.exec<{ gap_ms: number }>("SELECT gap_ms FROM outbox ORDER BY seq LIMIT 1").toArray()[0];
        if (next) this.#timers.set("outbox", "outbox", now + next.gap_ms);
        else this.#timers.cancel("outbox");
        if (head.kind === "commands") this.#rearmDeadline(now);
        continue;
      }
      this.#deliveryErrors.set(head.seq, result.error);
      const tries = head.tries + 1;
      if (!result.retryable || tries >= MAX_DELIVERY_TRIES) {
        this.#deliveryFailed.add(head.seq);
        this.#sql.exec("DELETE FROM outbox WHERE seq = ?", head.seq);
        this.#emitDelivery(head, false, `not delivered after ${tries} ${tries === 1 ? "try" : "tries"}: ${result.error}`, now);
        const next = this.#sql.exec<{ gap_ms: number }>("SELECT gap_ms FROM outbox ORDER BY seq LIMIT 1").toArray()[0];
        if (next) this.#timers.set("outbox", "outbox", now + next.gap_ms);
        else this.#timers.cancel("outbox");
        continue;
      }
      this.#sql.exec("UPDATE outbox SET tries = ? WHERE seq = ?", tries, head.seq);
      // 1 s, 2 s, 4 s, 8 s: the platform gets time to recover, the call does not wait long.
      this.#timers.set("outbox", "outbox", now + 1000 * 2 ** (tries - 1));
      return;
    }
  }

  #emitDelivery(row: OutboxRow, success: boolean, reason: string, now: number): void {
    const entity = this.#entity();
    const at = new Date(now);
    if (row.kind === "hangup") {
      this.#emit(callFlowEvent(entity, { name: "Hangup", success, reason, path: `Commands[${row.seq}].Hangup[0]` }, at));
      return;
    }
    const { names, tags } = JSON.parse(row.names || '{"names":[],"tags":[]}') as { names: string[]; tags: Array<string | null> };
    const counts = new Map<string, number>();
    names.forEach((name, i) => {
      const n = counts.get(name) ?? 0;
      counts.set(name, n + 1);
      const tag = tags[i] ?? undefined;
      this.#emit(callFlowEvent(entity, { name, success, reason, path: `Commands[${row.seq}].${name}[${n}]`, ...(tag ? { tag } : {}) }, at));
    });
  }

  // ---- RPC: lifecycle ---------------------------------------------------------------------------

  /**
   * Apply one platform event (docs/opentact.md §d.4, e). A repeat (same event) changes nothing; a state
   * never moves backwards (events may arrive out of order); a final state ends the call and
   * schedules the cleanup.
   */
  async platformEvent(ev: PlatformEvent): Promise<PlatformEventResult> {
    const now = Date.now();
    let session = this.#session();
    if (this.#sql.exec("SELECT key FROM seen_events WHERE key = ?", ev.key).toArray().length) {
      return { applied: false, duplicate: true, state: session?.state ?? "unknown", seq: null };
    }
    if (!session) {
      this.#createSession(ev.callUuid, now, this.#entityFrom(ev.callUuid, null, null));
      session = this.#session()!;
    }
    this.#sql.exec("INSERT INTO seen_events (key, at) VALUES (?, ?)", ev.key, now);
    const entity = { ...this.#entity(), ...stripUndefined(ev.call), uuid: session.call_uuid } as CallEntity;
    let seq: number | null = null;
    let applied = false;
    if (ev.type === "call_state" && ev.state) {
      if (stateRank(ev.state) > stateRank(session.state)) {
        entity.state = ev.state;
        applied = true;
        this.#sql.exec("UPDATE session SET state = ?, entity_json = ? WHERE id = 1", ev.state, JSON.stringify(entity));
        seq = this.#emit(
          callStateEvent(entity, ev.state, new Date(ev.at), {
            ...(entity.q850_cause !== undefined ? { q850_cause: entity.q850_cause } : {}),
            ...(entity.q850_cause_string !== undefined ? { q850_cause_string: entity.q850_cause_string } : {}),
          }),
        ).seq;
        if (isTerminal(ev.state)) this.#ended(now, `platform: ${ev.state}`);
      }
    } else if (ev.type === "call_flow" && ev.command) {
      applied = true;
      this.#sql.exec("UPDATE session SET entity_json = ? WHERE id = 1", JSON.stringify(entity));
      seq = this.#emit(callFlowEvent(entity, { ...ev.command, source: "platform" }, new Date(ev.at))).seq;
    }
    await this.#timers.arm(this.ctx.storage);
    return { applied, duplicate: false, state: this.#session()?.state ?? ev.state ?? "unknown", seq };
  }

  /** The call is over: no more commands or deadline; keep the record a while, then delete it. */
  #ended(now: number, reason: string): void {
    this.#sql.exec("UPDATE session SET ended_at = COALESCE(ended_at, ?), end_reason = COALESCE(end_reason, ?) WHERE id = 1", now, reason);
    this.#timers.cancel("park_deadline");
    // Commands can't reach a call that is gone; a hang-up we still owe is moot too.
    this.#sql.exec("DELETE FROM outbox");
    this.#timers.cancel("outbox");
    this.#timers.setNoLaterThan("cleanup", "cleanup", now + this.#retentionMs());
  }

  /** What `GET /v1/calls/{call}` shows, or null for a call this object knows nothing of. */
  async snapshot(opts: { since?: number; limit?: number } = {}): Promise<CallSnapshot | null> {
    const s = this.#session();
    if (!s) return null;
    const flow = s.flow_json ? (JSON.parse(s.flow_json) as PinnedFlow) : null;
    const facts = s.facts_json ? (JSON.parse(s.facts_json) as StoredFacts) : null;
    const attempts: Record<string, number> = {};
    for (const r of this.#sql.exec<{ node: string; used: number }>("SELECT node, used FROM nodes ORDER BY node")) attempts[r.node] = r.used;
    const history = this.#sql
      .exec<{
        node: string;
        attempt: number;
        attempts: number;
        digits: string;
        input: string;
        action: string;
        branch: string | null;
        at: number;
      }>("SELECT node, attempt, attempts, digits, input, action, branch, at FROM gather_history ORDER BY seq")
      .toArray()
      .map(
        (r): GatherHistoryEntry => ({
          ...r,
          input: r.input as GatherInput,
          action: r.action as GatherAction,
          at: new Date(r.at).toISOString(),
        }),
      );
    const deadline = this.#timers.get("park_deadline");
    return {
      call: this.#entity(),
      state: s.state,
      mode: s.mode,
      flow: flow ? { version: flow.version, tn: flow.tn, mode: flow.meta.mode } : null,
      createdAt: new Date(s.created_at).toISOString(),
      ended: s.ended_at !== null ? { at: new Date(s.ended_at).toISOString(), reason: s.end_reason ?? "" } : null,
      parked:
        s.mode === "async"
          ? {
              deadlineAt: deadline ? new Date(deadline.due_at).toISOString() : null,
              pendingDeliveries: this.#outboxCount(),
              timeoutMs: s.park_timeout_ms ?? this.#parkTimeout(null),
            }
          : null,
      gather: { attempts, digits: facts?.gather ?? {}, history },
      timers: this.#timers.all().map((t) => ({ kind: t.kind, dueAt: new Date(t.due_at).toISOString() })),
      events: this.#log.since(opts.since ?? 0, undefined, Math.min(Math.max(opts.limit ?? 1000, 1), 10_000)),
    };
  }

  // ---- timers -----------------------------------------------------------------------------------

  /**
   * Run every due timer, deliver what is due, re-arm for the earliest remaining one. Safe to
   * run again at any time: a timer that is not due yet is left alone, and a timer's effect and
   * its removal are one synchronous batch. `info` is absent when a test helper runs the alarm.
   */
  override async alarm(info?: AlarmInvocationInfo): Promise<void> {
    try {
      await this.#runTimers(info);
    } catch (err) {
      // Something below the timers failed (storage?). Log it and come back later rather than
      // spend the runtime's six retries in 2 s steps.
      log("error", "call alarm failed", { call: this.ctx.id.name, error: err instanceof Error ? err.message : String(err) });
      await this.ctx.storage.setAlarm(Date.now() + 30_000);
    }
  }

  async #runTimers(info: AlarmInvocationInfo | undefined): Promise<void> {
    if ((info?.retryCount ?? 0) > 0) log("warn", "call alarm retried", { call: this.#callId(), retryCount: info?.retryCount });
    const now = Date.now();
    for (const t of this.#timers.due(now)) {
      try {
        await this.#fire(t, now);
      } catch (err) {
        // Never throw out of alarm(): the runtime would retry it six times and give up. Push the
        // timer back instead, so a failing one can't spin.
        log("error", "call timer failed", { call: this.#callId(), timer: t.id, error: err instanceof Error ? err.message : String(err) });
        if (this.#timers.get(t.id)) this.#timers.set(t.id, t.kind, now + 5000);
      }
      if (t.kind === "cleanup") return;
    }
    await this.#drain();
    await this.#timers.arm(this.ctx.storage);
  }

  async #fire(t: TimerRow, now: number): Promise<void> {
    switch (t.kind) {
      case "park_deadline":
        this.#parkDeadline(now);
        return;
      case "outbox":
        // The delivery loop below handles it.
        return;
      case "events": {
        this.#timers.cancel("events");
        this.#events.alarm(now);
        const next = this.#events.nextWake(now);
        if (next !== null) this.#timers.setNoLaterThan("events", "events", next);
        return;
      }
      case "max_length": {
        this.#timers.cancel("max_length");
        const s = this.#session();
        if (s && s.ended_at === null) {
          this.#emit(
            callFlowEvent(
              this.#entity(),
              {
                name: "Response",
                success: false,
                reason: `call reached the maximum length of ${this.#maxCallMs()} ms; its state will be deleted`,
                path: "Response",
              },
              new Date(now),
            ),
          );
          this.#ended(now, "maximum call length");
        }
        return;
      }
      case "cleanup":
        await this.#cleanup();
        return;
      default: {
        const never: never = t.kind;
        log("warn", "unknown timer kind", { kind: String(never) });
        this.#timers.cancel(t.id);
      }
    }
  }

  /** No command before the deadline: hang up with a timeout cause (docs/opentact.md §c) and say why. */
  #parkDeadline(now: number): void {
    const s = this.#session();
    this.#timers.cancel("park_deadline");
    if (!s || s.ended_at !== null || isTerminal(s.state)) return;
    const timeoutMs = s.park_timeout_ms ?? this.#parkTimeout(null);
    const reason = `park timeout: no command within ${timeoutMs} ms`;
    const cause: HangupCause = { ...PARK_TIMEOUT_CAUSE, reason };
    const entity = {
      ...this.#entity(),
      state: "hangup",
      q850_cause: cause.q850_cause,
      q850_cause_string: cause.q850_cause_string,
      hangup_on: new Date(now).toISOString(),
    };
    this.#sql.exec("UPDATE session SET state = 'hangup', entity_json = ? WHERE id = 1", JSON.stringify(entity));
    this.#ended(now, "park timeout");
    // #ended cleared the outbox; the hang-up is now the only thing to deliver.
    this.#sql.exec("INSERT INTO outbox (kind, body, gap_ms) VALUES ('hangup', ?, 0)", JSON.stringify(cause));
    this.#timers.set("outbox", "outbox", now);
    this.#emit(callFlowEvent(entity, { name: "Deadline", success: false, reason, path: "Park[0]", deadline_ms: timeoutMs }, new Date(now)));
    this.#emit(
      callStateEvent(entity, "hangup", new Date(now), { reason, q850_cause: cause.q850_cause, q850_cause_string: cause.q850_cause_string }),
    );
  }

  /** Delete everything this call stored; the object is then as new. */
  async #cleanup(): Promise<void> {
    const call = this.#callId();
    await this.ctx.storage.deleteAll();
    // From compat date 2026-02-24 deleteAll() also drops the alarm; say it anyway for older dates.
    await this.ctx.storage.deleteAlarm();
    this.#migrate();
    this.#log = new EventLog(this.#sql);
    this.#events.reset();
    log("info", "call state deleted", { call });
  }

  // ---- events: the fan-out point and the WebSocket stream --------------------------------

  /**
   * The one seam between the call and its subscribers: call it with every event right after
   * `EventLog.append` returned it. Synchronous and cheap; the hub copy goes out later, batched
   * (src/events/callEvents.ts), so nothing the request awaits depends on the hub.
   */
  publish(event: CallEvent): void {
    this.#events.publish(event);
  }

  /** Only the WebSocket upgrade for `/v1/calls/{call}/events` arrives here; the rest is RPC. */
  override async fetch(request: Request): Promise<Response> {
    return this.#events.upgrade(request);
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    this.#events.message(ws, message);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.#events.close(ws, code, reason);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.#events.error(ws);
  }

  /** The events seam asks for the object's single alarm (auth deadlines, stale sweep): a timer row. */
  #wakeForEvents(at: number): void {
    this.#timers.setNoLaterThan("events", "events", at);
    void this.#timers.arm(this.ctx.storage);
  }

  #emit(event: UnsequencedEvent): CallEvent {
    const stored = this.#log.append(event);
    this.publish(stored);
    return stored;
  }

  // ---- storage helpers ---------------------------------------------------------------------------

  #session(): SessionRow | null {
    return (
      (this.#sql
        .exec<{
          call_uuid: string;
          created_at: number;
          state: string;
          mode: string | null;
          flow_json: string | null;
          facts_json: string | null;
          entity_json: string;
          origin: string | null;
          token: string | null;
          park_timeout_ms: number | null;
          ended_at: number | null;
          end_reason: string | null;
        }>(
          "SELECT call_uuid, created_at, state, mode, flow_json, facts_json, entity_json, origin, token, park_timeout_ms, ended_at, end_reason FROM session WHERE id = 1",
        )
        .toArray()[0] as SessionRow | undefined) ?? null
    );
  }

  #createSession(call: string, now: number, entity: CallEntity): void {
    this.#sql.exec(
      "INSERT INTO session (id, call_uuid, created_at, state, entity_json) VALUES (1, ?, ?, ?, ?)",
      call,
      now,
      entity.state || "new",
      JSON.stringify(entity),
    );
    // Every session goes away eventually, even if the platform never says the call ended.
    this.#timers.set("max_length", "max_length", now + this.#maxCallMs());
  }

  #entity(): CallEntity {
    const s = this.#session();
    return s ? (JSON.parse(s.entity_json) as CallEntity) : this.#entityFrom(this.#callId(), null, null);
  }

  #entityFrom(call: string, facts: CallFacts | null, existing: SessionRow | null): CallEntity {
    const prior = existing ? (JSON.parse(existing.entity_json) as CallEntity) : null;
    const fromBody = facts?.entity ? pickEntity(facts.entity) : {};
    return {
      direction: "in",
      from: "",
      to: "",
      state: "",
      duration: 0,
      type: "CallSCA",
      ...fromBody,
      ...(prior ?? {}),
      ...(facts ? { from: facts.from || prior?.from || "", to: facts.to || prior?.to || "" } : {}),
      ...(facts?.sca && !prior?.sip_control_app ? { sip_control_app: { uuid: facts.sca } } : {}),
      ...(facts?.state && !prior?.state ? { state: facts.state } : {}),
      uuid: call,
    };
  }

  #renderContext(call: string, flow: PinnedFlow, facts: StoredFacts, now: Date): RenderContext {
    return {
      from: facts.from,
      to: facts.to,
      tn: flow.tn,
      call,
      sca: facts.sca,
      now,
      vars: flow.meta.variables,
      timezone: flow.meta.timezone,
      digits: facts.digits,
      gather: facts.gather,
      ...(facts.state ? { state: facts.state } : {}),
      ...(facts.entity ? { entity: facts.entity } : {}),
    };
  }

  #node(node: string): { used: number; done: boolean } {
    const r = this.#sql.exec<{ used: number; done: number }>("SELECT used, done FROM nodes WHERE node = ?", node).toArray()[0];
    return r ? { used: r.used, done: r.done === 1 } : { used: 0, done: false };
  }

  #cached(node: string, attempt: number): string | null {
    return this.#cachedWithMeta(node, attempt)?.xml ?? null;
  }

  #cachedWithMeta(node: string, attempt: number): { xml: string; meta: unknown } | null {
    const r = this.#sql
      .exec<{ xml: string; meta: string }>("SELECT xml, meta FROM responses WHERE node = ? AND attempt = ?", node, attempt)
      .toArray()[0];
    return r ? { xml: r.xml, meta: JSON.parse(r.meta) as unknown } : null;
  }

  #storeResponse(node: string, attempt: number, xml: string, meta: Record<string, unknown>): void {
    this.#sql.exec(
      "INSERT OR REPLACE INTO responses (node, attempt, xml, meta) VALUES (?, ?, ?, ?)",
      node,
      attempt,
      xml,
      JSON.stringify(meta),
    );
  }

  #outboxCount(): number {
    return this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n;
  }

  #callId(): string {
    return this.#session()?.call_uuid ?? this.ctx.id.name ?? this.ctx.id.toString();
  }

  #parkTimeout(flow: Pick<PinnedFlow, "meta"> | null): number {
    if (flow?.meta.parkTimeoutMs) return flow.meta.parkTimeoutMs;
    return positive(this.env.PARK_TIMEOUT_MS) ?? DEFAULT_PARK_MS;
  }

  #maxCallMs(): number {
    return positive(this.env.MAX_CALL_MS) ?? DEFAULT_MAX_CALL_MS;
  }

  #retentionMs(): number {
    return positive(this.env.CALL_RETENTION_MS) ?? DEFAULT_RETENTION_MS;
  }
}

function positive(v: string | undefined): number | null {
  const n = Number(v);
  return v !== undefined && Number.isFinite(n) && n > 0 ? n : null;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The call-entity fields a webhook body may carry that we echo in events. */
function pickEntity(raw: Record<string, unknown>): Partial<CallEntity> {
  const out: Partial<CallEntity> = {};
  if (raw.direction === "in" || raw.direction === "out") out.direction = raw.direction;
  for (const k of ["created_on", "init_on", "ring_on", "answer_on"] as const) {
    const v = raw[k];
    if (typeof v === "string") out[k] = v;
  }
  return out;
}

function describeDecision(
  input: GatherInput,
  action: GatherAction,
  digits: string,
  attempt: number,
  attempts: number,
  branch: string | null,
): string {
  const what =
    input === "none"
      ? "no input"
      : input === "wrong"
        ? `digits "${digits}" matched no branch`
        : input === "match"
          ? `digits "${digits}" matched`
          : `digits "${digits}" taken`;
  const of = `attempt ${attempt} of ${attempts}`;
  switch (action) {
    case "branch":
      return `${what} <${branch}> (${of})`;
    case "retry":
      return `${what} (${of}): prompts replay`;
    case "default":
    case "error":
      return `${what} (${of}): <${branch}> runs`;
    case "continue":
      return `${what} (${of}): no branch to run, the flow continues`;
    default: {
      const never: never = action;
      return String(never);
    }
  }
}

function log(level: "info" | "warn" | "error", msg: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, msg, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
