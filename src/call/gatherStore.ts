/**
 * The Gather state table's memory in SQLite: one `gather_history` row per decided attempt (what
 * `GET /v1/calls/{call}` shows), holding the answer served for it. A node's counter (attempts
 * used, and whether the last one finished it) is read from its newest row once and then kept in
 * memory: the object is the only writer. One INSERT per decision.
 */
import type { GatherHistoryEntry } from "./api.ts";
import type { GatherAction, GatherInput } from "./gatherTable.ts";
import type { DecisionRecord, GatherCounter, StoredAnswer } from "./ivrState.ts";

export class GatherStore {
  readonly #sql: SqlStorage;
  readonly #counters = new Map<string, GatherCounter>();

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  counter(node: string): GatherCounter {
    let c = this.#counters.get(node);
    if (!c) {
      const r = this.#sql
        .exec<{ attempt: number; action: string }>(
          "SELECT attempt, action FROM gather_history WHERE node = ? ORDER BY attempt DESC LIMIT 1",
          node,
        )
        .toArray()[0];
      c = r ? { used: r.attempt, done: r.action !== "retry" } : { used: 0, done: false };
      this.#counters.set(node, c);
    }
    return c;
  }

  /** Add a decided attempt, with the answer served for it; its node's counter moves on. */
  record(node: string, counter: GatherCounter, d: DecisionRecord, xml: string): void {
    this.#sql.exec(
      "INSERT INTO gather_history (node, attempt, attempts, digits, input, action, branch, at, xml) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      d.node,
      d.attempt,
      d.attempts,
      d.digits,
      d.input,
      d.action,
      d.branch,
      d.at,
      xml,
    );
    this.#counters.set(node, { ...counter });
  }

  /** The answer served for a decided attempt, if its row holds one (rows older than the column keep theirs in `responses`). */
  answer(node: string, attempt: number): StoredAnswer | null {
    const r = this.#sql
      .exec<{ xml: string; input: GatherInput; action: GatherAction; digits: string }>(
        "SELECT xml, input, action, digits FROM gather_history WHERE node = ? AND attempt = ? AND xml IS NOT NULL",
        node,
        attempt,
      )
      .toArray()[0];
    return r ? { xml: r.xml, decision: { input: r.input, action: r.action, digits: r.digits } } : null;
  }

  /** Attempts used per node id. */
  attempts(): Record<string, number> {
    const out: Record<string, number> = {};
    const rows = this.#sql.exec<{ node: string; used: number }>(
      "SELECT node, MAX(attempt) AS used FROM gather_history GROUP BY node ORDER BY node",
    );
    for (const r of rows) out[r.node] = r.used;
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
