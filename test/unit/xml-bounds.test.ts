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
    const n = LIMITS.elements - 2;
    const r = checkFlow(`<Response>${"<Gahter/>".repeat(n)}</Response>`);
    expect(r.ok).toBe(false);
    expect(r.diagnostics).toHaveLength(MAX_DIAGNOSTICS + 1);
    expect(r.diagnostics.slice(0, MAX_DIAGNOSTICS).every((d) => d.code === "unknown-tag")).toBe(true);
    const rest = r.diagnostics[MAX_DIAGNOSTICS]!;
    expect(rest).toMatchObject({ code: "too-many-findings", severity: "error", omitted: { errors: n - MAX_DIAGNOSTICS, warnings: 0 } });
    expect(rest.message).toContain(`${n - MAX_DIAGNOSTICS} more findings`);
  });

  it("an error past the cap still fails the check, though only counted", () => {
    const attrs = Array.from({ length: LIMITS.attributes - 10 }, (_, i) => ` q${i}="1"`).join("");
    const r = checkTemplate(`<Response><Say${attrs}>hi</Say><Pause length="soon"/></Response>`);
    expect(r.diagnostics.slice(0, MAX_DIAGNOSTICS).every((d) => d.severity === "warning")).toBe(true);
    expect(r.ok).toBe(false);
    expect(r.diagnostics.at(-1)).toMatchObject({ code: "too-many-findings", severity: "error", omitted: { errors: 1 } });
  });

  it("a run of unclosed braces is one finding, not one per brace", () => {
    const r = checkTemplate(`<Response><Say>${"{{".repeat(LIMITS.placeholders)}</Say></Response>`);
    expect(errors(r.diagnostics)).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: "bad-placeholder" });
  });
});

describe("documents past a limit are refused where they go past it", () => {
  const refusal = (xml: string) => {
    const r = checkFlow(xml, { template: true });
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

  it("a rendered document (a caller's values in it) is held to the markup limits only", () => {
    const many = `<Response><Say>${"&amp;{{".repeat(LIMITS.references + 1)}</Say></Response>`;
    expect(checkFlow(many).diagnostics.filter((d) => d.code === "too-large")).toEqual([]);
    expect(checkFlow(many, { template: true }).diagnostics[0]).toMatchObject({ code: "too-large" });
    expect(checkFlow(`<Response>${"<Hangup/>".repeat(LIMITS.elements)}</Response>`).diagnostics[0]).toMatchObject({ code: "too-large" });
  });

  it("placeholders, references, comments", () => {
    expect(refusal(`<Response><Say>${"{{from}}".repeat(LIMITS.placeholders + 1)}</Say></Response>`).message).toContain("placeholders");
    expect(refusal(`<Response><Say text="${"&amp;".repeat(LIMITS.references + 1)}"/></Response>`).message).toContain("references");
    expect(refusal(`<Response>${"<!---->".repeat(LIMITS.otherMarkup + 1)}</Response>`).message).toContain("comments");
  });

  it("different time zones (each costs a lookup); the same zone again costs none", () => {
    const zones = (n: number, distinct: number) =>
      lines(
        "<Response>",
        ...Array.from({ length: n }, (_, i) => `  <Schedule tz="Zone/${i % distinct}"><Hangup/></Schedule>`),
        "</Response>",
      );
    const d = refusal(zones(LIMITS.timeZones + 1, LIMITS.timeZones + 1));
    expect(d).toMatchObject({ line: LIMITS.timeZones + 2, col: 16 });
    expect(d.message).toContain(`more than ${LIMITS.timeZones} different time zones`);
    const many = checkFlow(zones(200, LIMITS.timeZones)).diagnostics;
    expect(many.some((x) => x.code === "too-large")).toBe(false);
    expect(many[0]).toMatchObject({ code: "bad-attribute", attribute: "tz" });
  });

  it("names", () => {
    const d = refusal(`<Response>\n  <Say ${"a".repeat(200_000)}="1">hi</Say>\n</Response>`);
    expect(d).toMatchObject({ line: 2, col: 8 });
    expect(d.message).toContain(`at most ${LIMITS.nameLength}`);
    expect(refusal(`<Response><${"A".repeat(200_000)}/></Response>`)).toMatchObject({ line: 1, col: 11 });
  });
});

/**
 * What publishing each hostile document of bench:publish does, at 1 MiB: publish, or the code of
 * the first finding (the one a user reads first). The slowest of these before the bounds took
 * seconds; see docs/benchmarks.md for the figures.
 */
const OUTCOMES: Record<string, "publishes" | Diagnostic["code"]> = {
  "a small flow (the floor)": "no-fallback-branch",
  "a small flow with a time zone": "publishes",
  "long tag name": "too-large",
  "long root name": "too-large",
  "long attribute name": "too-large",
  "long near-miss tag name": "too-large",
  "many unknown tags": "unknown-tag",
  "many unknown tags, past the limits": "too-large",
  "many unknown attributes": "not-well-formed",
  "many unique unknown attributes": "unknown-attribute",
  "many bad values": "bad-attribute",
  "many valid elements": "publishes",
  "many typed variables, unknown attributes": "unknown-attribute",
  "deep nesting (commands)": "publishes",
  "deep nesting (unknown)": "unknown-tag",
  "deep nesting, past the limits": "too-large",
  "deep nesting (conditions)": "publishes",
  "long text": "publishes",
  "long attribute value": "publishes",
  "long number": "bad-attribute",
  "long days list": "bad-attribute",
  "long states list": "bad-attribute",
  "blank list": "bad-attribute",
  "long time zone": "bad-attribute",
  "many made-up zones": "too-large",
  "made-up zones, at the limit": "bad-attribute",
  "many placeholders": "publishes",
  "many unknown placeholders": "unknown-placeholder",
  "many undeclared variables": "unknown-placeholder",
  "long variable name": "unknown-placeholder",
  "unclosed braces": "too-large",
  "braces closed at the end": "bad-placeholder",
  "unclosed braces in attributes": "bad-placeholder",
  "many entities": "publishes",
  "many comments": "publishes",
  "many CDATA sections": "publishes",
  "many duplicate branches": "no-fallback-branch",
  "everything at once": "unknown-placeholder",
  "many lines": "publishes",
  "whitespace in a tag": "publishes",
  "many bare names in a tag": "not-well-formed",
  "many processing instructions": "ignored-content",
  "long enum value": "bad-attribute",
  "long keys value": "bad-attribute",
  "references in a value": "missing-requirement",
  "many line breaks in values": "missing-requirement",
};

describe("the hostile documents of bench:publish, at 1 MiB", () => {
  it.each(HOSTILE_CASES.map((c) => [c.name, c] as const))("%s: a bounded answer", (name, c) => {
    const bytes = new TextEncoder().encode(c.build(1 << 20));
    expect(bytes.length).toBeLessThanOrEqual(1 << 20);
    const decoded = decodeTemplate(bytes);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    const r = checkTemplate(decoded.text, { variables: c.variables ?? { x: "1" } });
    expect(r.diagnostics.length).toBeLessThanOrEqual(MAX_DIAGNOSTICS + 1);
    for (const d of r.diagnostics) expect(d.message.length).toBeLessThan(2000);
    expect(OUTCOMES[name], `add "${name}" to OUTCOMES`).toBeDefined();
    const outcome = OUTCOMES[name] ?? "";
    if (outcome === "publishes") expect(r.ok, JSON.stringify(r.diagnostics.slice(0, 3))).toBe(true);
    else {
      expect(r.diagnostics[0]?.code).toBe(outcome);
      // Anything but a warning-only outcome refuses the publish.
      if (!["no-fallback-branch", "ignored-content", "unknown-attribute"].includes(outcome)) expect(r.ok).toBe(false);
    }
  });

  it("the refusals past a limit name it, at the place it is passed", () => {
    const find = (n: string) => HOSTILE_CASES.find((c) => c.name === n)!.build(1 << 20);
    const tag = checkFlow(find("long tag name")).diagnostics[0]!;
    expect(tag).toMatchObject({ code: "too-large", line: 1, col: 11 });
    expect(tag.message).toContain(`tag and attribute names are at most ${LIMITS.nameLength}`);
    const many = checkFlow(find("many unknown tags, past the limits")).diagnostics[0]!;
    expect(many.message).toContain(`more than ${LIMITS.elements} elements`);
    expect(many.col).toBe(10 + 9 * (LIMITS.elements - 1) + 1);
    expect(checkFlow(find("deep nesting, past the limits")).diagnostics[0]!.message).toContain(`more than ${LIMITS.depth} deep`);
  });
});
