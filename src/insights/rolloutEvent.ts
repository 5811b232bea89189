/**
 * A canary rollout's steps as events for the account-wide stream (`/v1/events`, type
 * `flow_rollout`): its start, a promote, an abort, an automatic rollback with the figures behind
 * it (src/insights/publishRollout.ts sends them). Plain TypeScript.
 */
import type { Rollout } from "../flows/canary.ts";
import type { FlowRolloutEvent } from "../events/shapes.ts";

export type RolloutAction = FlowRolloutEvent["action"];

/** The step's number within its rollout: a start is 1, the one end it can have is 2. */
export const STEP: Record<RolloutAction, number> = { start: 1, promote: 2, abort: 2, "auto-abort": 2 };

export function rolloutMessage(tn: string, r: Rollout, action: RolloutAction): string {
  const c = r.candidate.slice(0, 12);
  const s = r.stable.slice(0, 12);
  switch (action) {
    case "start":
      return `${tn}: canary ${c} started for ${r.percent} % of callers (stable ${s}, rollout ${r.id})`;
    case "promote":
      return `${tn}: canary ${c} promoted; it now answers every call (rollout ${r.id})`;
    case "abort":
      return `${tn}: canary ${c} aborted; ${s} answers every call again (rollout ${r.id})`;
    case "auto-abort":
      return `${tn}: canary ${c} rolled back automatically; ${s} answers every call again: ${r.reason ?? "the candidate was worse"} (rollout ${r.id})`;
    default: {
      const never: never = action;
      return String(never);
    }
  }
}

export function rolloutEvent(
  tn: string,
  r: Rollout,
  action: RolloutAction,
  health?: unknown,
  now = new Date(),
): Omit<FlowRolloutEvent, "seq" | "call_uuid"> {
  const iso = now.toISOString();
  return {
    uuid: crypto.randomUUID(),
    created_on: iso,
    timestamp: iso,
    type: "flow_rollout",
    tn,
    action,
    success: action !== "auto-abort",
    message: rolloutMessage(tn, r, action),
    rollout: {
      id: r.id,
      stable: r.stable,
      candidate: r.candidate,
      percent: r.percent,
      state: r.state,
      startedAt: r.startedAt,
      ...(r.endedAt ? { endedAt: r.endedAt } : {}),
      ...(r.reason ? { reason: r.reason } : {}),
    },
    ...(health !== undefined ? { health } : {}),
  };
}
