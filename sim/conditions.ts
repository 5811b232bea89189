/**
 * The condition blocks the platform evaluates when the server leaves them in the document:
 * `<Call field value>` (docs/opentact.md §b.14), `<Geo states county>` (b.15), `<Schedule dow time tz>` (b.16).
 * Each returns whether the block runs and a short reason the transcript shows.
 */
import type { CallEntity } from "../src/events/shapes.ts";
import { normalizeTn, tnCandidates } from "../src/tn.ts";
import type { CallProps, GeoProps, ScheduleProps } from "../src/xml/index.ts";
import type { CallerLocation } from "./types.ts";

export interface ConditionResult {
  matched: boolean;
  why: string;
}

const PHONE_FIELDS = new Set(["from", "to", "tn", "ani", "dnis"]);

/** Read a call field; `tn`, `ani`, `dnis`, `call` and `sca` are aliases (docs/opentact.md §a.2). */
function callField(call: CallEntity, field: string): unknown {
  switch (field.toLowerCase()) {
    case "tn":
    case "dnis":
      return call.to;
    case "ani":
      return call.from;
    case "call":
    case "call_uuid":
      return call.uuid;
    case "sca":
      return call.sip_control_app?.uuid;
    default:
      return call[field] ?? call[field.toLowerCase()];
  }
}

function show(v: unknown): string {
  return v === undefined ? "unset" : JSON.stringify(v);
}

/**
 * `<Call>`: typed comparison (docs/opentact.md §b.14 [R]): phone numbers after normalisation (with and without
 * the leading 1), numbers numerically, `null` matches an unset field, booleans by truth value.
 */
export function evaluateCall(props: CallProps, call: CallEntity): ConditionResult {
  const actual = callField(call, props.field);
  const expected = props.value;
  const label = `${props.field} is ${show(actual)}`;
  let matched: boolean;
  if (expected === null) {
    matched = actual === null || actual === undefined || actual === "";
  } else if (PHONE_FIELDS.has(props.field.toLowerCase()) && normalizeTn(String(actual ?? "")) && normalizeTn(String(expected))) {
    const a = normalizeTn(String(actual))!;
    const b = normalizeTn(String(expected))!;
    matched = tnCandidates(a).includes(b) || tnCandidates(b).includes(a);
  } else if (typeof expected === "number") {
    matched = actual !== null && actual !== undefined && actual !== "" && Number(actual) === expected;
  } else if (typeof expected === "boolean") {
    matched = actual === expected || String(actual).toLowerCase() === String(expected);
  } else {
    matched = actual !== null && actual !== undefined && String(actual) === expected;
  }
  return { matched, why: `${label}, ${matched ? "equals" : "not"} ${show(expected)}` };
}

/** `<Geo>`: no states means always; a county narrows the states (docs/opentact.md §b.15). */
export function evaluateGeo(props: GeoProps, location: CallerLocation | undefined): ConditionResult {
  if (!props.states.length && !props.county) return { matched: true, why: "no states given: always" };
  const wanted = `${props.states.join(",") || "any state"}${props.county ? ` / ${props.county}` : ""}`;
  if (!location?.state) return { matched: false, why: `caller location unknown, wanted ${wanted}` };
  const where = `${location.state}${location.county ? ` / ${location.county}` : ""}`;
  const stateOk = !props.states.length || props.states.includes(location.state.toUpperCase());
  const countyOk =
    !props.county || (location.county !== undefined && location.county.trim().toUpperCase() === props.county.trim().toUpperCase());
  const matched = stateOk && countyOk;
  return { matched, why: `caller in ${where}, wanted ${wanted}` };
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** The weekday (0 = Sunday) and second of the day of an instant in an IANA zone. */
export function localTime(at: Date, timeZone: string): { day: number; second: number; label: string } {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const day = WEEKDAYS.indexOf(get("weekday"));
  const h = Number(get("hour"));
  const m = Number(get("minute"));
  const s = Number(get("second"));
  return { day, second: h * 3600 + m * 60 + s, label: `${get("weekday")} ${get("hour")}:${get("minute")}:${get("second")} ${timeZone}` };
}

function clock(sec: number): string {
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  return `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
}

/**
 * `<Schedule>`: the days and the inclusive time window in the block's zone, else the default
 * zone (docs/opentact.md §f.12). A window whose end is before its start runs over midnight.
 */
export function evaluateSchedule(props: ScheduleProps, at: Date, defaultZone: string): ConditionResult {
  const zone = props.tz ?? defaultZone;
  const local = localTime(at, zone);
  const dayOk = props.days === null || props.days.includes(local.day);
  let timeOk = true;
  if (props.window) {
    const { start, end } = props.window;
    timeOk = start <= end ? local.second >= start && local.second <= end : local.second >= start || local.second <= end;
  }
  const days = props.days === null ? "every day" : props.days.map((d) => WEEKDAYS[d]).join(",");
  const window = props.window ? `${clock(props.window.start)}-${clock(props.window.end)}` : "all day";
  return { matched: dayOk && timeOk, why: `it is ${local.label}, block is ${days} ${window}` };
}
