/**
 * The call entity a call's events carry (docs/opentact.md §a.2, d.4): what the webhook and the
 * platform's events told us of the call, merged. Pure functions, shared by the engine and the
 * call object.
 */
import type { CallEntity } from "../events/shapes.ts";
import type { CallFacts } from "./api.ts";

/** The entity of a call we know nothing of yet but its uuid. */
export function blankEntity(call: string): CallEntity {
  return { direction: "in", from: "", to: "", state: "", duration: 0, type: "CallSCA", uuid: call };
}

/**
 * The entity after the webhook: what we knew before (`prior`, from earlier events) wins over
 * the webhook's body, the webhook's from/to fill what is missing.
 */
export function entityFrom(call: string, facts: CallFacts | null, prior: CallEntity | null): CallEntity {
  const fromBody = facts?.entity ? pickEntity(facts.entity) : {};
  return {
    ...blankEntity(call),
    ...fromBody,
    ...(prior ?? {}),
    ...(facts ? { from: facts.from || prior?.from || "", to: facts.to || prior?.to || "" } : {}),
    ...(facts?.sca && !prior?.sip_control_app ? { sip_control_app: { uuid: facts.sca } } : {}),
    ...(facts?.state && !prior?.state ? { state: facts.state } : {}),
    uuid: call,
  };
}

/** The call-entity fields a webhook body may carry that we echo in events. */
function pickEntity(raw: Record<string, unknown>): Partial<CallEntity> {
  const out: Partial<CallEntity> = {};
  if (raw.direction === "in" || raw.direction === "out") out.direction = raw.direction;
  for (const k of ["created_on", "init_on", "ring_on", "answer_on"] as const) {
    const v = raw[k];
    if (typeof v === "string") out[k] = v;
  }
  return out;
}
