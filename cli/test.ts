/**
 * `tactflow test [FILES|DIRS…]`: run flow tests in process — no server, no wrangler — on a
 * virtual clock, through the modules the Worker runs (src/flowtest). docs/testing.md is the
 * manual.
 *
 * Output: a line per scenario (failures with their diffs), branch coverage per flow with the
 * uncovered branches at file:line:col, and a summary. Exit status: 0 every scenario passed (and
 * coverage is at least `--coverage-min`), 1 a scenario failed or coverage is short, 2 usage or
 * a file that cannot be read.
 */
import { statSync, watch, writeFileSync, type FSWatcher } from "node:fs";
import { dirname, relative } from "node:path";
import { styleText } from "node:util";
import type { Command } from "commander";
import { formatReport } from "../src/flowtest/report.ts";
import { runSuite, type FlowUnderTest, type SuiteReport } from "../src/flowtest/suite.ts";
import { toJunit } from "./junit.ts";
import { collectScenarioFiles, formatGolden, loadScenarioFile, TestFileError, type ScenarioFile } from "./testFiles.ts";

export interface TestOptions {
  update?: boolean;
  json?: boolean;
  junit?: string;
  watch?: boolean;
  coverageMin?: string;
  quiet?: boolean;
  color?: boolean;
  grep?: string;
}

export interface TestDeps {
  cwd: string;
  out: (text: string) => void;
  err: (text: string) => void;
  writeFile?: (path: string, text: string) => void;
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** The flows and scenarios of a set of files, one flow per TN. */
export function plan(
  files: readonly ScenarioFile[],
  cwd: string,
): { flows: FlowUnderTest[]; scenarios: Array<{ scenario: ScenarioFile["scenarios"][number]; flow: string }> } {
  const flows = new Map<string, FlowUnderTest>();
  const scenarios: Array<{ scenario: ScenarioFile["scenarios"][number]; flow: string }> = [];
  for (const f of files) {
    const known = flows.get(f.flow.tn);
    const file = relative(cwd, f.flow.path) || f.flow.path;
    if (known && (known.xml !== f.flow.xml || JSON.stringify(known.meta) !== JSON.stringify(f.flow.meta)))
      throw new TestFileError(`${relative(cwd, f.path)}: ${f.flow.tn} is already tested as ${known.file}, with other content or options`);
    if (!known) flows.set(f.flow.tn, { tn: f.flow.tn, xml: f.flow.xml, meta: f.flow.meta, file });
    for (const s of f.scenarios) scenarios.push({ scenario: s, flow: f.flow.tn });
  }
  return { flows: [...flows.values()], scenarios };
}

/** One run of the suite; resolves to the exit code. */
export async function runTests(paths: readonly string[], opts: TestOptions, deps: TestDeps): Promise<number> {
  let coverageMin: number | undefined;
  if (opts.coverageMin !== undefined) {
    coverageMin = Number(opts.coverageMin);
    if (!Number.isFinite(coverageMin) || coverageMin < 0 || coverageMin > 100) {
      deps.err(`tactflow test: --coverage-min "${opts.coverageMin}" is not a percentage (0-100)`);
      return EXIT.usage;
    }
  }
  let files: ScenarioFile[];
  try {
    const found = collectScenarioFiles(paths.length ? paths : ["."], deps.cwd);
    if (!found.length) {
      deps.err(`tactflow test: no scenario files (*.test.yaml, *.test.yml, *.test.json) under ${paths.join(" ") || "."}`);
      return EXIT.usage;
    }
    files = found.map((p) => loadScenarioFile(p, deps.cwd));
  } catch (err) {
    if (err instanceof TestFileError) {
      deps.err(`tactflow test: ${err.message}`);
      return EXIT.usage;
    }
    throw err;
  }
  if (opts.update) files = files.map((f) => ({ ...f, scenarios: f.scenarios.map(({ transcript: _t, ...s }) => s) }));
  let suite: ReturnType<typeof plan>;
  try {
    suite = plan(files, deps.cwd);
  } catch (err) {
    if (err instanceof TestFileError) {
      deps.err(`tactflow test: ${err.message}`);
      return EXIT.usage;
    }
    throw err;
  }
  if (opts.grep) suite.scenarios = suite.scenarios.filter((s) => s.scenario.name.includes(opts.grep!));
  const report = await runSuite(suite.flows, suite.scenarios);
  const write = deps.writeFile ?? ((p: string, t: string) => writeFileSync(p, t));
  if (opts.update) {
    const byName = new Map(report.scenarios.map((o, i) => [suite.scenarios[i]!.scenario, o]));
    for (const f of files) {
      const entries = f.scenarios.flatMap((s) => {
        const o = byName.get(s);
        return o?.transcript ? [{ name: s.name, transcript: o.transcript }] : [];
      });
      if (!entries.length) continue;
      write(f.goldenPath, formatGolden(entries));
      deps.err(
        `tactflow test: recorded ${entries.length} transcript${entries.length === 1 ? "" : "s"} in ${relative(deps.cwd, f.goldenPath)}`,
      );
    }
  }
  if (opts.junit) {
    try {
      write(opts.junit, toJunit(report));
    } catch (err) {
      deps.err(`tactflow test: cannot write ${opts.junit}: ${(err as Error).message}`);
      return EXIT.usage;
    }
  }
  const short = coverageMin !== undefined && report.coverage < coverageMin;
  if (opts.json)
    deps.out(
      JSON.stringify({ ok: report.failed === 0 && !short, ...report, ...(coverageMin !== undefined ? { coverageMin } : {}) }, null, 2),
    );
  else {
    const paint = opts.color === false ? undefined : (s: Parameters<typeof styleText>[0], t: string) => styleText(s, t);
    deps.out(formatReport(report, { ...(paint ? { paint } : {}), passing: !opts.quiet }).join("\n"));
    if (short) deps.out(`branch coverage ${report.coverage} % is below --coverage-min ${coverageMin} %`);
  }
  return report.failed || short ? EXIT.failed : EXIT.ok;
}

export function exitCodeOf(report: SuiteReport): number {
  return report.failed ? EXIT.failed : EXIT.ok;
}

/** Re-run on every change to the scenario files, their flows and manifests. */
async function watchTests(paths: readonly string[], opts: TestOptions, deps: TestDeps): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = Promise.resolve();
  const rerun = () => {
    running = running.then(async () => {
      deps.out(`\n${styleText("dim", `── ${new Date().toLocaleTimeString()} ──`)}`);
      await runTests(paths, opts, deps);
      deps.out(styleText("dim", "watching for changes (Ctrl-C stops)"));
    });
  };
  const watchers: FSWatcher[] = [];
  // A file's folder is watched, so its flow and manifest beside it count as well.
  const roots = new Set(
    (paths.length ? paths : ["."]).map((p) => (statSync(p, { throwIfNoEntry: false })?.isDirectory() ? p : dirname(p))),
  );
  for (const p of roots) {
    watchers.push(
      watch(p, { recursive: true }, (_event, name) => {
        if (name && !/\.(ya?ml|json|xml|txt)$/i.test(String(name))) return;
        clearTimeout(timer);
        timer = setTimeout(rerun, 150);
      }),
    );
  }
  rerun();
  await new Promise<void>((resolveStop) => process.once("SIGINT", () => resolveStop()));
  for (const w of watchers) w.close();
}

export function registerTest(program: Command): void {
  program
    .command("test")
    .description("run flow tests (scenario files) in process, with branch coverage; no server needed")
    .argument("[paths...]", "scenario files or folders (folders: *.test.yaml|yml|json); default: the current folder")
    .option("--update", "record the transcripts as golden files (NAME.golden.txt beside each scenario file)")
    .option("--json", "print the report as JSON")
    .option("--junit <file>", "also write a JUnit XML report (for CI systems)")
    .option("--watch", "run again whenever a scenario, flow or manifest changes")
    .option("--coverage-min <percent>", "fail when branch coverage is below this")
    .option("--grep <text>", "only the scenarios whose name contains this")
    .option("-q, --quiet", "list failing scenarios only")
    .option("--no-color", "never colour the output")
    .addHelpText(
      "after",
      [
        "",
        "Exit status: 0 all passed, 1 a scenario failed or coverage is below --coverage-min, 2 usage or unreadable files.",
        "",
        "Examples:",
        "  tactflow test flows/demo",
        "  tactflow test flows --coverage-min 90 --junit reports/flows.xml",
        "  tactflow test flows/demo/ivr-menu.test.yaml --update",
        "",
      ].join("\n"),
    )
    .action(async (paths: string[], opts: TestOptions) => {
      const deps: TestDeps = {
        cwd: process.cwd(),
        out: (text) => process.stdout.write(`${text}\n`),
        err: (text) => process.stderr.write(`${text}\n`),
      };
      if (opts.watch) await watchTests(paths, opts, deps);
      else process.exitCode = await runTests(paths, opts, deps);
    });
}
