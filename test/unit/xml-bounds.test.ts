/**
 * Every size an author controls is bounded before work proportional to it: names past any known
 * name get no did-you-mean search, documents past the limits (src/xml/limits.ts) are refused at
 * the place they go past one, and however many mistakes a document holds, a check lists at most
 * MAX_DIAGNOSTICS of them and counts the rest. `npm run bench:publish` measures the time these
 * cases take; here only what a user sees is asserted.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HOSTILE_CASES } from "../../bench/lib/hostile.ts";
import { checkTemplate } from "../../src/template/index.ts";
import { editDistance } from "../../src/xml/suggest.ts";
import { checkFlow, closest, decodeTemplate, LIMITS, MAX_DIAGNOSTICS, MAX_SUGGESTION_INPUT, type Diagnostic } from "../../src/xml/index.ts";

const errors = (ds: readonly Diagnostic[]) => ds.filter((d) => d.severity === "error");

describe("did-you-mean is bounded", () => {
  it("a word longer than any known name gets no search, even against itself", () => {
    const long = "v".repeat(MAX_SUGGESTION_INPUT + 1);
    expect(closest(long, [long])).toBeUndefined();
    expect(closest("Gahter", ["Say", "Gather"])).toBe("Gather");
  });

  it("an unknown tag longer than that: an error with no suggestion", () => {
    const name = `Gather${"x".repeat(100)}`;
    const d = errors(checkFlow(`<Response><${name}/></Response>`).diagnostics);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ code: "unknown-tag", tag: name });
    expect(d[0]!.message).not.toContain("did you mean");
    // The message quotes a cut name, not the whole of it.
    expect(d[0]!.message.length).toBeLessThan(600);
  });

  it("an undeclared variable with a long name: no suggestion, even when one differs by a letter", () => {
    const declared = "v".repeat(200);
    const r = checkTemplate(`<Response><Say>{{vars.${declared}x}}</Say></Response>`, { variables: { [declared]: "1" } });
    expect(r.diagnostics[0]).toMatchObject({ code: "unknown-placeholder" });
    expect(r.diagnostics[0]!.message).not.toContain("did you mean");
  });

  it("the band-limited distance is exact within the band and says 'farther' past it (property)", () => {
    const reference = (a: string, b: string): number => {
      const d = Array.from({ length: a.length + 1 }, (_, i) =>
        Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
      );
      for (let i = 1; i <= a.length; i++)
        for (let j = 1; j <= b.length; j++) {
          let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
          if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
          d[i]![j] = v;
        }
      return d[a.length]![b.length]!;
    };
    const word = fc.string({ unit: fc.constantFrom("a", "b", "c", "d"), maxLength: 10 });
    fc.assert(
      fc.property(word, word, fc.integer({ min: 0, max: 6 }), (a, b, max) => {
        expect(editDistance(a, b, max)).toBe(Math.min(reference(a, b), max + 1));
        expect(editDistance(a, b)).toBe(reference(a, b));
      }),
      { numRuns: 3000 },
    );
  });
});

describe("a check lists at most MAX_DIAGNOSTICS findings and counts the rest", () => {
  it("thousands of unknown tags: the first ones listed, then one entry with the count", () => {
    const n = 5000;
    const r = checkFlow(`<Response>${"<Gahter/>".repeat(n)}</Response>`);
    expect(r.ok).toBe(false);
    expect(r.diagnostics).toHaveLength(MAX_DIAGNOSTICS + 1);
    expect(r.diagnostics.slice(0, MAX_DIAGNOSTICS).every((d) => d.code === "unknown-tag")).toBe(true);
    const rest = r.diagnostics[MAX_DIAGNOSTICS]!;
    expect(rest).toMatchObject({ code: "too-many-findings", severity: "error", omitted: { errors: n - MAX_DIAGNOSTICS, warnings: 0 } });
    expect(rest.message).toContain(`${n - MAX_DIAGNOSTICS} more findings`);
  });

  it("an error past the cap still fails the check, though only counted", () => {
    const attrs = Array.from({ length: 3000 }, (_, i) => ` q${i}="1"`).join("");
    const r = checkTemplate(`<Response><Say${attrs}>hi</Say><Pause length="soon"/></Response>`);
    expect(r.diagnostics.slice(0, MAX_DIAGNOSTICS).every((d) => d.severity === "warning")).toBe(true);
    expect(r.ok).toBe(false);
    expect(r.diagnostics.at(-1)).toMatchObject({ code: "too-many-findings", severity: "error", omitted: { errors: 1 } });
  });

  it("a run of unclosed braces is one finding, not one per brace", () => {
    const r = checkTemplate(`<Response><Say>${"{{".repeat(5000)}</Say></Response>`);
    expect(errors(r.diagnostics)).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: "bad-placeholder" });
  });
});

describe("documents past a limit are refused where they go past it", () => {
  const refusal = (xml: string) => {
    const r = checkFlow(xml);
    expect(r.ok).toBe(false);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ severity: "error", code: "too-large" });
    return r.diagnostics[0]!;
  };
  const lines = (...xs: string[]) => xs.join("\n");

  it("elements", () => {
    const d = refusal(lines("<Response>", "<Pause/>".repeat(LIMITS.elements - 1), "  <Hangup/>", "</Response>"));
    expect(d).toMatchObject({ line: 3, col: 3 });
    expect(d.message).toContain(`more than ${LIMITS.elements} elements`);
    expect(checkFlow(lines("<Response>", "<Pause/>".repeat(LIMITS.elements - 2), "  <Hangup/>", "</Response>")).ok).toBe(true);
  });

  it("nesting", () => {
    const depth = LIMITS.depth;
    const d = refusal(lines("<Response>", "<Record>".repeat(depth - 1), "  <Record>", "</Record>".repeat(depth), "</Response>"));
    expect(d).toMatchObject({ line: 3, col: 3 });
    expect(d.message).toContain(`more than ${depth} deep`);
  });

  it("attributes", () => {
    const each = Array.from({ length: 100 }, (_, i) => ` tag${i}="x"`).join("");
    const xml = lines("<Response>", `<Hangup${each}/>`.repeat(LIMITS.attributes / 100), '  <Hangup tag="late"/>', "</Response>");
    expect(refusal(xml)).toMatchObject({ line: 3, col: 11 });
  });

  it("placeholders, references, comments", () => {
    expect(refusal(`<Response><Say>${"{{from}}".repeat(LIMITS.placeholders + 1)}</Say></Response>`).message).toContain("placeholders");
    expect(refusal(`<Response><Say text="${"&amp;".repeat(LIMITS.references + 1)}"/></Response>`).message).toContain("references");
    expect(refusal(`<Response>${"<!---->".repeat(LIMITS.otherMarkup + 1)}</Response>`).message).toContain("comments");
  });

  it("names", () => {
    const d = refusal(`<Response>\n  <Say ${"a".repeat(200_000)}="1">hi</Say>\n</Response>`);
    expect(d).toMatchObject({ line: 2, col: 8 });
    expect(d.message).toContain(`at most ${LIMITS.nameLength}`);
    expect(refusal(`<Response><${"A".repeat(200_000)}/></Response>`)).toMatchObject({ line: 1, col: 11 });
  });
});

describe("the hostile documents of bench:publish, at 1 MiB", () => {
  it.each(HOSTILE_CASES.map((c) => [c.name, c] as const))("%s: a bounded answer", (_name, c) => {
    const bytes = new TextEncoder().encode(c.build(1 << 20));
    expect(bytes.length).toBeLessThanOrEqual(1 << 20);
    const decoded = decodeTemplate(bytes);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    const r = checkTemplate(decoded.text, { variables: c.variables ?? { x: "1" } });
    expect(r.diagnostics.length).toBeLessThanOrEqual(MAX_DIAGNOSTICS + 1);
    for (const d of r.diagnostics) expect(d.message.length).toBeLessThan(2000);
  });
});
