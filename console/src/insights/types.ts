/**
 * The number's insights as `GET /v1/flows/{tn}/insights` answers them (docs/insights.md): the
 * fields the console reads. Written out here rather than imported from the Worker's source, so
 * the console's type check needs none of the Worker's types.
 */

export type EndKind = "flow-hangup" | "caller-hangup" | "dial" | "end-of-flow" | "fallback" | "left-flow" | "parked" | "park-timeout";

export interface NodeInsight {
  /** `g1_0_2`: the graph's node id with a `g` in front. */
  id: string;
  tag: string;
  line: number;
  label: string;
  entered: number;
  left: Array<{ how: string; label: string; calls: number }>;
  hungUp: number;
  quick: number;
  ended: Partial<Record<EndKind, number>>;
  errors: number;
  gather?: { attempts: number; silent: number; wrong: number; abandoned: number; decided: number; medianMs: number | null };
}

export interface HourInsight {
  /** ISO time of the hour's start. */
  hour: string;
  calls: number;
  paths: number;
  fallbacks: number;
  errors: number;
  quick: number;
  ended: Partial<Record<EndKind, number>>;
}

export interface RolloutInfo {
  id: string;
  stable: string;
  candidate: string;
  percent: number;
  state: string;
  startedAt: string;
  endedAt?: string;
  reason?: string;
}

export interface InsightsAnswer {
  tn: string;
  current: string | null;
  rollout: RolloutInfo | null;
  version: string;
  from: string;
  to: string;
  calls: number;
  paths: number;
  fallbackRate: number | null;
  errorRate: number | null;
  quickRate: number | null;
  meanDurationMs: number | null;
  ended: Partial<Record<EndKind, number>>;
  nodes: NodeInsight[];
  hours: HourInsight[];
}
