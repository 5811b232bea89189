/**
 * The insights tables in memory: what the insights object keeps in SQLite
 * (src/insights/sqlTables.ts), for the in-process simulation and unit tests. Rows go through
 * JSON as they do through SQLite, so the book (src/insights/book.ts) behaves the same here.
 */
import type { Rollout } from "../flows/canary.ts";
import type { CallRow, InsightsTables, Role, RoleHealth } from "./book.ts";
import type { Increment } from "./counts.ts";
import type { CounterRow } from "./sqlTables.ts";

const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

export class MemoryInsightsTables implements InsightsTables {
  readonly #calls = new Map<string, CallRow>();
  /** `version|hour|node|outcome` → [n, ms]. */
  readonly #counters = new Map<string, [number, number]>();
  readonly #health = new Map<string, RoleHealth>();
  readonly #rollouts = new Map<string, Rollout & { pending?: boolean }>();

  rollout(id: string): (Rollout & { pending?: boolean }) | null {
    const r = this.#rollouts.get(id);
    return r ? copy(r) : null;
  }

  putRollout(r: Rollout & { pending?: boolean }): void {
    this.#rollouts.set(r.id, copy(r));
  }

  pendingRollouts(): Array<Rollout & { pending?: boolean }> {
    return [...this.#rollouts.values()].filter((r) => r.pending).map(copy);
  }

  topNode(version: string, outcome: string, fromHour: number): { node: string; n: number } | null {
    const sums = new Map<string, number>();
    for (const r of this.#rows())
      if (r.version === version && r.outcome === outcome && r.node !== "" && r.hour >= fromHour)
        sums.set(r.node, (sums.get(r.node) ?? 0) + r.n);
    let best: { node: string; n: number } | null = null;
    for (const [node, n] of sums) if (!best || n > best.n) best = { node, n };
    return best;
  }

  call(uuid: string): CallRow | null {
    const r = this.#calls.get(uuid);
    return r ? copy(r) : null;
  }

  putCall(row: CallRow): void {
    this.#calls.set(row.call, copy(row));
  }

  add(version: string, hour: number, incs: readonly Increment[]): void {
    for (const [node, outcome, n, ms] of incs) {
      const key = [version, hour, node, outcome].join("\u0000");
      const prev = this.#counters.get(key) ?? [0, 0];
      this.#counters.set(key, [prev[0] + n, prev[1] + Math.round(ms)]);
    }
  }

  addHealth(rollout: string, role: Role, d: Partial<RoleHealth>): void {
    const key = `${rollout}|${role}`;
    const h = this.#health.get(key) ?? { started: 0, fallbacks: 0, reported: 0, errors: 0, quick: 0 };
    for (const k of ["started", "fallbacks", "reported", "errors", "quick"] as const) h[k] += d[k] ?? 0;
    this.#health.set(key, h);
  }

  health(rollout: string): Record<Role, RoleHealth> {
    const zero = (): RoleHealth => ({ started: 0, fallbacks: 0, reported: 0, errors: 0, quick: 0 });
    return {
      stable: { ...(this.#health.get(`${rollout}|stable`) ?? zero()) },
      candidate: { ...(this.#health.get(`${rollout}|candidate`) ?? zero()) },
    };
  }

  *#rows(): Generator<{ version: string; hour: number; node: string; outcome: string; n: number; ms: number }> {
    for (const [key, [n, ms]] of this.#counters) {
      const [version = "", hour = "0", node = "", outcome = ""] = key.split("\u0000");
      yield { version, hour: Number(hour), node, outcome, n, ms };
    }
  }

  counters(version: string, fromHour: number, toHour: number): CounterRow[] {
    const sums = new Map<string, CounterRow>();
    for (const r of this.#rows()) {
      if (r.version !== version || r.hour < fromHour || r.hour >= toHour) continue;
      const key = `${r.node}\u0000${r.outcome}`;
      const prev = sums.get(key);
      sums.set(key, [r.node, r.outcome, (prev?.[2] ?? 0) + r.n, (prev?.[3] ?? 0) + r.ms]);
    }
    return [...sums.values()];
  }

  hourly(version: string, fromHour: number, toHour: number): Array<[number, string, number, number]> {
    const out: Array<[number, string, number, number]> = [];
    for (const r of this.#rows())
      if (r.version === version && r.node === "" && r.hour >= fromHour && r.hour < toHour) out.push([r.hour, r.outcome, r.n, r.ms]);
    return out.sort((a, b) => a[0] - b[0]);
  }

  versions(fromHour: number, toHour: number): Array<{ version: string; calls: number; first: number; last: number }> {
    const by = new Map<string, { version: string; calls: number; first: number; last: number }>();
    for (const r of this.#rows()) {
      if (r.node !== "" || r.outcome !== "calls" || r.hour < fromHour || r.hour >= toHour) continue;
      const v = by.get(r.version) ?? { version: r.version, calls: 0, first: r.hour, last: r.hour };
      v.calls += r.n;
      v.first = Math.min(v.first, r.hour);
      v.last = Math.max(v.last, r.hour);
      by.set(r.version, v);
    }
    return [...by.values()].sort((a, b) => b.calls - a.calls);
  }
}
