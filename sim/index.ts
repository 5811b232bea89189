/**
 * The platform simulator: an Opentact Call Flow XML interpreter that plays the platform's part
 * against a running tactflow, on a virtual clock. Pure TypeScript (fetch and timers injected),
 * so the CLI, the tests and a Worker can all run it.
 *
 *     const result = await placeCall({ from: "15551230000", to: "18005550100", inputs: [{ digits: "1" }] },
 *                                    { baseUrl: "http://127.0.0.1:8787", webhookToken });
 *     console.log(formatTranscript(result));
 */
export { SimulatedCall, placeCall, parseCommands, type SimOptions, type ExecuteState } from "./call.ts";
export { CallControlPlatform, placeParkedCall, type ControlOptions } from "./control.ts";
export { formatTranscript, describeEntry, clockLabel, durationLabel, type TranscriptOptions } from "./transcript.ts";
export { parseScript, ScriptError, type ScriptFile } from "./script.ts";
export { parseDigitList, parseDuration, ScriptedCaller } from "./caller.ts";
export { collectDigits, pickBranch, type GatherDecision, type BranchInput, type Collected } from "./gather.ts";
export { evaluateCall, evaluateGeo, evaluateSchedule, type ConditionResult } from "./conditions.ts";
export { redactUrl, appendQuery, type FetchLike, type WaitLike } from "./http.ts";
export { VirtualClock, CallInterrupted } from "./clock.ts";
export {
  ANY_KEY,
  KeypadCaller,
  realTimers,
  type LiveCaller,
  type LiveTimers,
  type Player,
  type Passed,
  type KeypadState,
} from "./live.ts";
export type * from "./types.ts";
export { DEFAULT_TIMING, DIAL_OUTCOMES } from "./types.ts";
