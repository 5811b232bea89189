/**
 * Flow tests against `wrangler dev`: the demo flows are published, then every scenario is called
 * against the server and in process, and the two transcripts must be identical — the in-process runner is the Worker's
 * code, not an imitation of it.
 *
 * A flow whose conditions tactflow evaluates with its own clock (`<Schedule>`) is called at the
 * current time in both runs, since the server's clock is real; parked (async) flows are left
 * out: their deadlines run in real time on a server.
 */
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadScenarioFile } from "../../cli/testFiles.ts";
import type { CallEvent } from "../../src/events/shapes.ts";
import { callIds, runScenario, type RunTarget } from "../../src/flowtest/run.ts";
import { runSuite } from "../../src/flowtest/suite.ts";
import { tactflow } from "./tactflow.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const files = ["ivr-menu", "after-hours"].map((n) => loadScenarioFile(join(ROOT, "flows/demo", `${n}.test.yaml`), ROOT));

function remote(): RunTarget {
  const t = tactflow();
  return {
    baseUrl: t.url,
    fetch: (input, init) => fetch(input, init),
    webhookToken: t.webhookToken,
    serverView: async (id) => {
      const res = await fetch(`${t.url}/v1/calls/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${t.adminToken}` } });
      if (!res.ok) return { events: [], variables: {} };
      const snap = (await res.json()) as { events: CallEvent[]; gather: { digits: Record<string, string> } };
      return { events: snap.events, variables: Object.fromEntries(Object.entries(snap.gather.digits).map(([k, v]) => [`gather.${k}`, v])) };
    },
  };
}

describe("the demo flows' scenarios against wrangler dev", () => {
  it("are published", async () => {
    const t = tactflow();
    for (const f of files) {
      const res = await fetch(`${t.url}/v1/flows/${f.flow.tn}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${t.adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ xml: f.flow.xml, ...f.flow.meta }),
      });
      expect(res.status, await res.text()).toBe(201);
    }
  });

  it("give the same transcripts as in process", async () => {
    // The server's clock is real: a flow that reads it is called now, on both sides.
    const now = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
    for (const f of files) {
      const clocked = /<Schedule|\{\{\s*now\s*\}\}/i.test(f.flow.xml) && f.flow.meta.conditions === "evaluate";
      const scenarios = f.scenarios.map((s) => ({ ...s, to: f.flow.tn, ...(clocked ? { at: now } : {}) }));
      const local = await runSuite(
        [{ tn: f.flow.tn, xml: f.flow.xml, meta: f.flow.meta }],
        scenarios.map((scenario) => ({ scenario, flow: f.flow.tn })),
      );
      const ids = callIds(scenarios);
      for (const [i, s] of scenarios.entries()) {
        const there = await runScenario(s, remote(), ids[i]!);
        expect(there.transcript, `${f.flow.tn}: ${s.name}`).toBe(local.scenarios[i]!.transcript);
      }
    }
  });
});
