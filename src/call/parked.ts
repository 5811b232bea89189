/**
 * Commands for a parked call (docs/architecture.md §3): checked, queued in the outbox, delivered
 * as far as they are due, and answered with what became of them. Each command re-arms the park
 * deadline; an `Idempotency-Key` makes a repeated request answer the first one's result.
 */
import { type CallEntity, callFlowEvent, type UnsequencedEvent } from "../events/shapes.ts";
import type { CallControl } from "../platform/CallControl.ts";
import type { CommandInput, CommandResult } from "./api.ts";
import { planCommands } from "./commands.ts";
import type { Outbox, OutboxRow } from "./outbox.ts";
import { isTerminal } from "./platformEvents.ts";
import type { SessionStore } from "./sessionStore.ts";
import type { Timers } from "./timers.ts";

/** What `command_keys` holds for a key whose request has not answered yet. */
const IN_FLIGHT = "in-flight";

export interface ParkedCall {
  sql: SqlStorage;
  session: SessionStore;
  outbox: Outbox;
  timers: Timers;
  storage: DurableObjectStorage;
  control: () => CallControl;
  /** How long an ended call's record is kept (ms). */
  retentionMs: number;
  /** The park deadline of a call that has none of its own (ms). */
  defaultParkMs: number;
  /** A delivery threw: the commands stay queued for the alarm. */
  deliveryFailed: (err: unknown) => void;
}

/** The deadline: now + the Pauses still queued + the park timeout. */
export function rearmDeadline(p: Pick<ParkedCall, "session" | "outbox" | "timers" | "defaultParkMs">, now: number): void {
  const s = p.session.get();
  if (s?.mode !== "async" || s.endedAt !== null) return;
  p.timers.set("park_deadline", "park_deadline", now + p.outbox.pendingGapMs() + (s.parkTimeoutMs ?? p.defaultParkMs));
}

export async function queueCommands(p: ParkedCall, input: CommandInput): Promise<CommandResult> {
  const session = p.session.get();
  if (!session) return { ok: false, status: 404, title: "Unknown call", detail: "tactflow knows nothing of this call" };
  const key = input.idempotencyKey;
  if (key) {
    const seen = p.sql.exec<{ result: string }>("SELECT result FROM command_keys WHERE key = ?", key).toArray()[0];
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
  if (session.endedAt !== null || isTerminal(session.state)) {
    return {
      ok: false,
      status: 409,
      title: "Call has ended",
      detail: `the call ended (${session.endReason ?? session.state}); it takes no more commands`,
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
  if (!p.control().configured) {
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
  if (key) p.sql.exec("INSERT OR REPLACE INTO command_keys (key, result) VALUES (?, ?)", key, IN_FLIGHT);
  const seqs = p.outbox.enqueue(plan.deliveries, now);
  if (plan.hangup) {
    // The commands end the call: refuse more, and let the hang-up (not the deadline) finish it.
    p.session.endByCommand(now);
    p.timers.cancel("park_deadline");
    p.timers.setNoLaterThan("cleanup", "cleanup", now + p.retentionMs);
  } else {
    rearmDeadline(p, now);
  }
  try {
    await p.outbox.drain();
  } catch (err) {
    // The commands are queued in the outbox either way and the alarm retries them; answer
    // "accepted, pending" so the Idempotency-Key gets a result instead of staying in flight.
    p.deliveryFailed(err);
  }
  await p.timers.arm(p.storage);
  const deadline = p.timers.get("park_deadline");
  const outcome = p.outbox.outcome(seqs);
  const result: CommandResult = {
    ok: true,
    accepted: {
      deliveries: plan.deliveries.length,
      delivered: outcome.delivered,
      pending: outcome.pending,
      deadlineAt: deadline ? deadline.due_at : null,
      dropped: plan.dropped,
      warnings: plan.warnings,
      errors: outcome.errors,
      replay: false,
    },
  };
  if (key) p.sql.exec("INSERT OR REPLACE INTO command_keys (key, result) VALUES (?, ?)", key, JSON.stringify(result));
  return result;
}

/** A delivery's events: one per command it carried (path `Commands[seq].Name[n]`), or the hang-up. */
export function deliveryEvents(row: OutboxRow, success: boolean, reason: string, entity: CallEntity, at: Date): UnsequencedEvent[] {
  if (row.kind === "hangup")
    return [callFlowEvent(entity, { name: "Hangup", success, reason, path: `Commands[${row.seq}].Hangup[0]` }, at)];
  const { names, tags } = JSON.parse(row.names || '{"names":[],"tags":[]}') as { names: string[]; tags: Array<string | null> };
  const counts = new Map<string, number>();
  return names.map((name, i) => {
    const n = counts.get(name) ?? 0;
    counts.set(name, n + 1);
    const tag = tags[i] ?? undefined;
    return callFlowEvent(entity, { name, success, reason, path: `Commands[${row.seq}].${name}[${n}]`, ...(tag ? { tag } : {}) }, at);
  });
}
