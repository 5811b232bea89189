/**
 * The manual's XML examples are flows tactflow must treat as the text says: every ```xml block of
 * README.md and docs/*.md is accepted as written and written back without changing what it
 * means, a block marked ```xml invalid is refused (with the findings the text shows), and
 * together they show every tag, by every accepted name, in both Gather dialects. The benchmark
 * flows are held to the same standard, and to no findings at all.
 */
import { describe, expect, it } from "vitest";
import {
  checkFlow,
  type Diagnostic,
  type ElementNode,
  type FlowDocument,
  formatDiagnostic,
  serialize,
  TAG_SPECS,
} from "../../src/xml/index.ts";
import { benchFixtures, docExamples, type Example, examplesIn } from "./helpers/examples.ts";
import { meaning, shape } from "./helpers/tree.ts";

const all = docExamples();
const valid = all.filter((ex) => !ex.invalid);
const invalid = all.filter((ex) => ex.invalid);

function errorsOf(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.severity === "error");
}

function read(ex: Example): FlowDocument {
  const result = checkFlow(ex.xml);
  expect(errorsOf(result.diagnostics).map((d) => formatDiagnostic(ex.label, d))).toEqual([]);
  expect(result.document).not.toBeNull();
  return result.document!;
}

function elements(el: ElementNode): ElementNode[] {
  return [el, ...el.children.flatMap((c) => (c.type === "element" ? elements(c) : []))];
}

function gathers(doc: FlowDocument): Array<Extract<ElementNode, { kind: "Gather" }>> {
  return elements(doc.root).filter((e): e is Extract<ElementNode, { kind: "Gather" }> => e.kind === "Gather");
}

/** The first valid example of a page that contains `needle`. */
function example(file: string, needle: string): Example {
  const found = valid.find((ex) => ex.file === file && ex.xml.includes(needle));
  if (!found) throw new Error(`${file} has no xml example containing ${needle}`);
  return found;
}

describe("the manual's XML examples", () => {
  it("are found in the pages that teach the XML, and each flag after ```xml is known", () => {
    const files = new Set(all.map((ex) => ex.file));
    for (const page of ["docs/flow-xml.md", "docs/opentact.md", "docs/stateful-calls.md"]) expect(files).toContain(page);
    expect(valid.length).toBeGreaterThanOrEqual(20);
    expect(invalid.length).toBeGreaterThanOrEqual(1);
    expect(() => examplesIn("x.md", "```xml invlaid\n<Hangup/>\n```\n")).toThrow(/unknown flag "invlaid"/);
  });

  it("show every tag by every name tactflow accepts", () => {
    const names = new Set(valid.flatMap((ex) => elements(read(ex).root).map((e) => e.name.toLowerCase())));
    const missing = TAG_SPECS.flatMap((spec) => spec.names.filter((n) => !names.has(n.toLowerCase())).map((n) => `<${n}>`));
    expect(missing, "tags no example in README.md or docs/ shows").toEqual([]);
  });

  it("show both Gather dialects, a branching Gather of each, a remote step and a nested menu", () => {
    const shown = valid.flatMap((ex) => gathers(read(ex)));
    const kinds = (g: ElementNode) => g.children.flatMap((c) => (c.type === "element" ? [c.kind] : []));
    const nested = (g: ElementNode) =>
      elements(g).some((b) => b.kind === "DTMF" && elements(b).some((d) => d !== b && d.kind === "Gather"));
    expect(shown.some((g) => g.props.dialect === "A" && kinds(g).includes("Switch"))).toBe(true);
    expect(shown.some((g) => g.props.dialect === "B" && kinds(g).includes("DTMF"))).toBe(true);
    expect(shown.some((g) => g.props.remoteUrl !== undefined)).toBe(true);
    expect(shown.some(nested)).toBe(true);
  });

  describe.each(valid.map((ex) => [ex.label, ex] as const))("%s", (_label, ex) => {
    it("parses and validates with no errors", () => {
      read(ex);
    });

    it("round-trips: parse → serialise → parse gives the same tree", () => {
      const doc = read(ex);
      const again = checkFlow(serialize(doc));
      expect(errorsOf(again.diagnostics)).toEqual([]);
      expect(shape(again.document!.root)).toEqual(shape(doc.root));
      expect(again.document!.declaration).toBe(doc.declaration);
    });

    it("serialises to a fixed point: writing the re-read tree gives the same text", () => {
      const once = serialize(read(ex));
      expect(serialize(checkFlow(once).document!)).toBe(once);
    });

    it("keeps its meaning under canonical serialisation", () => {
      const doc = read(ex);
      const canonical = checkFlow(serialize(doc, { canonical: true }));
      expect(errorsOf(canonical.diagnostics)).toEqual([]);
      expect(meaning(canonical.document!.root)).toEqual(meaning(doc.root));
    });
  });

  describe.each(invalid.map((ex) => [ex.label, ex] as const))("%s (marked invalid)", (_label, ex) => {
    it("is refused, with the findings the text shows", () => {
      const { diagnostics } = checkFlow(ex.xml);
      const errors = errorsOf(diagnostics);
      expect(errors.length).toBeGreaterThan(0);
      if (ex.expectedOutput === undefined) return;
      const promised = ex.expectedOutput
        .split("\n")
        .filter((l) => l.trim())
        .map((l) => {
          const m = /^[^:]+:(\d+):(\d+): (error|warning): (.*)$/.exec(l);
          if (!m) throw new Error(`${ex.label}: a line of the output block is not file:line:col: severity: message — ${l}`);
          return { line: Number(m[1]), col: Number(m[2]), severity: m[3], message: m[4]!.replace(/\s*…$/, "") };
        });
      for (const p of promised) {
        const found = diagnostics.find(
          (d) => d.line - ex.lineOffset === p.line && d.col === p.col && d.severity === p.severity && d.message.startsWith(p.message),
        );
        expect(found, `${ex.label}: no ${p.severity} at ${p.line}:${p.col} starting "${p.message}"`).toBeDefined();
      }
      expect(errors).toHaveLength(promised.filter((p) => p.severity === "error").length);
    });
  });
});

describe("the benchmark flows", () => {
  describe.each(benchFixtures().map((f) => [f.label, f] as const))("%s", (_label, f) => {
    it("has no findings at all, not even warnings", () => {
      expect(checkFlow(f.xml).diagnostics).toEqual([]);
    });

    it("round-trips and keeps its meaning under canonical serialisation", () => {
      const doc = read(f);
      expect(shape(checkFlow(serialize(doc)).document!.root)).toEqual(shape(doc.root));
      expect(meaning(checkFlow(serialize(doc, { canonical: true })).document!.root)).toEqual(meaning(doc.root));
    });
  });
});

describe("what the examples say, read back", () => {
  it("the menu that opens the flow XML reference is a dialect A Gather: 1 digit, 2 attempts, 10 s, finish on *", () => {
    const [gather] = gathers(read(example("docs/flow-xml.md", "<Switch>")));
    expect(gather?.props).toEqual({ dialect: "A", maxDigits: 1, finishKey: "*", timeoutMs: 10000, attempts: 2, method: "GET" });
  });

  it("the PIN prompt is a dialect B Gather: 4 digits finished by #, sent to the backend", () => {
    const [gather] = gathers(read(example("docs/flow-xml.md", 'dtmf_length="4"')));
    expect(gather?.props).toMatchObject({
      dialect: "B",
      maxDigits: 4,
      finishKey: "#",
      method: "GET",
      remoteUrl: "https://backend.example/pin?step=check",
    });
  });

  it("the nested menu is dialect B: 1 digit, 3 attempts of 8 s, and its first branch asks for 6 digits", () => {
    const [outer, inner] = gathers(read(example("docs/flow-xml.md", 'tag="main-menu"')));
    expect(outer?.props).toMatchObject({ dialect: "B", maxDigits: 1, finishKey: "#", timeoutMs: 8000, attempts: 3, tag: "main-menu" });
    expect(inner?.props).toMatchObject({ dialect: "B", maxDigits: 6, finishKey: "#", attempts: 1, tag: "account" });
  });

  it("the contract's own PIN example reads the same way", () => {
    const [gather] = gathers(read(example("docs/opentact.md", "dtmf_length")));
    expect(gather?.props).toMatchObject({ dialect: "B", maxDigits: 4, finishKey: "#" });
  });

  it("the lower-case <callback> carries its URL as text, GET by default", () => {
    const doc = read(example("docs/flow-xml.md", "<callback>"));
    const short = elements(doc.root).find((e) => e.name === "callback");
    expect(short?.kind === "Callback" && short.props).toMatchObject({ url: "https://backend.example/after-hours", method: "GET" });
  });
});
