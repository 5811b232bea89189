import type { Position } from "./ast.ts";

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
}

export type DiagnosticCode =
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

/** `file:line:col: error|warning: message`, the format compilers and editors understand. */
export function formatDiagnostic(file: string, d: Diagnostic): string {
  return `${file}:${d.line}:${d.col}: ${d.severity}: ${d.message}`;
}
