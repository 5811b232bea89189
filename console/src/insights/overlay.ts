/**
 * The number's insights laid on the flow graph: for each graph node, the share of calls that
 * reached it and how many callers hung up there, as a small badge beside the node.
 *
 * Graph ids and insight ids name the same element (the path of element-child indices; insights
 * put a `g` in front). The graph's synthetic nodes take their figures from their element: a
 * Dial's `ok` head from the Dial's successes, a condition's `matches`/`else` from how it came out,
 * the start from the calls, the end of the document from the calls that ran out of commands.
 */
import type { FlowGraph } from "../graph/model.ts";
import type { InsightsAnswer, NodeInsight } from "./types.ts";

export interface GraphBadge {
  text: string;
  /** Said in full, for the tooltip and screen readers. */
  title: string;
  /** A node where many of the callers who reached it hung up. */
  drop: boolean;
}

/** A share of callers who hang up at one node that is worth pointing at. */
export const DROP_SHARE = 0.1;

const count = (n: number) => n.toLocaleString("en-US");

/** 0.315 → "31.5 %", 0.04 → "4 %", 0.004 → "0.4 %". */
export function percent(share: number): string {
  const p = share * 100;
  if (p === 0 || p === 100) return `${p} %`;
  return `${p >= 10 ? Math.round(p) : p.toFixed(1).replace(/\.0$/, "")} %`;
}

function badge(reached: number, calls: number, what: string, hungUp = 0): GraphBadge {
  const share = calls > 0 ? reached / calls : 0;
  const gone = hungUp > 0 ? ` · ${count(hungUp)} hung up` : "";
  return {
    text: `${percent(share)}${gone}`,
    title: `${count(reached)} of ${count(calls)} calls ${what} (${percent(share)})${hungUp ? `; ${count(hungUp)} hung up here` : ""}`,
    drop: reached > 0 && hungUp / reached >= DROP_SHARE,
  };
}

/** The badges for a graph drawn from the same version the insights counted. */
export function insightBadges(ins: InsightsAnswer, graph: FlowGraph): Map<string, GraphBadge> {
  const out = new Map<string, GraphBadge>();
  const calls = ins.paths;
  if (calls === 0) return out;
  const byId = new Map<string, NodeInsight>(ins.nodes.map((n) => [n.id.slice(1), n]));
  for (const node of graph.nodes) {
    const id = node.id;
    if (id === "start") {
      out.set(id, { text: `${count(calls)} calls`, title: `${count(calls)} calls counted`, drop: false });
      continue;
    }
    if (id === "end") {
      const ran = ins.ended["end-of-flow"] ?? 0;
      out.set(id, badge(ran, calls, "ran out of commands here"));
      continue;
    }
    const [elementId, synthetic] = id.split("~") as [string, string | undefined];
    const n = byId.get(elementId);
    if (!n) continue;
    if (synthetic) {
      const how = synthetic === "ok" ? "ok" : synthetic === "yes" ? "matched" : synthetic === "no" ? "not-matched" : null;
      const left = how ? n.left.find((l) => l.how === how)?.calls : undefined;
      if (left !== undefined) out.set(id, badge(left, calls, synthetic === "ok" ? "went through" : "went this way"));
      continue;
    }
    if (node.shape === "decision" && n.gather) {
      // The decision node is the Gather waiting for keys: those who left before choosing hung up here.
      out.set(id, badge(n.entered, calls, "reached this menu", n.hungUp));
      continue;
    }
    out.set(id, badge(n.entered, calls, "reached this", n.hungUp));
  }
  return out;
}

/** The places most callers hung up, most first. */
export function dropOffs(ins: InsightsAnswer, limit = 5): NodeInsight[] {
  return ins.nodes
    .filter((n) => n.hungUp > 0)
    .sort((a, b) => b.hungUp - a.hungUp || a.line - b.line)
    .slice(0, limit);
}
