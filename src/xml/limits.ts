/**
 * Size limits on a template, checked in one pass over the text before anything parses it, so
 * the cost of everything after (the XML parser, validation, compilation) is bounded by these
 * numbers and not by what a document holds. A realistic flow is far inside them: the largest
 * benchmark flow has 318 elements in 21 KB, and a publish body is at most 256 KiB. They are set
 * so that checking a flow at every limit at once stays within 50 ms of CPU (`npm run
 * bench:publish`): each element, attribute or markup item costs a few microseconds to parse,
 * validate and compile, and each distinct time zone an Intl lookup of tens of microseconds.
 *
 * The pass itself is linear: the text between tokens is skipped by native searches (indexOf, a
 * global regular expression), and the tokens it stops at are what the limits count, so it
 * stops after at most a limit's worth of them.
 */
import type { Diagnostic } from "./diagnostics.ts";
import type { LineIndex } from "./lines.ts";

export const LIMITS = {
  /** Elements in one document. */
  elements: 1000,
  /** Attributes in one document, all elements together. */
  attributes: 2000,
  /** Comments, CDATA sections and processing instructions in one document. */
  otherMarkup: 1000,
  /** Character and entity references (`&amp;`, `&#10;`) in one document. */
  references: 2500,
  /** `{{…}}` placeholders in one document, text and attribute values together. */
  placeholders: 2500,
  /** Different `tz` values in one document (each is looked up once). */
  timeZones: 20,
  /** How deep elements nest; `<Response>` is level 1. */
  depth: 100,
  /** Characters in a tag or attribute name; the longest known one has 13. */
  nameLength: 256,
} as const;

type Counted = "elements" | "attributes" | "otherMarkup" | "references" | "placeholders";

const WHAT: Record<Counted, string> = {
  elements: "elements",
  attributes: "attributes",
  otherMarkup: "comments, CDATA sections and processing instructions",
  references: "character and entity references (&amp;, &#10;, …)",
  placeholders: "placeholders",
};

interface Over {
  offset: number;
  message: string;
}

/**
 * The first limit `text` goes past, as a `too-large` error at that place, or null. Malformed
 * markup is not judged here: the scan stops, and the parser reports it.
 */
export function checkLimits(text: string, lines: LineIndex, template = true): Diagnostic | null {
  const found = scan(text, template);
  if (!found) return null;
  const { line, col } = lines.at(found.offset);
  return { severity: "error", code: "too-large", message: found.message, line, col };
}

/** Inside a start tag: a quoted value (perhaps unterminated), a name, `=`, `<` or `>`; whitespace and `/` are skipped. */
const IN_TAG = /"[^"]*"?|'[^']*'?|[^\s"'=<>/]+|[=<>]/g;
/** A name right after `<` or `</`. */
const NAME = /[^\s"'=<>/]*/y;

/**
 * `template`: the text is a template as its author wrote it. A rendered document holds the
 * caller's values too (escaped, so they add no markup, but as many references and `{{` as the
 * caller likes): it is held to the limits on markup, not to those on references and placeholders.
 */
function scan(text: string, template: boolean): Over | null {
  const n = text.length;
  const count: Record<Counted, number> = { elements: 0, attributes: 0, otherMarkup: 0, references: 0, placeholders: 0 };
  const bump = (what: Counted, offset: number): Over | null => {
    if (!template && (what === "references" || what === "placeholders")) return null;
    if (++count[what] <= LIMITS[what]) return null;
    const limit = LIMITS[what];
    return {
      offset,
      message: `the flow has more than ${limit} ${WHAT[what]}; a flow may have at most ${limit} (the one past the limit is here)`,
    };
  };
  const longName = (offset: number, length: number): Over | null =>
    length > LIMITS.nameLength
      ? { offset, message: `a name of ${length} characters; tag and attribute names are at most ${LIMITS.nameLength}` }
      : null;
  // The next `{{` and `&` at or after the scan position. Each is searched for again only once
  // the scan has passed it, so no text is searched twice.
  let brace = text.indexOf("{{");
  let amp = text.indexOf("&");
  /** Count the placeholders (and references, unless `refs` is false) before `end`. */
  const countTo = (end: number, refs = true): Over | null => {
    while (brace >= 0 && brace < end) {
      const o = bump("placeholders", brace);
      if (o) return o;
      brace = text.indexOf("{{", brace + 2);
    }
    while (amp >= 0 && amp < end) {
      if (refs) {
        const o = bump("references", amp);
        if (o) return o;
      }
      amp = text.indexOf("&", amp + 1);
    }
    return null;
  };
  /** Skip past `end` without counting (comments, processing instructions). */
  const skipTo = (end: number) => {
    if (brace >= 0 && brace < end) brace = text.indexOf("{{", end);
    if (amp >= 0 && amp < end) amp = text.indexOf("&", end);
  };
  let depth = 0;
  const zones = new Set<string>();
  let i = 0;
  outer: while (i < n) {
    const lt = text.indexOf("<", i);
    const inText = countTo(lt < 0 ? n : lt);
    if (inText) return inText;
    if (lt < 0) return null;
    const second = text.charCodeAt(lt + 1);
    if (second === 0x21 /* ! */ || second === 0x3f /* ? */) {
      const kind = text.startsWith("<!--", lt) ? "-->" : text.startsWith("<![CDATA[", lt) ? "]]>" : second === 0x3f ? "?>" : "";
      if (!kind) {
        // `<!DOCTYPE` and the like: refused by the lexical checks.
        i = lt + 2;
        continue;
      }
      const o = bump("otherMarkup", lt);
      if (o) return o;
      const end = text.indexOf(kind, lt + 2);
      if (end < 0) return null;
      if (kind === "]]>") {
        // CDATA is text: placeholders count, `&` is a plain character.
        const inCdata = countTo(end, false);
        if (inCdata) return inCdata;
      } else skipTo(end);
      i = end + kind.length;
      continue;
    }
    const closing = second === 0x2f; /* / */
    NAME.lastIndex = lt + (closing ? 2 : 1);
    const name = NAME.exec(text)![0];
    const tooLong = longName(lt, name.length);
    if (tooLong) return tooLong;
    if (closing) {
      depth = Math.max(0, depth - 1);
      const end = text.indexOf(">", lt);
      if (end < 0) return null;
      i = end + 1;
      continue;
    }
    const el = bump("elements", lt);
    if (el) return el;
    IN_TAG.lastIndex = NAME.lastIndex;
    let names = 0;
    let equals = 0;
    /** Whether the last name in this tag was `tz`, so the quoted value after it is a zone. */
    let tzNext = false;
    for (;;) {
      const m = IN_TAG.exec(text);
      if (!m) return null;
      const token = m[0];
      const c = token.charCodeAt(0);
      if (c === 0x22 || c === 0x27) {
        const inValue = countTo(m.index + token.length);
        if (inValue) return inValue;
        if (tzNext) {
          zones.add(token.slice(1, -1).trim());
          if (zones.size > LIMITS.timeZones) {
            return {
              offset: m.index,
              message: `the flow names more than ${LIMITS.timeZones} different time zones; a flow may name at most ${LIMITS.timeZones}`,
            };
          }
        }
        tzNext = false;
      } else if (c === 0x3e /* > */) {
        if (text.charCodeAt(m.index - 1) !== 0x2f /* / */ && ++depth > LIMITS.depth) {
          return {
            offset: lt,
            message: `elements nest more than ${LIMITS.depth} deep here; a flow may nest at most ${LIMITS.depth} levels`,
          };
        }
        i = m.index + 1;
        continue outer;
      } else if (c === 0x3c /* < */) {
        i = m.index;
        continue outer;
      } else if (c === 0x3d /* = */) {
        // More `=` than names is not XML; the parser says where.
        if (++equals > names) return null;
      } else {
        const long = longName(m.index, token.length);
        if (long) return long;
        names++;
        tzNext = token.length === 2 && token.toLowerCase() === "tz";
        const a = bump("attributes", m.index);
        if (a) return a;
      }
    }
  }
  return null;
}
