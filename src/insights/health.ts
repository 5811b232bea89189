/**
 * A rollout's health: the candidate's rates against the stable version's, from the calls each
 * side got since the rollout started (src/insights/book.ts keeps the figures).
 *
 * | rate           | counted over         | what makes a call count                              |
 * |----------------|----------------------|------------------------------------------------------|
 * | fallbacks      | calls started        | the webhook answered the fallback (the render failed) |
 * | errors         | calls with a path    | a Callback, Dial or remote Gather failed              |
 * | quick hang-ups | calls with a path    | the caller hung up within 5 s of a command starting   |
 *
 * A rate is compared once the candidate has `minCalls` calls counted over it. The stable
 * version's rate is the baseline when it has `minCalls` too; before that, fallbacks and errors
 * are compared with zero (they are failures whatever the flow) and quick hang-ups not at all.
 * The candidate is rolled back when any rate is more than `maxIncrease` above its baseline.
 * Plain TypeScript.
 */
import type { RolloutPolicy } from "../flows/canary.ts";
import type { Role, RoleHealth } from "./book.ts";

export type MetricName = "fallbacks" | "errors" | "quick hang-ups";

export interface Side {
  n: number;
  of: number;
  rate: number | null;
}

export interface Metric {
  name: MetricName;
  stable: Side;
  candidate: Side;
  /** The stable rate the candidate is held to, or null when it is not compared yet. */
  baseline: number | null;
  worse: boolean;
}

export interface Verdict {
  /** `waiting`: too few candidate calls to say; `healthy`: compared, not worse; `worse`: roll back. */
  verdict: "waiting" | "healthy" | "worse";
  reason: string | null;
  metrics: Metric[];
}

const side = (n: number, of: number): Side => ({ n, of, rate: of > 0 ? n / of : null });
export const percent = (r: number | null) => (r === null ? "–" : `${(100 * r).toFixed(1)} %`);

export function judgeRollout(h: Record<Role, RoleHealth>, p: RolloutPolicy): Verdict {
  const pairs: Array<[MetricName, Side, Side, boolean]> = [
    ["fallbacks", side(h.stable.fallbacks, h.stable.started), side(h.candidate.fallbacks, h.candidate.started), true],
    ["errors", side(h.stable.errors, h.stable.reported), side(h.candidate.errors, h.candidate.reported), true],
    ["quick hang-ups", side(h.stable.quick, h.stable.reported), side(h.candidate.quick, h.candidate.reported), false],
  ];
  const metrics: Metric[] = pairs.map(([name, stable, candidate, failure]) => {
    const ready = candidate.of >= p.minCalls;
    const baseline = !ready ? null : stable.of >= p.minCalls ? (stable.rate ?? 0) : failure ? 0 : null;
    const worse = baseline !== null && candidate.rate !== null && candidate.rate - baseline > p.maxIncrease;
    return { name, stable, candidate, baseline, worse };
  });
  const bad = metrics.find((m) => m.worse);
  if (bad) {
    const s = bad.stable.of >= p.minCalls ? `stable ${percent(bad.stable.rate)} (${bad.stable.n} of ${bad.stable.of})` : "none expected";
    return {
      verdict: "worse",
      reason: `candidate ${bad.name} ${percent(bad.candidate.rate)} (${bad.candidate.n} of ${bad.candidate.of} calls) vs ${s}: more than ${Math.round(100 * p.maxIncrease)} points worse`,
      metrics,
    };
  }
  const compared = metrics.some((m) => m.baseline !== null);
  return { verdict: compared && h.candidate.reported >= p.minCalls ? "healthy" : "waiting", reason: null, metrics };
}
