/**
 * The simulator's vocabulary: what a scenario scripts, what a run records, how a call ends.
 *
 * The simulator plays the platform's side of docs/opentact.md: it requests the
 * call-flow webhook, executes the XML it gets back on a virtual clock, and reports every step
 * as a trace entry. Nothing here touches Node or Workers APIs, so a run works the same in the
 * CLI, in unit tests (with an injected fetch) and inside a Worker.
 */
import type { CallEntity } from "../src/events/shapes.ts";

/** What one scripted Dial destination does when it rings. */
export type DialOutcome = "answer" | "busy" | "no-answer";
export const DIAL_OUTCOMES: readonly DialOutcome[] = ["answer", "busy", "no-answer"];

/**
 * What the caller does at one input point. Input points are, in document order, each Gather
 * attempt and each Pause that has `dtmf_stop`; each takes the next entry of the script.
 */
export interface CallerInput {
  /** Keys pressed, in order (`0-9 * # + A-D`). Empty: the caller stays silent. */
  digits: string;
  /**
   * When the first key is pressed, in ms from the start of the input point (the start of the
   * Gather's prompts, or of the Pause). Earlier than the prompts' end is barge-in. Default: a
   * short reaction time after the prompts end.
   */
  afterMs?: number;
  /**
   * The caller hangs up at this input point instead of pressing: after the prompts (and the
   * usual reaction time), or `afterMs` into the input point when given.
   */
  hangup?: boolean;
}

/** A caller's location, for `<Geo>`. */
export interface CallerLocation {
  /** USPS state code. */
  state?: string;
  county?: string;
}

/** Everything a simulated call is scripted with. Only `from` and `to` are required. */
export interface Scenario {
  /** Caller number (ANI), sent as given: hostile values are the point of some tests. */
  from: string;
  /** The dialled TN (DNIS). */
  to: string;
  /** Call uuid; default a fresh one. */
  callId?: string;
  /** SIP Control App uuid; default a fixed simulator id. */
  scaId?: string;
  /** When the call starts (virtual time zero): ISO string, epoch ms or Date; default now. */
  at?: string | number | Date;
  /** One entry per input point, in order; when they run out the caller is silent. */
  inputs?: CallerInput[];
  /** Outcome per Dial destination (as written in `<To>`), with `*` as the default. */
  dial?: Record<string, DialOutcome>;
  /** How long an answered Dial stays bridged before the far end hangs up (ms). */
  talkMs?: number;
  /** The caller hangs up at this virtual time (ms after the call starts). */
  hangupAfterMs?: number;
  /** Where the caller is, for `<Geo>`; default: looked up from the caller number if possible. */
  location?: CallerLocation;
  /** More fields of the call entity the platform sends (what `<Call field>` can read). */
  fields?: Record<string, string | number | boolean | null>;
}

/** How long things take on the virtual clock. All in ms. */
export interface Timing {
  /** Speech time per character of `<Say>` text. */
  sayPerCharMs: number;
  /** Shortest `<Say>`. */
  sayMinMs: number;
  /** Length assumed for one loop of a `<Play>` URL (the simulator does not fetch audio). */
  playMs: number;
  /** From the end of the prompts to the first key, when the script gives no time. */
  reactionMs: number;
  /** Between two keys of one entry. */
  interDigitMs: number;
  /** Ringing before an inbound call is handed to the flow. */
  inboundRingMs: number;
  /** Ringing before a Dial destination answers. */
  dialRingMs: number;
  /** Before a busy destination gives up. */
  dialBusyMs: number;
  /** Before an unanswered destination gives up, unless `<Dial timeout>` says otherwise. */
  dialNoAnswerMs: number;
  /** How long an answered Dial stays bridged, unless the scenario says otherwise. */
  talkMs: number;
}

export const DEFAULT_TIMING: Timing = {
  sayPerCharMs: 60,
  sayMinMs: 600,
  playMs: 3000,
  reactionMs: 1000,
  interDigitMs: 300,
  inboundRingMs: 0,
  dialRingMs: 4000,
  dialBusyMs: 2000,
  dialNoAnswerMs: 30_000,
  talkMs: 20_000,
};

/** How a call ended. */
export type EndCause =
  /** `<Hangup/>` ran. */
  | "flow-hangup"
  /** The document ran out of commands; the platform hangs up. */
  | "end-of-flow"
  /** The scripted caller hung up. */
  | "caller-hangup"
  /** The call-flow webhook could not be reached or did not answer a call-flow document. */
  | "webhook-failed"
  /** The step limit stopped a flow that kept going (usually a loop). */
  | "step-limit"
  /** The call reached its maximum length. */
  | "max-duration"
  /** Someone outside the flow ended it (e.g. a parked call's deadline). */
  | "platform-hangup";

export interface CallEnd {
  /** Virtual ms since the call started. */
  t: number;
  cause: EndCause;
  /** A sentence for humans. */
  reason: string;
  /** `<Hangup tag>`, when the flow gave one. */
  tag?: string;
  q850_cause: number;
  q850_cause_string: string;
}

/** One HTTP exchange the platform made. Token values in URLs are always redacted. */
export interface RequestDetail {
  purpose: "callflow" | "gather" | "callback";
  method: string;
  url: string;
  status?: number;
  contentType?: string;
  bytes?: number;
  /** Why the exchange failed, when it did. */
  error?: string;
}

/** The detail each kind of trace entry carries. */
export interface TraceDetails {
  /** The call's own state changed (ringing, live, …). */
  STATE: { state: string };
  REQUEST: RequestDetail;
  ANSWER: { delayMs: number; alreadyLive: boolean; tag?: string };
  SAY: {
    text: string;
    lang: string;
    voiceType: string;
    gender: string;
    code?: string;
    loop: number;
    durationMs: number;
    interrupted?: boolean;
    tag?: string;
  };
  PLAY: { url?: string; record?: string; loop: number; durationMs: number; interrupted?: boolean; tag?: string };
  PAUSE: { lengthMs: number; stopKeys: string; stoppedAfterMs?: number; tag?: string };
  GATHER: {
    attempt: number;
    attempts: number;
    maxDigits: number;
    finishKey: string;
    timeoutMs: number;
    dialect: "A" | "B";
    remoteUrl?: string;
    tag?: string;
  };
  /** Keys the caller pressed; `ignored` were pressed after input was complete. */
  DTMF: { keys: string; ignored?: string };
  /** Input ended because nobody pressed anything for `afterMs`. */
  TIMEOUT: { afterMs: number; digits: string };
  BRANCH: { branch: "Case" | "DTMF" | "Default" | "Error" | "none"; digits: string; value?: string; why: string };
  DIAL: {
    targets: Array<{ target: string; outcome: DialOutcome }>;
    result: "answered" | "failed";
    answeredBy?: string;
    talkMs?: number;
    reason?: string;
    tag?: string;
  };
  RECORD: { action: "start" | "stop" | "wait"; tag?: string; asr?: boolean; timeoutMs?: number; durationMs?: number };
  HOLD: { timeoutMs: number; tag?: string };
  UNHOLD: { tag?: string };
  CONDITION: { tag: "Call" | "Geo" | "Schedule"; matched: boolean; why: string };
  /** An `<Error>` block runs because its parent failed. */
  ERROR: { parent: string; reason: string; speak: boolean };
  HANGUP: { by: "flow" | "caller" | "platform"; reason: string; tag?: string };
  EVENT: { type: "call_state" | "call_flow"; name: string; delivered: boolean; status?: number; error?: string };
  NOTE: { message: string };
}

export type TraceKind = keyof TraceDetails;

/** One step of the call: what happened at virtual time `t` (ms since the call started). */
export type TraceEntry = { [K in TraceKind]: { t: number; kind: K; detail: TraceDetails[K]; path?: string } }[TraceKind];

export interface CallResult {
  call: CallEntity;
  /** Virtual time zero, ISO. */
  startedAt: string;
  trace: TraceEntry[];
  end: CallEnd;
  events: { posted: number; failed: number };
}
