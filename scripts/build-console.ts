/**
 * Builds the web console (console/) into dist/console, which the Worker serves with Workers
 * Static Assets (the `assets` section of the wrangler config).
 *
 * - esbuild bundles console/src/main.tsx with code splitting: the CodeMirror editor is a
 *   dynamically imported chunk, so the numbers list and the flow page's graph load without it.
 * - File names carry a content hash (served with a year of cache, console/public/_headers);
 *   index.html is written last and names them.
 * - dist/console/build.json records every output's bytes and gzip bytes, and the two budget
 *   figures: what the first page loads before the editor, and what the editor chunk adds.
 *
 * `node scripts/build-console.ts` builds once; `--watch` rebuilds on change (npm start uses it).
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build, context, type BuildOptions, type Metafile, type Plugin } from "esbuild";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const CONSOLE_OUT = join(ROOT, "dist", "console");
const SRC = join(ROOT, "console");

export interface ChunkSize {
  file: string;
  bytes: number;
  gzip: number;
}

export interface BuildReport {
  outputs: ChunkSize[];
  /** JS and CSS the first page load fetches (the entry and its static imports). */
  initial: { files: string[]; gzip: number };
  /** What opening the editor adds (its dynamic chunk and the chunks only it imports). */
  editor: { files: string[]; gzip: number };
}

/** The outputs reachable from `start` through static imports, plus the CSS they carry. */
function closure(meta: Metafile, start: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const out = meta.outputs[file];
    if (!out) return;
    if (out.cssBundle) seen.add(out.cssBundle);
    for (const imp of out.imports) if (imp.kind === "import-statement") visit(imp.path);
  };
  visit(start);
  return seen;
}

function report(meta: Metafile): BuildReport {
  const outDir = join(CONSOLE_OUT, "assets");
  const outputs: ChunkSize[] = Object.keys(meta.outputs)
    .filter((f) => !f.endsWith(".map"))
    .map((f) => {
      const body = readFileSync(join(ROOT, f));
      return { file: relative(outDir, join(ROOT, f)), bytes: body.length, gzip: gzipSync(body, { level: 9 }).length };
    });
  const size = new Map(outputs.map((o) => [o.file, o.gzip]));
  const name = (f: string) => relative(outDir, join(ROOT, f));
  const entry = Object.keys(meta.outputs).find((f) => meta.outputs[f]!.entryPoint?.endsWith("console/src/main.tsx"));
  const editorEntry = Object.keys(meta.outputs).find((f) => meta.outputs[f]!.entryPoint?.endsWith("console/src/editor/editor.ts"));
  if (!entry) throw new Error("console build: the entry is missing from the metafile");
  const initial = closure(meta, entry);
  const editor = editorEntry ? [...closure(meta, editorEntry)].filter((f) => !initial.has(f)) : [];
  const sum = (files: string[]) => files.reduce((n, f) => n + (size.get(name(f)) ?? 0), 0);
  return {
    outputs,
    initial: { files: [...initial].map(name), gzip: sum([...initial]) },
    editor: { files: editor.map(name), gzip: sum(editor) },
  };
}

function writeIndex(meta: Metafile): void {
  const entry = Object.entries(meta.outputs).find(([, o]) => o.entryPoint?.endsWith("console/src/main.tsx"));
  if (!entry) throw new Error("console build: no output for console/src/main.tsx");
  const [js, out] = entry;
  const url = (f: string) => `/${relative(CONSOLE_OUT, join(ROOT, f)).split("\\").join("/")}`;
  const template = readFileSync(join(SRC, "index.html"), "utf8");
  const html = template
    .replace("<!--css-->", out.cssBundle ? `<link rel="stylesheet" href="${url(out.cssBundle)}">` : "")
    .replace("<!--js-->", `<script type="module" src="${url(js)}"></script>`);
  writeFileSync(join(CONSOLE_OUT, "index.html"), html);
}

const options: BuildOptions = {
  entryPoints: [join(SRC, "src", "main.tsx")],
  outdir: join(CONSOLE_OUT, "assets"),
  bundle: true,
  splitting: true,
  format: "esm",
  target: "es2022",
  platform: "browser",
  minify: true,
  sourcemap: "linked",
  entryNames: "[name]-[hash]",
  chunkNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  jsx: "automatic",
  jsxImportSource: "preact",
  metafile: true,
  legalComments: "linked",
  logLevel: "warning",
  // fast-xml-parser and friends read nothing from Node in the browser; keep stray checks inert.
  define: { "process.env.NODE_ENV": '"production"' },
};

function finish(meta: Metafile): BuildReport {
  writeIndex(meta);
  const r = report(meta);
  writeFileSync(join(CONSOLE_OUT, "build.json"), `${JSON.stringify(r, null, 2)}\n`);
  return r;
}

/** Empty dist/console but keep the folder itself: a running `wrangler dev` watches it. */
function fresh(): void {
  mkdirSync(CONSOLE_OUT, { recursive: true });
  for (const entry of readdirSync(CONSOLE_OUT)) rmSync(join(CONSOLE_OUT, entry), { recursive: true, force: true });
  cpSync(join(SRC, "public"), CONSOLE_OUT, { recursive: true });
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

/** Build once into dist/console. */
export async function buildConsole(): Promise<BuildReport> {
  fresh();
  const result = await build(options);
  return finish(result.metafile!);
}

/** Build once (throws on errors), then rebuild on every change until the process ends. */
export async function watchConsole(onBuild: (r: BuildReport, first: boolean) => void): Promise<void> {
  onBuild(await buildConsole(), true);
  let initial = true;
  const plugin: Plugin = {
    name: "tactflow-console-index",
    setup(b) {
      b.onEnd((result) => {
        // The watcher's own first build repeats the one above.
        if (initial) initial = false;
        else if (result.metafile && !result.errors.length) onBuild(finish(result.metafile), false);
      });
    },
  };
  const ctx = await context({ ...options, plugins: [plugin] });
  await ctx.watch();
}

export function describe(r: BuildReport): string {
  return `console built: first load ${kb(r.initial.gzip)} gzip, editor chunk ${kb(r.editor.gzip)} gzip → dist/console`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes("--watch")) {
    await watchConsole((r) => process.stdout.write(`${describe(r)}\n`));
  } else {
    process.stdout.write(`${describe(await buildConsole())}\n`);
  }
}
