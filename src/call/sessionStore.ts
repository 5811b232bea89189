/**
 * The call's record in the object's SQLite storage (the `session` row), as typed state.
 *
 * The row is read once per object life and its JSON columns parsed once; the object is the
 * only writer, so every write goes through here and updates the copy in memory too. The pinned
 * flow in particular is parsed once, not on every request.
 */
import type { CallEntity } from "../events/shapes.ts";
import type { PinnedCall, StoredFacts } from "./ivrState.ts";
import type { PinnedFlow } from "./render.ts";

/** What the object knows of its call. */
export interface Session {
  call: string;
  createdAt: number;
  /** The platform's call state as last reported (`new` before any). */
  state: string;
  mode: "sync" | "async" | null;
  /** The pinned flow and what the webhook said, once `begin` ran. */
  pinned: PinnedCall | null;
  entity: CallEntity;
  parkTimeoutMs: number | null;
  endedAt: number | null;
  endReason: string | null;
  /** When the call's path went to the number's insights (src/call/trace.ts); null until then. */
  reportedAt: number | null;
}

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
  reported_at: number | null;
}

const SELECT =
  "SELECT call_uuid, created_at, state, mode, flow_json, facts_json, entity_json, origin, token, park_timeout_ms, ended_at, end_reason, reported_at FROM session WHERE id = 1";

function fromRow(r: SessionRow): Session {
  const pinned: PinnedCall | null =
    r.flow_json && r.facts_json
      ? {
          call: r.call_uuid,
          flow: JSON.parse(r.flow_json) as PinnedFlow,
          facts: JSON.parse(r.facts_json) as StoredFacts,
          origin: r.origin ?? "",
          token: r.token ?? undefined,
          parkTimeoutMs: r.park_timeout_ms,
        }
      : null;
  return {
    call: r.call_uuid,
    createdAt: r.created_at,
    state: r.state,
    mode: r.mode,
    pinned,
    entity: JSON.parse(r.entity_json) as CallEntity,
    parkTimeoutMs: r.park_timeout_ms,
    endedAt: r.ended_at,
    endReason: r.end_reason,
    reportedAt: r.reported_at ?? null,
  };
}

export class SessionStore {
  readonly #sql: SqlStorage;
  /** The row as typed state; undefined until read. */
  #session: Session | null | undefined;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /** The call's record, or null when there is none. */
  get(): Session | null {
    if (this.#session === undefined) {
      const row = this.#sql.exec<Record<string, SqlStorageValue>>(SELECT).toArray()[0] as SessionRow | undefined;
      this.#session = row ? fromRow(row) : null;
    }
    return this.#session;
  }

  /** Start the call's record. */
  create(call: string, now: number, entity: CallEntity): Session {
    const state = entity.state || "new";
    this.#sql.exec(
      "INSERT INTO session (id, call_uuid, created_at, state, entity_json) VALUES (1, ?, ?, ?, ?)",
      call,
      now,
      state,
      JSON.stringify(entity),
    );
    this.#session = {
      call,
      createdAt: now,
      state,
      mode: null,
      pinned: null,
      entity,
      parkTimeoutMs: null,
      endedAt: null,
      endReason: null,
      reportedAt: null,
    };
    return this.#session;
  }

  /** Pin the flow (the record must exist). The call keeps the uuid its record was made with. */
  pin(p: PinnedCall, entity: CallEntity): void {
    const s = this.#need();
    this.#sql.exec(
      "UPDATE session SET mode = ?, flow_json = ?, facts_json = ?, entity_json = ?, origin = ?, token = ?, park_timeout_ms = ? WHERE id = 1",
      p.flow.meta.mode,
      JSON.stringify(p.flow),
      JSON.stringify(p.facts),
      JSON.stringify(entity),
      p.origin,
      p.token ?? null,
      p.parkTimeoutMs,
    );
    s.mode = p.flow.meta.mode;
    s.pinned = { ...p, call: s.call };
    s.entity = entity;
    s.parkTimeoutMs = p.parkTimeoutMs;
  }

  setFacts(facts: StoredFacts): void {
    const s = this.#need();
    this.#sql.exec("UPDATE session SET facts_json = ? WHERE id = 1", JSON.stringify(facts));
    if (s.pinned) s.pinned = { ...s.pinned, facts };
  }

  /** The call entity changed, and with it maybe the call's state. */
  setEntity(entity: CallEntity, state?: string): void {
    const s = this.#need();
    if (state === undefined) this.#sql.exec("UPDATE session SET entity_json = ? WHERE id = 1", JSON.stringify(entity));
    else this.#sql.exec("UPDATE session SET state = ?, entity_json = ? WHERE id = 1", state, JSON.stringify(entity));
    s.entity = entity;
    if (state !== undefined) s.state = state;
  }

  /** The call is over, for `reason`; a first end stays the end. */
  end(now: number, reason: string): void {
    const s = this.#need();
    this.#sql.exec("UPDATE session SET ended_at = COALESCE(ended_at, ?), end_reason = COALESCE(end_reason, ?) WHERE id = 1", now, reason);
    s.endedAt ??= now;
    s.endReason ??= reason;
  }

  /** The commands sent end the call with a `<Hangup/>`: no more commands from now. */
  endByCommand(now: number): void {
    const s = this.#need();
    this.#sql.exec("UPDATE session SET ended_at = ?, end_reason = 'hangup command' WHERE id = 1", now);
    s.endedAt = now;
    s.endReason = "hangup command";
  }

  /** The call's path was reported to insights. */
  markReported(now: number): void {
    const s = this.#need();
    this.#sql.exec("UPDATE session SET reported_at = ? WHERE id = 1", now);
    s.reportedAt = now;
  }

  /** The storage was wiped: read again next time. */
  forget(): void {
    this.#session = undefined;
  }

  #need(): Session {
    const s = this.get();
    if (!s) throw new Error("the call has no record yet");
    return s;
  }
}
