/** What `GET /v1/calls/{call}` shows of a call, read from the object's parts. */
import type { EventLog } from "../events/log.ts";
import type { CallSnapshot } from "./api.ts";
import type { GatherStore } from "./gatherStore.ts";
import type { Outbox } from "./outbox.ts";
import type { Session } from "./sessionStore.ts";
import type { Timers } from "./timers.ts";

export interface SnapshotParts {
  session: Session;
  gathers: GatherStore;
  outbox: Outbox;
  timers: Timers;
  log: EventLog | null;
  /** The park deadline a call without its own uses. */
  defaultParkMs: number;
}

export function callSnapshot(p: SnapshotParts, opts: { since?: number; limit?: number }): CallSnapshot {
  const s = p.session;
  const flow = s.pinned?.flow ?? null;
  const deadline = p.timers.get("park_deadline");
  return {
    call: s.entity,
    state: s.state,
    mode: s.mode,
    flow: flow ? { version: flow.version, tn: flow.tn, mode: flow.meta.mode } : null,
    createdAt: new Date(s.createdAt).toISOString(),
    ended: s.endedAt !== null ? { at: new Date(s.endedAt).toISOString(), reason: s.endReason ?? "" } : null,
    parked:
      s.mode === "async"
        ? {
            deadlineAt: deadline ? new Date(deadline.due_at).toISOString() : null,
            pendingDeliveries: p.outbox.pending(),
            timeoutMs: s.parkTimeoutMs ?? p.defaultParkMs,
          }
        : null,
    gather: { attempts: p.gathers.attempts(), digits: s.pinned?.facts.gather ?? {}, history: p.gathers.history() },
    timers: p.timers.all().map((t) => ({ kind: t.kind, dueAt: new Date(t.due_at).toISOString() })),
    events: p.log ? p.log.since(opts.since ?? 0, undefined, Math.min(Math.max(opts.limit ?? 1000, 1), 10_000)) : [],
  };
}
