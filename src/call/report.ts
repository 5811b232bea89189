/**
 * The call object's part in per-number insights: once the call is over (and the platform's late
 * events have had a moment to arrive), its trace (src/call/trace.ts) goes to the insights object
 * of the number that was dialled, once. A failed delivery throws, and the alarm tries again
 * (src/call/CallSession.ts); the insights object counts a call once however often it hears of it.
 */
import type { EventLog } from "../events/log.ts";
import { canonicalTn, normalizeTn } from "../tn.ts";
import type { SessionStore } from "./sessionStore.ts";
import type { Timers } from "./timers.ts";
import { type CallTrace, callTrace } from "./trace.ts";

export interface ReportParts {
  session: SessionStore;
  log: EventLog | null;
  timers: Timers;
  /** Deliver a trace to the insights of its number (`env.INSIGHTS.getByName(tn).report`). */
  send: (trace: CallTrace) => Promise<unknown>;
}

/** The call's trace, or null when it is not an inbound call to a number (nothing to count). */
export function traceOf(p: Pick<ReportParts, "session" | "log">): CallTrace | null {
  const s = p.session.get();
  if (!s) return null;
  const e = s.entity;
  if (e.direction === "out") return null;
  const facts = s.pinned?.facts ?? { from: e.from ?? "", to: e.to ?? "", sca: e.sip_control_app?.uuid ?? "", state: "" };
  const digits = normalizeTn(facts.to || e.to);
  if (!digits) return null;
  const source = {
    call: s.call,
    tn: canonicalTn(digits),
    version: s.pinned?.flow.version ?? null,
    mode: s.mode,
    facts: { from: facts.from, to: facts.to, sca: facts.sca, state: facts.state },
    endReason: s.endReason,
  };
  return callTrace(source, p.log?.since(0) ?? []);
}

/** Report the call's path unless it already was; marks the call reported and clears the timer. */
export async function reportPath(p: ReportParts, now: number): Promise<void> {
  const s = p.session.get();
  if (!s || s.reportedAt !== null) {
    p.timers.cancel("insights");
    return;
  }
  const trace = traceOf(p);
  if (trace) await p.send(trace);
  p.session.markReported(now);
  p.timers.cancel("insights");
}
