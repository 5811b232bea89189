/**
 * The scripted caller: who presses what, when, and what each dialled destination does.
 */
import type { CallerInput, DialOutcome, Scenario } from "./types.ts";

/** Keys a phone can send: digits, `*`, `#`, `+` (docs/opentact.md §b.6) and the rarely used A–D. */
export const KEY_PATTERN = /^[0-9*#+A-D]*$/;

export class ScriptedCaller {
  private readonly inputs: CallerInput[];
  private next = 0;
  private readonly dial: Record<string, DialOutcome>;

  constructor(scenario: Pick<Scenario, "inputs" | "dial">) {
    this.inputs = scenario.inputs ?? [];
    this.dial = scenario.dial ?? {};
  }

  /** The entry for the next input point; silence once the script has run out. */
  takeInput(): CallerInput {
    const input = this.inputs[this.next];
    this.next += 1;
    return input ?? { digits: "" };
  }

  /** How many entries are still unused, for a note at the end of the call. */
  get unused(): number {
    return Math.max(0, this.inputs.length - this.next);
  }

  /** The scripted outcome for a destination: exact match, then `*`, then it answers. */
  dialOutcome(target: string): DialOutcome {
    return this.dial[target] ?? this.dial[target.trim().toLowerCase()] ?? this.dial["*"] ?? "answer";
  }
}

/**
 * `--digits "1,1234#,,9@2.5s"`: one entry per input point, comma separated; an empty entry is
 * silence; `@` gives when the first key is pressed (`ms`, `s` or a bare number of seconds).
 */
export function parseDigitList(list: string): CallerInput[] {
  return list.split(",").map((raw, i) => {
    const entry = raw.trim();
    const [keysPart, delayPart] = entry.split("@") as [string, string | undefined];
    const digits = keysPart.trim().toUpperCase();
    if (!KEY_PATTERN.test(digits)) {
      throw new Error(`digit entry ${i + 1} ("${entry}") has keys a phone cannot send; use 0-9, *, #, + or A-D`);
    }
    if (delayPart === undefined) return { digits };
    const afterMs = parseDuration(delayPart);
    if (afterMs === null) throw new Error(`digit entry ${i + 1} ("${entry}"): "${delayPart}" is not a delay; write e.g. @2.5s or @800ms`);
    return { digits, afterMs };
  });
}

/** `2.5s`, `800ms`, `2m`, `3` (seconds) → ms; null when unreadable. */
export function parseDuration(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/i.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = (m[2] ?? "s").toLowerCase();
  return Math.round(unit === "ms" ? n : unit === "m" ? n * 60_000 : n * 1000);
}
