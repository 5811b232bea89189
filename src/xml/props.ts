/**
 * Typed, normalised readings of each tag's attributes.
 *
 * Both Gather dialects, both Say/Play/Callback spellings and the case variants all land in one
 * shape here (docs/opentact.md §b.6, f.1–f.7), so nothing downstream ever looks at raw attribute names.
 * Reading an attribute and checking it are the same step: every problem found becomes a
 * diagnostic naming the tag, the attribute and what is allowed.
 */
import type { Position, TagKind, XmlAttribute } from "./ast.ts";
import { diag, shown, type Diagnostic } from "./diagnostics.ts";
import { attrSpecFor, DAYS, DTMF_KEYS, specForKind, type AttrSpec } from "./tags.ts";
import { closest } from "./suggest.ts";

export type HttpMethod = "GET" | "POST" | "PATCH" | "DELETE";

export interface TagOnlyProps {
  tag?: string;
}
export interface AnswerProps extends TagOnlyProps {
  delayMs: number;
}
export interface SayProps extends TagOnlyProps {
  text: string;
  lang: string;
  voiceType: "Standard" | "WaveNet";
  gender: "MALE" | "FEMALE";
  code?: string;
  loop: number;
}
export interface PlayProps extends TagOnlyProps {
  url?: string;
  record?: string;
  loop: number;
  leg?: "aleg" | "bleg" | "both";
}
export interface PauseProps extends TagOnlyProps {
  lengthMs: number;
  /** Keys that end the pause early; each character is one key. Empty: none. */
  stopKeys: string;
}
export interface RecordProps extends TagOnlyProps {
  asr: boolean;
  timeoutMs?: number;
}
export interface DialProps extends TagOnlyProps {
  callerId?: string;
  timeoutMs?: number;
}
export interface DestinationProps {
  target: string;
}
export interface GatherProps extends TagOnlyProps {
  /** `A`: numDigits/finishOnKey/Switch-Case; `B`: dtmf_length/dtmf_stop/DTMF (docs/opentact.md §b.6). */
  dialect: "A" | "B";
  maxDigits: number;
  finishKey: string;
  timeoutMs: number;
  attempts: number;
  remoteUrl?: string;
  method: "GET" | "POST";
}
export interface BranchProps extends TagOnlyProps {
  /** The digits that select this branch (`<DTMF value>` ≡ `<Case dtmf>`). */
  value: string;
}
export interface ErrorProps extends TagOnlyProps {
  /** `say="true"` or `play="true"`: speak the failure reason (docs/opentact.md §f.6). */
  speak: boolean;
}
export interface CallbackProps extends TagOnlyProps {
  url: string;
  method: HttpMethod;
  body: boolean;
  timeoutMs: number;
}
export type CallValue = string | number | boolean | null;
export interface CallProps {
  field: string;
  value: CallValue;
}
export interface GeoProps {
  /** Upper-case USPS codes; empty means "always". */
  states: string[];
  county?: string;
}
export interface TimeWindow {
  /** Seconds after midnight, inclusive. */
  start: number;
  end: number;
}
export interface ScheduleProps {
  /** 0 = Sunday … 6 = Saturday; null means every day. */
  days: number[] | null;
  window: TimeWindow | null;
  tz?: string;
}
export interface HoldProps extends TagOnlyProps {
  timeoutMs: number;
}
export type EmptyProps = Record<string, never>;

export interface TagProps {
  Response: TagOnlyProps;
  Answer: AnswerProps;
  Hangup: TagOnlyProps;
  Say: SayProps;
  Play: PlayProps;
  Pause: PauseProps;
  Record: RecordProps;
  RecordStart: TagOnlyProps;
  RecordStop: TagOnlyProps;
  RecordWait: TagOnlyProps;
  Dial: DialProps;
  To: DestinationProps;
  Sip: DestinationProps;
  Number: DestinationProps;
  Gather: GatherProps;
  DTMF: BranchProps;
  Switch: TagOnlyProps;
  Case: BranchProps;
  Default: TagOnlyProps;
  Error: ErrorProps;
  Callback: CallbackProps;
  Call: CallProps;
  Geo: GeoProps;
  Schedule: ScheduleProps;
  Hold: HoldProps;
  Unhold: TagOnlyProps;
  Curl: EmptyProps;
  Meta: EmptyProps;
  Tone: EmptyProps;
  Unknown: EmptyProps;
}

export const DEFAULTS = {
  pauseMs: 1000,
  holdMs: 300_000,
  gatherTimeoutMs: 5000,
  callbackTimeoutMs: 10_000,
} as const;

/** Whether a value holds a template placeholder; such values are checked at render time. */
export function isDynamic(value: string): boolean {
  return value.includes("{{");
}

/** What the props reader sees of an element. */
export interface PropsInput {
  kind: TagKind;
  name: string;
  attrs: XmlAttribute[];
  text: string;
  pos: Position;
  /** Kinds of the element children, for the Gather dialect. */
  childKinds: TagKind[];
}

type Values = Map<string, XmlAttribute>;

/**
 * Read an element's props, pushing a diagnostic for every attribute problem.
 * Unknown attributes are warnings (the platform may accept undocumented ones).
 */
export function readProps<K extends TagKind>(input: PropsInput & { kind: K }, diags: Diagnostic[]): TagProps[K] {
  const spec = specForKind(input.kind);
  const values: Values = new Map();
  if (spec && !spec.unspecified) {
    for (const a of input.attrs) {
      const as = attrSpecFor(spec, a.name);
      if (!as) {
        const names = spec.attrs.flatMap((s) => [s.name, ...(s.aliases ?? [])]);
        const hint = closest(a.name, names);
        const allowed = spec.attrs.length ? `allowed: ${spec.attrs.map((s) => s.name).join(", ")}` : "it takes no attributes";
        diags.push(
          diag(
            "warning",
            "unknown-attribute",
            a.pos,
            `<${input.name}> has no attribute "${a.name}"${hint ? ` (did you mean "${hint}"?)` : ""}; ${allowed}`,
            {
              tag: input.name,
              attribute: a.name,
            },
          ),
        );
        continue;
      }
      const prior = values.get(as.name);
      if (prior) {
        diags.push(
          diag(
            "warning",
            "conflicting-spellings",
            a.pos,
            `<${input.name}> gives ${as.name} twice ("${prior.name}" and "${a.name}"); the first one is used`,
            {
              tag: input.name,
              attribute: a.name,
            },
          ),
        );
        continue;
      }
      values.set(as.name, a);
      checkValue(input.name, as, a, diags);
    }
  }
  const r = new Reader(input, values, diags);
  return buildProps(r) as TagProps[K];
}

/** Type-checks one attribute value against its spec; dynamic values are left to render time. */
function checkValue(tagName: string, spec: AttrSpec, a: XmlAttribute, diags: Diagnostic[]): void {
  const v = a.value.trim();
  if (isDynamic(v)) return;
  const bad = (allowed: string) =>
    diags.push(
      diag("error", "bad-attribute", a.pos, `<${tagName} ${a.name}=${shown(a.value)}>: ${allowed}`, { tag: tagName, attribute: a.name }),
    );
  const t = spec.type;
  switch (t.t) {
    case "ms":
      if (!/^\d+$/.test(v)) bad("expected a whole number of milliseconds, e.g. 5000");
      return;
    case "int":
      if (!/^\d+$/.test(v)) bad(`expected a whole number ≥ ${t.min}`);
      else if (Number(v) < t.min) {
        // attempts < 1 is suspicious rather than fatal: the platform treats it as one try [R].
        if (spec.name === "attempts") {
          diags.push(
            diag(
              "warning",
              "bad-attribute",
              a.pos,
              `<${tagName} ${a.name}=${shown(a.value)}>: expected a whole number ≥ 1; fewer than 1 attempt is treated as 1`,
              {
                tag: tagName,
                attribute: a.name,
              },
            ),
          );
        } else bad(`expected a whole number ≥ ${t.min}`);
      }
      return;
    case "bool":
      if (!/^(true|false)$/i.test(v)) bad("expected true or false");
      return;
    case "enum":
      if (!t.values.some((x) => x.toLowerCase() === v.toLowerCase())) bad(`expected one of ${t.values.join(", ")}`);
      return;
    case "key":
      if (v.length !== 1 || !DTMF_KEYS.includes(v)) bad("expected one DTMF key: 0-9, *, # or +");
      return;
    case "keys":
      if (!v || [...v].some((ch) => !DTMF_KEYS.includes(ch))) bad("expected DTMF keys: 0-9, *, # or +");
      return;
    case "dow":
      if (parseDays(v) === null) bad(`expected a comma list of days (${DAYS.join(",")}), ranges like mon-fri allowed`);
      return;
    case "time":
      if (parseTimeWindow(v) === null) bad("expected HH:MM:SS-HH:MM:SS (24 h), e.g. 09:00:00-17:30:00");
      return;
    case "states":
      if (parseStates(v) === null) bad("expected comma-separated two-letter USPS state codes, e.g. NJ,CA");
      return;
    case "tz":
      if (!isTimeZone(v)) bad("expected an IANA time zone, e.g. America/New_York");
      return;
    case "url":
      if (!v) bad("expected a URL");
      return;
    case "string":
    case "value":
      return;
    default: {
      const never: never = t;
      throw new Error(`unhandled attribute type ${JSON.stringify(never)}`);
    }
  }
}

class Reader {
  readonly input: PropsInput;
  readonly values: Values;
  readonly diags: Diagnostic[];
  constructor(input: PropsInput, values: Values, diags: Diagnostic[]) {
    this.input = input;
    this.values = values;
    this.diags = diags;
  }
  has(name: string): boolean {
    return this.values.has(name);
  }
  raw(name: string): string | undefined {
    return this.values.get(name)?.value;
  }
  str(name: string): string | undefined {
    const v = this.raw(name);
    return v === undefined ? undefined : v;
  }
  num(name: string, fallback: number): number {
    const v = this.raw(name)?.trim();
    if (v === undefined || !/^\d+$/.test(v)) return fallback;
    return Number(v);
  }
  optNum(name: string): number | undefined {
    const v = this.raw(name)?.trim();
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
  }
  bool(name: string): boolean {
    return /^true$/i.test(this.raw(name)?.trim() ?? "");
  }
  enumOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const v = this.raw(name)?.trim().toLowerCase();
    return values.find((x) => x.toLowerCase() === v) ?? fallback;
  }
  tagAttr(): { tag?: string } {
    const t = this.str("tag");
    return t === undefined ? {} : { tag: t };
  }
  /** A requirement the element does not meet; `attribute` names the one that would meet it. */
  missing(message: string, attribute?: string): void {
    this.diags.push(
      diag("error", "missing-requirement", this.input.pos, `<${this.input.name}> ${message}`, {
        tag: this.input.name,
        ...(attribute ? { attribute } : {}),
      }),
    );
  }
}

function buildProps(r: Reader): TagProps[TagKind] {
  const { input } = r;
  const text = input.text.trim();
  switch (input.kind) {
    case "Response":
    case "Hangup":
    case "RecordStart":
    case "RecordStop":
    case "RecordWait":
    case "Switch":
    case "Default":
    case "Unhold":
      return r.tagAttr();
    case "Answer":
      return { delayMs: r.num("delay", 0), ...r.tagAttr() };
    case "Say": {
      const attr = r.str("text");
      const useAttr = attr !== undefined && attr.trim() !== "";
      if (useAttr && text && attr.trim() !== text) {
        r.diags.push(
          diag(
            "warning",
            "conflicting-spellings",
            input.pos,
            `<${input.name}> has both a text attribute and element text that differ; the attribute is spoken (docs/opentact.md §b.4)`,
            {
              tag: input.name,
              attribute: "text",
            },
          ),
        );
      }
      const spoken = useAttr ? attr.trim() : text;
      if (!spoken) r.missing("needs something to say: element text or a text attribute", "text");
      const code = r.str("code");
      return {
        text: spoken,
        lang: r.str("lang")?.trim() || "en-US",
        voiceType: r.enumOf("type", ["Standard", "WaveNet"] as const, "Standard"),
        gender: r.enumOf("gender", ["MALE", "FEMALE"] as const, "FEMALE"),
        ...(code !== undefined ? { code } : {}),
        loop: r.num("loop", 1),
        ...r.tagAttr(),
      };
    }
    case "Play": {
      const record = r.str("record")?.trim() || undefined;
      const url = r.str("url")?.trim() || text || undefined;
      if (!url && !record) r.missing("needs a url attribute, a URL as element text, or a record attribute", "url");
      const leg = r.has("leg") ? r.enumOf("leg", ["aleg", "bleg", "both"] as const, "both") : undefined;
      return { ...(url ? { url } : {}), ...(record ? { record } : {}), loop: r.num("loop", 1), ...(leg ? { leg } : {}), ...r.tagAttr() };
    }
    case "Pause":
      return { lengthMs: r.num("length", DEFAULTS.pauseMs), stopKeys: r.str("dtmf_stop")?.trim() ?? "", ...r.tagAttr() };
    case "Record": {
      const timeoutMs = r.optNum("timeout");
      return { asr: r.bool("asr"), ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...r.tagAttr() };
    }
    case "Dial": {
      const callerId = r.str("callerId");
      const timeoutMs = r.optNum("timeout");
      return { ...(callerId !== undefined ? { callerId } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...r.tagAttr() };
    }
    case "To":
    case "Sip":
    case "Number":
      if (!text) r.missing("needs a destination as element text, e.g. sip:desk@example.org or 12223334455");
      return { target: text };
    case "Gather": {
      const dialect = gatherDialect(input);
      const remoteUrl = r.str("url")?.trim() || undefined;
      return {
        dialect,
        maxDigits: r.num("numDigits", 1),
        finishKey: r.str("finishOnKey")?.trim() || (dialect === "A" ? "*" : "#"),
        timeoutMs: r.num("timeout", DEFAULTS.gatherTimeoutMs),
        attempts: Math.max(1, r.num("attempts", 1)),
        ...(remoteUrl ? { remoteUrl } : {}),
        method: r.enumOf("method", ["GET", "POST"] as const, "GET"),
        ...r.tagAttr(),
      };
    }
    case "DTMF":
    case "Case": {
      const key = input.kind === "DTMF" ? "value" : "dtmf";
      const value = r.str(key)?.trim() ?? "";
      if (!value) r.missing(`needs a ${key} attribute with the digits that select it`, key);
      return { value, ...r.tagAttr() };
    }
    case "Error":
      return { speak: r.bool("say"), ...r.tagAttr() };
    case "Callback": {
      const url = r.str("url")?.trim() || text;
      if (!url) r.missing("needs a url attribute or a URL as element text", "url");
      return {
        url,
        method: r.enumOf("method", ["GET", "POST", "PATCH", "DELETE"] as const, "GET"),
        body: r.bool("body"),
        timeoutMs: r.num("timeout", DEFAULTS.callbackTimeoutMs),
        ...r.tagAttr(),
      };
    }
    case "Call": {
      const field = r.str("field")?.trim() ?? "";
      if (!field) r.missing("needs a field attribute naming the call field to test, e.g. from or to", "field");
      if (!r.has("value")) r.missing("needs a value attribute to compare with", "value");
      return { field, value: parseCallValue(r.raw("value") ?? "") };
    }
    case "Geo": {
      const county = r.str("county")?.trim();
      return { states: parseStates(r.raw("states") ?? "") ?? [], ...(county ? { county } : {}) };
    }
    case "Schedule": {
      const dow = r.raw("dow");
      const time = r.raw("time");
      const tz = r.str("tz")?.trim();
      return {
        days: dow === undefined || isDynamic(dow) ? null : parseDays(dow),
        window: time === undefined || isDynamic(time) ? null : parseTimeWindow(time),
        ...(tz ? { tz } : {}),
      };
    }
    case "Hold":
      return { timeoutMs: r.num("timeout", DEFAULTS.holdMs), ...r.tagAttr() };
    case "Curl":
    case "Meta":
    case "Tone":
    case "Unknown":
      return {};
    default: {
      const never: never = input.kind;
      throw new Error(`unhandled tag kind ${String(never)}`);
    }
  }
}

/** What marks a `<Gather>` as one dialect or the other (docs/opentact.md §b.6); B is checked first. */
export const GATHER_DIALECT_MARKERS = {
  B: { attrs: ["dtmf_length", "length", "dtmf_stop", "url"], child: "DTMF" },
  A: { attrs: ["numDigits", "finishOnKey", "callback", "num_digits", "finish_on_key"], child: "Switch" },
} as const satisfies Record<"A" | "B", { attrs: readonly string[]; child: TagKind }>;

/** Dialect B when a dialect-B spelling or a `<DTMF>` child says so, else A when an A marker does, else B. */
function gatherDialect(input: PropsInput): "A" | "B" {
  const names = new Set(input.attrs.map((a) => a.name.toLowerCase()));
  for (const dialect of ["B", "A"] as const) {
    const m = GATHER_DIALECT_MARKERS[dialect];
    if (input.childKinds.includes(m.child) || m.attrs.some((n) => names.has(n.toLowerCase()))) return dialect;
  }
  return "B";
}

/** `sun,mon` or `mon-fri` → day numbers (0 = Sunday); null when malformed. */
export function parseDays(value: string): number[] | null {
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

/** `NJ, ca` → `["NJ","CA"]`; null when a code is not a USPS state code. */
export function parseStates(value: string): string[] | null {
  const codes = value
    .split(",")
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  if (codes.some((c) => !US_STATES.has(c))) return null;
  return codes;
}

// Building an Intl.DateTimeFormat is the slowest step of validating a flow (≈10% of checkFlow
// on bench/fixtures/large.xml); flows name a handful of zones, so remember the answers. The cap
// keeps a stream of made-up names from growing the map without bound.
const zoneAnswers = new Map<string, boolean>();

export function isTimeZone(tz: string): boolean {
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
