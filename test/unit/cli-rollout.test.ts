/**
 * The CLI's canary commands: `--canary` and its policy flags become the publish body, and a
 * rollout reads as its state, each side's rates and the verdict; `tactflow simulate` deals callers
 * from a seed and tallies what they did.
 */
import { describe, expect, it } from "vitest";
import { CliFailure } from "../../cli/api.ts";
import { canaryBody, formatRollout, rolloutCell } from "../../cli/rollout.ts";
import { callerFor, generator, menuKeys } from "../../cli/simulate.ts";

const exitOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err instanceof CliFailure ? err.exitCode : "other";
  }
  return "none";
};

describe("tactflow flows push --canary", () => {
  it("sends the share and the policy (points become a fraction)", () => {
    expect(canaryBody({})).toBeNull();
    expect(canaryBody({ canary: "10" })).toEqual({ percent: 10 });
    expect(canaryBody({ canary: "12.5%", minCalls: "50", maxIncrease: "10" })).toEqual({ percent: 12.5, minCalls: 50, maxIncrease: 0.1 });
  });

  it("refuses what can't be a share or a policy, as a usage error", () => {
    expect(exitOf(() => canaryBody({ canary: "100" }))).toBe(2);
    expect(exitOf(() => canaryBody({ canary: "ten" }))).toBe(2);
    expect(exitOf(() => canaryBody({ canary: "10", minCalls: "0" }))).toBe(2);
    expect(exitOf(() => canaryBody({ minCalls: "20" }))).toBe(2);
  });
});

describe("a rollout as text", () => {
  it("shows the sides, their rates and why it was rolled back", () => {
    const side = (n: number, of: number) => ({ n, of, rate: of ? n / of : null });
    const text = formatRollout({
      tn: "18005550100",
      current: "aaaaaaaaaaaaaaaa",
      rollout: {
        id: "r0a1b2c3d4e5f",
        stable: "aaaaaaaaaaaaaaaa",
        candidate: "bbbbbbbbbbbbbbbb",
        percent: 10,
        minCalls: 20,
        maxIncrease: 0.15,
        startedAt: "2026-11-30T12:00:00.000Z",
        state: "auto-aborted",
        endedAt: "2026-11-30T12:05:00.000Z",
        reason: "candidate errors 100.0 % (20 of 20 calls) vs stable 0.0 % (180 of 180)",
      },
      health: { stable: { started: 180, reported: 180 }, candidate: { started: 21, reported: 20 } },
      verdict: {
        verdict: "worse",
        reason: "candidate errors 100.0 % (20 of 20 calls) vs stable 0.0 % (0 of 180): more than 15 points worse",
        metrics: [
          { name: "fallbacks", stable: side(0, 180), candidate: side(0, 21), baseline: 0, worse: false },
          { name: "errors", stable: side(0, 180), candidate: side(20, 20), baseline: 0, worse: true },
        ],
      },
    });
    expect(text).toContain("18005550100: rollout r0a1b2c3d4e5f — auto-aborted at 2026-11-30T12:05:00.000Z");
    expect(text).toContain("stable    aaaaaaaaaaaa (current)");
    expect(text).toContain("why: candidate errors 100.0 % (20 of 20 calls)");
    expect(text).toMatch(/errors +0\.0 % \(0\/180\) +100\.0 % \(20\/20\) {2}✗ worse/);
    expect(rolloutCell(undefined)).toBe("-");
    expect(rolloutCell({ candidate: "bbbbbbbbbbbbbbbb", percent: 10, state: "active" })).toBe("10 % → bbbbbbbbbbbb");
    expect(rolloutCell({ candidate: "bbbbbbbbbbbbbbbb", percent: 10, state: "auto-aborted" })).toBe("auto-aborted (bbbbbbbbbbbb)");
  });
});

describe("tactflow simulate", () => {
  it("presses the keys the flow branches on, and the same seed makes the same callers", () => {
    const keys = menuKeys(
      `<Response><Gather><Switch><Case dtmf="1"/><Case dtmf="2"/><Case dtmf="{{vars.x}}"/></Switch><DTMF value="9"/></Gather></Response>`,
    );
    expect(keys).toEqual(["1", "2", "9"]);
    const a = Array.from({ length: 50 }, (_, i) => callerFor(i, "18005550100", keys, generator(7)));
    const b = Array.from({ length: 50 }, (_, i) => callerFor(i, "18005550100", keys, generator(7)));
    expect(a).toEqual(b);
    const pressed = new Set(a.flatMap((s) => (s.inputs ?? []).map((x) => x.digits)));
    expect([...pressed].every((d) => ["1", "2", "9", "0", ""].includes(d))).toBe(true);
  });
});
