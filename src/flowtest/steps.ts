/**
 * A test run's view of a call: the simulator's trace with tactflow's Gather decisions placed
 * after the requests that asked for them, each step with the line the transcript shows.
 *
 * The decisions come from the call's own events (`call_flow` events named `Gather`), which the
 * in-process engine keeps in memory and a server serves at `GET /v1/calls/{call}`; so the same
 * call gives the same transcript in process and against `wrangler dev`.
 */
import type { CallEvent } from "../events/shapes.ts";
import { readGatherUrl } from "../call/render.ts";
import { clockLabel, describeEntry } from "../../sim/transcript.ts";
import type { CallResult, TraceEntry } from "../../sim/types.ts";

/** One decision of a tactflow-side Gather, as the call's events report it. */
export interface Decision {
  node: string;
  tag?: string;
  attempt: number;
  attempts: number;
  digits: string;
  input: "match" | "taken" | "wrong" | "none";
  action: "branch" | "retry" | "default" | "error" | "continue";
  /** `Case=1`, `DTMF=1234`, `Default`, `Error`, or null. */
  branch: string | null;
}

export type Step = (TraceEntry | { t: number; kind: "DECISION"; detail: Decision; path?: string }) & {
  /** The transcript line, without its time; null when the transcript leaves the step out. */
  line: string | null;
  /** Index into the simulator's trace (-1 for a decision). */
  index: number;
};

/** The Gather decisions among a call's events, in order. */
export function decisionsOf(events: readonly CallEvent[]): Decision[] {
  const out: Decision[] = [];
  for (const e of events) {
    if (e.type !== "call_flow" || e.payload.command.name !== "Gather") continue;
    const c = e.payload.command;
    if (typeof c["node"] !== "string" || typeof c["attempt"] !== "number") continue;
    out.push({
      node: c["node"],
      ...(typeof c.tag === "string" ? { tag: c.tag } : {}),
      attempt: c["attempt"],
      attempts: typeof c["attempts"] === "number" ? c["attempts"] : c["attempt"],
      digits: typeof c["digits"] === "string" ? c["digits"] : "",
      input: c["input"] as Decision["input"],
      action: c["action"] as Decision["action"],
      branch: typeof c["branch"] === "string" ? c["branch"] : null,
    });
  }
  return out;
}

/** `DECISION g1 [tag menu] attempt 1 of 3: "1" → Case 1`. */
export function describeDecision(d: Decision): string {
  const what = d.input === "none" ? "no input" : d.input === "wrong" ? `"${d.digits}" matches no branch` : `"${d.digits}"`;
  let outcome: string;
  switch (d.action) {
    case "branch":
      outcome = (d.branch ?? "branch").replace("=", " ");
      break;
    case "retry":
      outcome = "the prompts replay";
      break;
    case "default":
      outcome = "Default";
      break;
    case "error":
      outcome = "Error";
      break;
    case "continue":
      outcome = "no branch runs; the flow carries on";
      break;
    default: {
      const never: never = d.action;
      outcome = String(never);
    }
  }
  return `DECISION ${d.node}${d.tag !== undefined ? ` [tag ${d.tag}]` : ""} attempt ${d.attempt} of ${d.attempts}: ${what} → ${outcome}`;
}

/** The origin of the server a call went to, for printing its URLs as paths. */
function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** Merge the trace and the decisions: each decision right after the request that carried its digits. */
export function buildSteps(result: CallResult, decisions: readonly Decision[]): Step[] {
  const first = result.trace.find((e) => e.kind === "REQUEST");
  const origin = first?.kind === "REQUEST" ? originOf(first.detail.url) : undefined;
  const pending = [...decisions];
  const steps: Step[] = [];
  for (const [index, entry] of result.trace.entries()) {
    steps.push({ ...entry, line: describeEntry(entry, false, origin), index } as Step);
    if (entry.kind !== "REQUEST" || entry.detail.purpose !== "gather" || !origin || !entry.detail.url.startsWith(origin)) continue;
    const asked = readGatherUrl(entry.detail.url);
    const at = pending.findIndex((d) => d.node === asked?.node && (asked.attempt === null || d.attempt === asked.attempt));
    if (at < 0) continue;
    const [d] = pending.splice(at, 1);
    steps.push({ t: entry.t, kind: "DECISION", detail: d!, line: describeDecision(d!), index: -1 });
  }
  return steps;
}

/** The transcript of a test run: `tactflow call`'s, with the decision lines. */
export function formatSteps(result: CallResult, steps: readonly Step[]): string {
  const c = result.call;
  const lines = [`Call ${c.uuid} from ${c.from} to ${c.to}, starting ${result.startedAt}`];
  for (const s of steps) if (s.line !== null) lines.push(`${clockLabel(s.t)} ${s.line}`);
  lines.push(`Call ended at ${clockLabel(result.end.t)}: ${result.end.reason}.`);
  return lines.join("\n");
}
