/**
 * Parse Opentact Call Flow XML into the typed tree, with a line and column on every element
 * and attribute.
 *
 * fast-xml-parser does the tokenising (≥ 5.7 for the 2026 entity CVE fixes). Entities are
 * decoded here instead, by a closed list (the five XML entities and character references), and
 * DOCTYPE / ENTITY declarations are refused before the parser sees them: templates come from
 * tenants (fast-xml-parser's 2026 entity-expansion CVEs).
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import type { ElementNode, FlowDocument, XmlAttribute, XmlNode } from "./ast.ts";
import { elementFrom } from "./build.ts";
import { clip, diag, report, shown, type Diagnostic } from "./diagnostics.ts";
import { checkLimits, LIMITS } from "./limits.ts";
import { LineIndex } from "./lines.ts";
import { FORBIDDEN_CHARS, MAYBE_FORBIDDEN } from "./serialize.ts";

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
  // fast-xml-parser renames `hasOwnProperty`, `toString`, … to `__hasOwnProperty`; the tree is
  // built from arrays and Maps, never by assigning names onto objects we read, so keep them.
  onDangerousProperty: (name: string) => name,
  // checkLimits refuses deeper nesting first, with its position; this is the parser's own guard.
  maxNestedTags: LIMITS.depth + 1,
});

const NAMED_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const ENTITY_RE = /&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z][A-Za-z0-9._-]*);/g;

/**
 * Decode the five XML entities and character references; anything else is left as written.
 * One pass, so `&amp;lt;` reads as the text `&lt;`; a document has at most LIMITS.references.
 */
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

/** Whether offset `i` falls in one of the sorted, disjoint `ranges` (binary search). */
function inRanges(ranges: Array<[number, number]>, i: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = ranges[mid]!;
    if (i < a) hi = mid - 1;
    else if (i >= b) lo = mid + 1;
    else return true;
  }
  return false;
}

const NOT_XML_CHAR = new RegExp(FORBIDDEN_CHARS.source);

function isXmlCharCode(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

function codePointLabel(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * Checks fast-xml-parser leaves to us: characters XML forbids, DOCTYPE/ENTITY declarations and
 * entity references.
 */
function lexicalChecks(text: string, lines: LineIndex): Diagnostic[] {
  const out: Diagnostic[] = [];
  const bad = MAYBE_FORBIDDEN.test(text) ? NOT_XML_CHAR.exec(text) : null;
  if (bad) {
    const code = bad[0].charCodeAt(0);
    out.push(
      diag("error", "not-well-formed", lines.at(bad.index), `character ${codePointLabel(code)} is not allowed anywhere in an XML document`),
    );
    return out;
  }
  const opaque = opaqueRanges(text);
  const decl = /<!(DOCTYPE|ENTITY)/gi;
  for (let m = decl.exec(text); m; m = decl.exec(text)) {
    if (inRanges(opaque, m.index)) continue;
    out.push(
      diag(
        "error",
        "doctype-forbidden",
        lines.at(m.index),
        `<!${m[1]!.toUpperCase()}> is not allowed: flows may not declare a DOCTYPE or entities`,
      ),
    );
    return out;
  }
  const amp = /&([^;&<\s]{0,32});?/g;
  for (let m = amp.exec(text); m; m = amp.exec(text)) {
    if (inRanges(opaque, m.index)) continue;
    const ref = m[0];
    const ok = /^&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);$/.test(ref);
    if (ok && ref[1] === "#") {
      const code = ref[2] === "x" ? parseInt(ref.slice(3, -1), 16) : parseInt(ref.slice(2, -1), 10);
      if (!isXmlCharCode(code)) {
        out.push(
          diag(
            "error",
            "not-well-formed",
            lines.at(m.index),
            `character reference ${ref} names ${code > 0x10ffff ? "no character" : codePointLabel(code)}, which XML does not allow`,
          ),
        );
        return out;
      }
    }
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
interface Span {
  startIndex: number;
  endIndex: number;
}

function spanOf(entry: FxpNode): Span | undefined {
  return (entry as unknown as Record<PropertyKey, Span | undefined>)[META as unknown as PropertyKey];
}

export interface ParseOptions {
  /**
   * The text is a template as an author wrote it (publishing, `tactflow validate`): also held to
   * the limits on references and placeholders (src/xml/limits.ts). Off for documents that may
   * hold a caller's values, such as a rendered flow.
   */
  template?: boolean;
}

/** Parse a document. Never throws: problems come back as diagnostics. */
export function parseXml(input: string, options: ParseOptions = {}): ParseResult {
  // A byte-order mark is not content; dropping it keeps line 1's columns as editors count them.
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  if (text !== input && text.charCodeAt(0) === 0xfeff) {
    const message = "a second byte-order mark (U+FEFF): a template may start with at most one";
    return { document: null, diagnostics: [diag("error", "bad-encoding", { line: 1, col: 1 }, message)] };
  }
  const lines = new LineIndex(text);
  const tooLarge = checkLimits(text, lines, options.template ?? false);
  if (tooLarge) return { document: null, diagnostics: [tooLarge] };
  const diagnostics = lexicalChecks(text, lines);
  if (diagnostics.length) return { document: null, diagnostics };
  if (!text.trim()) {
    return {
      document: null,
      diagnostics: [diag("error", "not-well-formed", { line: 1, col: 1 }, "the document is empty: expected <Response>…</Response>")],
    };
  }
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (valid !== true) {
    const { line, col, msg } = valid.err;
    return { document: null, diagnostics: [diag("error", "not-well-formed", { line, col }, `not well-formed XML: ${clip(msg, 200)}`)] };
  }
  let tree: FxpNode[];
  try {
    tree = parser.parse(text) as FxpNode[];
  } catch (err) {
    return { document: null, diagnostics: [parserRefusal(err as Error, text, lines)] };
  }
  let declaration = false;
  let rootEntry: FxpNode | undefined;
  let rootName = "";
  for (const entry of tree) {
    const name = entryName(entry);
    if (name === "?xml") declaration = true;
    else if (name === undefined || name === "#comment" || name === "#text" || name.startsWith("?")) continue;
    else {
      rootEntry = entry;
      rootName = name;
      break;
    }
  }
  if (!rootEntry) {
    return {
      document: null,
      diagnostics: [diag("error", "not-well-formed", { line: 1, col: 1 }, "no root element: expected <Response>…</Response>")],
    };
  }
  const stray = strayAfterRoot(text, spanOf(rootEntry)?.endIndex ?? text.length, rootName, lines);
  if (stray) return { document: null, diagnostics: [stray] };
  const root = buildElement(rootEntry, rootName, text, lines, diagnostics);
  return { document: { declaration, root }, diagnostics };
}

/**
 * fast-xml-parser refuses three legal XML names outright (`__proto__`, `constructor`,
 * `prototype`) to guard against prototype pollution. None is an Opentact name; say so at the name.
 */
function parserRefusal(err: Error, text: string, lines: LineIndex): Diagnostic {
  const name = /"([^"]+)"/.exec(err.message)?.[1];
  if (name) {
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const at = new RegExp(`(?<=<\\/?)${escaped}(?=[\\s/>])|(?<=\\s)${escaped}(?=\\s*=)`).exec(text);
    if (at) return diag("error", "not-well-formed", lines.at(at.index), `"${clip(name)}" cannot be used as a tag or attribute name`);
  }
  return diag("error", "not-well-formed", { line: 1, col: 1 }, `not well-formed XML: ${clip(err.message, 200)}`);
}

/**
 * fast-xml-parser accepts several top-level elements and text after the root; XML does not.
 * After the root only whitespace, comments and processing instructions may follow.
 */
function strayAfterRoot(text: string, from: number, rootName: string, lines: LineIndex): Diagnostic | null {
  const skip = /\s+|<!--[\s\S]*?-->|<\?[\s\S]*?\?>/y;
  let i = from;
  while (i < text.length) {
    skip.lastIndex = i;
    const m = skip.exec(text);
    if (!m) break;
    i += m[0].length;
  }
  if (i >= text.length) return null;
  const message = /^<[^\s!?/]/.test(text.slice(i, i + 2))
    ? `a second root element after </${rootName}>: a document has exactly one root element, <Response>`
    : `text after </${rootName}>: nothing but comments may follow the root element`;
  return diag("error", "not-well-formed", lines.at(i), `not well-formed XML: ${message}`);
}

function entryName(entry: FxpNode): string | undefined {
  for (const k of Object.keys(entry)) if (k !== ":@") return k;
  return undefined;
}

function innerText(entry: FxpNode, key: string): string {
  const inner = (entry[key] as FxpNode[] | undefined) ?? [];
  return inner.map((t) => String(t["#text"] ?? "")).join("");
}

const XML_BLANK = /^[ \t\r\n]*$/;

function buildElement(entry: FxpNode, name: string, text: string, lines: LineIndex, diags: Diagnostic[]): ElementNode {
  const start = spanOf(entry)?.startIndex ?? 0;
  const pos = lines.at(start);
  const attrs = readAttributes(name, entry[":@"] ?? {}, text, start, lines, diags);
  const children: XmlNode[] = [];
  // Text nodes carry their element's position: fast-xml-parser records offsets for elements only.
  // Adjacent text and CDATA make one text node, so serialising and re-parsing gives the same
  // tree; runs of XML whitespace only (space, tab, CR, LF) are layout and are dropped. Other
  // Unicode spaces, such as U+00A0, are content.
  let run = "";
  const flush = () => {
    if (!XML_BLANK.test(run)) children.push({ type: "text", value: run, pos });
    run = "";
  };
  const raw = (entry[name] as FxpNode[] | undefined) ?? [];
  for (const child of raw) {
    const cname = entryName(child);
    if (cname === undefined) continue;
    if (cname === "#text") run += decodeEntities(String(child["#text"] ?? ""));
    else if (cname === "#cdata") run += innerText(child, "#cdata");
    else if (cname === "#comment") {
      flush();
      children.push({ type: "comment", value: innerText(child, "#comment"), pos });
    } else if (cname.startsWith("?")) {
      // Opentact gives processing instructions no meaning; the tree has no place for them.
      const at = lines.at(spanOf(child)?.startIndex ?? start);
      const message = `<${clip(cname)} …?> inside <${clip(name)}> is a processing instruction; it is ignored and dropped when the flow is saved`;
      report(diags, "warning", "ignored-content", at, message, { tag: name });
    } else {
      flush();
      children.push(buildElement(child, cname, text, lines, diags));
    }
  }
  flush();
  return elementFrom(name, attrs, children, pos, diags);
}

/** A quoted value, or the `>` that ends a start tag. */
const TAG_END = /"[^"]*"|'[^']*'|>/g;

/** The offset of the `>` that ends the start tag opened at `start` (quotes may hold `>`). */
function startTagEnd(text: string, start: number): number {
  TAG_END.lastIndex = start + 1;
  for (let m = TAG_END.exec(text); m; m = TAG_END.exec(text)) if (m[0] === ">") return m.index;
  return text.length;
}

const ATTRIBUTE = /\s([^\s=/>]+)\s*=\s*(?:"[^"]*"|'[^']*')/g;

/** Attribute values come decoded; positions are found by scanning the start tag. */
function readAttributes(
  tagName: string,
  parsed: Record<string, string>,
  text: string,
  start: number,
  lines: LineIndex,
  diags: Diagnostic[],
): XmlAttribute[] {
  const names = Object.keys(parsed);
  if (!names.length) return [];
  const offsets = new Map<string, number>();
  const tag = text.slice(start, startTagEnd(text, start));
  ATTRIBUTE.lastIndex = 0;
  for (let m = ATTRIBUTE.exec(tag); m; m = ATTRIBUTE.exec(tag)) {
    if (!offsets.has(m[1]!)) offsets.set(m[1]!, start + m.index + 1);
  }
  return Object.entries(parsed).map(([name, value]) => {
    const raw = String(value);
    const pos = lines.at(offsets.get(name) ?? start);
    // XML forbids a literal `<` in attribute values; fast-xml-parser lets it through.
    if (raw.includes("<")) {
      const message = `<${clip(tagName)} ${clip(name)}=${shown(raw)}>: a literal "<" is not allowed in an attribute value; write &lt;`;
      report(diags, "error", "not-well-formed", pos, message, { tag: tagName, attribute: name });
    }
    return { name, value: decodeEntities(raw), pos };
  });
}
