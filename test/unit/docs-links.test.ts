/**
 * The manual's links hold: every relative link in README.md and docs/*.md names a file of the
 * repository and, with a `#fragment`, a heading of that file (GitHub's anchor rules); and the
 * sections code comments cite (`docs/architecture.md §1`, `docs/opentact.md §b.6`) exist.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";
import { manualFiles, projectRoot } from "./helpers/examples.ts";

/** Markdown outside fenced code blocks, so examples aren't read as links or headings. */
function prose(markdown: string): string {
  let inFence = false;
  return markdown
    .split("\n")
    .map((line) => {
      if (/^\s*```/.test(line)) {
        inFence = !inFence;
        return "";
      }
      return inFence ? "" : line;
    })
    .join("\n");
}

/** GitHub's anchor for a heading: lower case, punctuation and symbols dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

const pages = manualFiles().map((file) => ({ file, text: readFileSync(join(projectRoot, file), "utf8") }));

describe("the manual's links", () => {
  it("computes GitHub's anchors", () => {
    expect(slug("§1 Inbound call (synchronous call control)")).toBe("1-inbound-call-synchronous-call-control");
    expect(slug("`<Gather>`: collecting digits")).toBe("gather-collecting-digits");
    expect(slug("a.2 The request")).toBe("a2-the-request");
  });

  it.each(pages.map((p) => [p.file, p] as const))("%s: every relative link reaches a file and a heading", (_file, page) => {
    const broken: string[] = [];
    for (const m of prose(page.text).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      const [path, fragment] = target.split("#", 2) as [string, string | undefined];
      const file = path ? normalize(join(dirname(page.file), path)) : page.file;
      if (!existsSync(join(projectRoot, file))) {
        broken.push(`${target}: no file ${file}`);
        continue;
      }
      if (fragment !== undefined && file.endsWith(".md")) {
        const heads = anchors(readFileSync(join(projectRoot, file), "utf8"));
        if (!heads.has(fragment)) broken.push(`${target}: ${file} has no heading #${fragment}`);
      }
    }
    expect(broken).toEqual([]);
  });
});

describe("the sections code comments cite", () => {
  // Every `docs/<page>.md §<section>` in the repository's files (git grep sees what is committed
  // or staged; a fresh clone has all of it).
  const citations = execFileSync("git", ["grep", "-h", "-o", "-E", "docs/[a-z-]+\\.md §[a-z0-9.]+(, *§?[a-z0-9.]+)*"], {
    cwd: projectRoot,
    encoding: "utf8",
  })
    .split("\n")
    .filter(Boolean);

  it("finds the citations", () => {
    expect(citations.some((c) => c.startsWith("docs/opentact.md §"))).toBe(true);
    expect(citations.some((c) => c.startsWith("docs/architecture.md §"))).toBe(true);
  });

  it("each names a section the page has", () => {
    const missing: string[] = [];
    for (const citation of new Set(citations)) {
      const [, page, list] = /^(docs\/[a-z-]+\.md) (§.*)$/.exec(citation)!;
      const text = prose(readFileSync(join(projectRoot, page!), "utf8"));
      const architecture = page!.endsWith("architecture.md");
      // `§a.2, a.3` cites two sections; `§d.4, 2022` one and some prose. The first item must be a
      // section; later ones count when they look like one.
      const shape = architecture ? /^\d+$/ : /^[a-f](\.\d+)?$/;
      const items = list!
        .split(/,\s*/)
        .map((raw) => raw.replace(/^§/, "").replace(/\.$/, ""))
        .filter((item, i) => i === 0 || shape.test(item));
      for (const section of items) {
        let found: boolean;
        if (architecture) found = new RegExp(`^#{2,3} §${section}\\b`, "m").test(text);
        else if (/^f\.\d+$/.test(section)) {
          // The f items are a numbered list under "## f."
          const f = text.slice(text.search(/^## f\. /m));
          found = new RegExp(`^${section.slice(2)}\\. \\*\\*`, "m").test(f);
        } else found = new RegExp(`^#{2,3} ${section.replace(/\./g, "\\.")}[. ]`, "m").test(text);
        if (!found) missing.push(`${page} §${section} (cited as "${citation}")`);
      }
    }
    expect(missing).toEqual([]);
  });
});
