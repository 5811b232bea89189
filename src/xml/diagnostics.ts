import type { Position } from "./ast.ts";
import { tally } from "./work.ts";

export type Severity = "error" | "warning";

/** One finding about a document, always with a 1-based line and column. */
export interface Diagnostic {
  severity: Severity;
  /** A stable machine-readable code, e.g. `not-well-formed`, `bad-attribute`. */
  code: DiagnosticCode;
  message: string;
  line: number;
  col: number;
  /** The tag the finding is about, as written. */
  tag?: string;
  /** The attribute the finding is about, as written. */
  attribute?: string;
  /** On the `too-many-findings` entry only: how many findings were left out, by severity. */
  omitted?: { errors: number; warnings: number };
}

export type DiagnosticCode =
  | "bad-encoding"
  | "too-large"
  | "too-many-findings"
  | "not-well-formed"
  | "doctype-forbidden"
  | "bad-root"
  | "misplaced-tag"
  | "unknown-tag"
  | "unspecified-tag"
  | "unknown-attribute"
  | "bad-attribute"
  | "missing-requirement"
  | "conflicting-spellings"
  | "ignored-content"
  | "unreachable-branch"
  | "duplicate-branch"
  | "no-fallback-branch"
  | "unknown-placeholder"
  | "bad-placeholder";

export function diag(
  severity: Severity,
  code: DiagnosticCode,
  pos: Pick<Position, "line" | "col">,
  message: string,
  extra: { tag?: string; attribute?: string } = {},
): Diagnostic {
  return { severity, code, message, line: pos.line, col: pos.col, ...extra };
}

/**
 * The most findings one check lists. A document can hold tens of thousands of mistakes; past
 * this many the rest are only counted, in one last `too-many-findings` entry (an error when any
 * of them is), so the work per finding left out is a counter, not a message.
 */
export const MAX_DIAGNOSTICS = 100;

/**
 * Add a finding to `diags`, or count it once `diags` holds MAX_DIAGNOSTICS. `message` may be a
 * function, called only when the finding is kept: a costly message (a did-you-mean search, a
 * list of what is allowed) is then never built for findings past the cap.
 */
export function report(
  diags: Diagnostic[],
  severity: Severity,
  code: DiagnosticCode,
  pos: Pick<Position, "line" | "col">,
  message: string | (() => string),
  extra: { tag?: string; attribute?: string } = {},
): void {
  const last = diags[diags.length - 1];
  if (last?.code === "too-many-findings" && last.omitted) {
    countOmitted(last, severity, 1);
    return;
  }
  if (diags.length >= MAX_DIAGNOSTICS) {
    diags.push(omittedEntry(pos, severity === "error" ? 1 : 0, severity === "warning" ? 1 : 0));
    return;
  }
  tally("messages");
  diags.push(diag(severity, code, pos, typeof message === "function" ? message() : message, extra));
}

/**
 * The `too-many-findings` entry. Its message is read from its counts when it is read (an
 * enumerable getter, so JSON and copies see the text): counting a finding never writes text.
 */
function omittedEntry(pos: Pick<Position, "line" | "col">, errors: number, warnings: number): Diagnostic {
  const omitted = { errors: 0, warnings: 0 };
  const d: Diagnostic = { severity: "warning", code: "too-many-findings", message: "", line: pos.line, col: pos.col, omitted };
  Object.defineProperty(d, "message", { enumerable: true, configurable: true, get: () => describeOmitted(omitted) });
  countOmitted(d, "error", errors);
  countOmitted(d, "warning", warnings);
  return d;
}

/** Count `n` more findings left out: a counter and, for an error, the entry's severity; no text. */
function countOmitted(d: Diagnostic, severity: Severity, n: number): void {
  if (!n || !d.omitted) return;
  if (severity === "error") {
    d.omitted.errors += n;
    d.severity = "error";
  } else d.omitted.warnings += n;
}

function describeOmitted({ errors, warnings }: { errors: number; warnings: number }): string {
  const counts = [
    errors ? `${errors} error${errors === 1 ? "" : "s"}` : "",
    warnings ? `${warnings} warning${warnings === 1 ? "" : "s"}` : "",
  ];
  const total = errors + warnings;
  return `${total} more finding${total === 1 ? "" : "s"} not listed (${counts.filter(Boolean).join(", ")}): at most ${MAX_DIAGNOSTICS} are listed`;
}

/**
 * The findings of one check as reported: sorted by position, at most MAX_DIAGNOSTICS of them,
 * and the rest (including what earlier steps already left out) counted in a last entry.
 */
export function finishDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const listed: Diagnostic[] = [];
  let leftOut: Diagnostic | undefined;
  const omit = (pos: Pick<Position, "line" | "col">, errors: number, warnings: number) => {
    if (!leftOut) leftOut = omittedEntry(pos, errors, warnings);
    else {
      countOmitted(leftOut, "error", errors);
      countOmitted(leftOut, "warning", warnings);
    }
  };
  const earlier: Diagnostic[] = [];
  for (const d of diagnostics) {
    if (d.code === "too-many-findings" && d.omitted) earlier.push(d);
    else listed.push(d);
  }
  sortDiagnostics(listed);
  for (const d of listed.splice(MAX_DIAGNOSTICS)) omit(d, d.severity === "error" ? 1 : 0, d.severity === "warning" ? 1 : 0);
  for (const d of earlier) omit(d, d.omitted!.errors, d.omitted!.warnings);
  if (leftOut) listed.push(leftOut);
  return listed;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** Sort by position, errors before warnings at the same place. */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort((a, b) => a.line - b.line || a.col - b.col || (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1));
}

/**
 * An author's value as it appears inside a one-line message: quoted, control characters shown
 * as escapes (a newline in a value must not break `file:line:col: …` output) and long values cut.
 */
export function shown(value: string, max = 48): string {
  const cut = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(cut);
}

/** A name as it appears inside a message: long names (an unknown tag, an attribute) are cut. */
export function clip(name: string, max = 48): string {
  return name.length > max ? `${name.slice(0, max)}…` : name;
}

/** `file:line:col: error|warning: message`, the format compilers and editors understand. */
export function formatDiagnostic(file: string, d: Diagnostic): string {
  return `${file}:${d.line}:${d.col}: ${d.severity}: ${d.message}`;
}
