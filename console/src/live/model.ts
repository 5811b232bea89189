/**
 * Calls as the event stream describes them: each event updates its call's row (number, caller,
 * state, the command it is at, when it started and ended, and how). Pure: the live list, the
 * recent calls of a number and their tests all go through {@link applyEvents}.
 */
import type { StreamEvent } from "./event.ts";

export interface CallRow {
  id: string;
  /** The call's own number: the dialled TN of an inbound call, the caller id of an outbound one. */
  tn: string;
  from: string;
  to: string;
  direction: "in" | "out";
  /** The last `call_state` (`init`, `ringing`, `live`, `hangup`, `destroyed`, …). */
  state: string;
  /** The command the call is at, as the last `call_flow` event names it. */
  node: string;
  /** When the call's first event happened (its own clock: a simulated call's runs ahead). */
  startedAt: number;
  /** When its `hangup` (or `destroyed`) came; null while it is up. */
  endedAt: number | null;
  /** The platform's duration in seconds, from the end's `call_state`. */
  duration: number | null;
  /** How it ended: the Q.850 cause, or the failure that ended it. */
  outcome: string;
  /** A command failed on the way (the call may have gone on). */
  failed: string | null;
  /** The flow version it is pinned to, from the `Response` event. */
  version: string | null;
  lastSeq: number;
  events: number;
}

const ENDED = new Set(["hangup", "destroyed", "completed", "failed", "canceled", "busy", "no-answer"]);

export function isEnded(state: string): boolean {
  return ENDED.has(state);
}

function str(v: unknown): string {
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : "";
}

function timeOf(e: StreamEvent): number {
  const t = Date.parse(e.created_on ?? e.timestamp ?? "");
  return Number.isFinite(t) ? t : Date.now();
}

/** The call entity an event carries (`call` on `call_state`, `payload.call` on `call_flow`). */
function entityOf(e: StreamEvent): Record<string, unknown> {
  const c = e.call ?? (e.payload?.["call"] as Record<string, unknown> | undefined);
  return c && typeof c === "object" ? c : {};
}

/** What a `call_flow` event's command says where the call is: `Gather[1]/Say[0]`, `g1 → Case=1`. */
export function nodeOf(e: StreamEvent): string {
  const cmd = (e.payload?.["command"] ?? {}) as Record<string, unknown>;
  const path = str(cmd["path"]) || str(e.command);
  const branch = str(cmd["branch"]);
  if (cmd["node"] !== undefined && cmd["input"] !== undefined) {
    const digits = str(cmd["digits"]);
    return `${path} ${digits ? `"${digits}"` : "no input"}${branch ? ` → ${branch}` : ""}`;
  }
  return e.tag ? `${path} (${e.tag})` : path;
}

/** Folds a batch of events into `calls` (mutated, for speed: a busy stream is thousands of events). */
export function applyEvents(calls: Map<string, CallRow>, events: readonly StreamEvent[]): Set<string> {
  const touched = new Set<string>();
  for (const e of events) {
    if (e.type !== "call_state" && e.type !== "call_flow") continue;
    const id = e.call_uuid;
    let row = calls.get(id);
    const entity = entityOf(e);
    if (!row) {
      const direction = str(entity["direction"]) === "out" ? "out" : "in";
      const from = str(entity["from"]);
      const to = str(entity["to"]);
      row = {
        id,
        tn: direction === "out" ? from : to,
        from,
        to,
        direction,
        state: "",
        node: "",
        startedAt: timeOf(e),
        endedAt: null,
        duration: null,
        outcome: "",
        failed: null,
        version: null,
        lastSeq: 0,
        events: 0,
      };
      calls.set(id, row);
    }
    touched.add(id);
    row.events++;
    if (e.seq < row.lastSeq) continue; // an older event (a replay after a newer live one): counted, not applied
    row.lastSeq = e.seq;
    if (!row.from && entity["from"]) row.from = str(entity["from"]);
    if (e.type === "call_state") {
      const p = e.payload ?? {};
      row.state = str(p["state"]) || row.state;
      if (isEnded(row.state)) {
        row.endedAt ??= timeOf(e);
        if (typeof p["duration"] === "number") row.duration = p["duration"];
        const cause = str(p["q850_cause_string"]);
        row.outcome = row.failed ? `failed: ${row.failed}` : cause || row.state;
      } else if (row.state === "live" || row.state === "ringing" || row.state === "init") {
        row.endedAt = null;
      }
    } else {
      row.node = nodeOf(e);
      const cmd = (e.payload?.["command"] ?? {}) as Record<string, unknown>;
      if (str(cmd["name"]) === "Response" && cmd["version"]) row.version = str(cmd["version"]);
      if (e.success === false) row.failed = `${str(cmd["path"]) || str(e.command)}: ${str(cmd["reason"]) || str(e.message)}`.slice(0, 160);
    }
  }
  return touched;
}

/** Calls in progress, newest first. */
export function inProgress(calls: ReadonlyMap<string, CallRow>): CallRow[] {
  return [...calls.values()].filter((c) => c.endedAt === null).sort((a, b) => b.startedAt - a.startedAt);
}

/** Calls that ended, newest end first, at most `limit`. */
export function ended(calls: ReadonlyMap<string, CallRow>, limit: number): CallRow[] {
  return [...calls.values()]
    .filter((c) => c.endedAt !== null)
    .sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0))
    .slice(0, limit);
}

/** Seconds as `m:ss` (or `h:mm:ss`). */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** How long a call has lasted (up) or lasted (ended), in seconds. */
export function durationOf(row: CallRow, now: number): number {
  if (row.endedAt !== null) return row.duration ?? (row.endedAt - row.startedAt) / 1000;
  return (now - row.startedAt) / 1000;
}
