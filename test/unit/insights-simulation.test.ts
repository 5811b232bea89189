/**
 * 10,000 simulated calls, in process on the virtual clock, with a known mix of what callers do:
 * the insights counters must say exactly what the mix implies — calls, nodes entered, each
 * Gather's branches, attempts, silences and wrong keys, where callers hung up, how calls ended,
 * the median time to decide — and the Gather times must match the simulator's own trace.
 *
 * The demo IVR (flows/demo/ivr-menu.xml) is stateful (its Gather branches), so its calls go
 * through the IVR engine; the demo after-hours flow is answered by the webhook alone, its
 * `<Schedule>` decided at render time, so those calls are joined to their version by the
 * webhook's render notes.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, it } from "vitest";
import { generator } from "../../cli/simulate.ts";
import { placeCall, type CallResult, type Scenario } from "../../sim/index.ts";
import type { Insights, NodeInsight } from "../../src/insights/summary.ts";
import { HOOK, LocalInsights, ORIGIN } from "./helpers/insights-local.ts";

const CALLS = 10_000;
const MENU = "18005550100";
const HOURS_TN = "18005550199";

type Kind =
  | "sales"
  | "support-busy"
  | "support"
  | "hours-after-wrong-key"
  | "silent"
  | "wrong-thrice"
  | "gone-in-welcome"
  | "gone-in-menu-prompt"
  | "gone-waiting"
  | "gone-talking-to-sales"
  | "office-open"
  | "office-closed";

const WEIGHTS: Array<[Kind, number]> = [
  ["sales", 20],
  ["support-busy", 8],
  ["support", 10],
  ["hours-after-wrong-key", 7],
  ["silent", 6],
  ["wrong-thrice", 4],
  ["gone-in-welcome", 6],
  ["gone-in-menu-prompt", 9],
  ["gone-waiting", 5],
  ["gone-talking-to-sales", 5],
  ["office-open", 12],
  ["office-closed", 8],
];

// Timeline of the menu on the virtual clock (sim/types.ts DEFAULT_TIMING): the welcome is said
// until 2.1 s, the menu prompt until 6.5 s, then the Gather waits 8 s for a key.
const WELCOME_END = 2100;
const PROMPT_END = 6500;

function scenarioFor(kind: Kind, r: () => number, i: number, base: number): Scenario {
  const from = `+1201${String(5_000_000 + i).padStart(7, "0")}`;
  const at = base + i * 30_000;
  const menu = { from, to: MENU, at };
  switch (kind) {
    case "sales":
      return { ...menu, inputs: [{ digits: "1" }] };
    case "support-busy":
      return { ...menu, inputs: [{ digits: "2" }], dial: { "*": "busy" } };
    case "support":
      return { ...menu, inputs: [{ digits: "2" }] };
    case "hours-after-wrong-key":
      return { ...menu, inputs: [{ digits: "9" }, { digits: "3" }] };
    case "silent":
      return { ...menu, inputs: [] };
    case "wrong-thrice":
      return { ...menu, inputs: [{ digits: "7" }, { digits: "8" }, { digits: "0" }] };
    case "gone-in-welcome":
      return { ...menu, hangupAfterMs: 200 + Math.floor(r() * 18) * 100 };
    case "gone-in-menu-prompt":
      return { ...menu, hangupAfterMs: WELCOME_END + 100 + Math.floor(r() * 40) * 100 };
    case "gone-waiting":
      return { ...menu, inputs: [], hangupAfterMs: PROMPT_END + 100 + Math.floor(r() * 75) * 100 };
    case "gone-talking-to-sales":
      return { ...menu, inputs: [{ digits: "1" }], hangupAfterMs: 20_000 };
    case "office-open":
      // A Wednesday, 14:00 in New York.
      return { from, to: HOURS_TN, at: Date.parse("2026-11-25T19:00:00Z") + (i % 50) * 60_000 };
    case "office-closed":
      // The same Wednesday, 22:00 in New York.
      return { from, to: HOURS_TN, at: Date.parse("2026-11-26T03:00:00Z") + (i % 50) * 60_000 };
    default: {
      const never: never = kind;
      throw new Error(String(never));
    }
  }
}

const local = new LocalInsights();
const counts = new Map<Kind, number>();
const quickWaiting = { n: 0 };
const gatherTimes: number[] = [];
const ends = new Map<string, number>();
let menuVersion = "";
let hoursVersion = "";
let menu: Insights;
let hours: Insights;

function pick(r: () => number): Kind {
  const total = WEIGHTS.reduce((s, [, w]) => s + w, 0);
  let x = r() * total;
  for (const [k, w] of WEIGHTS) {
    x -= w;
    if (x < 0) return k;
  }
  return WEIGHTS[0]![0];
}

/** The time the simulator spent in the menu's Gather: its first attempt starting to its last request. */
function gatherTime(result: CallResult): number | null {
  const first = result.trace.find((t) => t.kind === "GATHER");
  const requests = result.trace.filter((t) => t.kind === "REQUEST" && t.detail.purpose === "gather");
  const last = requests[requests.length - 1];
  return first && last ? last.t - first.t : null;
}

beforeAll(async () => {
  const ivr = readFileSync("flows/demo/ivr-menu.xml", "utf8");
  const afterHours = readFileSync("flows/demo/after-hours.xml", "utf8");
  menuVersion = await local.publish(MENU, ivr, {
    variables: { company: "Acme Widgets", sales: "sip:sales@acme.test", support: "sip:help@acme.test" },
  });
  hoursVersion = await local.publish(HOURS_TN, afterHours, {
    timezone: "America/New_York",
    variables: { company: "Acme", frontdesk: "sip:desk@acme.test" },
  });
  // The simulator's own deterministic generator, so the mix is the same on every run.
  const r = generator(20261130);
  const base = Date.parse("2026-11-30T08:00:00Z");
  for (let i = 0; i < CALLS; i++) {
    const kind = pick(r);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    const scenario = scenarioFor(kind, r, i, base);
    const start = Date.parse(String(new Date(scenario.at as number).toISOString()));
    local.now = () => start;
    const result = await placeCall(scenario, { baseUrl: ORIGIN, fetch: local.fetch, webhookToken: HOOK });
    ends.set(result.end.cause, (ends.get(result.end.cause) ?? 0) + 1);
    if (kind === "gone-waiting" && (scenario.hangupAfterMs ?? 0) - PROMPT_END < 5000) quickWaiting.n += 1;
    if (scenario.to === MENU && !kind.startsWith("gone-in") && kind !== "gone-waiting") {
      const t = gatherTime(result);
      if (t !== null) gatherTimes.push(t);
    }
  }
  menu = local.insights(menuVersion);
  hours = local.insights(hoursVersion);
}, 300_000);

const n = (k: Kind) => counts.get(k) ?? 0;
const sum = (...kinds: Kind[]) => kinds.reduce((s, k) => s + n(k), 0);
function node(ins: Insights, id: string): NodeInsight {
  const found = ins.nodes.find((x) => x.id === id);
  if (!found) throw new Error(`no node ${id}`);
  return found;
}
const left = (x: NodeInsight) => Object.fromEntries(x.left.map((l) => [l.how, l.calls]));

describe(`${CALLS.toLocaleString("en-US")} simulated calls`, () => {
  it("count every call once, each with its path", ({ expect }) => {
    expect(menu.calls + hours.calls).toBe(CALLS);
    expect(menu.paths).toBe(menu.calls);
    expect(hours.paths).toBe(hours.calls);
    expect(local.reports.duplicate).toBe(0);
    expect(menu.hours.reduce((s, h) => s + h.calls, 0)).toBe(menu.calls);
  });

  it("the menu's funnel: who entered each node and how they left the Gather", ({ expect }) => {
    const menuCalls = CALLS - sum("office-open", "office-closed");
    expect(menu.calls).toBe(menuCalls);
    expect(node(menu, "g0").entered).toBe(menuCalls);
    const reachedMenu = menuCalls - n("gone-in-welcome");
    expect(node(menu, "g1").entered).toBe(reachedMenu);
    expect(node(menu, "g1_0").entered).toBe(reachedMenu);
    expect(left(node(menu, "g1"))).toEqual({
      g1_1_0: sum("sales", "gone-talking-to-sales"),
      g1_1_1: sum("support", "support-busy"),
      g1_1_2: n("hours-after-wrong-key"),
      g1_1_3: n("wrong-thrice"),
      g1_1_4: n("silent"),
    });
    const g = node(menu, "g1").gather!;
    expect(g.abandoned).toBe(sum("gone-in-menu-prompt", "gone-waiting"));
    expect(g.decided).toBe(reachedMenu - g.abandoned);
    expect(g.attempts).toBe(
      sum("sales", "support-busy", "support", "gone-talking-to-sales") + 2 * n("hours-after-wrong-key") + 3 * sum("silent", "wrong-thrice"),
    );
    expect(g.silent).toBe(3 * n("silent"));
    expect(g.wrong).toBe(n("hours-after-wrong-key") + 3 * n("wrong-thrice"));
    // The branches' commands: the sales Dial, the support Dial that failed into its <Error>.
    expect(node(menu, "g1_1_0_1").entered).toBe(sum("sales", "gone-talking-to-sales"));
    expect(left(node(menu, "g1_1_0_1"))).toEqual({ ok: n("sales") });
    expect(left(node(menu, "g1_1_1_1"))).toEqual({ ok: n("support"), error: n("support-busy") });
    expect(node(menu, "g1_1_1_1").errors).toBe(n("support-busy"));
    expect(node(menu, "g1_1_1_1_1_0").entered).toBe(n("support-busy"));
    expect(node(menu, "g2").entered).toBe(
      menuCalls - sum("gone-in-welcome", "gone-in-menu-prompt", "gone-waiting", "gone-talking-to-sales"),
    );
  });

  it("where callers hung up, and how calls ended", ({ expect }) => {
    expect(node(menu, "g0").hungUp).toBe(n("gone-in-welcome"));
    expect(node(menu, "g1_0").hungUp).toBe(n("gone-in-menu-prompt"));
    expect(node(menu, "g1").hungUp).toBe(n("gone-waiting"));
    expect(node(menu, "g1_1_0_1").ended).toEqual({ dial: n("gone-talking-to-sales") });
    expect(node(menu, "g3").ended).toEqual({
      "flow-hangup": sum("sales", "support-busy", "support", "hours-after-wrong-key", "silent", "wrong-thrice"),
    });
    expect(menu.ended).toEqual({
      "flow-hangup": sum("sales", "support-busy", "support", "hours-after-wrong-key", "silent", "wrong-thrice"),
      "caller-hangup": sum("gone-in-welcome", "gone-in-menu-prompt", "gone-waiting"),
      dial: n("gone-talking-to-sales"),
    });
    // Hanging up within 5 s of a prompt starting: every early leaver, and the impatient waiters.
    expect(menu.quick).toBe(sum("gone-in-welcome", "gone-in-menu-prompt") + quickWaiting.n);
    expect(menu.errors).toBe(n("support-busy"));
    expect(menu.fallbackRate).toBe(0);
    // The simulator agrees on how many calls ended which way.
    expect(ends.get("caller-hangup")).toBe(sum("gone-in-welcome", "gone-in-menu-prompt", "gone-waiting", "gone-talking-to-sales"));
  });

  it("the median time in the Gather is the simulator's", ({ expect }) => {
    const sorted = [...gatherTimes].sort((a, b) => a - b);
    const median = sorted[Math.ceil(sorted.length / 2) - 1];
    expect(node(menu, "g1").gather!.decided).toBe(sorted.length);
    expect(node(menu, "g1").gather!.medianMs).toBe(median);
    expect(node(menu, "g1").gather!.meanMs).toBe(Math.round(sorted.reduce((s, t) => s + t, 0) / sorted.length));
  });

  it("a flow the webhook answered alone: its Schedule decided at render time, its paths from the platform's events", ({ expect }) => {
    expect(hours.calls).toBe(sum("office-open", "office-closed"));
    expect(node(hours, "g0").entered).toBe(hours.calls);
    expect(left(node(hours, "g0"))).toEqual({ matched: n("office-open"), "not-matched": n("office-closed") });
    expect(node(hours, "g0_1").entered).toBe(n("office-open"));
    expect(node(hours, "g0_2").ended).toEqual({ "flow-hangup": n("office-open") });
    expect(node(hours, "g1").entered).toBe(n("office-closed"));
    expect(node(hours, "g2").ended).toEqual({ "flow-hangup": n("office-closed") });
    expect(hours.ended).toEqual({ "flow-hangup": hours.calls });
    expect(local.reports.waiting).toBe(0);
  });
});
