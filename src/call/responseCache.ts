/**
 * The documents a call was served, by (node, attempt): a repeated delivery of a Gather attempt
 * (the platform retrying) gets the same document and advances nothing (docs/architecture.md §2).
 * The initial document is node "", attempt 0.
 */
import type { DecisionMeta, StoredAnswer } from "./ivrState.ts";

export class ResponseCache {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  get(node: string, attempt: number): StoredAnswer | null {
    const r = this.#sql
      .exec<{ xml: string; meta: string }>("SELECT xml, meta FROM responses WHERE node = ? AND attempt = ?", node, attempt)
      .toArray()[0];
    if (!r) return null;
    const meta = JSON.parse(r.meta) as Partial<DecisionMeta> & { kind?: string };
    return {
      xml: r.xml,
      decision: meta.kind === "initial" || !meta.action ? null : { input: meta.input!, action: meta.action, digits: meta.digits ?? "" },
    };
  }

  put(node: string, attempt: number, answer: StoredAnswer): void {
    const meta = answer.decision
      ? { input: answer.decision.input, action: answer.decision.action, digits: answer.decision.digits }
      : { kind: "initial" };
    this.#sql.exec(
      "INSERT OR REPLACE INTO responses (node, attempt, xml, meta) VALUES (?, ?, ?, ?)",
      node,
      attempt,
      answer.xml,
      JSON.stringify(meta),
    );
  }
}
