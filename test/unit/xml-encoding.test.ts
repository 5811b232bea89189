/**
 * A template's bytes are UTF-8 or refused: a byte that is not UTF-8 is an error at its line and
 * column, never a U+FFFD in the published flow; one byte-order mark is allowed, two are not; and
 * characters XML forbids are refused where they stand, whether they came as bytes or in a string.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateFiles } from "../../cli/validate.ts";
import { checkTemplate } from "../../src/template/index.ts";
import { checkFlow, decodeTemplate, MAX_DIAGNOSTICS, type Diagnostic } from "../../src/xml/index.ts";
import { projectRoot } from "./helpers/examples.ts";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const utf8 = (s: string) => new TextEncoder().encode(s);
const bytes = (...parts: Array<string | number[]>) => {
  const chunks = parts.map((p) => (typeof p === "string" ? utf8(p) : Uint8Array.from(p)));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
};

function refused(input: Uint8Array): Diagnostic {
  const r = decodeTemplate(input);
  if (r.ok) throw new Error(`expected a refusal, got ${JSON.stringify(r.text)}`);
  expect(r.diagnostics).toHaveLength(1);
  expect(r.diagnostics[0]).toMatchObject({ severity: "error", code: "bad-encoding" });
  return r.diagnostics[0]!;
}

describe("bytes that are not UTF-8 are refused at their line and column", () => {
  const HEAD = "<Response>\n  <Say>caf\u00e9 ";
  const TAIL = "</Say>\n</Response>";
  // Line 2, after `  <Say>café ` (12 characters): column 13, whatever the bytes of é.
  const at = { line: 2, col: 13 };

  it.each([
    ["a stray 0xFF", [0xff], "FF", "never appears in UTF-8"],
    ["a lone continuation byte", [0x80], "80", "continuation byte"],
    ["an overlong '<' (C0 BC)", [0xc0, 0xbc], "C0 BC", "overlong"],
    ["an overlong three-byte form (E0 80 80)", [0xe0, 0x80, 0x80], "E0 80", "overlong"],
    ["an encoded high surrogate (ED A0 80)", [0xed, 0xa0, 0x80], "ED A0 80", "surrogate"],
    ["an encoded low surrogate (ED B0 80)", [0xed, 0xb0, 0x80], "ED B0 80", "surrogate"],
    ["a code point past U+10FFFF (F4 90 80 80)", [0xf4, 0x90, 0x80, 0x80], "F4 90", "past U+10FFFF"],
    ["a sequence cut short (E2 82 then text)", [0xe2, 0x82], "E2 82", "cut short"],
  ])("%s", (_name, bad, shown, why) => {
    const d = refused(bytes(HEAD, bad, "x", TAIL));
    expect(d).toMatchObject(at);
    expect(d.message).toContain(shown);
    expect(d.message).toContain(why);
    expect(d.message).toContain(`byte offset ${utf8(HEAD).length}`);
  });

  it("a sequence cut short by the end of the file", () => {
    expect(refused(bytes("<Response/>", [0xf0, 0x9f, 0x98]))).toMatchObject({ line: 1, col: 12 });
  });

  it("a UTF-16 file is named as such", () => {
    expect(refused(bytes([0xff, 0xfe], "<\u0000")).message).toContain("UTF-16");
  });

  it("valid UTF-8 of every length decodes as written", () => {
    const text = "<Response><Say>a \u00e9 \u20ac \u{1F600}</Say></Response>";
    expect(decodeTemplate(utf8(text))).toEqual({ ok: true, text });
  });
});

describe("byte-order marks", () => {
  it("one leading BOM is dropped", () => {
    expect(decodeTemplate(bytes([0xef, 0xbb, 0xbf], "<Response/>"))).toEqual({ ok: true, text: "<Response/>" });
  });

  it("a second BOM is refused, as bytes and as text", () => {
    expect(refused(bytes([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf], "<Response/>"))).toMatchObject({ line: 1, col: 1 });
    const asText = checkFlow("\uFEFF\uFEFF<Response><Hangup/></Response>");
    expect(asText.ok).toBe(false);
    expect(asText.diagnostics[0]).toMatchObject({ code: "bad-encoding", line: 1, col: 1 });
  });
});

describe("characters XML forbids are refused where they stand", () => {
  it.each([
    ["U+0001", "\u0001"],
    ["U+001F", "\u001f"],
    ["U+FFFE", "\ufffe"],
    ["U+FFFF", "\uffff"],
    ["a lone high surrogate", "\ud800"],
    ["a lone low surrogate", "\udc00"],
  ])("%s in text, an attribute value or a comment", (_name, ch) => {
    for (const xml of [
      `<Response>\n  <Say>a${ch}</Say>\n</Response>`,
      `<Response>\n  <Say text="a${ch}"/>\n</Response>`,
      `<Response>\n  <!--a${ch}--><Hangup/>\n</Response>`,
    ]) {
      const r = checkTemplate(xml);
      expect(r.ok).toBe(false);
      expect(r.diagnostics[0]).toMatchObject({ severity: "error", code: "not-well-formed", line: 2 });
      expect(r.diagnostics[0]!.col).toBe(xml.split("\n")[1]!.indexOf(ch) + 1);
    }
  });

  it("control bytes decode, then the parser refuses them at their place", () => {
    const r = decodeTemplate(bytes("<Response><Say>a", [0x01], "</Say></Response>"));
    expect(r.ok).toBe(true);
    if (r.ok) expect(checkFlow(r.text).diagnostics[0]).toMatchObject({ code: "not-well-formed", line: 1, col: 17 });
  });
});

describe("tactflow validate reads bytes as publishing does", () => {
  it("a file that is not UTF-8 is an error at the byte's line:col", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tactflow-encoding-"));
    const file = join(dir, "latin1.xml");
    writeFileSync(file, bytes("<Response>\n  <Say>caf", [0xe9], "</Say>\n</Response>\n"));
    const report = await validateFiles([file]);
    const f = report.files[0]!;
    expect("readError" in f).toBe(false);
    if (!("readError" in f)) {
      expect(f.ok).toBe(false);
      expect(f.diagnostics[0]).toMatchObject({ code: "bad-encoding", line: 2, col: 11 });
    }
    expect(report.summary.errors).toBe(1);
  });
});

describe("tactflow flows push reads bytes as publishing does", () => {
  it("a file that is not UTF-8 is refused at the byte's line:col, before anything is sent", () => {
    const dir = mkdtempSync(join(tmpdir(), "tactflow-push-"));
    const file = join(dir, "latin1.xml");
    writeFileSync(file, bytes("<Response>\n  <Say>caf", [0xe9], "</Say>\n</Response>\n"));
    // Port 1 answers nothing: reaching the server would exit 3 ("cannot reach"), not 1.
    const run = spawnSync(
      process.execPath,
      [join(projectRoot, "bin", "tactflow.mjs"), "flows", "push", "18005550100", file, "--url", "http://127.0.0.1:1", "--token", "t"],
      { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${file}:2:11: error: not UTF-8: byte E9`);
  }, 30_000);
});

describe("property: arbitrary bytes never publish text that is not what was sent", () => {
  // Biased toward the bytes that matter: markup, lead and continuation bytes, the BOM.
  const interesting = fc.constantFrom(0x3c, 0x3e, 0x2f, 0x22, 0x26, 0x0a, 0x80, 0xbf, 0xc0, 0xc3, 0xe0, 0xed, 0xef, 0xbb, 0xf0, 0xf4, 0xff);
  const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), interesting);
  const doc = fc
    .tuple(fc.boolean(), fc.array(byte, { maxLength: 40 }))
    .map(([bom, body]) => bytes(bom ? [0xef, 0xbb, 0xbf] : [], "<Response><Say>", body, "</Say></Response>"));

  it("either refused at a place inside the document, or decoded losslessly (the BOM aside)", () => {
    fc.assert(
      fc.property(doc, (input) => {
        const r = decodeTemplate(input);
        const bom = input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf ? 3 : 0;
        if (r.ok) {
          expect(utf8(r.text)).toEqual(input.subarray(bom));
        } else {
          const d = r.diagnostics[0]!;
          expect(d.code).toBe("bad-encoding");
          expect(d.line).toBeGreaterThanOrEqual(1);
          expect(d.col).toBeGreaterThanOrEqual(1);
          // Everything before the reported byte is valid UTF-8.
          const offset = Number(/byte offset (\d+)/.exec(d.message)?.[1] ?? "-1");
          if (offset >= 0)
            expect(() => new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(input.subarray(bom, offset))).not.toThrow();
        }
        // What publishing then checks is that text, within the cap on findings.
        if (r.ok) expect(checkTemplate(r.text).diagnostics.length).toBeLessThanOrEqual(MAX_DIAGNOSTICS + 1);
      }),
      { numRuns: 2000 },
    );
  });
});
