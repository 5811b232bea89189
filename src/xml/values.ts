/**
 * Attribute value parsers: the one reading of each attribute type, shared by publishing (props.ts
 * checks literal values), rendering (the template engine reads values that held placeholders) and
 * the simulator. Pure functions of strings.
 */
import type { CallValue, TimeWindow } from "./ast.ts";
import { type AttrSpec, type AttrType, DAYS, DTMF_KEYS } from "./tags.ts";

/**
 * The longest list (`dow`, `states`) or zone name a parser reads. Every valid value is far
 * shorter (all 56 state codes with spaces are 224 characters); a longer one is refused without
 * splitting it.
 */
const MAX_LIST_CHARS = 512;
const MAX_ZONE_CHARS = 64;
const MAX_KEYS_CHARS = 64;

/** Whether a value holds a template placeholder; such values are checked at render time. */
export function isDynamic(value: string): boolean {
  return value.includes("{{");
}

/**
 * What is wrong with a (trimmed, placeholder-free) value of an attribute: its type's problem as
 * an error, or null. `attempts` below 1 is suspicious rather than fatal: the platform treats it
 * as one try [R], so it is a warning.
 */
export function attributeProblem(spec: AttrSpec, v: string): { severity: "error" | "warning"; message: string } | null {
  if (spec.name === "attempts" && /^0+$/.test(v)) {
    return { severity: "warning", message: "expected a whole number ≥ 1; fewer than 1 attempt is treated as 1" };
  }
  const message = valueProblem(spec.type, v);
  return message === null ? null : { severity: "error", message };
}

/**
 * What is wrong with `value` as an attribute of type `type`: a sentence saying what is allowed,
 * or null when it is fine. `value` is trimmed by the caller.
 */
export function valueProblem(type: AttrType, v: string): string | null {
  switch (type.t) {
    case "ms":
      return wholeIn(v, 0, type.max)
        ? null
        : `expected a whole number of milliseconds from 0 to ${type.max}${describeMs(type.max)}, e.g. 5000`;
    case "int":
      return wholeIn(v, type.min, type.max) ? null : `expected a whole number from ${type.min} to ${type.max}`;
    case "bool":
      return /^(true|false)$/i.test(v) ? null : "expected true or false";
    case "enum":
      return type.values.some((x) => x.toLowerCase() === v.toLowerCase()) ? null : `expected one of ${type.values.join(", ")}`;
    case "key":
      return v.length === 1 && DTMF_KEYS.includes(v) ? null : "expected one DTMF key: 0-9, *, # or +";
    case "keys":
      return v !== "" && v.length <= MAX_KEYS_CHARS && [...v].every((ch) => DTMF_KEYS.includes(ch))
        ? null
        : `expected DTMF keys (at most ${MAX_KEYS_CHARS}): 0-9, *, # or +`;
    case "dow":
      if (parseDays(v) !== null) return null;
      return isBlankList(v)
        ? `expected at least one day (${DAYS.join(",")}, ranges like mon-fri allowed); an empty list is not "every day", leave dow out for that`
        : `expected a comma list of days (${DAYS.join(",")}), ranges like mon-fri allowed`;
    case "time":
      return parseTimeWindow(v) !== null ? null : "expected HH:MM:SS-HH:MM:SS (24 h), e.g. 09:00:00-17:30:00";
    case "states":
      if (parseStates(v) !== null) return null;
      return isBlankList(v)
        ? "expected at least one USPS state code, e.g. NJ,CA; an empty list would match every caller, leave states out for that"
        : "expected comma-separated two-letter USPS state codes, e.g. NJ,CA";
    case "tz":
      return isTimeZone(v) ? null : "expected an IANA time zone, e.g. America/New_York";
    case "url":
      return v ? null : "expected a URL";
    case "string":
    case "value":
      return null;
    default: {
      const never: never = type;
      throw new Error(`unhandled attribute type ${JSON.stringify(never)}`);
    }
  }
}

/** A comma list with nothing in it: `""`, `" , ,"`. */
function isBlankList(v: string): boolean {
  return /^[\s,]*$/.test(v);
}

/** Whether `v` is written as a whole number (digits only) from `min` to `max`. */
export function wholeIn(v: string, min: number, max: number): boolean {
  // Past 15 digits a number is out of every range here; Number() would also round it.
  if (v.length === 0 || v.length > 15 || !/^\d+$/.test(v)) return false;
  const n = Number(v);
  return n >= min && n <= max;
}

/** ` (a day)` for a number of milliseconds that is a round number of days, hours or minutes. */
function describeMs(ms: number): string {
  if (ms === 86_400_000) return " (a day)";
  if (ms % 3_600_000 === 0) return ` (${ms / 3_600_000} h)`;
  if (ms % 60_000 === 0) return ` (${ms / 60_000} min)`;
  return "";
}

/** `sun,mon` or `mon-fri` → day numbers (0 = Sunday); null when malformed. */
export function parseDays(value: string): number[] | null {
  if (value.length > MAX_LIST_CHARS) return null;
  const out = new Set<number>();
  const parts = value
    .split(",")
    .map((p) => p.trim().toLowerCase())
    .filter(Boolean);
  if (!parts.length) return null;
  const idx = (d: string) => (DAYS as readonly string[]).indexOf(d.slice(0, 3) === d ? d : "");
  for (const part of parts) {
    const range = part.split("-");
    if (range.length === 1) {
      const i = idx(part);
      if (i < 0) return null;
      out.add(i);
    } else if (range.length === 2) {
      const a = idx(range[0]!.trim());
      const b = idx(range[1]!.trim());
      if (a < 0 || b < 0) return null;
      for (let i = a; ; i = (i + 1) % 7) {
        out.add(i);
        if (i === b) break;
      }
    } else return null;
  }
  return [...out].sort((x, y) => x - y);
}

function parseClock(s: string): number | null {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(s.trim());
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  const sec = m[3] === undefined ? 0 : Number(m[3]);
  if (h > 23 || min > 59 || sec > 59) return null;
  return h * 3600 + min * 60 + sec;
}

/** `HH:MM:SS-HH:MM:SS` → seconds of day; a window whose end is before its start wraps midnight. */
export function parseTimeWindow(value: string): TimeWindow | null {
  if (value.length > MAX_LIST_CHARS) return null;
  const parts = value.split("-");
  if (parts.length !== 2) return null;
  const start = parseClock(parts[0]!);
  const end = parseClock(parts[1]!);
  if (start === null || end === null) return null;
  // Minute-precision ends are inclusive to the end of that minute ("09:00-17:30" covers 17:30:59).
  const endSec = /:\d{2}:\d{2}$/.test(parts[1]!.trim()) ? end : end + 59;
  return { start, end: endSec };
}

export const US_STATES = new Set(
  "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP".split(
    " ",
  ),
);

/**
 * `NJ, ca` → `["NJ","CA"]`; null when a code is not a USPS state code, or when there is no code
 * at all (`""`, `",,"`): an empty list would match every caller, which is never what was meant.
 */
export function parseStates(value: string): string[] | null {
  if (value.length > MAX_LIST_CHARS) return null;
  const codes = value
    .split(",")
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  if (!codes.length || codes.some((c) => !US_STATES.has(c))) return null;
  return codes;
}

// Building an Intl.DateTimeFormat is the slowest step of validating a flow (≈10% of checkFlow
// on bench/fixtures/large.xml); flows name a handful of zones, so remember the answers. The cap
// keeps a stream of made-up names from growing the map without bound.
const zoneAnswers = new Map<string, boolean>();

export function isTimeZone(tz: string): boolean {
  if (tz.length > MAX_ZONE_CHARS) return false;
  const known = zoneAnswers.get(tz);
  if (known !== undefined) return known;
  let ok: boolean;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    ok = true;
  } catch {
    ok = false;
  }
  if (zoneAnswers.size >= 1024) zoneAnswers.clear();
  zoneAnswers.set(tz, ok);
  return ok;
}

/** `<Call value>` is typed: numbers, null and booleans compare as such (docs/opentact.md §b.14). */
export function parseCallValue(raw: string): CallValue {
  const v = raw.trim();
  if (v === "null") return null;
  if (v === "true") return true;
  if (v === "false") return false;
  if (/^-?\d+(\.\d+)?$/.test(v) && !/^\+/.test(v)) return Number(v);
  return raw;
}
