/**
 * `tactflow validate FILE…`: check Opentact Call Flow XML the way publishing will, before any
 * call reaches the flow.
 *
 * Output is one `file:line:col: error|warning: message` line per finding (the format compilers
 * use, so editors and CI annotators pick it up), then a summary line. Exit status: 0 when no file
 * has errors, 1 when one does, 2 on a usage error or a file that cannot be read.
 */
import { readFile } from "node:fs/promises";
import { styleText } from "node:util";
import type { Command } from "commander";
import { checkFlow, formatDiagnostic, type Diagnostic } from "../src/xml/index.ts";

export interface ValidateOptions {
  json?: boolean;
  quiet?: boolean;
  color?: boolean;
  stdinName?: string;
}

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
    .argument("<files...>", "flow files to check (`-` for stdin)")
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
        "",
      ].join("\n"),
    )
    .action(async (files: string[], opts: ValidateOptions) => {
      const report = await validateFiles(files, opts);
      for (const f of report.files) {
        if ("readError" in f) process.stderr.write(`tactflow validate: cannot read ${f.file}: ${f.readError}\n`);
      }
      process.stdout.write(opts.json ? `${JSON.stringify(toJson(report, opts), null, 2)}\n` : formatText(report, opts));
      process.exitCode = exitCode(report);
    });
}

/** Read and check every input; an unreadable one is recorded, the rest are still checked. */
export async function validateFiles(files: string[], opts: ValidateOptions = {}): Promise<ValidateReport> {
  let stdin: Promise<string> | undefined;
  const out: FileReport[] = [];
  for (const file of files) {
    const name = file === "-" ? (opts.stdinName ?? "<stdin>") : file;
    let text: string;
    try {
      // `-` given twice reads stdin once.
      text = file === "-" ? await (stdin ??= readStdin()) : await readFile(file, "utf8");
    } catch (err) {
      out.push({ file: name, readError: describeReadError(err) });
      continue;
    }
    const { diagnostics, ok } = checkFlow(text);
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

export function exitCode(report: ValidateReport): number {
  if (report.summary.unreadable) return EXIT.usage;
  return report.summary.errors ? EXIT.findings : EXIT.ok;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
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
