/**
 * The Gather state table's memory in SQLite: per node, the attempts used and whether one of
 * them finished it (`nodes`), and every decided attempt (`gather_history`, what
 * `GET /v1/calls/{call}` shows). Counters are cached once read: the object is their only writer.
 */
import type { GatherHistoryEntry } from "./api.ts";
import type { GatherAction, GatherInput } from "./gatherTable.ts";
import type { DecisionRecord, GatherCounter } from "./ivrState.ts";

export class GatherStore {
  readonly #sql: SqlStorage;
  readonly #counters = new Map<string, GatherCounter>();

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  counter(node: string): GatherCounter {
    let c = this.#counters.get(node);
    if (!c) {
      const r = this.#sql.exec<{ used: number; done: number }>("SELECT used, done FROM nodes WHERE node = ?", node).toArray()[0];
      c = r ? { used: r.used, done: r.done === 1 } : { used: 0, done: false };
      this.#counters.set(node, c);
    }
    return c;
  }

  /** Count a decided attempt and add it to the history. */
  record(node: string, counter: GatherCounter, d: DecisionRecord): void {
    this.#sql.exec(
      "INSERT INTO nodes (node, used, done) VALUES (?, ?, ?) ON CONFLICT (node) DO UPDATE SET used = excluded.used, done = excluded.done",
      node,
      counter.used,
      counter.done ? 1 : 0,
    );
    this.#sql.exec(
      "INSERT INTO gather_history (node, attempt, attempts, digits, input, action, branch, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      d.node,
      d.attempt,
      d.attempts,
      d.digits,
      d.input,
      d.action,
      d.branch,
      d.at,
    );
    this.#counters.set(node, { ...counter });
  }

  /** Attempts used per node id. */
  attempts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.#sql.exec<{ node: string; used: number }>("SELECT node, used FROM nodes ORDER BY node")) out[r.node] = r.used;
    return out;
  }

  history(): GatherHistoryEntry[] {
    return this.#sql
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
      .map((r) => ({ ...r, input: r.input as GatherInput, action: r.action as GatherAction, at: new Date(r.at).toISOString() }));
  }

  /** The storage was wiped. */
  forget(): void {
    this.#counters.clear();
  }
}
