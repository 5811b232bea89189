/**
 * The README's tag and dialect tables are generated from the tag registry; this fails when
 * someone changes src/xml/tags.ts (or the tables) without running `npm run docs:tags`.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BEGIN, END, generatedSection, readmePath, updateReadme } from "../../scripts/dialect-table.ts";
import { TAG_SPECS } from "../../src/xml/index.ts";

describe("README: Call Flow XML tags and dialects", () => {
  const readme = readFileSync(readmePath, "utf8");

  it("holds the generated tables, up to date with src/xml/tags.ts (fix: npm run docs:tags)", () => {
    const start = readme.indexOf(BEGIN);
    const end = readme.indexOf(END);
    expect(start, "README.md lacks the generated tag section markers").toBeGreaterThanOrEqual(0);
    expect(readme.slice(start, end + END.length)).toBe(generatedSection());
    expect(updateReadme(readme)).toBe(readme);
  });

  it("lists every tag by every accepted name, and every attribute spelling", () => {
    const section = generatedSection();
    for (const spec of TAG_SPECS) {
      for (const name of spec.names) expect(section).toContain(`\`<${name}>\``);
      for (const a of spec.attrs) for (const n of [a.name, ...(a.aliases ?? [])]) expect(section).toContain(`\`${n}\``);
    }
  });

  it("sits under its own heading, with the validate usage", () => {
    expect(readme).toMatch(/^## Call Flow XML: tags and dialects$/m);
    expect(readme).toMatch(/^### tactflow validate$/m);
  });
});
