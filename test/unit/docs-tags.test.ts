/**
 * The flow XML reference's tag and dialect tables (docs/flow-xml.md) are generated from the tag
 * registry; this fails when someone changes src/xml/tags.ts (or the tables) without running
 * `npm run docs:tags`.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BEGIN, docPath, END, generatedSection, updateDoc } from "../../scripts/dialect-table.ts";
import { TAG_SPECS } from "../../src/xml/index.ts";

describe("docs/flow-xml.md: tags and dialects", () => {
  const doc = readFileSync(docPath, "utf8");

  it("holds the generated tables, up to date with src/xml/tags.ts (fix: npm run docs:tags)", () => {
    const start = doc.indexOf(BEGIN);
    const end = doc.indexOf(END);
    expect(start, "docs/flow-xml.md lacks the generated tag section markers").toBeGreaterThanOrEqual(0);
    expect(doc.slice(start, end + END.length)).toBe(generatedSection());
    expect(updateDoc(doc)).toBe(doc);
  });

  it("lists every tag by every accepted name, and every attribute spelling", () => {
    const section = generatedSection();
    for (const spec of TAG_SPECS) {
      for (const name of spec.names) expect(section).toContain(`\`<${name}>\``);
      for (const a of spec.attrs) for (const n of [a.name, ...(a.aliases ?? [])]) expect(section).toContain(`\`${n}\``);
    }
  });

  it("sits under its own heading, next to the per-tag reference and the validation rules", () => {
    expect(doc).toMatch(/^## Tags and attributes$/m);
    expect(doc.indexOf(BEGIN)).toBeGreaterThan(doc.search(/^## Tags and attributes$/m));
    expect(doc).toMatch(/^## Validation$/m);
  });

  it("refuses a document without the markers, saying where the tables belong", () => {
    expect(() => updateDoc("# no tables here\n")).toThrow(/docs\/flow-xml\.md has no generated tag section/);
  });
});
