/**
 * The Opentact Call Flow XML syntax tree.
 *
 * Every element keeps what the author wrote (`name` and `attrs`, in order) so serialising
 * round-trips a document; `kind` is the canonical tag the name resolves to (tag names are
 * matched case-insensitively, docs/opentact.md §b.0) and `props` is the typed, normalised reading of its
 * attributes (both Gather dialects, both Say/Play/Callback spellings, docs/opentact.md §b.6 and f.1–f.7).
 *
 * Types only, and the few helpers that read a tree: this module imports nothing, so every other
 * module of the XML core can depend on it.
 */
/** 1-based line and column, plus the 0-based offset into the source text. */
export interface Position {
  line: number;
  col: number;
  offset: number;
}

export const TAG_KINDS = [
  "Response",
  "Answer",
  "Hangup",
  "Say",
  "Play",
  "Pause",
  "Record",
  "RecordStart",
  "RecordStop",
  "RecordWait",
  "Dial",
  "To",
  "Sip",
  "Number",
  "Gather",
  "DTMF",
  "Switch",
  "Case",
  "Default",
  "Error",
  "Callback",
  "Call",
  "Geo",
  "Schedule",
  "Hold",
  "Unhold",
  // Named by the Opentact docs without a page (docs/opentact.md §b.0): kept unchanged, warned about.
  "Curl",
  "Meta",
  "Tone",
  // Anything else: an error at validation, but kept in the tree so tools can report on it.
  "Unknown",
] as const;

export type TagKind = (typeof TAG_KINDS)[number];

// ---- props: the typed reading of each tag's attributes (filled by props.ts) -----------------

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
  /** The call field to test (`from`, `to`, a dotted path into the call entity); may hold placeholders. */
  field: string;
  /** What the field is compared with, typed (docs/opentact.md §b.14). */
  value: CallValue;
  /** `value` as written when it holds placeholders: filled and typed at render time. */
  valueTemplate?: string;
}
export interface GeoProps {
  /** Upper-case USPS codes; empty (no `states` attribute) means "always". */
  states: string[];
  /** `states` as written when it holds placeholders: filled and read at render time. */
  statesTemplate?: string;
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
  /** The zone's name; may hold placeholders, filled at render time. */
  tz?: string;
  /** `dow` as written when it holds placeholders: filled and read at render time. */
  dowTemplate?: string;
  /** `time` as written when it holds placeholders: filled and read at render time. */
  timeTemplate?: string;
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

export interface XmlAttribute {
  /** The attribute name as written. */
  name: string;
  /** The decoded value (entities resolved). */
  value: string;
  pos: Position;
}

interface ElementBase<K extends TagKind> {
  type: "element";
  kind: K;
  /** The tag name as written (`callback`, `Scheduler`, …). */
  name: string;
  attrs: XmlAttribute[];
  children: XmlNode[];
  pos: Position;
  props: TagProps[K];
}

/** An element of any kind; narrow on `kind` to get typed `props`. */
export type ElementNode = { [K in TagKind]: ElementBase<K> }[TagKind];
/** An element of one kind. */
export type ElementOf<K extends TagKind> = Extract<ElementNode, { kind: K }>;

export interface TextNode {
  type: "text";
  value: string;
  pos: Position;
}

export interface CommentNode {
  type: "comment";
  value: string;
  pos: Position;
}

export type XmlNode = ElementNode | TextNode | CommentNode;

export interface FlowDocument {
  /** Whether the source carried an `<?xml …?>` declaration. */
  declaration: boolean;
  root: ElementNode;
}

export function isElement(node: XmlNode): node is ElementNode {
  return node.type === "element";
}

/** Element children only, skipping text and comments. */
export function elementChildren(el: ElementNode): ElementNode[] {
  return el.children.filter(isElement);
}

/** The element's text content: its direct text children joined. */
export function textContent(el: ElementNode): string {
  let out = "";
  for (const child of el.children) if (child.type === "text") out += child.value;
  return out;
}

/** The value of the first attribute whose name matches one of `names`, case-insensitively. */
export function attrValue(el: { attrs: XmlAttribute[] }, ...names: string[]): XmlAttribute | undefined {
  for (const want of names) {
    const lower = want.toLowerCase();
    const hit = el.attrs.find((a) => a.name.toLowerCase() === lower);
    if (hit) return hit;
  }
  return undefined;
}
