/**
 * `tactflow validate FILE…`: check Opentact Call Flow XML the way publishing will, before any
 * call reaches the flow.
 *
 * Output is one `file:line:col: error|warning: message` line per finding (the format compilers
 * use, so editors and CI annotators pick it up), then a summary line. Exit status: 0 when no file
 * has errors, 1 when one does, 2 on a usage error or a file that cannot be read.
 */
import { readFile } from "node:fs/promises";
import { dirname, relative, resolve } from "node:path";
import { styleText } from "node:util";
import type { Command } from "commander";
import { checkTemplate } from "../src/template/index.ts";
import { checkFlow, decodeTemplate, formatDiagnostic, type Diagnostic } from "../src/xml/index.ts";

export interface ValidateOptions {
  json?: boolean;
  quiet?: boolean;
  color?: boolean;
  stdinName?: string;
  /** `NAME=VALUE` pairs for {{vars.NAME}}: with these (or a manifest) placeholders are checked as publishing checks them. */
  var?: string[];
  /** A manifest (flows/demo/manifest.json's shape) giving each file's variables and conditions. */
  manifest?: string;
}

interface ManifestEntry {
  file: string;
  variables?: Record<string, string>;
  conditions?: "evaluate" | "platform";
}

/** What publishing would check a file with, or undefined to check the XML alone. */
type TemplateOptions = { variables: Record<string, string>; conditions?: "evaluate" | "platform" };

/** One input's outcome: its findings, or why it could not be read. */
export type FileReport = { file: string; ok: boolean; diagnostics: Diagnostic[] } | { file: string; readError: string };

export interface ValidateReport {
  files: FileReport[];
  summary: { files: number; errors: number; warnings: number; unreadable: number };
}

export const EXIT = { ok: 0, findings: 1, usage: 2 } as const;

export function registerValidate(program: Command): void {
  program
    .command("validate")
    .description("check Opentact Call Flow XML files as publishing would; `-` reads stdin")
    .argument("[files...]", "flow files to check (`-` for stdin); with --manifest, default: every file it lists")
    .option(
      "--var <name=value>",
      "a {{vars.NAME}} value; placeholders are then checked as publishing checks them (repeatable)",
      (v: string, p: string[] = []) => [...p, v],
    )
    .option("--manifest <file>", "a manifest giving each file's variables and conditions (flows/demo/manifest.json's shape)")
    .option("--json", "print the findings as JSON, one entry per file")
    .option("-q, --quiet", "report errors only")
    .option("--no-color", "never colour the output (default: colour on a terminal unless NO_COLOR is set)")
    .option("--stdin-name <name>", "the file name to report for `-`", "<stdin>")
    .addHelpText(
      "after",
      [
        "",
        "Output: file:line:col: error|warning: message, then a summary line.",
        "Exit status: 0 no errors, 1 errors found, 2 usage error or unreadable file.",
        "",
        "Examples:",
        "  tactflow validate flows/*.xml",
        "  curl -s https://example.org/flow.xml | tactflow validate --stdin-name flow.xml -",
        "  tactflow validate --json flow.xml",
        "  tactflow validate --manifest flows/demo/manifest.json     # placeholders checked with each flow's variables",
        "  tactflow validate --var company=Acme flow.xml",
        "",
      ].join("\n"),
    )
    .action(async (files: string[], opts: ValidateOptions) => {
      let manifest: Map<string, ManifestEntry> | undefined;
      try {
        manifest = opts.manifest ? await readManifest(opts.manifest) : undefined;
        parseVars(opts.var ?? []);
      } catch (err) {
        process.stderr.write(`tactflow validate: ${(err as Error).message}\n`);
        process.exitCode = EXIT.usage;
        return;
      }
      if (files.length === 0 && manifest) files = [...manifest.keys()].map((f) => relative(process.cwd(), f));
      if (files.length === 0) {
        process.stderr.write("error: missing required argument 'files' (name the files to check, or give --manifest)\n");
        process.exitCode = EXIT.usage;
        return;
      }
      const report = await validateFiles(files, opts, manifest);
      for (const f of report.files) {
        if ("readError" in f) process.stderr.write(`tactflow validate: cannot read ${f.file}: ${f.readError}\n`);
      }
      process.stdout.write(opts.json ? `${JSON.stringify(toJson(report, opts), null, 2)}\n` : formatText(report, opts));
      process.exitCode = exitCode(report);
    });
}

/** Read and check every input; an unreadable one is recorded, the rest are still checked. */
export async function validateFiles(
  files: string[],
  opts: ValidateOptions = {},
  manifest?: Map<string, ManifestEntry>,
): Promise<ValidateReport> {
  const vars = parseVars(opts.var ?? []);
  let stdin: Promise<Uint8Array> | undefined;
  const out: FileReport[] = [];
  for (const file of files) {
    const name = file === "-" ? (opts.stdinName ?? "<stdin>") : file;
    let bytes: Uint8Array;
    try {
      // `-` given twice reads stdin once.
      bytes = file === "-" ? await (stdin ??= readStdin()) : await readFile(file);
    } catch (err) {
      out.push({ file: name, readError: describeReadError(err) });
      continue;
    }
    // The bytes as publishing reads them: not UTF-8 is an error at its place, never U+FFFD.
    const decoded = decodeTemplate(bytes);
    if (!decoded.ok) {
      out.push({ file: name, ok: false, diagnostics: decoded.diagnostics });
      continue;
    }
    const text = decoded.text;
    const entry = file === "-" ? undefined : manifest?.get(resolve(file));
    const template: TemplateOptions | undefined =
      entry || opts.var?.length || manifest
        ? { variables: { ...(entry?.variables ?? {}), ...vars }, ...(entry?.conditions ? { conditions: entry.conditions } : {}) }
        : undefined;
    const { diagnostics, ok } = template ? checkTemplate(text, template) : checkFlow(text, { template: true });
    out.push({ file: name, ok, diagnostics });
  }
  let errors = 0;
  let warnings = 0;
  let unreadable = 0;
  for (const f of out) {
    if ("readError" in f) unreadable++;
    else
      for (const d of f.diagnostics) {
        if (d.severity === "error") errors++;
        else warnings++;
      }
  }
  return { files: out, summary: { files: files.length, errors, warnings, unreadable } };
}

function parseVars(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of pairs) {
    const eq = v.indexOf("=");
    if (eq <= 0) throw new Error(`--var "${v}": write NAME=VALUE`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** The manifest's entries by absolute file path. */
async function readManifest(path: string): Promise<Map<string, ManifestEntry>> {
  let parsed: { flows?: ManifestEntry[] };
  try {
    parsed = JSON.parse(await readFile(path, "utf8")) as { flows?: ManifestEntry[] };
  } catch (err) {
    throw new Error(`cannot read the manifest ${path}: ${describeReadError(err)}`);
  }
  if (!Array.isArray(parsed.flows)) throw new Error(`${path} is not a manifest: it has no "flows" list`);
  const out = new Map<string, ManifestEntry>();
  for (const entry of parsed.flows) if (typeof entry?.file === "string") out.set(resolve(dirname(path), entry.file), entry);
  return out;
}

export function exitCode(report: ValidateReport): number {
  if (report.summary.unreadable) return EXIT.usage;
  return report.summary.errors ? EXIT.findings : EXIT.ok;
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function describeReadError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EISDIR") return "it is a directory";
  if (code === "EACCES") return "permission denied";
  return err instanceof Error ? err.message : String(err);
}

function shownDiagnostics(diagnostics: Diagnostic[], opts: ValidateOptions): Diagnostic[] {
  return opts.quiet ? diagnostics.filter((d) => d.severity === "error") : diagnostics;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The human report: a line per finding, then the summary. */
export function formatText(report: ValidateReport, opts: ValidateOptions = {}): string {
  const lines: string[] = [];
  for (const f of report.files) {
    if ("readError" in f) continue;
    for (const d of shownDiagnostics(f.diagnostics, opts))
      lines.push(opts.color === false ? formatDiagnostic(f.file, d) : coloured(f.file, d));
  }
  const { files, errors, warnings, unreadable } = report.summary;
  const counts = [plural(errors, "error")];
  if (!opts.quiet) counts.push(plural(warnings, "warning"));
  if (unreadable) counts.push(`${unreadable} unreadable`);
  const anything = errors || unreadable || (!opts.quiet && warnings);
  lines.push(`${plural(files, "file")} checked: ${anything ? counts.join(", ") : "no problems"}`);
  return `${lines.join("\n")}\n`;
}

/**
 * formatDiagnostic's line with the location in bold and the severity in red or yellow.
 * styleText leaves the text plain when stdout is not a terminal or NO_COLOR is set.
 */
function coloured(file: string, d: Diagnostic): string {
  const where = `${file}:${d.line}:${d.col}:`;
  const rest = formatDiagnostic(file, d).slice(where.length + 1 + d.severity.length);
  return `${styleText("bold", where)} ${styleText(d.severity === "error" ? "red" : "yellow", d.severity)}${rest}`;
}

/** The machine report: the same facts, per file (`--quiet` leaves warnings out of the lists). */
export function toJson(report: ValidateReport, opts: ValidateOptions = {}): ValidateReport {
  if (!opts.quiet) return report;
  return {
    ...report,
    files: report.files.map((f) => ("readError" in f ? f : { ...f, diagnostics: shownDiagnostics(f.diagnostics, opts) })),
  };
}
