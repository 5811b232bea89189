/**
 * The bookkeeping of a number's insights: each call counted once, whatever order its two halves
 * arrive in and however often either is repeated.
 *
 * - A **render mark** comes from the webhook (batched): the call started, on this version, maybe
 *   with the fallback document, maybe as part of a rollout. It counts the call.
 * - A **trace** comes from the call's object when the call is over (src/call/trace.ts). A call
 *   the webhook answered alone does not know its version: its trace waits for the mark.
 *
 * Each call has one row, keyed by its uuid: the first of the two to arrive makes it, the second
 * completes it, and once its path is counted (`counted`) any repeat changes nothing — a
 * redelivered webhook, an end event the platform sends twice, a retried report.
 *
 * Plain TypeScript over {@link InsightsTables}: SQLite in the insights object, memory in the
 * in-process simulation, the same rules in both.
 */
import type { CallTrace } from "../call/trace.ts";
import type { ParsedFlow, PinnedFlowMeta } from "../call/render.ts";
import { type Increment, pathIncrements } from "./counts.ts";
import { flowView } from "./judge.ts";
import { assemblePath, bareEnd, type CallPath } from "./path.ts";

export type Role = "stable" | "candidate";

/** What the webhook notes for each call it answers (src/insights/renders.ts). */
export interface RenderMark {
  /** The call uuid; "" when the platform sent none (the call is counted but its path can't be). */
  call: string;
  /** The version rendered; "" when no version could be loaded (a KV failure). */
  version: string;
  /** When (epoch ms). */
  at: number;
  /** Why the fallback document was answered instead, if it was. */
  fallback?: string;
  /** The rollout the call was assigned in, and to which side. */
  rollout?: string;
  role?: Role;
}

export interface CallRow {
  call: string;
  version: string | null;
  /** When the call started (epoch ms): its hour bucket. */
  at: number;
  fallback: string | null;
  rollout: string | null;
  role: Role | null;
  /** The webhook's mark arrived. */
  marked: boolean;
  /** Its path is counted. */
  counted: boolean;
  /** What its path showed, for the rollout's health once the mark says which side it was on. */
  hadError: boolean;
  quick: boolean;
  /** A trace waiting for its mark. */
  trace: CallTrace | null;
  /** When this row was written (epoch ms): rows are forgotten a while after. */
  seen: number;
}

/** A call's row before the webhook's mark: nothing known but its version (if any) and start. */
function unmarked(call: string, version: string | null, at: number, now: number): CallRow {
  return {
    call,
    version,
    at,
    fallback: null,
    rollout: null,
    role: null,
    marked: false,
    counted: false,
    hadError: false,
    quick: false,
    trace: null,
    seen: now,
  };
}

/** A rollout side's health figures (src/insights/health.ts). */
export interface RoleHealth {
  started: number;
  fallbacks: number;
  reported: number;
  errors: number;
  quick: number;
}

export interface InsightsTables {
  call(uuid: string): CallRow | null;
  putCall(row: CallRow): void;
  /** Add to the counters of (version, hour). */
  add(version: string, hour: number, incs: readonly Increment[]): void;
  addHealth(rollout: string, role: Role, delta: Partial<RoleHealth>): void;
}

/** A flow version as assembly needs it. */
export interface LoadedFlowVersion {
  parsed: ParsedFlow;
  meta: PinnedFlowMeta;
}

export interface BookOptions {
  /** A caller hang-up this soon after a command started is a quick hang-up (ms). */
  quickMs: number;
  /** The loaded version, or null when it is not stored (the path is then counted by its end only). */
  flow: (version: string) => LoadedFlowVersion | null;
}

/** A caller hang-up within this long of a command starting is a quick hang-up. */
export const QUICK_HANGUP_MS = 5000;

export const HOUR_MS = 3_600_000;
export const hourOf = (ms: number) => Math.floor(ms / HOUR_MS);

export class InsightsBook {
  readonly #t: InsightsTables;
  readonly #opts: BookOptions;

  constructor(tables: InsightsTables, opts: BookOptions) {
    this.#t = tables;
    this.#opts = opts;
  }

  /** One render the webhook noted. */
  mark(m: RenderMark, now: number): void {
    const started: Increment[] = [["", "calls", 1, 0]];
    if (m.fallback) started.push(["", `fallback:${m.fallback}`, 1, 0]);
    if (!m.call) {
      this.#t.add(m.version, hourOf(m.at), started);
      if (m.rollout && m.role) this.#t.addHealth(m.rollout, m.role, { started: 1, fallbacks: m.fallback ? 1 : 0 });
      return;
    }
    const row = this.#t.call(m.call);
    if (row?.marked) return;
    const next: CallRow = row
      ? { ...row, marked: true, fallback: m.fallback ?? null, rollout: m.rollout ?? null, role: m.role ?? null, seen: now }
      : {
          call: m.call,
          version: m.version,
          at: m.at,
          fallback: m.fallback ?? null,
          rollout: m.rollout ?? null,
          role: m.role ?? null,
          marked: true,
          counted: false,
          hadError: false,
          quick: false,
          trace: null,
          seen: now,
        };
    if (next.version === null) {
      next.version = m.version;
      next.at = m.at;
    }
    // The call is counted when it first gets a version (a stateful call's trace may have brought one).
    if (!row || row.version === null) this.#t.add(next.version, hourOf(next.at), started);
    else if (m.fallback) this.#t.add(next.version, hourOf(next.at), started.slice(1));
    if (next.rollout && next.role) {
      this.#t.addHealth(next.rollout, next.role, {
        started: 1,
        fallbacks: m.fallback ? 1 : 0,
        ...(next.counted ? { reported: 1, errors: next.hadError ? 1 : 0, quick: next.quick ? 1 : 0 } : {}),
      });
    }
    if (next.trace && !next.counted) this.#count(next, next.trace, now);
    else this.#t.putCall(next);
  }

  /** A call's trace from its object; `duplicate` when its path was already counted. */
  report(trace: CallTrace, now: number): "counted" | "waiting" | "duplicate" {
    const row = this.#t.call(trace.call);
    if (row?.counted) return "duplicate";
    if (row && row.version !== null) {
      this.#count(row, trace, now);
      return "counted";
    }
    if (trace.version === null) {
      const waiting: CallRow = row ? { ...row, trace, seen: now } : { ...unmarked(trace.call, null, now, now), trace };
      this.#t.putCall(waiting);
      return "waiting";
    }
    // A stateful call whose mark has not come yet: its trace knows the version.
    const at = trace.begunAt ?? now;
    const fresh = unmarked(trace.call, trace.version, at, now);
    this.#t.add(trace.version, hourOf(at), [["", "calls", 1, 0]]);
    this.#count(fresh, trace, now);
    return "counted";
  }

  /** The versions whose flow the next `mark`/`report` may need (load them first). */
  versionsFor(item: RenderMark | CallTrace): string[] {
    if ("steps" in item) {
      const row = this.#t.call(item.call);
      const v = item.version ?? row?.version ?? null;
      return v ? [v] : [];
    }
    return item.version ? [item.version] : [];
  }

  #count(row: CallRow, trace: CallTrace, now: number): void {
    const version = row.version ?? trace.version ?? "";
    const path = this.#path(version, row, trace);
    this.#t.add(version, hourOf(row.at), pathIncrements(path));
    const hadError = path.errors.length > 0;
    const quick = path.end.quick;
    this.#t.putCall({ ...row, version, counted: true, hadError, quick, trace: null, seen: now });
    if (row.rollout && row.role && row.marked)
      this.#t.addHealth(row.rollout, row.role, { reported: 1, errors: hadError ? 1 : 0, quick: quick ? 1 : 0 });
  }

  #path(version: string, row: CallRow, trace: CallTrace): CallPath {
    if (row.fallback || trace.renderFailed) return bareEnd(trace, "fallback");
    const flow = version ? this.#opts.flow(version) : null;
    if (!flow) return bareEnd(trace, "end-of-flow");
    const f = trace.facts;
    const view = flowView(version, flow.parsed, flow.meta, {
      from: f.from,
      to: f.to,
      tn: trace.tn,
      call: trace.call,
      sca: f.sca,
      state: f.state,
    });
    return assemblePath(view, trace, { fallback: false, renderedAt: row.marked ? row.at : null, quickMs: this.#opts.quickMs });
  }
}
