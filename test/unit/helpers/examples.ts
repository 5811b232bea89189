/**
 * The XML examples of the Opentact material beside the project (../shared): the ```xml blocks
 * of opentact/SPEC.md and the documents inside the GitBook page dumps in seeds/.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const sharedDir = join(projectRoot, "..", "shared");

export interface Example {
  /** Where it came from, e.g. `SPEC.md#3` or `seeds/000_….txt#2`. */
  label: string;
  xml: string;
}

function requireShared(): void {
  if (!existsSync(join(sharedDir, "opentact", "SPEC.md"))) {
    throw new Error(`the shared Opentact material is missing: expected ${sharedDir} beside the project (CI checks it out as ../shared)`);
  }
}

/** Fragments (a bare command or two) are wrapped in <Response> so they form a document. */
function asDocument(xml: string): string {
  const body = xml.trim();
  return /^(<\?xml|<Response[\s/>])/.test(body) ? body : `<Response>\n${body}\n</Response>`;
}

export function specExamples(): Example[] {
  requireShared();
  const text = readFileSync(join(sharedDir, "opentact", "SPEC.md"), "utf8");
  const blocks = [...text.matchAll(/```xml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.map((xml, i) => ({ label: `SPEC.md#${i + 1}`, xml: asDocument(xml) }));
}

/** Each document in a page dump: from an optional `<?xml …?>` through `</Response>`. */
export function seedExamples(): Example[] {
  requireShared();
  const dir = join(sharedDir, "seeds");
  const out: Example[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".txt"))
    .sort()) {
    const text = readFileSync(join(dir, file), "utf8");
    const docs = [...text.matchAll(/(?:<\?xml[^>]*\?>\s*)?<Response\b[\s\S]*?<\/Response>/g)].map((m) => m[0]);
    for (const [i, xml] of docs.entries()) out.push({ label: `seeds/${file}#${i + 1}`, xml });
  }
  return out;
}

/** The benchmark flows (bench/fixtures): realistic documents other benchmarks reuse too. */
export function benchFixtures(): Example[] {
  const dir = join(projectRoot, "bench", "fixtures");
  return ["small", "medium", "large"].map((name) => ({
    label: `bench/fixtures/${name}.xml`,
    xml: readFileSync(join(dir, `${name}.xml`), "utf8"),
  }));
}
