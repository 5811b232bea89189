/**
 * The insights object's watch over a number's canary rollout: after each batch of calls it
 * compares the candidate with the stable version (src/insights/health.ts), and when the candidate
 * is worse it rolls the rollout back on its own — in the flow store (the pointer keeps the stable
 * version), on the account's event stream, in the audit log — and tells the webhook isolates that
 * send it calls, in the answer to their next batch, to stop dealing callers to the candidate.
 *
 * The object's own record of the rollout ends first, synchronously, so two requests can't both
 * roll it back; the flow store write is retried by the alarm until it lands.
 */
import { type Rollout, rolloutEnded } from "../flows/canary.ts";
import { endRollout } from "../flows/rollouts.ts";
import { getFlow } from "../flows/store.ts";
import { describeError, log } from "../log.ts";
import { hourOf, type LoadedFlowVersion } from "./book.ts";
import { judgeRollout, type Verdict } from "./health.ts";
import { elementAt } from "./served.ts";
import type { RoleHealth, Role } from "./book.ts";

/** What the guard reads and writes: the object's SQLite tables (src/insights/sqlTables.ts), or memory. */
export interface RolloutTables {
  rollout(id: string): (Rollout & { pending?: boolean }) | null;
  putRollout(r: Rollout & { pending?: boolean }): void;
  pendingRollouts(): Array<Rollout & { pending?: boolean }>;
  health(rollout: string): Record<Role, RoleHealth>;
  topNode(version: string, outcome: string, fromHour: number): { node: string; n: number } | null;
}

export interface GuardParts {
  env: Env;
  /** The number (the object's name). */
  tn: string;
  tables: RolloutTables;
  flow: (version: string) => LoadedFlowVersion | null;
  /**
   * Say that a rollout was rolled back, once the flow store has it: the account's event stream
   * and the audit log (src/insights/FlowInsights.ts).
   */
  announce: (rollout: Rollout, verdict: Verdict) => Promise<void>;
}

export interface RolloutStatus {
  rollout: Rollout;
  health: Record<Role, RoleHealth>;
  verdict: Verdict;
}

export class RolloutGuard {
  readonly #p: GuardParts;

  constructor(parts: GuardParts) {
    this.#p = parts;
  }

  /** A rollout started (or changed) in the flow store. */
  remember(r: Rollout): void {
    this.#p.tables.putRollout(r);
    if (r.state !== "active") rolloutEnded(r.id);
  }

  /** Rollouts named in render notes that this object has not heard of: learn them from the pointer. */
  async adopt(ids: Iterable<string>): Promise<void> {
    const unknown = [...new Set(ids)].filter((id) => !this.#p.tables.rollout(id));
    if (!unknown.length) return;
    const current = await getFlow(this.#p.env, this.#p.tn);
    const r = current?.pointer.rollout;
    if (r && unknown.includes(r.id)) this.remember(r);
  }

  /** Of these rollouts, the ones that are over (the webhook stops dealing callers to their candidate). */
  ended(ids: Iterable<string>): string[] {
    return [...new Set(ids)].filter((id) => {
      const r = this.#p.tables.rollout(id);
      return r !== null && r.state !== "active";
    });
  }

  status(id: string): RolloutStatus | null {
    const rollout = this.#p.tables.rollout(id);
    if (!rollout) return null;
    const health = this.#p.tables.health(id);
    return { rollout, health, verdict: judgeRollout(health, rollout) };
  }

  /** Compare the sides; roll the candidate back when it is worse. */
  async check(id: string): Promise<void> {
    const s = this.status(id);
    if (s?.rollout.state !== "active" || s.verdict.verdict !== "worse") return;
    const where = this.#where(s.rollout, s.verdict);
    const reason = where ? `${s.verdict.reason}; ${where}` : (s.verdict.reason ?? "the candidate was worse");
    const ended = { ...s.rollout, state: "auto-aborted" as const, endedAt: new Date().toISOString(), reason, pending: true };
    this.#p.tables.putRollout(ended);
    rolloutEnded(id);
    await this.finish(ended, s.verdict);
  }

  /** Rollbacks decided whose flow store write has not landed yet (the alarm retries). */
  pending(): boolean {
    return this.#p.tables.pendingRollouts().length > 0;
  }

  async retry(): Promise<void> {
    for (const r of this.#p.tables.pendingRollouts()) await this.finish(r, judgeRollout(this.#p.tables.health(r.id), r));
  }

  /** The automatic rollback's side effects: the flow store, the event stream, the audit log. */
  async finish(r: Rollout & { pending?: boolean }, verdict: Verdict): Promise<void> {
    const { env, tn, tables } = this.#p;
    try {
      const res = await endRollout(env, tn, "auto-abort", { id: r.id, ...(r.reason ? { reason: r.reason } : {}) });
      tables.putRollout({ ...r, pending: false });
      if (res.status !== "ended") {
        log("info", "canary already over when insights would have rolled it back", { tn, rollout: r.id, detail: res.detail });
        return;
      }
      log("warn", "canary rolled back automatically", { tn, rollout: r.id, candidate: r.candidate, stable: r.stable, reason: r.reason });
      await this.#p.announce(res.rollout, verdict);
    } catch (err) {
      log("error", "automatic rollback not written yet; the alarm retries", { tn, rollout: r.id, error: describeError(err) });
    }
  }

  /** Where the candidate went wrong most, in words: `<Callback> at 5:3 failed in 20 calls`. */
  #where(r: Rollout, v: Verdict): string | null {
    const worst = v.metrics.find((m) => m.worse);
    const outcome = worst?.name === "errors" ? "error" : worst?.name === "quick hang-ups" ? "quick" : null;
    if (!outcome) return null;
    const top = this.#p.tables.topNode(r.candidate, outcome, hourOf(Date.parse(r.startedAt)));
    if (!top) return null;
    const flow = this.#p.flow(r.candidate);
    const el = flow ? elementAt(flow.parsed, top.node) : null;
    const what = el ? `<${el.name}> at ${el.pos.line}:${el.pos.col}` : `node ${top.node}`;
    return outcome === "error" ? `${what} failed in ${top.n} calls` : `callers hung up within 5 s of ${what} in ${top.n} calls`;
  }
}
