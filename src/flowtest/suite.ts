/**
 * A test suite: flows published into tactflow in process, each scenario called against them,
 * checked, and the branch coverage of every flow. What `tactflow test` and the publish gate run.
 */
import type { CallEvent } from "../events/shapes.ts";
import type { FlowMeta } from "../flows/meta.ts";
import { observeConditions, type ConditionObserver } from "../template/index.ts";
import type { Diagnostic } from "../xml/index.ts";
import { CoverageCounter, type FlowCoverage } from "./coverage.ts";
import { checkRun, type Failure } from "./expect.ts";
import type { TestScenario } from "./format.ts";
import { instrumentFlow, MARK_ATTR } from "./instrument.ts";
import { LocalTactflow } from "./local.ts";
import { callIds, runScenario, type RunTarget, type ScenarioRun } from "./run.ts";

export interface FlowUnderTest {
  tn: string;
  xml: string;
  meta: FlowMeta;
  /** Where the flow came from, for reports. */
  file?: string;
}

export interface ScenarioOutcome {
  name: string;
  source?: string;
  /** The flow's TN. */
  flow: string;
  callId: string;
  ok: boolean;
  failures: Failure[];
  transcript: string;
  ms: number;
}

export interface FlowReport extends FlowCoverage {
  tn: string;
  file?: string;
  /** Set when the flow itself could not be published in process. */
  invalid?: Diagnostic[];
}

export interface SuiteReport {
  scenarios: ScenarioOutcome[];
  flows: FlowReport[];
  passed: number;
  failed: number;
  /** Branches covered over all flows, in percent (100 when none has branches). */
  coverage: number;
  ms: number;
}

export interface SuiteOptions {
  /** Milliseconds for timing (default performance.now; a Worker's clock stands still within a request). */
  clock?: () => number;
  /** Called after each scenario, for progress output. */
  onScenario?: (outcome: ScenarioOutcome) => void;
}

/** The RunTarget of an in-process server: its clock follows each call's virtual clock. */
export function localTarget(local: LocalTactflow): RunTarget {
  return {
    baseUrl: local.origin,
    fetch: local.fetch,
    webhookToken: local.webhookToken,
    discardEvents: true,
    attach: (call) => {
      local.now = () => call.clock.date();
    },
    serverView: async (id) => {
      const c = local.peek(id);
      const facts = c?.state.pinned()?.facts;
      const variables: Record<string, string> = {};
      if (facts) {
        variables["digits"] = facts.digits;
        for (const [k, v] of Object.entries(facts.gather)) variables[`gather.${k}`] = v;
      }
      return { events: c ? [...c.state.events] : [], variables };
    },
    parked: (id) => {
      const c = local.peek(id);
      return c?.parkDeadlineAt != null && c.parkTimeoutMs !== null ? { deadlineAt: c.parkDeadlineAt, timeoutMs: c.parkTimeoutMs } : null;
    },
  };
}

/** Run scenarios against flows, in process. Each scenario's `to` defaults to its flow's TN. */
export async function runSuite(
  flows: readonly FlowUnderTest[],
  scenarios: ReadonlyArray<{ scenario: TestScenario; flow: string }>,
  opts: SuiteOptions = {},
): Promise<SuiteReport> {
  const clock = opts.clock ?? (() => performance.now());
  const started = clock();
  const local = new LocalTactflow();
  const target = localTarget(local);
  const counters = new Map<string, CoverageCounter>();
  const reports = new Map<string, FlowReport>();
  for (const f of flows) {
    const published = await local.publish(f.tn, instrumentFlow(f.xml), f.meta);
    const base = { tn: f.tn, ...(f.file ? { file: f.file } : {}) };
    if (published.status === "invalid") {
      reports.set(f.tn, {
        ...base,
        points: [],
        covered: 0,
        total: 0,
        percent: 0,
        invalid: published.diagnostics.filter((d) => d.severity === "error"),
      });
      continue;
    }
    counters.set(f.tn, new CoverageCounter(f.xml, f.meta.variables));
  }
  const ids = callIds(scenarios.map((s) => s.scenario));
  const outcomes: ScenarioOutcome[] = [];
  for (const [i, { scenario, flow }] of scenarios.entries()) {
    const t0 = clock();
    const callId = ids[i]!;
    const counter = counters.get(flow);
    const observer: ConditionObserver = (el, held) => {
      const mark = el.attrs.find((a) => a.name === MARK_ATTR)?.value;
      if (mark) counter?.condition(mark, held);
    };
    const stop = observeConditions(callId, observer);
    let failures: Failure[];
    let transcript = "";
    try {
      const invalid = reports.get(flow)?.invalid;
      if (invalid) {
        failures = [{ where: "flow", lines: ["the flow does not publish:", ...invalid.map((d) => `  ${d.line}:${d.col}: ${d.message}`)] }];
      } else {
        const run: ScenarioRun = await runScenario({ ...scenario, to: scenario.to ?? flow }, target, callId);
        transcript = run.transcript;
        failures = checkRun(run);
        const events: CallEvent[] = local.peek(callId)?.state.events ?? [];
        counter?.record(run, events);
      }
    } catch (err) {
      failures = [{ where: "run", lines: [`the test could not run: ${err instanceof Error ? err.message : String(err)}`] }];
    } finally {
      stop();
    }
    const outcome: ScenarioOutcome = {
      name: scenario.name,
      ...(scenario.source ? { source: scenario.source } : {}),
      flow,
      callId,
      ok: failures.length === 0,
      failures,
      transcript,
      ms: clock() - t0,
    };
    outcomes.push(outcome);
    opts.onScenario?.(outcome);
  }
  for (const f of flows) {
    const c = counters.get(f.tn);
    if (c) reports.set(f.tn, { tn: f.tn, ...(f.file ? { file: f.file } : {}), ...c.report() });
  }
  const flowReports = flows.map((f) => reports.get(f.tn)!);
  const total = flowReports.reduce((n, r) => n + r.total, 0);
  const covered = flowReports.reduce((n, r) => n + r.covered, 0);
  const passed = outcomes.filter((o) => o.ok).length;
  return {
    scenarios: outcomes,
    flows: flowReports,
    passed,
    failed: outcomes.length - passed,
    coverage: total ? Math.floor((covered / total) * 1000) / 10 : 100,
    ms: clock() - started,
  };
}
