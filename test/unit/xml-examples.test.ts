/**
 * Every XML example in the Opentact material we follow is a flow tactflow must accept as
 * written and write back without changing what it means.
 */
import { describe, expect, it } from "vitest";
import { checkFlow, formatDiagnostic, serialize } from "../../src/xml/index.ts";
import { benchFixtures, seedExamples, specExamples, type Example } from "./helpers/examples.ts";
import { meaning, shape } from "./helpers/tree.ts";

const examples: Example[] = [...specExamples(), ...seedExamples(), ...benchFixtures()];

function read(ex: Example) {
  const result = checkFlow(ex.xml);
  const errors = result.diagnostics.filter((d) => d.severity === "error").map((d) => formatDiagnostic(ex.label, d));
  expect(errors).toEqual([]);
  expect(result.document).not.toBeNull();
  return result.document!;
}

describe("the Opentact examples (and the benchmark flows)", () => {
  it("are all found: 7 in SPEC.md and 6 in the seed pages", () => {
    expect(specExamples()).toHaveLength(7);
    expect(seedExamples()).toHaveLength(6);
  });

  describe.each(examples.map((ex) => [ex.label, ex] as const))("%s", (_label, ex) => {
    it("parses and validates with no errors", () => {
      read(ex);
    });

    it("round-trips: parse → serialise → parse gives the same tree", () => {
      const doc = read(ex);
      const again = checkFlow(serialize(doc));
      expect(again.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
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
      expect(canonical.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      expect(meaning(canonical.document!.root)).toEqual(meaning(doc.root));
    });
  });
});

describe("the benchmark flows", () => {
  it.each(benchFixtures().map((f) => [f.label, f] as const))("%s has no findings at all, not even warnings", (_label, f) => {
    expect(checkFlow(f.xml).diagnostics).toEqual([]);
  });
});

describe("what the examples say, read back", () => {
  it("the seed IVR is a dialect-A Gather: 1 digit, 2 attempts, 10 s, finish on *", () => {
    const ivr = seedExamples().find((e) => e.xml.includes("<Switch>"))!;
    const doc = read(ivr);
    const gather = doc.root.children.find((c) => c.type === "element" && c.kind === "Gather");
    expect(gather?.type === "element" && gather.kind === "Gather" && gather.props).toEqual({
      dialect: "A",
      maxDigits: 1,
      finishKey: "*",
      timeoutMs: 10000,
      attempts: 2,
      method: "GET",
    });
  });

  it("the SPEC's PIN prompt is a dialect-B Gather with a remote url", () => {
    const pin = specExamples().find((e) => e.xml.includes("dtmf_length"))!;
    const gather = read(pin).root.children.find((c) => c.type === "element" && c.kind === "Gather");
    expect(gather?.type === "element" && gather.kind === "Gather" && gather.props).toMatchObject({
      dialect: "B",
      maxDigits: 4,
      finishKey: "#",
      remoteUrl: "https://worker.example/gather?step=pin",
    });
  });
});
