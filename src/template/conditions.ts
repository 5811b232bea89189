/**
 * Condition blocks evaluated at render time (docs/opentact.md §b.14–b.16): `<Call field value>`,
 * `<Schedule|Scheduler dow time tz>` and `<Geo states county>`.
 */
import type { CallValue, ScheduleProps } from "../xml/index.ts";
import { stateForNumber } from "./areacodes.ts";
import type { RenderContext } from "./context.ts";

// ---- <Call> ---------------------------------------------------------------------------------

/** Fields that hold phone numbers: compared as digits, with and without the leading 1 (docs/opentact.md §b.14 [R]). */
const PHONE_FIELDS = new Set(["from", "to", "tn", "ani", "dnis"]);

/** A call field's value: the context's own fields first, then the call entity (dotted paths allowed). */
export function callField(ctx: RenderContext, field: string): unknown {
  switch (field) {
    case "from":
    case "ani":
      return ctx.from;
    case "to":
    case "dnis":
      return ctx.to;
    case "tn":
      return ctx.tn;
    case "call":
    case "uuid":
      return ctx.call || ctx.entity?.["uuid"];
    case "sca":
      return ctx.sca || entityPath(ctx.entity, "sip_control_app.uuid");
    case "state":
      return ctx.state ?? ctx.entity?.["state"];
    case "digits":
      return ctx.digits;
    default:
      return entityPath(ctx.entity, field);
  }
}

function entityPath(entity: Record<string, unknown> | undefined, path: string): unknown {
  let cur: unknown = entity;
  for (const key of path.split(".")) {
    if (cur === null || typeof cur !== "object" || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function phoneDigits(v: string): string {
  const d = v.replace(/\D/g, "");
  return d.length === 11 && d[0] === "1" ? d.slice(1) : d;
}

/**
 * `<Call>`'s comparison: `null` matches a missing or empty field; booleans and numbers compare
 * by value; phone-number fields compare as digits with the North American 1 optional; anything
 * else is an exact string match.
 */
export function callMatches(ctx: RenderContext, field: string, expected: CallValue): boolean {
  const actual = callField(ctx, field);
  if (expected === null) return actual === undefined || actual === null || actual === "";
  if (actual === undefined || actual === null) return false;
  if (PHONE_FIELDS.has(field) || (field.endsWith(".tn") && typeof expected !== "boolean")) {
    const a = phoneDigits(String(actual));
    return a !== "" && a === phoneDigits(String(expected));
  }
  if (typeof expected === "boolean") return actual === expected || String(actual).toLowerCase() === String(expected);
  if (typeof expected === "number") {
    const n = typeof actual === "number" ? actual : typeof actual === "string" && actual.trim() !== "" ? Number(actual) : NaN;
    return n === expected;
  }
  return (typeof actual === "string" ? actual : typeof actual === "object" ? JSON.stringify(actual) : String(actual)) === expected;
}

// ---- <Schedule> -----------------------------------------------------------------------------

export interface LocalTime {
  /** 0 = Sunday … 6 = Saturday, in the zone. */
  day: number;
  /** Seconds after local midnight. */
  seconds: number;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

// Constructing an Intl.DateTimeFormat is far slower than using one; keep one per zone.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    if (formatters.size > 64) formatters.clear();
    formatters.set(tz, f);
  }
  return f;
}

/** The weekday and time of day of `now` in an IANA zone. Throws RangeError for an unknown zone. */
export function localTime(now: Date, tz: string): LocalTime {
  let day = 0;
  let h = 0;
  let m = 0;
  let s = 0;
  for (const p of formatterFor(tz).formatToParts(now)) {
    if (p.type === "weekday") day = WEEKDAYS[p.value] ?? 0;
    else if (p.type === "hour") h = Number(p.value) % 24;
    else if (p.type === "minute") m = Number(p.value);
    else if (p.type === "second") s = Number(p.value);
  }
  return { day, seconds: h * 3600 + m * 60 + s };
}

/**
 * Whether `now` falls in a schedule block. The day is the local weekday of `now`; a window whose
 * end is before its start wraps past midnight (22:00–06:00), and its early-morning part belongs
 * to the calendar day it falls on, so `dow="fri" time="22:00:00-06:00:00"` covers Friday 22:00 to
 * midnight and Friday 00:00–06:00 [R].
 */
export function scheduleMatches(days: ScheduleProps["days"], window: ScheduleProps["window"], local: LocalTime): boolean {
  if (days && !days.includes(local.day)) return false;
  if (!window) return true;
  const { start, end } = window;
  return start <= end ? local.seconds >= start && local.seconds <= end : local.seconds >= start || local.seconds <= end;
}

// ---- <Geo> ----------------------------------------------------------------------------------

/** The caller's state from the `from` number's area code, or null. */
export function callerState(ctx: RenderContext): string | null {
  return stateForNumber(ctx.from);
}

/** `<Geo states>`: no states means always; otherwise the caller's state must be listed. */
export function geoMatches(states: readonly string[], callerStateCode: string | null): boolean {
  if (!states.length) return true;
  return callerStateCode !== null && states.includes(callerStateCode);
}
