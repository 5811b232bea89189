/**
 * Escaping by context. Every value a template inserts passes through exactly one of these,
 * chosen at compile time from where the placeholder sits (unescaped caller input
 * injecting `<Record>` is a known failure of XML call-flow servers):
 *
 * - element text → `textEscaper`: `& < >` and `\r` become references;
 * - attribute value → `attrEscaper`: also `"` and tab/newline, so a value can't end the attribute;
 * - inside a URL → percent-encoded as one URL component first, then escaped for text or
 *   attribute, so a value can't add query parameters, change the path or the host;
 * - inside a Dial destination (`<To>`, `<Sip>`, `<Number>`) → every character but letters,
 *   digits and `+ - . _ ~ * #` is percent-encoded, so a caller ID can fill a SIP user part or a
 *   number but can never add `@host`, `;params`, `?headers` or a scheme (toll fraud).
 *
 * Characters XML 1.0 forbids (most C0 controls, lone surrogates, U+FFFE/F) are dropped in every
 * context. The results are byte-identical to `escapeText` / `escapeAttr` from the XML core; the
 * fast paths only skip work when nothing needs escaping.
 */
import { escapeAttr, escapeText, stripForbidden } from "../xml/index.ts";

export type EscapeContext = "text" | "attr" | "url-text" | "url-attr" | "dest-text";

export type Escaper = (value: string) => string;

// Anything that the slow path would change: markup characters, whitespace controls that need
// references, every other C0 control, surrogates (possibly lone) and the two non-characters.
const TEXT_SPECIAL = /[&<>\u0000-\u0008\u000B\u000C\u000D\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
const ATTR_SPECIAL = /[&<>"\u0000-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

export const textEscaper: Escaper = (v) => (TEXT_SPECIAL.test(v) ? escapeText(v) : v);
export const attrEscaper: Escaper = (v) => (ATTR_SPECIAL.test(v) ? escapeAttr(v) : v);

/** Percent-encode a value as a single URL component (RFC 3986 unreserved characters stay). */
export function encodeComponent(v: string): string {
  // encodeURIComponent throws on lone surrogates; they are not XML characters anyway.
  return encodeURIComponent(stripForbidden(v));
}

// A percent-encoded component contains only ASCII letters, digits, `-_.!~*'()` and `%XX`, none of
// which needs XML escaping, so the second step is the identity: kept for clarity, not needed.
export const urlTextEscaper: Escaper = (v) => encodeComponent(v);
export const urlAttrEscaper: Escaper = (v) => encodeComponent(v);

const DEST_UNSAFE = /[^A-Za-z0-9+\-._~*#]/gu;

/** A value that may sit inside a dial destination without changing its host, scheme or parameters. */
export const destTextEscaper: Escaper = (v) =>
  stripForbidden(v).replace(DEST_UNSAFE, (ch) =>
    encodeURIComponent(ch).replace(/[!'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
  );

export function escaperFor(context: EscapeContext): Escaper {
  switch (context) {
    case "text":
      return textEscaper;
    case "attr":
      return attrEscaper;
    case "url-text":
      return urlTextEscaper;
    case "url-attr":
      return urlAttrEscaper;
    case "dest-text":
      return destTextEscaper;
    default: {
      const never: never = context;
      throw new Error(`unknown escape context ${String(never)}`);
    }
  }
}
