/**
 * The tag registry: every tag tactflow understands, the spellings it accepts, its attributes
 * with types and defaults, and where it may appear. Parsing, validation, canonical
 * serialisation and the tag tables of docs/flow-xml.md all read from here.
 *
 * Sources: docs/opentact.md (b.1–b.18, f). [R] marks our choices where the docs are silent.
 */
import type { TagKind } from "./ast.ts";

export type AttrType =
  /** Milliseconds: a whole number from 0 to `max`. */
  | { t: "ms"; max: number }
  /** A whole number from `min` to `max`. */
  | { t: "int"; min: number; max: number }
  | { t: "string" }
  | { t: "url" }
  | { t: "bool" }
  | { t: "enum"; values: readonly string[] }
  | { t: "key" }
  | { t: "keys" }
  | { t: "dow" }
  | { t: "time" }
  | { t: "states" }
  | { t: "tz" }
  | { t: "value" };

export interface AttrSpec {
  /** The documented spelling, written when canonicalising. */
  name: string;
  /** Other accepted spellings (matched case-insensitively, like `name`). */
  aliases?: readonly string[];
  type: AttrType;
  /** Default as documented, for humans (docs/flow-xml.md, messages). */
  default?: string;
  doc: string;
}

/** Where a tag may appear. */
export type Placement = "root" | "command" | "destination" | "gather-branch" | "switch-branch" | "default" | "error" | "switch";

export interface TagSpec {
  kind: TagKind;
  /** Every accepted tag name; the first is canonical. Matched case-insensitively. */
  names: readonly string[];
  placement: Placement;
  /** What the element may hold. */
  content: "commands" | "text" | "empty" | "dial" | "gather" | "switch" | "any";
  attrs: readonly AttrSpec[];
  doc: string;
  /** Named by the docs without a page; kept unchanged and warned about. */
  unspecified?: boolean;
}

const tag: AttrSpec = { name: "tag", type: { t: "string" }, doc: "free string copied into this command's events" };

// Numeric ranges [R]: the docs give none. Every duration is at most a day; counts are what a
// caller could sit through. Out of range is an error at publish, with the range in the message.
/** One day in milliseconds: the longest delay, pause, timeout or hold. */
export const DAY_MS = 86_400_000;
const MS = { t: "ms", max: DAY_MS } as const;
/** Repetitions of a `<Say>` or `<Play>`. */
const LOOP = { t: "int", min: 1, max: 100 } as const;
/** Digits one `<Gather>` collects. */
const DIGITS = { t: "int", min: 1, max: 64 } as const;
/** Tries of one `<Gather>` block. */
const ATTEMPTS = { t: "int", min: 1, max: 100 } as const;
const DTMF_KEYS = "0123456789*#+";

export const METHODS = ["GET", "POST", "PATCH", "DELETE"] as const;
export const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

export const TAG_SPECS: readonly TagSpec[] = [
  { kind: "Response", names: ["Response"], placement: "root", content: "commands", attrs: [], doc: "root element" },
  {
    kind: "Answer",
    names: ["Answer"],
    placement: "command",
    content: "empty",
    attrs: [{ name: "delay", type: MS, default: "0", doc: "wait before the next command (ms)" }, tag],
    doc: "answer the call (SIP 200 OK)",
  },
  {
    kind: "Hangup",
    names: ["Hangup"],
    placement: "command",
    content: "empty",
    attrs: [tag],
    doc: "end the call; `tag` carries the reason",
  },
  {
    kind: "Say",
    names: ["Say"],
    placement: "command",
    content: "text",
    attrs: [
      { name: "text", type: { t: "string" }, doc: "text to speak (else the element text)" },
      { name: "lang", type: { t: "string" }, default: "en-US", doc: "BCP-47 language" },
      { name: "type", type: { t: "enum", values: ["Standard", "WaveNet"] }, default: "Standard", doc: "voice engine" },
      { name: "gender", type: { t: "enum", values: ["MALE", "FEMALE"] }, default: "FEMALE", doc: "voice gender" },
      { name: "code", type: { t: "string" }, doc: "specific voice code" },
      { name: "loop", type: LOOP, default: "1", doc: "repetitions" },
      tag,
    ],
    doc: "text to speech",
  },
  {
    kind: "Play",
    names: ["Play"],
    placement: "command",
    content: "text",
    attrs: [
      { name: "url", type: { t: "url" }, doc: "mp3/wav URL (else the element text)" },
      { name: "loop", type: LOOP, default: "1", doc: "repetitions" },
      { name: "leg", type: { t: "enum", values: ["aleg", "bleg", "both"] }, doc: "which leg hears it" },
      { name: "record", type: { t: "string" }, doc: "play the recording with this tag" },
      tag,
    ],
    doc: "play audio",
  },
  {
    kind: "Pause",
    names: ["Pause"],
    placement: "command",
    content: "empty",
    attrs: [
      { name: "length", type: MS, default: "1000", doc: "pause length (ms)" },
      { name: "dtmf_stop", type: { t: "keys" }, doc: "keys that end the pause early (each character is a key)" },
      tag,
    ],
    doc: "wait silently",
  },
  {
    kind: "Record",
    names: ["Record"],
    placement: "command",
    content: "commands",
    attrs: [
      tag,
      { name: "asr", type: { t: "bool" }, default: "false", doc: "also transcribe" },
      { name: "timeout", type: MS, doc: "maximum recording time (ms)" },
    ],
    doc: "record the call (self-closing: in the background; with children: while they run) [R]",
  },
  {
    kind: "RecordStart",
    names: ["RecordStart"],
    placement: "command",
    content: "empty",
    attrs: [tag],
    doc: "start a background recording (attributes not documented)",
  },
  { kind: "RecordStop", names: ["RecordStop"], placement: "command", content: "empty", attrs: [tag], doc: "stop the background recording" },
  {
    kind: "RecordWait",
    names: ["RecordWait"],
    placement: "command",
    content: "empty",
    attrs: [tag],
    doc: "wait for the recording (attributes not documented)",
  },
  {
    kind: "Dial",
    names: ["Dial"],
    placement: "command",
    content: "dial",
    attrs: [
      { name: "callerId", type: { t: "string" }, doc: "caller id to present [R extension]" },
      { name: "timeout", type: MS, doc: "ring timeout (ms) [R extension]" },
      tag,
    ],
    doc: "bridge to the first destination that answers",
  },
  { kind: "To", names: ["To"], placement: "destination", content: "text", attrs: [], doc: "destination: SIP URI, user@domain or number" },
  { kind: "Sip", names: ["Sip"], placement: "destination", content: "text", attrs: [], doc: "SIP destination (older spelling)" },
  { kind: "Number", names: ["Number"], placement: "destination", content: "text", attrs: [], doc: "phone-number destination [R]" },
  {
    kind: "Gather",
    names: ["Gather"],
    placement: "command",
    content: "gather",
    attrs: [
      {
        name: "numDigits",
        aliases: ["dtmf_length", "length", "num_digits", "maxDigits"],
        type: DIGITS,
        default: "1",
        doc: "digits to collect",
      },
      {
        name: "finishOnKey",
        aliases: ["dtmf_stop", "finish_on_key"],
        type: { t: "key" },
        default: "`*` (dialect A) / `#` (dialect B)",
        doc: "key that ends input",
      },
      { name: "timeout", type: MS, default: "5000 [R]", doc: "input timeout per attempt (ms)" },
      { name: "attempts", type: ATTEMPTS, default: "1", doc: "tries of the whole block" },
      { name: "url", aliases: ["callback", "action"], type: { t: "url" }, doc: "send digits here and run the reply" },
      { name: "method", type: { t: "enum", values: ["GET", "POST"] }, default: "GET", doc: "method for `url`" },
      tag,
    ],
    doc: "collect DTMF; branch locally or ask a URL",
  },
  {
    kind: "DTMF",
    names: ["DTMF"],
    placement: "gather-branch",
    content: "commands",
    attrs: [{ name: "value", type: { t: "string" }, doc: "digits that select this branch" }, tag],
    doc: "branch (dialect B)",
  },
  { kind: "Switch", names: ["Switch"], placement: "switch", content: "switch", attrs: [tag], doc: "wrapper for Case branches (dialect A)" },
  {
    kind: "Case",
    names: ["Case"],
    placement: "switch-branch",
    content: "commands",
    attrs: [{ name: "dtmf", aliases: ["value"], type: { t: "string" }, doc: "digits that select this branch" }, tag],
    doc: "branch (dialect A)",
  },
  { kind: "Default", names: ["Default"], placement: "default", content: "commands", attrs: [tag], doc: "input matched no branch" },
  {
    kind: "Error",
    names: ["Error"],
    placement: "error",
    content: "commands",
    attrs: [{ name: "say", aliases: ["play"], type: { t: "bool" }, default: "false", doc: "speak the failure reason" }, tag],
    doc: "runs when the parent command fails",
  },
  {
    kind: "Callback",
    names: ["Callback"],
    placement: "command",
    content: "text",
    attrs: [
      { name: "url", type: { t: "url" }, doc: "where to fetch the next flow (else the element text)" },
      { name: "method", type: { t: "enum", values: METHODS }, default: "GET", doc: "HTTP method" },
      { name: "body", type: { t: "bool" }, default: "false", doc: "send call data in the body" },
      { name: "timeout", type: MS, default: "10000 [R]", doc: "max wait (ms), then `<Error>`" },
      tag,
    ],
    doc: "fetch a call flow and hand the call to it",
  },
  {
    kind: "Call",
    names: ["Call"],
    placement: "command",
    content: "commands",
    attrs: [
      { name: "field", type: { t: "string" }, doc: "call field to test (`from`, `to`, …)" },
      { name: "value", type: { t: "value" }, doc: "value to compare (string, number, null, true/false)" },
    ],
    doc: "children run when a call field equals `value`",
  },
  {
    kind: "Geo",
    names: ["Geo"],
    placement: "command",
    content: "commands",
    attrs: [
      { name: "states", type: { t: "states" }, doc: "comma-separated USPS state codes" },
      { name: "county", type: { t: "string" }, doc: "county name (passed to the platform)" },
    ],
    doc: "children run when the caller's location matches",
  },
  {
    kind: "Schedule",
    names: ["Schedule", "Scheduler"],
    placement: "command",
    content: "commands",
    attrs: [
      { name: "dow", type: { t: "dow" }, doc: "days: `sun,mon,…` (ranges like `mon-fri` too)" },
      { name: "time", type: { t: "time" }, doc: "`HH:MM:SS-HH:MM:SS`, inclusive, 24 h" },
      { name: "tz", type: { t: "tz" }, default: "flow's zone, else UTC", doc: "IANA time zone [R]" },
    ],
    doc: "children run inside the time window",
  },
  {
    kind: "Hold",
    names: ["Hold"],
    placement: "command",
    content: "empty",
    attrs: [{ name: "timeout", type: MS, default: "300000", doc: "hold cap (ms)" }, tag],
    doc: "put the call on hold",
  },
  { kind: "Unhold", names: ["Unhold"], placement: "command", content: "empty", attrs: [tag], doc: "resume a held call" },
  {
    kind: "Curl",
    names: ["Curl"],
    placement: "command",
    content: "any",
    attrs: [],
    doc: "named by the docs, unspecified",
    unspecified: true,
  },
  {
    kind: "Meta",
    names: ["Meta"],
    placement: "command",
    content: "any",
    attrs: [],
    doc: "named by the docs, unspecified",
    unspecified: true,
  },
  {
    kind: "Tone",
    names: ["Tone"],
    placement: "command",
    content: "any",
    attrs: [],
    doc: "named by the docs, unspecified",
    unspecified: true,
  },
];

const byName = new Map<string, TagSpec>();
const byKind = new Map<TagKind, TagSpec>();
for (const spec of TAG_SPECS) {
  byKind.set(spec.kind, spec);
  for (const n of spec.names) byName.set(n.toLowerCase(), spec);
}

/** The spec a tag name resolves to (case-insensitive), if any. */
export function specForName(name: string): TagSpec | undefined {
  return byName.get(name.toLowerCase());
}

export function specForKind(kind: TagKind): TagSpec | undefined {
  return byKind.get(kind);
}

/** Every accepted tag name, canonical spelling first per tag. */
export function knownTagNames(): string[] {
  return TAG_SPECS.flatMap((s) => [...s.names]);
}

/** The attribute spec an attribute name resolves to on a tag (case-insensitive). */
export function attrSpecFor(spec: TagSpec, attrName: string): AttrSpec | undefined {
  const lower = attrName.toLowerCase();
  return spec.attrs.find((a) => a.name.toLowerCase() === lower || a.aliases?.some((x) => x.toLowerCase() === lower));
}

export { DTMF_KEYS };
