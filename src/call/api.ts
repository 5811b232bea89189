/**
 * What goes in and out of the CallSession's RPC methods. Plain data (structured-clonable), so
 * the routes and the object agree on shapes without sharing anything else.
 */
import type { CallEvent, CallEntity } from "../events/shapes.ts";
import type { Diagnostic } from "../xml/index.ts";
import type { PinnedFlow } from "./render.ts";
import type { GatherAction, GatherInput } from "./gatherTable.ts";
import type { PlatformEvent } from "./platformEvents.ts";

/** The call as the webhook saw it: what templates read. */
export interface CallFacts {
  from: string;
  to: string;
  sca: string;
  /** Call state the platform reported with the webhook, or "". */
  state: string;
  entity?: Record<string, unknown>;
}

export interface BeginInput {
  call: string;
  flow: PinnedFlow;
  facts: CallFacts;
  /** Origin the platform reaches us at, for Gather URLs (e.g. `https://flows.example.com`). */
  origin: string;
  /** WEBHOOK_TOKEN as the webhook saw it, carried in Gather URLs as `?token=`. */
  token?: string;
}

export type BeginResult =
  | { ok: true; xml: string; version: string; mode: "sync" | "async"; replay: boolean }
  /** The render failed; the caller answers the fallback document. */
  | { ok: false; error: string; version: string };

export interface GatherInputData {
  node: string;
  /** The attempt number from our URL; null when it was stripped. */
  attempt: number | null;
  /** `dtmf` or `code` as received (docs/opentact.md §f.4); null when neither came. */
  digits: string | null;
}

export type GatherResult =
  | { ok: true; xml: string; duplicate: boolean; node: string; attempt: number; input: GatherInput; action: GatherAction; digits: string }
  | { ok: false; reason: "unknown-call" | "unknown-node" | "unexpected-attempt" | "render-error"; detail: string };

export interface CommandInput {
  xml: string;
  /** `Idempotency-Key` from the request: a repeat gets the first answer and changes nothing. */
  idempotencyKey?: string;
}

export interface CommandAccepted {
  /** Deliveries queued (one per run of commands between top-level Pauses). */
  deliveries: number;
  /** Deliveries made during this request. */
  delivered: number;
  /** Deliveries waiting on a Pause (or on a retry). */
  pending: number;
  /** The park deadline after these commands (epoch ms), null when the call is ending. */
  deadlineAt: number | null;
  /** Commands after a `<Hangup/>`, which can never run. */
  dropped: string[];
  warnings: Diagnostic[];
  /** The delivery failures seen during this request. */
  errors: string[];
  replay: boolean;
}

export type CommandResult =
  | { ok: true; accepted: CommandAccepted }
  | { ok: false; status: 404 | 409 | 422 | 503; title: string; detail: string; diagnostics?: Diagnostic[] };

export type PlatformEventResult = { applied: boolean; duplicate: boolean; state: string; seq: number | null };

export interface GatherHistoryEntry {
  node: string;
  attempt: number;
  attempts: number;
  digits: string;
  input: GatherInput;
  action: GatherAction;
  branch: string | null;
  at: string;
}

export interface CallSnapshot {
  call: CallEntity;
  state: string;
  mode: "sync" | "async" | null;
  flow: { version: string; tn: string; mode: "sync" | "async" } | null;
  createdAt: string;
  ended: { at: string; reason: string } | null;
  parked: { deadlineAt: string | null; pendingDeliveries: number; timeoutMs: number } | null;
  gather: {
    /** Attempts used per node id. */
    attempts: Record<string, number>;
    /** Digits collected per node id and Gather tag (what `{{gather.NAME}}` reads). */
    digits: Record<string, string>;
    history: GatherHistoryEntry[];
  };
  timers: Array<{ kind: string; dueAt: string }>;
  events: CallEvent[];
}

export type { PlatformEvent };
