/**
 * What a parked call owes the platform, in order (docs/architecture.md §3): runs of commands,
 * spaced by the `<Pause>`s between them, and the timeout hang-up. One row per delivery; the
 * `outbox` timer says when the next one is due, and the object's alarm (or the request that
 * queued it) delivers it through CallControl.
 *
 * A delivery is tried up to `MAX_DELIVERY_TRIES` times, 1 s, 2 s, 4 s, 8 s apart, and only one
 * delivery loop runs at a time. Its outcome stays in its row (`delivered`, `failed`, or
 * `cancelled` when the call ended first), with the last error, so what a command request reports
 * does not depend on the object staying in memory.
 */
import type { CallControl, DeliveryResult, HangupCause } from "../platform/CallControl.ts";
import type { Delivery } from "./commands.ts";
import type { Timers } from "./timers.ts";

/** Deliveries to the platform are tried this many times before they are given up. */
export const MAX_DELIVERY_TRIES = 5;

export type OutboxStatus = "pending" | "delivered" | "failed" | "cancelled";

export interface OutboxRow {
  seq: number;
  kind: "commands" | "hangup";
  body: string;
  gap_ms: number;
  tries: number;
  /** JSON `{names, tags}` of the commands, for their events. */
  names: string;
}

export interface OutboxHooks {
  /** The CallControl client to deliver with. */
  control(): CallControl;
  /** The call's uuid, or null when the call's record is gone. */
  call(): string | null;
  /** A delivery was made or given up: say so in the call's events. */
  settled(row: OutboxRow, success: boolean, reason: string, now: number): void;
  /** Commands reached the platform: the park deadline moves. */
  commandsDelivered(now: number): void;
}

/** What became of some deliveries. */
export interface DeliveryOutcome {
  delivered: number;
  pending: number;
  /** The last error of each delivery that had one, in order. */
  errors: string[];
}

const TIMER = "outbox";

export class Outbox {
  readonly #sql: SqlStorage;
  readonly #timers: Timers;
  readonly #hooks: OutboxHooks;
  /** The delivery loop in flight, so two requests never deliver at once. */
  #draining: Promise<void> | null = null;

  constructor(sql: SqlStorage, timers: Timers, hooks: OutboxHooks) {
    this.#sql = sql;
    this.#timers = timers;
    this.#hooks = hooks;
  }

  /** Queue runs of commands; the first is due after its own gap from now if nothing was waiting. */
  enqueue(deliveries: readonly Delivery[], now: number): number[] {
    const wasEmpty = this.pending() === 0;
    const seqs = deliveries.map(
      (d) =>
        this.#sql
          .exec<{ seq: number }>(
            "INSERT INTO outbox (kind, body, gap_ms, names) VALUES ('commands', ?, ?, ?) RETURNING seq",
            d.xml,
            d.gapMs,
            JSON.stringify({ names: d.names, tags: d.tags }),
          )
          .one().seq,
    );
    const first = deliveries[0];
    if (wasEmpty && first) this.#timers.set(TIMER, TIMER, now + first.gapMs);
    return seqs;
  }

  /** Queue the hang-up, due now (whatever was pending was cancelled first). */
  enqueueHangup(cause: HangupCause, now: number): void {
    this.#sql.exec("INSERT INTO outbox (kind, body, gap_ms) VALUES ('hangup', ?, 0)", JSON.stringify(cause));
    this.#timers.set(TIMER, TIMER, now);
  }

  /** The call is over: what is still queued can't reach it. */
  cancelPending(now: number): void {
    this.#sql.exec("UPDATE outbox SET status = 'cancelled', done_at = ? WHERE status = 'pending'", now);
    this.#timers.cancel(TIMER);
  }

  /** Deliveries still to make. */
  pending(): number {
    return this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'").one().n;
  }

  /** The Pauses still to wait through before the last queued commands (ms). */
  pendingGapMs(): number {
    return (
      this.#sql.exec<{ g: number | null }>("SELECT SUM(gap_ms) AS g FROM outbox WHERE status = 'pending' AND kind = 'commands'").one().g ??
      0
    );
  }

  outcome(seqs: readonly number[]): DeliveryOutcome {
    const out: DeliveryOutcome = { delivered: 0, pending: 0, errors: [] };
    if (!seqs.length) return out;
    const rows = this.#sql
      .exec<{ status: OutboxStatus; error: string | null }>(
        `SELECT status, error FROM outbox WHERE seq IN (${seqs.map(() => "?").join(",")}) ORDER BY seq`,
        ...seqs,
      )
      .toArray();
    for (const r of rows) {
      if (r.status === "delivered") out.delivered++;
      else if (r.status === "pending") out.pending++;
      if (r.error !== null) out.errors.push(r.error);
    }
    return out;
  }

  /** Deliver every queued item that is due, in order; one loop at a time. */
  async drain(): Promise<void> {
    while (this.#draining) await this.#draining;
    this.#draining = this.#loop().finally(() => {
      this.#draining = null;
    });
    return this.#draining;
  }

  async #loop(): Promise<void> {
    for (;;) {
      const head = this.#sql
        .exec<Record<string, SqlStorageValue>>(
          "SELECT seq, kind, body, gap_ms, tries, names FROM outbox WHERE status = 'pending' ORDER BY seq LIMIT 1",
        )
        .toArray()[0] as OutboxRow | undefined;
      if (!head) {
        this.#timers.cancel(TIMER);
        return;
      }
      const timer = this.#timers.get(TIMER);
      if (!timer) this.#timers.set(TIMER, TIMER, Date.now());
      else if (timer.due_at > Date.now()) return;
      const call = this.#hooks.call();
      if (!call) return;
      const control = this.#hooks.control();
      const key = `${call}:${head.kind}:${head.seq}`;
      const result: DeliveryResult =
        head.kind === "hangup"
          ? await control.hangup(call, JSON.parse(head.body) as HangupCause, key)
          : await control.sendCommands(call, head.body, key);
      // Other requests may have run during the fetch: re-read before deciding.
      const now = Date.now();
      const still = this.#sql.exec("SELECT seq FROM outbox WHERE seq = ? AND status = 'pending'", head.seq).toArray().length > 0;
      if (!still) continue;
      if (result.ok) {
        this.#settle(head, "delivered", null, head.tries + 1, now);
        this.#hooks.settled(head, true, head.kind === "hangup" ? "hang-up delivered to the platform" : "delivered to the platform", now);
        if (head.kind === "commands") this.#hooks.commandsDelivered(now);
        continue;
      }
      const tries = head.tries + 1;
      if (!result.retryable || tries >= MAX_DELIVERY_TRIES) {
        this.#settle(head, "failed", result.error, tries, now);
        this.#hooks.settled(head, false, `not delivered after ${tries} ${tries === 1 ? "try" : "tries"}: ${result.error}`, now);
        continue;
      }
      this.#sql.exec("UPDATE outbox SET tries = ?, error = ? WHERE seq = ?", tries, result.error, head.seq);
      // 1 s, 2 s, 4 s, 8 s: the platform gets time to recover, the call does not wait long.
      this.#timers.set(TIMER, TIMER, now + 1000 * 2 ** (tries - 1));
      return;
    }
  }

  /** A delivery is done with: keep its outcome, and make the next one due after its gap. */
  #settle(row: OutboxRow, status: OutboxStatus, error: string | null, tries: number, now: number): void {
    this.#sql.exec(
      "UPDATE outbox SET status = ?, error = COALESCE(?, error), tries = ?, done_at = ? WHERE seq = ?",
      status,
      error,
      tries,
      now,
      row.seq,
    );
    const next = this.#sql.exec<{ gap_ms: number }>("SELECT gap_ms FROM outbox WHERE status = 'pending' ORDER BY seq LIMIT 1").toArray()[0];
    if (next) this.#timers.set(TIMER, TIMER, now + next.gap_ms);
    else this.#timers.cancel(TIMER);
  }
}
