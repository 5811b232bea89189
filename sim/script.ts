/**
 * Scenario scripts for longer simulated calls: JSON, or a plain line format.
 *
 * Line format (one instruction per line; a line starting with `#` is a comment, a `#` anywhere
 * else is the DTMF key):
 *
 *     to 18005550100
 *     from 15551230000            (the rest of the line, verbatim)
 *     at 2026-11-23T22:30:00Z
 *     call-id test-call-1
 *     timezone America/New_York   (for <Schedule> blocks without tz)
 *     press 1                     (the next input point gets these keys)
 *     press 1234# after 2.5s      (first key 2.5 s into the input point; earlier is barge-in)
 *     silence                     (the next input point gets nothing)
 *     dial sip:desk@example.org busy
 *     dial * no-answer            (every other destination)
 *     talk 45s                    (how long an answered Dial stays bridged)
 *     hangup after 2m             (the caller hangs up)
 *     location NJ ESSEX           (for <Geo>: state, then county)
 *
 * JSON: the same fields as `Scenario` plus `timezone`; `inputs` entries may be strings
 * (`"1234#"`, `""` for silence) or `{ "digits": "1", "afterMs": 2500 }`.
 */
import * as z from "zod";
import { KEY_PATTERN, parseDuration } from "./caller.ts";
import { DIAL_OUTCOMES, type CallerInput, type DialOutcome, type Scenario } from "./types.ts";

export type ScriptFile = Partial<Scenario> & { timezone?: string };

const keys = z
  .string()
  .transform((s) => s.trim().toUpperCase())
  .refine((s) => KEY_PATTERN.test(s), "keys must be 0-9, *, #, + or A-D");
const outcome = z.enum(DIAL_OUTCOMES as [DialOutcome, ...DialOutcome[]]);

const JsonScript = z
  .object({
    to: z.string().optional(),
    from: z.string().optional(),
    at: z.string().optional(),
    callId: z.string().optional(),
    scaId: z.string().optional(),
    timezone: z.string().optional(),
    inputs: z.array(z.union([keys, z.object({ digits: keys, afterMs: z.number().int().nonnegative().optional() })])).optional(),
    dial: z.record(z.string(), outcome).optional(),
    talkMs: z.number().int().nonnegative().optional(),
    hangupAfterMs: z.number().int().nonnegative().optional(),
    location: z.object({ state: z.string().optional(), county: z.string().optional() }).optional(),
  })
  .strict();

export class ScriptError extends Error {}

/** Read a script; throws `ScriptError` naming the line (or JSON path) that is wrong. */
export function parseScript(text: string): ScriptFile {
  return text.trimStart().startsWith("{") ? parseJsonScript(text) : parseLineScript(text);
}

function parseJsonScript(text: string): ScriptFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ScriptError(`the script is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = JsonScript.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ScriptError(`script field ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  const { inputs, location, ...rest } = parsed.data;
  const out: ScriptFile = {};
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  if (inputs)
    out.inputs = inputs.map(
      (i): CallerInput =>
        typeof i === "string" ? { digits: i } : { digits: i.digits, ...(i.afterMs !== undefined ? { afterMs: i.afterMs } : {}) },
    );
  if (location)
    out.location = {
      ...(location.state ? { state: location.state.toUpperCase() } : {}),
      ...(location.county ? { county: location.county } : {}),
    };
  return out;
}

function parseLineScript(text: string): ScriptFile {
  const out: ScriptFile = {};
  const inputs: CallerInput[] = [];
  const dial: Record<string, DialOutcome> = {};
  const lines = text.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    const n = i + 1;
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith("#")) continue;
    const fail = (why: string): never => {
      throw new ScriptError(`line ${n}: ${why}: ${trimmed}`);
    };
    const space = trimmed.search(/\s/);
    const word = (space < 0 ? trimmed : trimmed.slice(0, space)).toLowerCase();
    const rest = space < 0 ? "" : trimmed.slice(space + 1).trim();
    const need = (what: string) => rest || fail(`"${word}" needs ${what}`);
    const duration = (s: string) => parseDuration(s) ?? fail(`"${s}" is not a duration; write e.g. 2.5s, 800ms or 2m`);
    switch (word) {
      case "to":
        out.to = need("a number");
        continue;
      case "from":
        // Verbatim (after the first space): hostile caller ids are a use case.
        out.from = space < 0 ? fail(`"from" needs a caller id`) : /^\s*\S+\s(.*)$/.exec(line)![1]!;
        continue;
      case "at":
        out.at = need("an ISO 8601 time");
        if (!Number.isFinite(Date.parse(out.at))) fail(`"${out.at}" is not a date; use ISO 8601, e.g. 2026-11-23T22:30:00Z`);
        continue;
      case "call-id":
        out.callId = need("an id");
        continue;
      case "timezone":
        out.timezone = need("an IANA zone, e.g. America/New_York");
        continue;
      case "press": {
        const m = /^(\S+)(?:\s+after\s+(\S+))?$/i.exec(need("keys, e.g. press 1234#"));
        if (!m) return fail(`write "press KEYS" or "press KEYS after 2s"`);
        const digits = m[1]!.toUpperCase();
        if (!KEY_PATTERN.test(digits)) fail(`"${m[1]}" has keys a phone cannot send; use 0-9, *, #, + or A-D`);
        inputs.push({ digits, ...(m[2] !== undefined ? { afterMs: duration(m[2]) } : {}) });
        continue;
      }
      case "silence":
        inputs.push({ digits: "" });
        continue;
      case "dial": {
        const m = /^(\S+)\s+(\S+)$/.exec(need("a destination and an outcome"));
        if (!m) return fail(`write "dial DESTINATION ${DIAL_OUTCOMES.join("|")}"`);
        const o = m[2]!.toLowerCase();
        if (!(DIAL_OUTCOMES as readonly string[]).includes(o)) fail(`"${m[2]}" is not an outcome; use ${DIAL_OUTCOMES.join(", ")}`);
        dial[m[1]!] = o as DialOutcome;
        continue;
      }
      case "talk":
        out.talkMs = duration(need("a duration"));
        continue;
      case "hangup": {
        const m = /^after\s+(\S+)$/i.exec(rest);
        if (!m) return fail(`write "hangup after 90s"`);
        out.hangupAfterMs = duration(m[1]!);
        continue;
      }
      case "location": {
        const [state, ...county] = need("a state code").split(/\s+/);
        out.location = { state: state!.toUpperCase(), ...(county.length ? { county: county.join(" ") } : {}) };
        continue;
      }
      default:
        fail(`unknown instruction "${word}" (known: to, from, at, call-id, timezone, press, silence, dial, talk, hangup, location)`);
    }
  }
  if (inputs.length) out.inputs = inputs;
  if (Object.keys(dial).length) out.dial = dial;
  return out;
}
