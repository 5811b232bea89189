/**
 * The XML examples of our own manual and benchmarks: every ```xml block of README.md and
 * docs/*.md (a block marked ```xml invalid shows a mistake on purpose), and the benchmark flows.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export interface Example {
  /** Where it came from: `docs/flow-xml.md:42` (the line of the opening fence), or a fixture's path. */
  label: string;
  /** The file it came from, relative to the project root. */
  file: string;
  /** A whole document: a fragment (a bare command or two) is wrapped in `<Response>`. */
  xml: string;
  /** Lines added above the block by the wrapping, to map positions back to the block. */
  lineOffset: number;
  /** Marked ```xml invalid: the text says this is refused. */
  invalid: boolean;
  /** The ```text block right after an invalid example: the findings the text promises. */
  expectedOutput?: string;
}

/** Words allowed after ```xml; anything else is a typo that would silently skip a check. */
const FLAGS = new Set(["invalid"]);

/** Fragments (a bare command or two) are wrapped in <Response> so they form a document. */
function asDocument(xml: string): { xml: string; lineOffset: number } {
  const body = xml.trim();
  return /^(<\?xml|<Response[\s/>])/.test(body) ? { xml: body, lineOffset: 0 } : { xml: `<Response>\n${body}\n</Response>`, lineOffset: 1 };
}

/** The manual's pages: README.md and every docs/*.md, relative to the project root. */
export function manualFiles(): string[] {
  const docs = readdirSync(join(projectRoot, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`);
  return ["README.md", ...docs];
}

/** Every ```xml block of one Markdown text. Throws on an unknown flag after `xml`. */
export function examplesIn(file: string, markdown: string): Example[] {
  const out: Example[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^```xml(?:\s+(.*))?$/.exec(lines[i]!);
    if (!open) continue;
    const flags = (open[1] ?? "").trim().split(/\s+/).filter(Boolean);
    for (const f of flags)
      if (!FLAGS.has(f)) throw new Error(`${file}:${i + 1}: unknown flag "${f}" after \`\`\`xml (known: ${[...FLAGS].join(", ")})`);
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== "```"; i++) body.push(lines[i]!);
    if (i >= lines.length) throw new Error(`${file}:${start + 1}: \`\`\`xml block never closed`);
    const invalid = flags.includes("invalid");
    let expectedOutput: string | undefined;
    if (invalid) {
      // An optional ```text block after it (blank lines between) lists the findings it causes.
      let j = i + 1;
      while (j < lines.length && lines[j]!.trim() === "") j++;
      if (lines[j] === "```text") {
        const text: string[] = [];
        for (j++; j < lines.length && lines[j] !== "```"; j++) text.push(lines[j]!);
        expectedOutput = text.join("\n");
      }
    }
    const doc = asDocument(body.join("\n"));
    out.push({
      label: `${file}:${start + 1}`,
      file,
      xml: doc.xml,
      lineOffset: doc.lineOffset,
      invalid,
      ...(expectedOutput !== undefined ? { expectedOutput } : {}),
    });
  }
  return out;
}

/** Every ```xml block of the manual, in file order. */
export function docExamples(): Example[] {
  return manualFiles().flatMap((file) => examplesIn(file, readFileSync(join(projectRoot, file), "utf8")));
}

/** The benchmark flows (bench/fixtures): realistic documents other benchmarks reuse too. */
export function benchFixtures(): Example[] {
  const dir = join(projectRoot, "bench", "fixtures");
  return ["small", "medium", "large"].map((name) => ({
    label: `bench/fixtures/${name}.xml`,
    file: `bench/fixtures/${name}.xml`,
    xml: readFileSync(join(dir, `${name}.xml`), "utf8"),
    lineOffset: 0,
    invalid: false,
  }));
}
