/**
 * Put a rollout step on the account's stream (`/v1/events`): the hub logs each (rollout, step)
 * once, so a retried publish is harmless. Publishing never fails the step it reports: an
 * unreachable hub is logged.
 */
import type { Rollout } from "../flows/canary.ts";
import { HUB_NAME } from "../events/EventHub.ts";
import type { HubFrame } from "../events/hubLog.ts";
import type { FlowRolloutEvent } from "../events/shapes.ts";
import { describeError, log } from "../log.ts";
import { type RolloutAction, rolloutEvent, STEP } from "./rolloutEvent.ts";

/** Put a rollout step on the account's stream. */
export async function publishRolloutEvent(env: Env, tn: string, r: Rollout, action: RolloutAction, health?: unknown): Promise<void> {
  const call_uuid = `rollout-${r.id}`;
  const seq = STEP[action];
  const event: FlowRolloutEvent = { ...rolloutEvent(tn, r, action, health), call_uuid, seq };
  const frame: HubFrame = { call_uuid, seq, type: "flow_rollout", tn, json: JSON.stringify(event) };
  try {
    await env.EVENT_HUB.getByName(HUB_NAME).ingest([frame]);
  } catch (err) {
    log("error", "rollout event not published", { tn, rollout: r.id, action, error: describeError(err) });
  }
}
