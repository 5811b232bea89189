/**
 * JUnit XML for CI systems: one `<testsuite>` per flow, one `<testcase>` per scenario, a
 * `<failure>` with the same words `tactflow test` prints.
 */
import type { SuiteReport } from "../src/flowtest/suite.ts";

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export function toJunit(report: SuiteReport): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(
    `<testsuites name="tactflow test" tests="${report.scenarios.length}" failures="${report.failed}" time="${(report.ms / 1000).toFixed(3)}">`,
  );
  for (const flow of report.flows) {
    const cases = report.scenarios.filter((s) => s.flow === flow.tn);
    const failed = cases.filter((c) => !c.ok).length;
    const name = flow.file ?? flow.tn;
    const time = cases.reduce((n, c) => n + c.ms, 0) / 1000;
    out.push(`  <testsuite name="${esc(name)}" tests="${cases.length}" failures="${failed}" time="${time.toFixed(3)}">`);
    out.push(`    <properties><property name="branch-coverage" value="${flow.percent}"/></properties>`);
    for (const c of cases) {
      const attrs = `classname="${esc(name)}" name="${esc(c.name)}" time="${(c.ms / 1000).toFixed(3)}"${c.source ? ` file="${esc(c.source.split(":")[0]!)}"` : ""}`;
      if (c.ok) {
        out.push(`    <testcase ${attrs}/>`);
        continue;
      }
      const text = c.failures.map((f) => [`${f.where}: ${f.lines[0] ?? ""}`, ...f.lines.slice(1)].join("\n")).join("\n\n");
      out.push(`    <testcase ${attrs}>`);
      out.push(`      <failure message="${esc(`${c.failures[0]?.where}: ${c.failures[0]?.lines[0] ?? ""}`)}">${esc(text)}</failure>`);
      out.push(`      <system-out>${esc(c.transcript)}</system-out>`);
      out.push("    </testcase>");
    }
    out.push("  </testsuite>");
  }
  out.push("</testsuites>", "");
  return out.join("\n");
}
