/**
 * The WebSocket streams' frames and the event payloads, as TypeScript types for client code
 * (docs/events.md tells the protocol). Types only: importing this adds nothing to a bundle.
 *
 *   import type { ServerFrame, ClientFrame, CallEvent } from "tactflow/src/contract/events.ts";
 *
 * A subscriber to `/v1/calls/{call}/events` or `/v1/events` sends {@link ClientFrame}s and
 * receives {@link ServerFrame}s: one `auth` answer, then events in order, `pong`s and `error`s.
 */
import type {
  CallEntity,
  CallEvent,
  CallEventType,
  CallFlowCommand,
  CallFlowEvent,
  CallState,
  CallStateEvent,
  FlowRolloutEvent,
  StreamEventType,
} from "../events/shapes.ts";
import type { HubEvent } from "../events/hubLog.ts";
import type { ClientFrame, StreamInfo } from "../events/protocol.ts";

export type {
  CallEntity,
  CallEvent,
  CallEventType,
  CallFlowCommand,
  CallFlowEvent,
  CallState,
  CallStateEvent,
  ClientFrame,
  FlowRolloutEvent,
  HubEvent,
  StreamEventType,
  StreamInfo,
};

/** The account the auth answer names (docs/opentact.md §d.2). */
export interface AuthAccount {
  [field: string]: unknown;
}

/** The answer to authentication, first on every socket; on `success: false` the socket closes with 4001. */
export type AuthFrame =
  | {
      uuid: string;
      created_on: string;
      type: "auth";
      success: true;
      message: string;
      payload: { uuid: string; ip: string; user: Record<string, unknown>; account: AuthAccount; stream: StreamInfo };
      account: AuthAccount;
    }
  | { uuid: string; created_on: string; type: "auth"; success: false; message: string; payload: { uuid: string; ip: string } };

/** The answer to a `ping`. */
export interface PongFrame {
  type: "pong";
  created_on: string;
}

/** A protocol complaint that does not end the subscription (an unknown frame, a bad ack). */
export interface ErrorFrame {
  uuid: string;
  created_on: string;
  type: "error";
  message: string;
}

/**
 * Everything a stream sends: on `/v1/events` the events carry `hub_seq` as well, and a number's
 * canary rollouts come as `flow_rollout` events (docs/insights.md).
 */
export type ServerFrame = AuthFrame | CallEvent | HubEvent | (FlowRolloutEvent & { hub_seq: number }) | PongFrame | ErrorFrame;

/** WebSocket close codes the streams use beyond the standard ones (docs/events.md). */
export const CLOSE_CODES = { authFailed: 4001 } as const;
