/**
 * A call's way through the graph: which nodes it visited and which it is in now, from its steps
 * and the offset in the flow's text each step's element has (the marks of target.ts). Used by
 * the phone as the call runs and by a live call's page.
 */
import type { FlowGraph, GraphNode } from "../graph/model.ts";

/** One step of a call as the graph needs it. */
export interface FollowStep {
  /** The element's offset in the flow's text; null for steps that are not a command of the flow. */
  offset: number | null;
  /** A condition's outcome (`<Schedule>`, `<Geo>`, `<Call>`), or a Dial that worked. */
  outcome?: "matched" | "not-matched" | "ok";
}

export interface CallPath {
  /** Classes per node id: `visited`, and `current` for the node the call is in. */
  marks: Map<string, string>;
  currentId: string | null;
  currentOffset: number | null;
}

export const EMPTY_PATH: CallPath = { marks: new Map(), currentId: null, currentOffset: null };

/** Node ids by element offset: the command node first, else the branch head the element draws as. */
export function nodesByOffset(graph: FlowGraph): Map<number, GraphNode> {
  const out = new Map<number, GraphNode>();
  for (const n of graph.nodes) {
    if (n.shape === "start" || n.shape === "end" || n.offset < 0) continue;
    const had = out.get(n.offset);
    if (!had || (had.shape === "branch" && n.shape !== "branch")) out.set(n.offset, n);
  }
  return out;
}

/** The ids a node's id says it sits in: `1_0_0_2` is in `1_0_0` and `1`. */
function ancestors(id: string): string[] {
  const parts = id.split("~")[0]!.split("_");
  const out: string[] = [];
  for (let i = parts.length - 1; i > 0; i--) out.push(parts.slice(0, i).join("_"));
  return out;
}

/**
 * The path of a call: `ended` names how a finished call left the graph (`end` when the document
 * ran out), so the end node is marked too.
 */
export function followSteps(graph: FlowGraph, steps: readonly FollowStep[], ended: { endOfFlow: boolean } | null): CallPath {
  const byOffset = nodesByOffset(graph);
  const marks = new Map<string, string>();
  const visit = (id: string) => {
    if (graph.byId.has(id)) marks.set(id, "visited");
  };
  let current: GraphNode | null = null;
  if (steps.length) visit("start");
  for (const step of steps) {
    if (step.offset === null) continue;
    const node = byOffset.get(step.offset);
    if (!node) continue;
    visit(node.id);
    for (const a of ancestors(node.id)) visit(a);
    if (step.outcome === "matched") visit(`${node.id}~yes`);
    if (step.outcome === "not-matched") visit(`${node.id}~no`);
    if (step.outcome === "ok") visit(`${node.id}~ok`);
    if (node.shape !== "branch") current = node;
  }
  if (ended) {
    if (ended.endOfFlow) visit("end");
    return { marks, currentId: null, currentOffset: null };
  }
  if (current) marks.set(current.id, "visited current");
  return { marks, currentId: current?.id ?? null, currentOffset: current?.offset ?? null };
}
