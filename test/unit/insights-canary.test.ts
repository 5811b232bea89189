/**
 * Canary publishing in process, through the webhook's real lookup and the insights bookkeeping:
 * the share of callers the candidate gets, callers staying on their side, and a broken candidate
 * rolled back on its own — with an event on the account stream and an audit entry.
 */
import { describe, it } from "vitest";
import { placeCall } from "../../sim/index.ts";
import { callerKey, hash32, sideOf } from "../../src/flows/canary.ts";
import { getFlow } from "../../src/flows/store.ts";
import { judgeRollout } from "../../src/insights/health.ts";
import { HOOK, LocalInsights, ORIGIN } from "./helpers/insights-local.ts";

const TN = "18005550100";
const STABLE = `<Response><Say>Thanks for calling.</Say><Hangup/></Response>`;
const CANDIDATE = `<Response><Say>Thanks for calling!</Say><Hangup/></Response>`;
// The candidate fetches the rest of its flow from a server that is not there.
const BROKEN = `<Response>
  <Say>Thanks for calling.</Say>
  <Callback url="http://broken.test/next-step"/>
  <Say>One moment.</Say>
  <Hangup/>
</Response>`;

const caller = (i: number) => `+1201${String(5_000_000 + i).padStart(7, "0")}`;

async function versionFor(local: LocalInsights, from: string, call: string): Promise<string> {
  const res = await local.fetch(`${ORIGIN}/v1/callflow?from=${encodeURIComponent(from)}&to=${TN}&call=${call}&token=${HOOK}`);
  await res.text();
  return res.headers.get("x-tactflow-version") ?? "";
}

describe("dealing callers to a canary", () => {
  it("--canary 10 over 10,000 distinct callers: 10 % ± 1 % get the candidate, each caller always the same version", async ({ expect }) => {
    const local = new LocalInsights();
    const stable = await local.publish(TN, STABLE);
    const { version: candidate } = await local.canary(TN, CANDIDATE, 10);
    const first = new Map<string, string>();
    for (let i = 0; i < 10_000; i++) first.set(caller(i), await versionFor(local, caller(i), `call-a-${i}`));
    const toCandidate = [...first.values()].filter((v) => v === candidate).length;
    expect(toCandidate).toBeGreaterThanOrEqual(900);
    expect(toCandidate).toBeLessThanOrEqual(1100);
    expect([...first.values()].filter((v) => v === stable).length).toBe(10_000 - toCandidate);
    // Every caller calls again (the number spelled another way): the same version each time.
    for (let i = 0; i < 10_000; i++) {
      const again = await versionFor(local, caller(i).replace("+1", "1"), `call-b-${i}`);
      if (again !== first.get(caller(i))) throw new Error(`caller ${caller(i)} got ${again} after ${first.get(caller(i))}`);
    }
  }, 120_000);

  it("deals by a hash of (rollout, caller): another rollout deals afresh, anonymous callers by their call", ({ expect }) => {
    const a = { id: "r000000000001", percent: 50 };
    const b = { id: "r000000000002", percent: 50 };
    const sides = Array.from({ length: 200 }, (_, i) => [sideOf(a, caller(i)), sideOf(b, caller(i))]);
    expect(sides.some(([x, y]) => x !== y)).toBe(true);
    expect(callerKey("+1 (201) 555-0100", "c1")).toBe(callerKey("12015550100", "c2"));
    expect(callerKey("anonymous", "c1")).toBe("anonymous");
    expect(callerKey("", "c1")).toBe("c1");
    expect(hash32("a")).not.toBe(hash32("b"));
  });
});

describe("an automatic rollback", () => {
  it("rolls a candidate whose Callback target fails back within 50 of its calls, and says so", async ({ expect }) => {
    const local = new LocalInsights();
    const stable = await local.publish(TN, STABLE);
    const { version: candidate, rollout } = await local.canary(TN, BROKEN, 10);
    let candidateCalls = 0;
    let afterRollback = 0;
    let total = 0;
    for (let i = 0; i < 3000; i++) {
      const rolledBack = (await getFlow(local.env, TN))?.pointer.rollout?.state === "auto-aborted";
      const got: string[] = [];
      const fetch = async (input: string, init?: RequestInit) => {
        const res = await local.fetch(input, init);
        if (new URL(input).pathname === "/v1/callflow") got.push(res.headers.get("x-tactflow-version") ?? "");
        return res;
      };
      await placeCall({ from: caller(i), to: TN }, { baseUrl: ORIGIN, fetch, webhookToken: HOOK });
      total += 1;
      if (got[0] === candidate) {
        candidateCalls += 1;
        if (rolledBack) afterRollback += 1;
      }
      if (rolledBack && i % 50 === 0 && afterRollback === 0 && total > 400) break;
    }
    const flow = await getFlow(local.env, TN);
    expect(flow?.pointer.version).toBe(stable);
    expect(flow?.pointer.rollout).toMatchObject({ id: rollout, state: "auto-aborted", candidate, stable });
    expect(flow?.pointer.rollout?.reason).toMatch(
      /candidate errors 100\.0 % \(20 of 20 calls\) vs stable 0\.0 % .*; <Callback> at 3:3 failed in 20 calls/,
    );
    expect(candidateCalls).toBeGreaterThanOrEqual(20);
    expect(candidateCalls).toBeLessThanOrEqual(50);
    expect(afterRollback).toBe(0);
    // On the account's event stream, and in the audit log.
    const events = local.hub;
    expect(events).toEqual([expect.objectContaining({ type: "flow_rollout", action: "auto-abort", tn: TN })]);
    expect(events[0]!.message).toContain("rolled back automatically");
    expect(local.audit).toEqual([expect.objectContaining({ action: "flow.auto-abort", tn: TN, before: candidate, after: stable })]);
  }, 120_000);
});

describe("a rollout's health", () => {
  const zero = { started: 0, fallbacks: 0, reported: 0, errors: 0, quick: 0 };
  const policy = { minCalls: 20, maxIncrease: 0.15 };

  it("waits for enough candidate calls, then compares each rate with the stable one's", ({ expect }) => {
    expect(
      judgeRollout(
        { stable: { ...zero, started: 100, reported: 100 }, candidate: { ...zero, started: 19, reported: 19, errors: 19 } },
        policy,
      ).verdict,
    ).toBe("waiting");
    const healthy = judgeRollout(
      { stable: { ...zero, started: 200, reported: 200, quick: 40 }, candidate: { ...zero, started: 30, reported: 30, quick: 9 } },
      policy,
    );
    expect(healthy.verdict).toBe("healthy");
    const worse = judgeRollout(
      { stable: { ...zero, started: 200, reported: 200, quick: 20 }, candidate: { ...zero, started: 30, reported: 30, quick: 9 } },
      policy,
    );
    expect(worse).toMatchObject({
      verdict: "worse",
      reason: "candidate quick hang-ups 30.0 % (9 of 30 calls) vs stable 10.0 % (20 of 200): more than 15 points worse",
    });
  });

  it("holds fallbacks and errors to zero before the stable side has enough calls, and quick hang-ups not at all", ({ expect }) => {
    const early = { stable: { ...zero, started: 5, reported: 5 }, candidate: { ...zero, started: 20, reported: 20, quick: 20 } };
    expect(judgeRollout(early, policy).verdict).toBe("healthy");
    const fallbacks = { stable: { ...zero, started: 5, reported: 5 }, candidate: { ...zero, started: 20, fallbacks: 4, reported: 20 } };
    expect(judgeRollout(fallbacks, policy)).toMatchObject({
      verdict: "worse",
      reason: expect.stringContaining("candidate fallbacks 20.0 %"),
    });
  });
});
