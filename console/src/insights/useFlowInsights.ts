/**
 * The flow page's insights: fetched for the published version when the page opens (and again on
 * Refresh or a new range), shared by the Insights panel and the badges on the graph.
 */
import { useMemo, useState } from "preact/hooks";
import type { FlowGraph } from "../graph/model.ts";
import { useAsync, type AsyncState } from "../ui/async.ts";
import { useApi } from "../ui/context.ts";
import { type GraphBadge, insightBadges } from "./overlay.ts";
import type { InsightsAnswer } from "./types.ts";

export type InsightsRange = "24h" | "7d" | "30d";
export const RANGE_HOURS: Record<InsightsRange, number> = { "24h": 24, "7d": 24 * 7, "30d": 24 * 30 };

export interface FlowInsights {
  state: AsyncState<InsightsAnswer | null> & { reload: () => void };
  range: InsightsRange;
  setRange: (r: InsightsRange) => void;
  show: boolean;
  setShow: (on: boolean) => void;
  /** The graph is drawn from the text the figures were counted on (no unpublished edits). */
  matchesGraph: boolean;
  /** Badges for the graph, when shown and matching. */
  badges: ReadonlyMap<string, GraphBadge> | undefined;
}

/**
 * @param version the published version (null: nothing published, nothing to fetch)
 * @param sameText the editor holds the published version's XML, so graph ids are the counted ones
 */
export function useFlowInsights(tn: string | null, version: string | null, graph: FlowGraph | null, sameText: boolean): FlowInsights {
  const api = useApi();
  const [range, setRange] = useState<InsightsRange>("24h");
  const [show, setShow] = useState(true);
  const state = useAsync<InsightsAnswer | null>(async () => {
    // The catch-all has no insights of its own: its calls are counted under the dialled numbers.
    if (!tn || !version || tn === "*") return null;
    const to = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000);
    const from = new Date(to.getTime() - RANGE_HOURS[range] * 3_600_000);
    const q = new URLSearchParams({ version, from: from.toISOString(), to: to.toISOString() });
    return api.json<InsightsAnswer>(`/v1/flows/${encodeURIComponent(tn)}/insights?${q}`);
  }, [api, tn, version, range]);
  const data = state.data ?? null;
  const matchesGraph = sameText && !!data && data.version === version;
  const badges = useMemo(
    () => (show && matchesGraph && data && graph ? insightBadges(data, graph) : undefined),
    [show, matchesGraph, data, graph],
  );
  return { state, range, setRange, show, setShow, matchesGraph, badges };
}
