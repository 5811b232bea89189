/**
 * What a call reports when it is over, for per-number insights (src/insights): the raw material
 * of its path, read from the call's event log once, in the order the events arrived.
 *
 * - `cmd`: a command the platform says it ran (its `call_flow` events, docs/opentact.md §d.6),
 *   with the command's path in the document it was running and the platform's time;
 * - `state`: a call state the platform reported (or our park timeout's hang-up);
 * - `gather`: a Gather decision the call object made (the node, the attempt, the branch run);
 * - `deliver`: commands of a parked call were delivered: what runs next is not the flow's document.
 *
 * Turning this into nodes entered, Gather outcomes and where the caller hung up needs the flow
 * version, which the insights object loads; this file only reads the log. Plain TypeScript.
 */
import type { CallEvent } from "../events/shapes.ts";
import type { GatherAction, GatherInput } from "./gatherTable.ts";
import type { CallFacts } from "./api.ts";

export type TraceStep =
  | { k: "cmd"; at: number; path: string; name: string; ok: boolean; reason?: string }
  | { k: "state"; at: number; state: string }
  | { k: "gather"; at: number; node: string; attempt: number; input: GatherInput; action: GatherAction; body: string | null }
  | { k: "deliver"; at: number };

export interface CallTrace {
  call: string;
  /** The dialled number, canonical digits: the insights object that counts the call. */
  tn: string;
  /** The version a stateful call was pinned to; null for a call the webhook answered alone. */
  version: string | null;
  mode: "sync" | "async" | null;
  /** When a stateful call's first document was rendered (epoch ms, our clock); null otherwise. */
  begunAt: number | null;
  /** What the render saw of the call (`<Call>`, `<Geo>` and `<Schedule>` read it). */
  facts: Pick<CallFacts, "from" | "to" | "sca" | "state">;
  /** Why the call object ended the call (`platform: hangup`, `park timeout`, …). */
  endReason: string | null;
  /** The call object could not render the first document: the call got the fallback. */
  renderFailed: boolean;
  steps: TraceStep[];
}

/** The call facts a trace needs, as the call object keeps them. */
export interface TraceSource {
  call: string;
  tn: string;
  version: string | null;
  mode: "sync" | "async" | null;
  facts: Pick<CallFacts, "from" | "to" | "sca" | "state">;
  endReason: string | null;
}

const CONDITIONS = new Set(["Call", "Geo", "Schedule"]);

function time(iso: string): number {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : 0;
}

/** The trace of a call from its events, oldest first. */
export function callTrace(src: TraceSource, events: readonly CallEvent[]): CallTrace {
  const steps: TraceStep[] = [];
  let begunAt: number | null = null;
  let renderFailed = false;
  for (const e of events) {
    const at = time(e.created_on);
    if (e.type === "call_state") {
      steps.push({ k: "state", at, state: e.payload.state });
      continue;
    }
    const c = e.payload.command;
    if (c.source === "platform") {
      const step: TraceStep = { k: "cmd", at, path: c.path, name: c.name, ok: c.success };
      // A platform-side condition says whether it held only in its reason.
      if (CONDITIONS.has(c.name)) step.reason = c.reason.slice(0, 80);
      steps.push(step);
    } else if (c.name === "Gather" && typeof c.node === "string" && typeof c.attempt === "number" && typeof c.action === "string") {
      steps.push({
        k: "gather",
        at,
        node: c.node,
        attempt: c.attempt,
        input: c.input as GatherInput,
        action: c.action as GatherAction,
        body: typeof c.body === "string" ? c.body : null,
      });
    } else if (c.name === "Response" && c.path === "Response" && begunAt === null) {
      if (c.success && typeof c.version === "string") begunAt = at;
      else if (!c.success && /could not be rendered/.test(c.reason)) renderFailed = true;
    } else if (c.path.startsWith("Commands[")) {
      steps.push({ k: "deliver", at });
    }
  }
  return { ...src, begunAt, renderFailed, steps };
}
