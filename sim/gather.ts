/**
 * The two decisions inside a `<Gather>`: which keys count as the caller's input, and what the
 * platform does with that input. Both are pure so the tests can pin every rule down.
 */
import type { CallerInput, Timing } from "./types.ts";

export interface CollectSpec {
  maxDigits: number;
  finishKey: string;
  timeoutMs: number;
}

export interface Collected {
  /** The input: keys up to the finish key or `maxDigits`, finish key excluded. */
  digits: string;
  /** Keys the Gather took, in order, finish key included. */
  pressed: string;
  /** Keys the caller pressed after the input was complete. */
  ignored: string;
  /** When the first key was pressed, from the start of the attempt; absent when none was. */
  firstKeyAt?: number;
  /** When the input ended, from the start of the attempt. */
  endAt: number;
  endedBy: "max-digits" | "finish-key" | "timeout";
  /** The caller pressed, but only after the Gather had stopped listening. */
  late?: string;
}

/**
 * The timeline of one attempt. Listening starts when the prompts end (or at the first key, when
 * the caller barges in); `timeoutMs` is the wait for the first key and again after each key, so
 * a partial entry ends with what was typed rather than hanging (a common complaint about IVRs that wait forever).
 */
export function collectDigits(
  spec: CollectSpec,
  input: CallerInput,
  promptsMs: number,
  timing: Pick<Timing, "reactionMs" | "interDigitMs">,
): Collected {
  const keys = input.digits;
  const listenUntil = promptsMs + spec.timeoutMs;
  if (!keys) return { digits: "", pressed: "", ignored: "", endAt: listenUntil, endedBy: "timeout" };
  const pressAt = input.afterMs ?? promptsMs + timing.reactionMs;
  if (pressAt > listenUntil) return { digits: "", pressed: "", ignored: "", endAt: listenUntil, endedBy: "timeout", late: keys };
  let digits = "";
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const at = pressAt + i * timing.interDigitMs;
    if (key === spec.finishKey) {
      return { digits, pressed: keys.slice(0, i + 1), ignored: keys.slice(i + 1), firstKeyAt: pressAt, endAt: at, endedBy: "finish-key" };
    }
    digits += key;
    if (digits.length >= spec.maxDigits) {
      return { digits, pressed: keys.slice(0, i + 1), ignored: keys.slice(i + 1), firstKeyAt: pressAt, endAt: at, endedBy: "max-digits" };
    }
  }
  const lastAt = pressAt + (keys.length - 1) * timing.interDigitMs;
  return { digits, pressed: keys, ignored: "", firstKeyAt: pressAt, endAt: lastAt + spec.timeoutMs, endedBy: "timeout" };
}

export type GatherDecision =
  | { kind: "branch"; index: number; value: string; why: string }
  | { kind: "default"; why: string }
  | { kind: "error"; why: string }
  | { kind: "reprompt"; why: string }
  | { kind: "fallthrough"; why: string };

export interface BranchInput {
  digits: string;
  /** 1-based attempt just finished. */
  attempt: number;
  attempts: number;
  /** The values of the `<Case>`/`<DTMF>` branches, in document order. */
  values: readonly string[];
  hasDefault: boolean;
  hasError: boolean;
}

/**
 * The Gather state table, the same one the CallSession applies when the server keeps the
 * Gather (src/call/gatherTable.ts; docs/stateful-calls.md, "The Gather state table"), so a flow
 * behaves alike whichever side branches. Silence and a wrong key are kept apart (docs/opentact.md §f.2 read with both
 * dialects' examples): a wrong key is input that matched nothing (`<Default>` first), silence
 * is a Gather that collected nothing (`<Error>` first). While attempts remain, either replays
 * the prompts.
 *
 * | input                          | attempts left | outcome                                            |
 * |--------------------------------|---------------|----------------------------------------------------|
 * | matches a branch               | any           | that branch (the first one with the value)         |
 * | any keys, Gather has no branch | any           | `<Default>`, else carry on after the Gather        |
 * | wrong keys                     | yes           | replay the prompts                                 |
 * | nothing                        | yes           | replay the prompts                                 |
 * | wrong keys                     | no            | `<Default>`, else `<Error>`, else carry on         |
 * | nothing                        | no            | `<Error>`, else `<Default>`, else carry on         |
 */
export function pickBranch(input: BranchInput): GatherDecision {
  const { digits, attempt, attempts } = input;
  const spent = `after ${attempts} attempt${attempts === 1 ? "" : "s"}`;
  if (digits) {
    const index = input.values.indexOf(digits);
    if (index >= 0) return { kind: "branch", index, value: digits, why: `"${digits}" matches` };
    if (!input.values.length) {
      return input.hasDefault
        ? { kind: "default", why: `"${digits}" entered and there are no branches` }
        : { kind: "fallthrough", why: `"${digits}" entered and there are no branches` };
    }
  }
  const what = digits ? `"${digits}" matches no branch` : "no input";
  if (attempt < attempts) return { kind: "reprompt", why: `${what}; attempt ${attempt + 1} of ${attempts}` };
  const order: Array<"default" | "error"> = digits ? ["default", "error"] : ["error", "default"];
  const has = { default: input.hasDefault, error: input.hasError };
  const pick = order.find((k) => has[k]);
  if (!pick) return { kind: "fallthrough", why: `${what} ${spent} and there is no <Default> or <Error>` };
  return { kind: pick, why: attempts > 1 ? `${what} ${spent}` : what };
}
