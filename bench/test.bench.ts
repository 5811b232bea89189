/**
 * Flow tests (docs/testing.md): **100 scenarios in process**: the demo flows' own scenarios plus generated ones over the
 *    large fixture flow (a clinic IVR: conditions, a three-attempt menu, Dials), run by the same
 *    suite runner as `tactflow test` (src/flowtest). Each round is a fresh suite; the first one
 *    includes compiling the flows. Reports the wall time of the 100 and per scenario (median, p95).
 *    Target: 100 scenarios in under 5 s.
 *
 *   npm run bench:test
 *   npm run bench:test -- --json --rounds 5
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadScenarioFile } from "../cli/testFiles.ts";
import { FlowOptionsSchema } from "../src/flows/meta.ts";
import type { TestScenario } from "../src/flowtest/format.ts";
import { runSuite, type FlowUnderTest } from "../src/flowtest/suite.ts";
import { cli, machine, table } from "./lib/cli.ts";
import { median, percentile } from "./lib/stats.ts";

const { args, num, log } = cli("test", {
  json: { type: "boolean", default: false },
  rounds: { type: "string", default: "3" },
});
const rounds = num("rounds", 1);
const root = join(import.meta.dirname, "..");

// ---- 1. 100 scenarios in process ---------------------------------------------------------------

const demoFiles = ["ivr-menu", "after-hours", "parked"].map((n) => loadScenarioFile(join(root, "flows/demo", `${n}.test.yaml`), root));
const flows: FlowUnderTest[] = demoFiles.map((f) => ({ tn: f.flow.tn, xml: f.flow.xml, meta: f.flow.meta }));
const LARGE_TN = "15551230100";
flows.push({
  tn: LARGE_TN,
  xml: readFileSync(join(root, "bench/fixtures/large.xml"), "utf8"),
  meta: FlowOptionsSchema.parse({ timezone: "America/New_York" }),
});
const scenarios: Array<{ scenario: TestScenario; flow: string }> = demoFiles.flatMap((f) =>
  f.scenarios.map((scenario) => ({ scenario, flow: f.flow.tn })),
);
const keys = ["1", "2", "3", "4", "9", ""];
const outcomes = ["answer", "busy", "no-answer"] as const;
for (let i = 0; scenarios.length < 100; i++) {
  const inputs = [keys[i % keys.length]!, keys[(i + 2) % keys.length]!, keys[(i + 4) % keys.length]!].map((digits) => ({ digits }));
  scenarios.push({
    flow: LARGE_TN,
    scenario: {
      name: `large ${i}`,
      from: i % 2 ? "+12015550123" : "+13125550123",
      at: `2026-11-${String(23 + (i % 6)).padStart(2, "0")}T15:00:00Z`,
      inputs,
      dial: { "*": outcomes[i % outcomes.length]! },
      replies: {
        "https://api.northwind.example/*": [i % 2 ? { xml: "<Response><Say>Leave a message.</Say></Response>" } : { status: 503 }],
      },
      expect: [{ line: "/^HANGUP|STATE/" }],
    },
  });
}

const suiteRounds: Array<{ totalMs: number; medianMs: number; p95Ms: number; passed: number }> = [];
for (let r = 0; r < rounds; r++) {
  const report = await runSuite(flows, scenarios);
  const per = report.scenarios.map((s) => s.ms).sort((a, b) => a - b);
  suiteRounds.push({ totalMs: report.ms, medianMs: median(per), p95Ms: percentile(per, 95), passed: report.passed });
  log(`round ${r + 1}: ${scenarios.length} scenarios in ${report.ms.toFixed(0)} ms (${report.passed} passed)`);
  if (report.failed) {
    for (const s of report.scenarios.filter((x) => !x.ok).slice(0, 3)) log(`failed: ${s.name}: ${s.failures[0]?.lines[0]}`);
    process.exit(1);
  }
}

const best = suiteRounds.reduce((a, b) => (b.totalMs < a.totalMs ? b : a));
if (args.json) {
  process.stdout.write(`${JSON.stringify({ machine: machine(), scenarios: scenarios.length, rounds: suiteRounds }, null, 2)}\n`);
} else {
  const f = (n: number) => n.toFixed(1);
  process.stdout.write(
    `${table([
      ["in process", "100 scenarios (ms)", "median / scenario (ms)", "p95 / scenario (ms)"],
      ...suiteRounds.map((r, i) => [`round ${i + 1}${r === best ? " (best)" : ""}`, f(r.totalMs), f(r.medianMs), f(r.p95Ms)]),
    ])}\n`,
  );
}
