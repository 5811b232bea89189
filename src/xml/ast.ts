/**
 * The Opentact Call Flow XML syntax tree.
 *
 * Every element keeps what the author wrote (`name` and `attrs`, in order) so serialising
 * round-trips a document; `kind` is the canonical tag the name resolves to (tag names are
 * matched case-insensitively, docs/opentact.md §b.0) and `props` is the typed, normalised reading of its
 * attributes (both Gather dialects, both Say/Play/Callback spellings, docs/opentact.md §b.6 and f.1–f.7).
 */
import type { TagProps } from "./props.ts";

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
