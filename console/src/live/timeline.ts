/**
 * A call's event log as the lines of its timeline: states, the flow served, each command the
 * platform ran, each Gather decision (digits and attempt), each delivery of a parked call's
 * commands, and the end with its cause. Pure, so the call page and its tests read it alike.
 */
import type { StreamEvent } from "./event.ts";

export type TimelineKind = "state" | "served" | "command" | "decision" | "delivery" | "deadline" | "end";

export interface TimelineLine {
  seq: number;
  at: string;
  kind: TimelineKind;
  /** What happened, in a line. */
  text: string;
  ok: boolean;
}

function str(v: unknown): string {
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : "";
}

export function timelineOf(events: readonly StreamEvent[]): TimelineLine[] {
  const out: TimelineLine[] = [];
  for (const e of events) {
    const at = e.created_on ?? e.timestamp ?? "";
    const p = e.payload ?? {};
    if (e.type === "call_state") {
      const state = str(p["state"]);
      if (state === "hangup" || state === "destroyed") {
        const cause = str(p["q850_cause_string"]);
        const code = str(p["q850_cause"]);
        const duration = typeof p["duration"] === "number" ? `, ${p["duration"]} s` : "";
        out.push({
          seq: e.seq,
          at,
          kind: "end",
          text: `${state}${cause ? ` — ${cause}${code ? ` (${code})` : ""}` : ""}${duration}`,
          ok: true,
        });
      } else out.push({ seq: e.seq, at, kind: "state", text: state, ok: true });
      continue;
    }
    if (e.type !== "call_flow") continue;
    const cmd = (p["command"] ?? {}) as Record<string, unknown>;
    const name = str(cmd["name"]);
    const path = str(cmd["path"]);
    const reason = str(cmd["reason"]);
    const ok = e.success !== false;
    const tag = e.tag ? ` [${e.tag}]` : "";
    if (cmd["node"] !== undefined && cmd["input"] !== undefined) {
      const digits = str(cmd["digits"]);
      const attempt = `attempt ${str(cmd["attempt"])} of ${str(cmd["attempts"])}`;
      const branch = str(cmd["branch"]);
      const what = digits ? `digits "${digits}"` : "no digits";
      out.push({
        seq: e.seq,
        at,
        kind: "decision",
        text: `Gather ${str(cmd["node"])}: ${what} (${str(cmd["input"])}, ${attempt}) → ${str(cmd["action"])}${branch ? ` ${branch}` : ""}${tag}`,
        ok,
      });
    } else if (name === "Response") {
      out.push({ seq: e.seq, at, kind: "served", text: reason || "flow served", ok });
    } else if (path.startsWith("Commands[")) {
      out.push({ seq: e.seq, at, kind: "delivery", text: `${path}: ${reason}${tag}`, ok });
    } else if (name === "Deadline") {
      out.push({ seq: e.seq, at, kind: "deadline", text: reason, ok });
    } else {
      out.push({ seq: e.seq, at, kind: "command", text: `${path || name}: ${reason}${tag}`, ok });
    }
  }
  return out;
}
