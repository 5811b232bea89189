/**
 * The browser's check of a draft: the very `checkTemplate` the server runs when publishing
 * (src/template, which runs src/xml's parser and validator first), with the draft's settings.
 */
import { checkTemplate } from "../../../src/template/index.ts";
import type { Diagnostic, FlowDocument } from "../../../src/xml/index.ts";
import type { FlowSettings } from "../api.ts";

export interface Checked {
  text: string;
  /** The settings it was checked with. */
  settings: Pick<FlowSettings, "variables" | "conditions">;
  document: FlowDocument | null;
  diagnostics: Diagnostic[];
  errors: number;
  warnings: number;
}

/** Runs the check; the `tactflow:check` performance measure says how long it took. */
export function checkDraft(text: string, settings: Pick<FlowSettings, "variables" | "conditions">): Checked {
  const t0 = performance.now();
  const result = checkTemplate(text, { variables: settings.variables, conditions: settings.conditions });
  performance.measure("tactflow:check", { start: t0, end: performance.now() });
  const errors = result.diagnostics.filter((d) => d.severity === "error").length;
  return {
    text,
    settings,
    document: result.document,
    diagnostics: result.diagnostics,
    errors,
    warnings: result.diagnostics.length - errors,
  };
}

/** 0-based offsets of 1-based line starts, to place line:col findings. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

export function offsetAt(starts: readonly number[], line: number, col: number): number {
  return (starts[Math.max(0, line - 1)] ?? 0) + Math.max(0, col - 1);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
