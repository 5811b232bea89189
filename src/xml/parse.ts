/**
 * Parse Opentact Call Flow XML into the typed tree, with a line and column on every element
 * and attribute.
 *
 * fast-xml-parser does the tokenising (≥ 5.7 for the 2026 entity CVE fixes). Entities are
 * decoded here instead, by a closed list (the five XML entities and character references), and
 * DOCTYPE / ENTITY declarations are refused before the parser sees them: templates come from
 * tenants (platform-notes §5.2).
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import type { ElementNode, FlowDocument, Position, TagKind, XmlAttribute, XmlNode } from "./ast.ts";
import { diag, type Diagnostic } from "./diagnostics.ts";
import { readProps } from "./props.ts";
import { specForName } from "./tags.ts";

export interface ParseResult {
  /** The tree, or null when the text is not well-formed XML. */
  document: FlowDocument | null;
  diagnostics: Diagnostic[];
}

const META = XMLParser.getMetaDataSymbol();

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  captureMetaData: true,
  processEntities: false,
  htmlEntities: false,
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: false,
  ignorePiTags: false,
  commentPropName: "#comment",
  cdataPropName: "#cdata",
});

/** Maps offsets to 1-based line:col. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  at(offset: number): Position {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.starts[lo]! + 1, offset };
  }
}

const NAMED_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const ENTITY_RE = /&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z][A-Za-z0-9._-]*);/g;

/** Decode the five XML entities and character references; anything else is left as written. */
export function decodeEntities(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(ENTITY_RE, (whole, body: string) => {
    if (body[0] === "#") {
      const code = body[1] === "x" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[body] ?? whole;
  });
}

/** Ranges of comments and CDATA sections, where `&` and `<!` mean nothing. */
function opaqueRanges(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const re = /<!--[\s\S]*?(?:-->|$)|<!\[CDATA\[[\s\S]*?(?:\]\]>|$)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push([m.index, m.index + m[0].length]);
  return out;
}

function inRanges(ranges: Array<[number, number]>, i: number): boolean {
  return ranges.some(([a, b]) => i >= a && i < b);
}

/** Checks fast-xml-parser leaves to us: DOCTYPE/ENTITY declarations and entity references. */
function lexicalChecks(text: string, lines: LineIndex): Diagnostic[] {
  const out: Diagnostic[] = [];
  const opaque = opaqueRanges(text);
  const decl = /<!(DOCTYPE|ENTITY)/gi;
  for (let m = decl.exec(text); m; m = decl.exec(text)) {
    if (inRanges(opaque, m.index)) continue;
    out.push(
      diag("error", "doctype-forbidden", lines.at(m.index), `<!${m[1]!.toUpperCase()}> is not allowed: flows may not declare a DOCTYPE or entities`),
    );
    return out;
  }
  const amp = /&([^;&<\s]{0,32});?/g;
  for (let m = amp.exec(text); m; m = amp.exec(text)) {
    if (inRanges(opaque, m.index)) continue;
    const ref = m[0];
    const ok = /^&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);$/.test(ref);
    if (!ok) {
      out.push(
        diag(
          "error",
          "not-well-formed",
          lines.at(m.index),
          ref.endsWith(";")
            ? `unknown entity ${ref}: only &amp; &lt; &gt; &quot; &apos; and character references like &#38; are allowed`
            : `a bare "&" must be written &amp;`,
        ),
      );
      return out;
    }
  }
  return out;
}

type FxpNode = Record<string, unknown> & { ":@"?: Record<string, string> };

/** Parse a document. Never throws: problems come back as diagnostics. */
export function parseXml(text: string): ParseResult {
  const lines = new LineIndex(text);
  const diagnostics = lexicalChecks(text, lines);
  if (diagnostics.length) return { document: null, diagnostics };
  if (!text.trim()) {
    return { document: null, diagnostics: [diag("error", "not-well-formed", { line: 1, col: 1 }, "the document is empty: expected <Response>…</Response>")] };
  }
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (valid !== true) {
    const { line, col, msg } = valid.err;
    return { document: null, diagnostics: [diag("error", "not-well-formed", { line, col }, `not well-formed XML: ${msg}`)] };
  }
  let tree: FxpNode[];
  try {
    tree = parser.parse(text) as FxpNode[];
  } catch (err) {
    return { document: null, diagnostics: [diag("error", "not-well-formed", { line: 1, col: 1 }, `not well-formed XML: ${(err as Error).message}`)] };
  }
  let declaration = false;
  let root: ElementNode | null = null;
  for (const entry of tree) {
    const name = entryName(entry);
    if (name === "?xml") declaration = true;
    else if (name === "#comment" || name === "#text" || name === undefined) continue;
    else if (!root) root = buildElement(entry, name, text, lines, diagnostics);
  }
  if (!root) {
    return { document: null, diagnostics: [diag("error", "not-well-formed", { line: 1, col: 1 }, "no root element: expected <Response>…</Response>")] };
  }
  return { document: { declaration, root }, diagnostics };
}

function entryName(entry: FxpNode): string | undefined {
  for (const k of Object.keys(entry)) if (k !== ":@") return k;
  return undefined;
}

function buildElement(entry: FxpNode, name: string, text: string, lines: LineIndex, diags: Diagnostic[]): ElementNode {
  const meta = (entry as unknown as Record<PropertyKey, { startIndex: number } | undefined>)[META as unknown as PropertyKey];
  const start = meta?.startIndex ?? 0;
  const pos = lines.at(start);
  const attrs = readAttributes(entry[":@"] ?? {}, text, start, lines);
  const children: XmlNode[] = [];
  const raw = (entry[name] as FxpNode[] | undefined) ?? [];
  for (const child of raw) {
    const cname = entryName(child);
    if (cname === "#text") {
      const value = decodeEntities(String(child["#text"] ?? ""));
      if (value.trim()) children.push({ type: "text", value, pos });
    } else if (cname === "#cdata") {
      const inner = (child["#cdata"] as FxpNode[] | undefined) ?? [];
      const value = inner.map((t) => String(t["#text"] ?? "")).join("");
      if (value.trim()) children.push({ type: "text", value, pos });
    } else if (cname === "#comment") {
      const inner = (child["#comment"] as FxpNode[] | undefined) ?? [];
      children.push({ type: "comment", value: inner.map((t) => String(t["#text"] ?? "")).join(""), pos });
    } else if (cname !== undefined) {
      children.push(buildElement(child, cname, text, lines, diags));
    }
  }
  const kind: TagKind = specForName(name)?.kind ?? "Unknown";
  const childKinds = children.flatMap((c) => (c.type === "element" ? [c.kind] : []));
  const textValue = children.flatMap((c) => (c.type === "text" ? [c.value] : [])).join("");
  const props = readProps({ kind, name, attrs, text: textValue, pos, childKinds }, diags);
  return { type: "element", kind, name, attrs, children, pos, props } as ElementNode;
}

/** Attribute values come decoded; positions are found by scanning the start tag. */
function readAttributes(parsed: Record<string, string>, text: string, start: number, lines: LineIndex): XmlAttribute[] {
  const offsets = new Map<string, number>();
  const re = /\s([^\s=/>]+)\s*=\s*("[^"]*"|'[^']*')/g;
  re.lastIndex = start;
  // Scan only the start tag: stop at the first `>` outside a quoted value.
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const between = text.slice(start, m.index);
    if (/>/.test(between.replace(/"[^"]*"|'[^']*'/g, ""))) break;
    if (!offsets.has(m[1]!)) offsets.set(m[1]!, m.index + 1);
  }
  return Object.entries(parsed).map(([name, value]) => ({
    name,
    value: decodeEntities(String(value)),
    pos: lines.at(offsets.get(name) ?? start),
  }));
}
