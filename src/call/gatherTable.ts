/**
 * The Gather state table: given what the caller entered and how many attempts are left, which
 * part of a branching `<Gather>` runs next. The Gather state table in docs/stateful-calls.md is
 * this file in prose; keep them in step.
 *
 * The docs disagree on where silence goes (docs/opentact.md §f.2: dialect B sends it to `<Default>`, the
 * dialect A example to `<Error>`). We keep the two inputs apart, which is what both examples
 * mean when read together: a wrong key is "input that matched nothing" (`<Default>` first), and
 * silence is "the Gather failed to collect anything" (`<Error>` first). While attempts remain,
 * either one re-serves the Gather, so its prompts replay (docs/opentact.md §b.6 `attempts`).
 */
import type { ElementNode } from "../xml/index.ts";
import type { BranchNode, GatherParts } from "./flowTree.ts";

/** What the caller did at one attempt. */
export type GatherInput =
  /** Digits equal to a `<DTMF value>` / `<Case dtmf>`. */
  | "match"
  /** Digits, and the Gather has no DTMF/Case branches at all: any input is taken. */
  | "taken"
  /** Digits that match no branch. */
  | "wrong"
  /** Nothing entered (timeout, or only the finish key). */
  | "none";

/** What the answer to this attempt holds. */
export type GatherAction =
  /** The matching branch, then the continuation. */
  | "branch"
  /** The Gather again (prompts replay) with the next attempt number, then the continuation. */
  | "retry"
  /** `<Default>`, then the continuation. */
  | "default"
  /** `<Error>`, then the continuation. */
  | "error"
  /** Nothing of the Gather: the continuation alone. */
  | "continue";

export interface GatherDecision {
  input: GatherInput;
  action: GatherAction;
  /** The element whose children run (`branch`, `default`, `error`). */
  body?: ElementNode;
  /** For `branch`: the branch's value as rendered. */
  value?: string;
  /** Attempts used, including this one. */
  attempt: number;
  attempts: number;
}

/**
 * Decide one attempt. `branchValueOf` turns a branch's (possibly templated) value into the digits it
 * selects; the first branch whose value equals `digits` exactly wins.
 *
 * | input  | attempts left | answer                                              |
 * |--------|---------------|-----------------------------------------------------|
 * | match  | any           | that branch                                         |
 * | taken  | any           | `<Default>`, else the continuation                  |
 * | wrong  | yes           | the Gather again (prompts replay)                   |
 * | none   | yes           | the Gather again (prompts replay)                   |
 * | wrong  | no            | `<Default>`, else `<Error>`, else the continuation   |
 * | none   | no            | `<Error>`, else `<Default>`, else the continuation   |
 */
export function decideGather(
  parts: GatherParts,
  digits: string,
  attempt: number,
  attempts: number,
  branchValueOf: (branch: BranchNode) => string,
): GatherDecision {
  const base = { attempt, attempts };
  if (digits) {
    for (const branch of parts.branches) {
      const value = branchValueOf(branch);
      if (value && value === digits) return { ...base, input: "match", action: "branch", body: branch, value };
    }
    if (!parts.branches.length) {
      return parts.default
        ? { ...base, input: "taken", action: "default", body: parts.default }
        : { ...base, input: "taken", action: "continue" };
    }
  }
  const input: GatherInput = digits ? "wrong" : "none";
  if (attempt < attempts) return { ...base, input, action: "retry" };
  const order = input === "wrong" ? ([parts.default, parts.error] as const) : ([parts.error, parts.default] as const);
  const body = order[0] ?? order[1];
  if (!body) return { ...base, input, action: "continue" };
  return { ...base, input, action: body.kind === "Default" ? "default" : "error", body };
}

const DTMF_CHARS = /[0-9*#+A-Da-d]/g;

/**
 * The digits as the caller meant them: DTMF characters only, without a trailing finish key
 * (platforms differ on whether they report it; docs/opentact.md §b.6 leaves it open).
 */
export function normaliseDigits(raw: string | null | undefined, finishKey: string): string {
  const keys = (raw ?? "").match(DTMF_CHARS)?.join("").toUpperCase() ?? "";
  return finishKey && keys.endsWith(finishKey) ? keys.slice(0, -finishKey.length) : keys;
}
