/**
 * Serialise the tree to XML that is well-formed whatever its strings hold: text and attribute
 * values are escaped, and characters XML 1.0 forbids are dropped. By default the author's tag
 * and attribute spellings are kept; `canonical` rewrites them to the documented spelling.
 */
import type { ElementNode, FlowDocument, TextNode, XmlNode } from "./ast.ts";
import { attrSpecFor, specForKind } from "./tags.ts";

export interface SerializeOptions {
  /** Rewrite tag and attribute names to their documented spellings (see canonicalName). */
  canonical?: boolean;
  /** Emit `<?xml version="1.0" encoding="UTF-8"?>`; default: as the source had it. */
  declaration?: boolean;
  /** Indent unit; `""` puts everything on one line. Default two spaces. */
  indent?: string;
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

// XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
// Lone surrogates are matched so they can be dropped too.
export const FORBIDDEN_CHARS =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** What FORBIDDEN_CHARS could match, as one character class: a quick test that the costlier look-around pattern is needed. */
export const MAYBE_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

/** Remove characters that may not appear in an XML 1.0 document at all. */
export function stripForbidden(s: string): string {
  return MAYBE_FORBIDDEN.test(s) ? s.replace(FORBIDDEN_CHARS, "") : s;
}

/** Replacement text by character code for the characters `escapeWith` rewrites. */
type EscapeTable = ReadonlyArray<string | undefined>;

function table(entries: Record<string, string>): EscapeTable {
  const t: Array<string | undefined> = [];
  for (const [ch, ref] of Object.entries(entries)) t[ch.charCodeAt(0)] = ref;
  return t;
}

const TEXT_ESCAPES = table({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;" });
const ATTR_ESCAPES = table({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;" });

/** One pass over `s`, copying runs of plain characters and replacing the ones in `escapes`. */
function escapeWith(s: string, escapes: EscapeTable): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const ref = escapes[s.charCodeAt(i)];
    if (ref !== undefined) {
      out += s.slice(from, i) + ref;
      from = i + 1;
    }
  }
  return from === 0 ? s : out + s.slice(from);
}

/** Escape for element text. `\r` is written as a reference so parsers do not fold it. */
export function escapeText(s: string): string {
  const t = stripForbidden(s);
  return /[&<>\r]/.test(t) ? escapeWith(t, TEXT_ESCAPES) : t;
}

/** Escape for a double-quoted attribute value; whitespace controls survive attribute normalisation. */
export function escapeAttr(s: string): string {
  const t = stripForbidden(s);
  return /[&<>"\t\n\r]/.test(t) ? escapeWith(t, ATTR_ESCAPES) : t;
}

function escapeComment(s: string): string {
  // `--` may not appear inside a comment, nor may it end with `-`. A comment cannot hold a
  // character reference, so a CR is written as the LF every XML reader turns it into.
  return stripForbidden(s)
    .replace(/\r\n?/g, "\n")
    .replace(/-(?=-)/g, "- ")
    .replace(/-$/, "- ");
}

/** The documented spelling of an attribute on an element (dialect-aware for Gather). */
export function canonicalAttrName(el: ElementNode, name: string): string {
  const spec = specForKind(el.kind);
  if (!spec || spec.unspecified) return name;
  const as = attrSpecFor(spec, name);
  if (!as) return name;
  if (el.kind === "Gather" && el.props.dialect === "B") {
    if (as.name === "numDigits") return "dtmf_length";
    if (as.name === "finishOnKey") return "dtmf_stop";
  }
  if (el.kind === "Gather" && el.props.dialect === "A" && as.name === "url") return "callback";
  return as.name;
}

/** The canonical tag name (`callback` → `Callback`, `Scheduler` → `Schedule`). */
export function canonicalTagName(el: ElementNode): string {
  return specForKind(el.kind)?.names[0] ?? el.name;
}

function canonicalAttrValue(el: ElementNode, name: string, value: string): string {
  const spec = specForKind(el.kind);
  const as = spec && !spec.unspecified ? attrSpecFor(spec, name) : undefined;
  if (as?.type.t === "enum") {
    const hit = as.type.values.find((v) => v.toLowerCase() === value.trim().toLowerCase());
    if (hit) return hit;
  }
  if (as?.type.t === "bool" && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase();
  return value;
}

export function serialize(doc: FlowDocument, opts: SerializeOptions = {}): string {
  const indent = opts.indent ?? "  ";
  const parts: string[] = [];
  if (opts.declaration ?? doc.declaration) parts.push(XML_DECLARATION, indent ? "\n" : "");
  writeElement(doc.root, 0, indent, !!opts.canonical, parts);
  if (indent) parts.push("\n");
  return parts.join("");
}

/** Serialise one element (and its subtree), e.g. a fragment of a document. */
export function serializeElement(el: ElementNode, opts: Omit<SerializeOptions, "declaration"> = {}): string {
  const parts: string[] = [];
  writeElement(el, 0, opts.indent ?? "  ", !!opts.canonical, parts);
  return parts.join("");
}

// XML 1.0 (5th ed.) Name. Values can be escaped; a name cannot, so a bad one is refused outright.
const NAME_START =
  "A-Z_a-z:\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}";
const XML_NAME = new RegExp(`^[${NAME_START}][${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F\\u2040]*$`, "u");

function checkedName(name: string, what: string): string {
  if (!XML_NAME.test(name)) throw new TypeError(`cannot serialise ${what} ${JSON.stringify(name)}: not an XML name`);
  return name;
}

function writeElement(el: ElementNode, depth: number, indent: string, canonical: boolean, out: string[]): void {
  const name = checkedName(canonical ? canonicalTagName(el) : el.name, "element name");
  out.push("<", name);
  const seen = new Set<string>();
  for (const a of el.attrs) {
    const an = checkedName(canonical ? canonicalAttrName(el, a.name) : a.name, "attribute name");
    // Canonicalising may fold two spellings into one name; the first wins, as when reading.
    if (seen.has(an)) continue;
    seen.add(an);
    out.push(" ", an, '="', escapeAttr(canonical ? canonicalAttrValue(el, a.name, a.value) : a.value), '"');
  }
  const children = asRead(el.children);
  if (!children.length) {
    out.push("/>");
    return;
  }
  out.push(">");
  // Mixed content (any text child) is written inline so the text round-trips exactly.
  const inline = !indent || children.some((c) => c.type === "text");
  for (const child of children) {
    if (!inline) out.push("\n", indent.repeat(depth + 1));
    writeNode(child, depth + 1, inline ? "" : indent, canonical, out);
  }
  if (!inline) out.push("\n", indent.repeat(depth));
  out.push("</", name, ">");
}

const XML_BLANK = /^[ \t\r\n]*$/;

/**
 * Children as a reader will see them: adjacent text runs merged and runs of XML whitespace
 * dropped (the parser treats them as layout). Writing exactly that makes serialise → parse →
 * serialise a fixed point, and `<Say> </Say>` comes out as `<Say/>`.
 */
function asRead(children: XmlNode[]): XmlNode[] {
  let plain = true;
  for (let i = 0; i < children.length && plain; i++) {
    const c = children[i]!;
    if (c.type === "text" && (children[i - 1]?.type === "text" || XML_BLANK.test(stripForbidden(c.value)))) plain = false;
  }
  if (plain) return children;
  const out: XmlNode[] = [];
  let run: TextNode | undefined;
  for (const c of children) {
    if (c.type === "text") {
      // Strip before joining: two lone surrogates must not pair up into a character.
      run = run ? { type: "text", value: stripForbidden(run.value) + stripForbidden(c.value), pos: run.pos } : c;
      continue;
    }
    if (run && !XML_BLANK.test(stripForbidden(run.value))) out.push(run);
    run = undefined;
    out.push(c);
  }
  if (run && !XML_BLANK.test(stripForbidden(run.value))) out.push(run);
  return out;
}

function writeNode(node: XmlNode, depth: number, indent: string, canonical: boolean, out: string[]): void {
  switch (node.type) {
    case "text":
      out.push(escapeText(node.value));
      return;
    case "comment":
      out.push("<!--", escapeComment(node.value), "-->");
      return;
    case "element":
      writeElement(node, depth, indent, canonical, out);
      return;
    default: {
      const never: never = node;
      throw new Error(`unhandled node ${JSON.stringify(never)}`);
    }
  }
}
