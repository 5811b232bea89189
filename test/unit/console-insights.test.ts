/**
 * The console's percentages on the flow graph (console/src/insights/overlay.ts), from insights
 * counted in process for the demo menu: every graph node the calls reached carries the share of
 * calls that reached it, the menu and its prompt say how many hung up there, a Dial's `ok` and
 * `error` heads say how it went, and the places callers hung up are listed most first.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { buildGraph } from "../../console/src/graph/model.ts";
import { dropOffs, insightBadges, percent } from "../../console/src/insights/overlay.ts";
import type { InsightsAnswer } from "../../console/src/insights/types.ts";
import { placeCall, type Scenario } from "../../sim/index.ts";
import { parseXml } from "../../src/xml/index.ts";
import { HOOK, LocalInsights, ORIGIN } from "./helpers/insights-local.ts";

const TN = "18005550100";
const IVR = readFileSync("flows/demo/ivr-menu.xml", "utf8");
let answer: InsightsAnswer;

// Ten callers: four reach sales (one finds it busy), three ask for the hours, two hang up while
// the menu waits for keys, one during the welcome.
const CALLERS: Array<Omit<Scenario, "from" | "to">> = [
  { inputs: [{ digits: "1" }] },
  { inputs: [{ digits: "1" }] },
  { inputs: [{ digits: "1" }] },
  { inputs: [{ digits: "1" }], dial: { "*": "busy" } },
  { inputs: [{ digits: "3" }] },
  { inputs: [{ digits: "3" }] },
  { inputs: [{ digits: "3" }] },
  { inputs: [], hangupAfterMs: 9_000 },
  { inputs: [], hangupAfterMs: 10_000 },
  { hangupAfterMs: 1_000 },
];

beforeAll(async () => {
  const local = new LocalInsights();
  const version = await local.publish(TN, IVR, {
    variables: { company: "Acme", sales: "sip:sales@acme.test", support: "sip:help@acme.test" },
  });
  for (const [i, c] of CALLERS.entries()) {
    await placeCall({ ...c, from: `+1201555010${i}`, to: TN }, { baseUrl: ORIGIN, fetch: local.fetch, webhookToken: HOOK });
  }
  answer = { tn: TN, current: version, rollout: null, ...local.insights(version) } as InsightsAnswer;
});

describe("insights on the console's graph", () => {
  it("puts the share of calls on each node the calls reached, and how many hung up where they did", () => {
    const graph = buildGraph(parseXml(IVR).document!.root);
    const badges = insightBadges(answer, graph);
    expect(badges.get("start")?.text).toBe("10 calls");
    expect(badges.get("0")?.text).toBe("100 % · 1 hung up");
    // The menu's prompt (1_0) and the menu waiting for keys (1): nine reached it, two left while it waited.
    expect(badges.get("1_0")?.text).toBe("90 %");
    expect(badges.get("1")?.text).toBe("90 % · 2 hung up");
    expect(badges.get("1")?.drop).toBe(true);
    // Branches: press 1 (1_1_0) and press 3 (1_1_2); nobody pressed 2.
    expect(badges.get("1_1_0")?.text).toBe("40 %");
    expect(badges.get("1_1_2")?.text).toBe("30 %");
    expect(badges.get("1_1_1")?.text).toBe("0 %");
    // Sales' Dial: three went through, one ran its <Error>.
    expect(badges.get("1_1_0_1~ok")?.text).toBe("30 %");
    expect(badges.get("1_1_0_1_1")?.text).toBe("10 %");
    expect(badges.get("1_1_0_1_1")?.title).toBe("1 of 10 calls reached this (10 %)");
  });

  it("lists where callers hung up, most first", () => {
    expect(dropOffs(answer).map((n) => [n.tag, n.line, n.hungUp])).toEqual([
      ["Gather", 5, 2],
      ["Say", 4, 1],
    ]);
  });

  it("draws nothing before any call is counted", () => {
    const graph = buildGraph(parseXml(IVR).document!.root);
    expect(insightBadges({ ...answer, paths: 0, calls: 0 }, graph).size).toBe(0);
  });

  it("writes shares the way people read them", () => {
    expect([percent(0), percent(1), percent(0.315), percent(0.04), percent(0.004)]).toEqual(["0 %", "100 %", "32 %", "4 %", "0.4 %"]);
  });
});
