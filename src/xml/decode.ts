/**
 * A template's bytes to its text. Templates are UTF-8 (XML's default, and what the platform
 * reads): a byte sequence that is not UTF-8 — a stray `\xff`, an overlong form like `\xc0\xbc`,
 * an encoded surrogate, a sequence cut short — is refused at its line and column rather than
 * turned into U+FFFD, which would publish a flow that says something other than what was sent.
 * One byte-order mark may lead the document and is dropped; a second one is refused.
 *
 * Characters XML forbids (most C0 controls, U+FFFE/U+FFFF, lone surrogates) are valid UTF-8 and
 * are refused, with their position, by the parser (parse.ts), whatever way the text came in.
 */
import { diag, type Diagnostic } from "./diagnostics.ts";

export type DecodeResult = { ok: true; text: string } | { ok: false; diagnostics: Diagnostic[] };

const BOM = [0xef, 0xbb, 0xbf] as const;

function hasBomAt(bytes: Uint8Array, at: number): boolean {
  return bytes[at] === BOM[0] && bytes[at + 1] === BOM[1] && bytes[at + 2] === BOM[2];
}

/** The text of a template's bytes, or a `bad-encoding` error at the first byte that is not UTF-8. */
export function decodeTemplate(bytes: Uint8Array): DecodeResult {
  const start = hasBomAt(bytes, 0) ? 3 : 0;
  if (start && hasBomAt(bytes, 3)) {
    return fail({ line: 1, col: 1 }, "a second byte-order mark (EF BB BF): a template may start with at most one");
  }
  if ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe)) {
    return fail({ line: 1, col: 1 }, "the template is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8");
  }
  const body = start ? bytes.subarray(start) : bytes;
  try {
    // `fatal` refuses exactly what is not UTF-8 (RFC 3629): overlong forms, surrogates, code
    // points past U+10FFFF, bytes that can't start or continue a sequence, cut-short sequences.
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(body) };
  } catch {
    const bad = firstInvalid(body);
    // The text before the bad byte is valid: its lines and the length of its last line give the place.
    const before = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true }).decode(body.subarray(0, bad.at));
    const lineStart = before.lastIndexOf("\n") + 1;
    let line = 1;
    for (let i = before.indexOf("\n"); i >= 0; i = before.indexOf("\n", i + 1)) line++;
    const shownBytes = [...body.subarray(bad.at, bad.at + bad.length)].map((b) => b.toString(16).toUpperCase().padStart(2, "0")).join(" ");
    return fail(
      { line, col: before.length - lineStart + 1 },
      `not UTF-8: byte${bad.length === 1 ? "" : "s"} ${shownBytes} at byte offset ${start + bad.at} (${bad.why})`,
    );
  }
}

function fail(pos: { line: number; col: number }, message: string): DecodeResult {
  return { ok: false, diagnostics: [diag("error", "bad-encoding", pos, message)] };
}

interface Invalid {
  /** Offset of the first byte of the bad sequence. */
  at: number;
  /** How many bytes to show. */
  length: number;
  why: string;
}

const isCont = (b: number | undefined) => b !== undefined && (b & 0xc0) === 0x80;

/** The first sequence that is not UTF-8 (the decoder said there is one). */
function firstInvalid(bytes: Uint8Array): Invalid {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    if (b <= 0xbf) return { at: i, length: 1, why: "a continuation byte with no lead byte" };
    if (b === 0xc0 || b === 0xc1) return { at: i, length: isCont(bytes[i + 1]) ? 2 : 1, why: "an overlong encoding" };
    if (b >= 0xf5) return { at: i, length: 1, why: "a byte that never appears in UTF-8" };
    const need = b < 0xe0 ? 1 : b < 0xf0 ? 2 : 3;
    const second = bytes[i + 1];
    if (b === 0xe0 && second !== undefined && second < 0xa0 && isCont(second)) return { at: i, length: 2, why: "an overlong encoding" };
    if (b === 0xf0 && second !== undefined && second < 0x90 && isCont(second)) return { at: i, length: 2, why: "an overlong encoding" };
    if (b === 0xed && second !== undefined && second >= 0xa0 && isCont(second)) {
      return { at: i, length: Math.min(3, bytes.length - i), why: "an encoded UTF-16 surrogate" };
    }
    if (b === 0xf4 && second !== undefined && second >= 0x90 && isCont(second))
      return { at: i, length: 2, why: "a code point past U+10FFFF" };
    for (let k = 1; k <= need; k++) {
      if (!isCont(bytes[i + k])) return { at: i, length: k, why: "a sequence cut short" };
    }
    i += need + 1;
  }
  // Unreachable when the decoder refused the bytes; say something true anyway.
  return { at: bytes.length, length: 0, why: "a sequence cut short at the end" };
}
