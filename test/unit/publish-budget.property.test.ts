/**
 * Properties of publishing arbitrary bytes, checked by counting work rather than timing it
 * (time is `npm run bench:publish`'s to measure): whatever the bytes, a publish either refuses
 * them or stores text that is exactly what was sent, renders only well-formed UTF-8, and the
 * steps whose cost is ours to bound — finding messages, did-you-mean searches and their
 * distance-table cells — stay within a budget that does not grow with the document.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HOSTILE_CASES } from "../../bench/lib/hostile.ts";
import { checkTemplate, RenderError, type RenderContext } from "../../src/template/index.ts";
import { countWork, decodeTemplate, MAX_DIAGNOSTICS, MAX_SEARCH_CELLS, type WorkCount } from "../../src/xml/index.ts";

/**
 * The budget of one publish check. Findings are listed by three steps (parsing, validation,
 * compilation), each listing at most MAX_DIAGNOSTICS; a listed finding runs at most two
 * did-you-mean searches (an unknown tag: the tags allowed there, then every tag), plus one for
 * a wrong root; each search computes at most MAX_SEARCH_CELLS cells.
 */
const BUDGET = (() => {
  const messages = 3 * MAX_DIAGNOSTICS;
  const searches = 2 * messages + 1;
  return { messages, searches, cells: searches * MAX_SEARCH_CELLS };
})();

function withinBudget(work: WorkCount): void {
  expect(work.messages).toBeLessThanOrEqual(BUDGET.messages);
  expect(work.searches).toBeLessThanOrEqual(BUDGET.searches);
  expect(work.cells).toBeLessThanOrEqual(BUDGET.cells);
}

const VARIABLES = { x: "1", company: "Acme", wait: "1000" };

const ctx: RenderContext = {
  from: "+12015550123",
  to: "18005550100",
  tn: "18005550100",
  call: "c1",
  sca: "",
  now: new Date("2026-03-09T14:00:00Z"),
  vars: VARIABLES,
};

const utf8 = new TextEncoder();
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Pieces a template is made of, and pieces that break one: markup, names, placeholders, bad bytes. */
const piece = fc.oneof(
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 4 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 8 }).map((s) => utf8.encode(s)) },
  {
    weight: 12,
    arbitrary: fc
      .constantFrom(
        "<Response>",
        "</Response>",
        "<Say>",
        "</Say>",
        "<Gather ",
        "</Gather>",
        "<Pause ",
        "<Geo ",
        "<Schedule ",
        "<DTMF ",
        "<Gahter",
        "<Sya>",
        "<",
        ">",
        "/>",
        "</",
        " ",
        "\n",
        '="',
        '"',
        "'",
        "=",
        "numDigits",
        "timeout",
        "length",
        "states",
        "dow",
        "tz",
        "value",
        "nmDigits",
        "{{",
        "}}",
        "{{from}}",
        "{{vars.x}}",
        "{{vars.y}}",
        "{{fro}}",
        "&amp;",
        "&#",
        "&#x",
        ";",
        "<!--",
        "-->",
        "<![CDATA[",
        "]]>",
        "<?x ",
        "?>",
        "<!DOCTYPE",
        "\uFEFF",
        "\u0001",
        "\uFFFE",
        "é",
        "😀",
        "9".repeat(20),
        ",,",
      )
      .map((s) => utf8.encode(s)),
  },
  {
    weight: 1,
    arbitrary: fc.string({ unit: fc.constantFrom("a", "b", "A", "_"), minLength: 20, maxLength: 400 }).map((s) => utf8.encode(s)),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        [0xff],
        [0x80],
        [0xc0, 0xbc],
        [0xe0, 0x80, 0x80],
        [0xed, 0xa0, 0x80],
        [0xf4, 0x90, 0x80, 0x80],
        [0xe2, 0x82],
        [0xef, 0xbb, 0xbf],
      )
      .map((b) => Uint8Array.from(b)),
  },
);

const template = fc.tuple(fc.boolean(), fc.array(piece, { maxLength: 60 })).map(([wrap, pieces]) => {
  const parts = wrap ? [utf8.encode("<Response>"), ...pieces, utf8.encode("</Response>")] : pieces;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
});

/** What the publish route and `tactflow validate` do with a body: decode, then check and compile. */
function publish(bytes: Uint8Array) {
  return countWork(() => {
    const decoded = decodeTemplate(bytes);
    return decoded.ok ? { decoded, checked: checkTemplate(decoded.text, { variables: VARIABLES }) } : { decoded, checked: null };
  });
}

describe("property: any bytes, published", () => {
  it("publish only UTF-8 text that is exactly what was sent, render well-formed UTF-8, and stay within the work budget", () => {
    fc.assert(
      fc.property(template, (bytes) => {
        const { result, work } = publish(bytes);
        withinBudget(work);
        const { decoded, checked } = result;
        if (!decoded.ok) {
          expect(decoded.diagnostics[0]).toMatchObject({ severity: "error", code: "bad-encoding" });
          return;
        }
        const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
        expect(utf8.encode(decoded.text)).toEqual(bytes.subarray(bom));
        if (!checked?.ok) return;
        // A published flow: what it stores is the decoded text, and what it answers is UTF-8
        // that decodes strictly (no lone surrogate became U+FFFD on the way out).
        let out: string;
        try {
          out = checked.compiled.render(ctx);
        } catch (err) {
          expect(err).toBeInstanceOf(RenderError);
          return;
        }
        expect(strict.decode(utf8.encode(out))).toBe(out);
        if (!decoded.text.includes("\uFFFD")) expect(out).not.toContain("\uFFFD");
      }),
      { numRuns: 3000 },
    );
  });
});

describe("the hostile documents of bench:publish stay within the same budget", () => {
  it.each(HOSTILE_CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const bytes = utf8.encode(c.build(1 << 20));
    const { result, work } = countWork(() => {
      const decoded = decodeTemplate(bytes);
      return decoded.ok ? checkTemplate(decoded.text, { variables: c.variables ?? { x: "1" } }) : null;
    });
    expect(result).not.toBeNull();
    withinBudget(work);
  });
});
