/**
 * A call's path from its trace, in the cases the simulation does not reach: conditions the
 * platform evaluates, a Callback that hands the call to another document, and a platform that
 * reports no commands at all.
 */
import { describe, expect, it } from "vitest";
import { parsedFlow, type PinnedFlowMeta } from "../../src/call/render.ts";
import type { CallTrace, TraceStep } from "../../src/call/trace.ts";
import { flowView } from "../../src/insights/judge.ts";
import { assemblePath } from "../../src/insights/path.ts";

const meta = (conditions: "evaluate" | "platform"): PinnedFlowMeta => ({ mode: "sync", timezone: "UTC", variables: {}, conditions });

function pathOf(xml: string, steps: TraceStep[], conditions: "evaluate" | "platform" = "evaluate") {
  const version = `v-${xml.length}-${conditions}`;
  const values = { from: "+12015550123", to: "18005550100", tn: "18005550100", call: "c1", sca: "", state: "" };
  const view = flowView(version, parsedFlow({ version, xml }), meta(conditions), values);
  const trace: CallTrace = {
    call: "c1",
    tn: "18005550100",
    version: null,
    mode: "sync",
    begunAt: null,
    facts: { from: values.from, to: values.to, sca: "", state: "" },
    endReason: "platform: destroyed",
    renderFailed: false,
    steps,
  };
  return assemblePath(view, trace, { fallback: false, renderedAt: Date.parse("2026-11-30T12:00:00Z"), quickMs: 5000 });
}

const at = (s: number) => Date.parse("2026-11-30T12:00:00Z") + s * 1000;
const cmd = (s: number, path: string, name: string, ok = true, reason?: string): TraceStep => ({
  k: "cmd",
  at: at(s),
  path,
  name,
  ok,
  ...(reason ? { reason } : {}),
});
const state = (s: number, st: string): TraceStep => ({ k: "state", at: at(s), state: st });

describe("a call's path", () => {
  it("follows a condition the platform evaluated into its children, or past it", () => {
    const xml = `<Response><Schedule dow="mon-fri"><Say>Open.</Say></Schedule><Say>Bye.</Say><Hangup/></Response>`;
    const met = pathOf(
      xml,
      [
        state(0, "live"),
        cmd(1, "Schedule[0]", "Schedule", true, "Condition met: weekday"),
        cmd(3, "Schedule[0]/Say[0]", "Say"),
        state(4, "hangup"),
      ],
      "platform",
    );
    expect(met.left.get("g0")).toBe("matched");
    expect(met.nodes).toEqual(["g0", "g0_0", "g1"]);
    expect(met.end).toEqual({ kind: "caller-hangup", node: "g1", quick: true });
    const notMet = pathOf(
      xml,
      [state(0, "live"), cmd(1, "Schedule[0]", "Schedule", true, "Condition not met: weekend"), state(9, "hangup")],
      "platform",
    );
    expect(notMet.left.get("g0")).toBe("not-matched");
    expect(notMet.end).toEqual({ kind: "caller-hangup", node: "g1", quick: false });
  });

  it("ends where a Callback handed the call to another document; a failed one is an error and the flow goes on", () => {
    const xml = `<Response><Say>Hi.</Say><Callback url="https://example.com/next"/><Say>Still here.</Say><Hangup/></Response>`;
    const handed = pathOf(xml, [
      state(0, "live"),
      cmd(1, "Say[0]", "Say"),
      cmd(2, "Callback[1]", "Callback"),
      cmd(3, "Say[0]", "Say"),
      state(9, "hangup"),
    ]);
    expect(handed.end).toEqual({ kind: "left-flow", node: "g1", quick: false });
    expect(handed.left.get("g1")).toBe("ok");
    expect(handed.nodes).toEqual(["g0", "g1"]);
    const failed = pathOf(xml, [
      state(0, "live"),
      cmd(1, "Say[0]", "Say"),
      cmd(2, "Callback[1]", "Callback", false),
      cmd(3, "Say[2]", "Say"),
      cmd(3, "Hangup[3]", "Hangup"),
      state(3, "hangup"),
    ]);
    expect(failed.errors).toEqual(["g1"]);
    expect(failed.end).toEqual({ kind: "flow-hangup", node: "g3", quick: false });
  });

  it("places a hang-up the moment a Dial failed in the Dial's <Error>, not after the Dial", () => {
    const xml = `<Response><Dial><To>sip:a@example.com</To><Error><Say>Busy.</Say></Error></Dial><Say>Bye.</Say><Hangup/></Response>`;
    const p = pathOf(xml, [state(0, "live"), cmd(20, "Dial[0]", "Dial", false), state(20, "hangup")]);
    expect(p.errors).toEqual(["g0"]);
    expect(p.nodes).toEqual(["g0", "g0_1", "g0_1_0"]);
    expect(p.end).toEqual({ kind: "caller-hangup", node: "g0_1_0", quick: true });
    const ok = pathOf(xml, [state(0, "live"), cmd(20, "Dial[0]", "Dial"), state(20, "hangup")]);
    expect(ok.end).toEqual({ kind: "caller-hangup", node: "g1", quick: true });
  });

  it("places a call none of whose commands were reported in the first one (a hang-up during the welcome)", () => {
    const xml = `<Response><Say>Hi.</Say><Hangup/></Response>`;
    const p = pathOf(xml, [state(0, "init"), state(1, "live"), state(3, "hangup")]);
    expect(p.end).toEqual({ kind: "caller-hangup", node: "g0", quick: true });
    expect(p.nodes).toEqual(["g0"]);
    expect(p.durationMs).toBe(3_000);
  });
});
