/**
 * The way a call went through its flow version's graph, from its event log.
 *
 * A platform event names a command by its place in the document the platform ran
 * (`Gather[1]/Say[0]`), and after each Gather decision the platform runs a new document (the
 * branch and the continuation). To find those commands in the version's text, the call is
 * answered again in the browser by tactflow's own code (the phone's engine) over a marked copy
 * of the version (target.ts): the webhook with the call as it came in, then each Gather decision
 * the log holds, with its digits. Each answer is the document the platform ran next, with a
 * `tf` mark naming the element of the text every command came from.
 */
import type { PinnedFlowMeta } from "../../../src/call/render.ts";
import { parseXml, type FlowDocument } from "../../../src/xml/index.ts";
import type { FlowVersion } from "../api.ts";
import type { FlowGraph } from "../graph/model.ts";
import { BrowserEngine } from "../phone/engine.ts";
import type { FollowStep } from "../phone/follow.ts";
import { markedFlow, markedOffset, resolvePath } from "../phone/target.ts";
import type { StreamEvent } from "./event.ts";

function metaOf(v: FlowVersion): PinnedFlowMeta {
  return {
    mode: v.mode,
    timezone: v.timezone,
    variables: v.variables,
    conditions: v.conditions,
    ...(v.parkTimeoutMs !== undefined ? { parkTimeoutMs: v.parkTimeoutMs } : {}),
  };
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function commandOf(e: StreamEvent): Record<string, unknown> {
  const c = e.payload?.["command"];
  return c && typeof c === "object" ? (c as Record<string, unknown>) : {};
}

export interface CallTrail {
  /** One step per event (null offset: not a command of the flow's text). */
  steps: FollowStep[];
  /** Offsets per event seq, for the timeline to select an element. */
  offsets: Map<number, number>;
  /** The call left the graph at the end of the document (not by a Hangup). */
  endOfFlow: boolean;
  /** Why the path could not be drawn, when it could not. */
  problem: string | null;
}

/** The steps of the call whose `events` (in seq order) ran on `version`. */
export function trailOf(version: FlowVersion, graph: FlowGraph, callId: string, events: readonly StreamEvent[]): CallTrail {
  const steps: FollowStep[] = [];
  const offsets = new Map<number, number>();
  const served = events.find((e) => e.type === "call_flow" && str(commandOf(e)["name"]) === "Response" && e.success !== false);
  if (!served) return { steps, offsets, endOfFlow: false, problem: "the log has no served flow" };
  const engine = new BrowserEngine(markedFlow(version.tn, version.xml, metaOf(version)), { origin: location.origin });
  const entity = (served.payload?.["call"] ?? {}) as Record<string, unknown>;
  const sca = entity["sip_control_app"] as { uuid?: string } | undefined;
  const first = engine.webhook(
    { from: str(entity["from"]), to: str(entity["to"]), call: callId, sca: str(sca?.uuid), state: str(entity["state"]), entity },
    new Date(served.created_on ?? Date.now()),
  );
  if (!first.ok) return { steps, offsets, endOfFlow: false, problem: `the version could not be answered again here: ${first.reason}` };
  let doc: FlowDocument | null = parseXml(first.xml).document;
  let next: FlowDocument | null = null;
  let lastName = "";
  for (const e of events) {
    if (e.type !== "call_flow") continue;
    const cmd = commandOf(e);
    const name = str(cmd["name"]);
    const path = str(cmd["path"]);
    if (cmd["node"] !== undefined && cmd["input"] !== undefined) {
      // A Gather decision: the graph's decision node, then the document the platform runs next.
      const node = graph.byId.get(str(cmd["node"]).replace(/^g/, ""));
      if (node) {
        steps.push({ offset: node.offset });
        offsets.set(e.seq, node.offset);
      }
      const url = `${location.origin}/v1/calls/${encodeURIComponent(callId)}/gather?node=${encodeURIComponent(str(cmd["node"]))}&attempt=${Number(cmd["attempt"]) || 1}`;
      const digits = typeof cmd["digits"] === "string" && cmd["digits"] !== "" ? cmd["digits"] : null;
      const again = engine.gather(url, digits, new Date(e.created_on ?? Date.now()));
      next = again.ok ? parseXml(again.xml).document : null;
      continue;
    }
    if (cmd["source"] !== "platform" || path.startsWith("Commands[")) continue;
    // The platform reports the Gather that fetched the next document after the decision: it
    // belongs to the document before; any other command is in the next one.
    if (next && !(name === "Gather" && doc && resolvePath(doc.root, path)?.kind === "Gather")) {
      doc = next;
      next = null;
    }
    const offset = doc ? markedOffset(doc, path) : null;
    lastName = name;
    if (offset === null) continue;
    offsets.set(e.seq, offset);
    const bridged = name === "Dial" && e.success !== false && /^Bridged/.test(str(cmd["reason"]));
    steps.push(bridged ? { offset, outcome: "ok" } : { offset });
  }
  return { steps, offsets, endOfFlow: lastName !== "Hangup" && lastName !== "", problem: null };
}
