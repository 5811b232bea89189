/**
 * Call event envelopes, per docs/opentact.md §d.4 and d.6: `call_state` in the 2024 shape, `call_flow` in
 * the 2022 shape plus the 2024 `uuid` / `created_on`, so both generations of client parse them.
 * Every event we store also carries a top-level `seq` (the call's event sequence number) and
 * `call_uuid`, which is what resume (`?since=`) and the account-wide hub key on.
 */

/** The subset of the Opentact call entity (docs/opentact.md §a.2) that we track and echo. */
export interface CallEntity {
  uuid: string;
  direction: "in" | "out";
  from: string;
  to: string;
  state: string;
  duration: number;
  type: string;
  created_on?: string;
  modified_on?: string;
  init_on?: string | null;
  ring_on?: string | null;
  answer_on?: string | null;
  hangup_on?: string | null;
  destroy_on?: string | null;
  q850_cause?: number | null;
  q850_cause_string?: string | null;
  sip_control_app?: { uuid: string; name?: string } | null;
  [extra: string]: unknown;
}

export type CallState = "init" | "ringing" | "live" | "hangup" | "destroyed" | "finished" | "failed";

interface Stored {
  /** The call's event sequence number, 1-based, gap-free. */
  seq: number;
  /** The call this event belongs to (also inside `call.uuid`). */
  call_uuid: string;
}

export interface CallStateEvent extends Stored {
  uuid: string;
  created_on: string;
  timestamp: string;
  type: "call_state";
  message: string;
  payload: { state: string; duration: number; reason?: string; q850_cause?: number | null; q850_cause_string?: string | null };
  call: CallEntity;
}

export interface CallFlowCommand {
  name: string;
  success: boolean;
  reason: string;
  path: string;
  children: unknown[];
  error: unknown[];
  tag?: string;
  [detail: string]: unknown;
}

export interface CallFlowEvent extends Stored {
  uuid: string;
  created_on: string;
  timestamp: string;
  type: "call_flow";
  success: boolean;
  message: string;
  command: string;
  tag?: string;
  payload: { command: CallFlowCommand; call: CallEntity };
}

export type CallEvent = CallStateEvent | CallFlowEvent;
export type CallEventType = CallEvent["type"];
export const CALL_EVENT_TYPES: readonly CallEventType[] = ["call_state", "call_flow"];

/**
 * An account-wide event about a number's flow rather than a call: a canary rollout started,
 * promoted, aborted, or rolled back automatically (docs/insights.md). Only the hub carries it;
 * `call_uuid` is `rollout-<id>` and `seq` numbers the rollout's steps, so it resumes like the rest.
 */
export interface FlowRolloutEvent extends Stored {
  uuid: string;
  created_on: string;
  timestamp: string;
  type: "flow_rollout";
  tn: string;
  action: "start" | "promote" | "abort" | "auto-abort";
  /** False for an automatic rollback. */
  success: boolean;
  message: string;
  rollout: {
    id: string;
    stable: string;
    candidate: string;
    percent: number;
    state: string;
    startedAt: string;
    endedAt?: string;
    reason?: string;
  };
  /** The figures behind an automatic rollback (src/insights/health.ts). */
  health?: unknown;
}

/** What the streams carry: call events, and on the hub flow rollout events too. */
export type StreamEventType = CallEventType | FlowRolloutEvent["type"];
export const STREAM_EVENT_TYPES: readonly StreamEventType[] = [...CALL_EVENT_TYPES, "flow_rollout"];

/** An event before the log gives it a sequence number. */
export type UnsequencedEvent = CallEvent extends infer E ? (E extends CallEvent ? Omit<E, "seq"> : never) : never;

/** `CallSCA in +18389999168 > 18382049000 - live` (docs/opentact.md §d.4). */
export function callStateMessage(call: CallEntity, state: string): string {
  return `${call.type || "CallSCA"} ${call.direction} ${call.from} > ${call.to} - ${state}`;
}

export function callStateEvent(
  call: CallEntity,
  state: string,
  now: Date,
  extra: { reason?: string; q850_cause?: number | null; q850_cause_string?: string | null } = {},
): UnsequencedEvent {
  const iso = now.toISOString();
  return {
    uuid: crypto.randomUUID(),
    created_on: iso,
    timestamp: iso,
    type: "call_state",
    call_uuid: call.uuid,
    message: callStateMessage(call, state),
    payload: { state, duration: call.duration, ...extra },
    call,
  };
}

export function callFlowEvent(
  call: CallEntity,
  command: { name: string; success: boolean; reason: string; path: string; tag?: string | undefined; [detail: string]: unknown },
  now: Date,
): UnsequencedEvent {
  const iso = now.toISOString();
  const { name, success, reason, path, tag, ...detail } = command;
  return {
    uuid: crypto.randomUUID(),
    created_on: iso,
    timestamp: iso,
    type: "call_flow",
    call_uuid: call.uuid,
    success,
    // 2022 message shape: "[success] command Answer[0], reason: Call answered".
    message: `[${success ? "success" : "failed"}] command ${path}, reason: ${reason}`,
    command: name,
    ...(tag !== undefined ? { tag } : {}),
    payload: {
      command: {
        name,
        success,
        reason,
        path,
        children: [],
        error: success ? [] : [reason],
        ...(tag !== undefined ? { tag } : {}),
        ...detail,
      },
      call,
    },
  };
}
