/**
 * The words of a test report, the same from `tactflow test` and from a publish the gate
 * refused: a line per scenario, each failure with its diff, the coverage of each flow with its
 * uncovered branches at line:col, and a summary.
 */
import type { ScenarioOutcome, SuiteReport } from "./suite.ts";

export interface ReportStyle {
  /** Colour and weight for a terminal; plain text by default. */
  paint?: (style: "red" | "green" | "yellow" | "bold" | "dim", text: string) => string;
  /** Show passing scenarios too (default true). */
  passing?: boolean;
}

function pct(n: number): string {
  return `${Number.isInteger(n) ? n : n.toFixed(1)} %`;
}

/** One scenario: `✓ name` or `✗ name (file:line)` with its failures. */
export function formatOutcome(o: ScenarioOutcome, style: ReportStyle = {}): string[] {
  const paint = style.paint ?? ((_s, t) => t);
  const where = o.source ? paint("dim", ` (${o.source})`) : "";
  if (o.ok) return [`${paint("green", "✓")} ${o.name}${where}`];
  const out = [`${paint("red", "✗")} ${paint("bold", o.name)}${where}`];
  for (const f of o.failures) {
    const [head, ...rest] = f.lines;
    out.push(`    ${paint("red", f.where)}: ${head ?? ""}`);
    for (const l of rest) {
      const colour = l.trimStart().startsWith("- ") ? "red" : l.trimStart().startsWith("+ ") ? "green" : null;
      out.push(`    ${colour ? paint(colour, l) : l}`);
    }
  }
  return out;
}

/** The whole report as lines. */
export function formatReport(report: SuiteReport, style: ReportStyle = {}): string[] {
  const paint = style.paint ?? ((_s, t) => t);
  const lines: string[] = [];
  for (const o of report.scenarios) if (!o.ok || style.passing !== false) lines.push(...formatOutcome(o, style));
  const withBranches = report.flows.filter((f) => f.total > 0 || f.invalid);
  if (withBranches.length) {
    lines.push("", paint("bold", "Branch coverage"));
    for (const f of withBranches) {
      const name = f.file ? `${f.file} (${f.tn})` : f.tn;
      if (f.invalid) {
        lines.push(`  ${name}: ${paint("red", "does not publish")}`);
        continue;
      }
      const colour = f.covered === f.total ? "green" : "yellow";
      lines.push(`  ${name}: ${paint(colour, `${f.covered}/${f.total} branches, ${pct(f.percent)}`)}`);
      for (const p of f.points.filter((x) => x.hits === 0))
        lines.push(`    ${paint("yellow", "not covered")} ${f.file ?? f.tn}:${p.line}:${p.col} ${p.label}`);
    }
  }
  const n = report.scenarios.length;
  const summary = `${n} scenario${n === 1 ? "" : "s"}: ${report.passed} passed, ${report.failed} failed; branch coverage ${pct(report.coverage)}`;
  lines.push("", report.failed ? paint("red", summary) : paint("green", summary));
  return lines;
}
