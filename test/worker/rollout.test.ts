/**
 * Canary rollouts through the Worker: a publish with `canary`, the rollout in `GET /v1/flows`
 * and `/v1/flows/{tn}`, promote and abort, and a broken candidate rolled back by the number's
 * insights object on its own — with a `flow_rollout` event on the account's stream and an audit
 * entry — while simulated calls (the platform simulator, in the Worker) keep coming.
 */
import { env, exports } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, it } from "vitest";
import { placeCall } from "../../sim/index.ts";
import type { EventHub } from "../../src/events/EventHub.ts";
import { HUB_NAME } from "../../src/events/EventHub.ts";
import { clearAlarms, newCall } from "./call-helpers.ts";
import { api, freshTn, publishOk } from "./helpers/flows.ts";

afterEach(clearAlarms);

const ORIGIN = "http://tactflow.test";
const STABLE = `<Response><Say>Thanks for calling.</Say><Hangup/></Response>`;
const CANDIDATE = `<Response><Say>Thanks for calling!</Say><Hangup/></Response>`;
const BROKEN = `<Response>
  <Say>Thanks for calling.</Say>
  <Callback url="http://broken.test/next-step"/>
  <Say>One moment.</Say>
  <Hangup/>
</Response>`;

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

function canary(tn: string, xml: string, share: unknown): Promise<Response> {
  return api(`/v1/flows/${tn}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ xml, canary: share }),
  });
}

interface RolloutJson {
  id: string;
  stable: string;
  candidate: string;
  percent: number;
  state: string;
  reason?: string;
}

describe("publishing a canary", () => {
  it("keeps the current version, shows the rollout, and promotes or aborts it", async ({ expect }) => {
    const tn = freshTn();
    const { version: stable } = await publishOk(tn, STABLE);
    const started = await canary(tn, CANDIDATE, 25);
    expect(started.status).toBe(201);
    const body = await json<{ version: string; rollout: RolloutJson }>(started);
    expect(body.rollout).toMatchObject({ stable, candidate: body.version, percent: 25, state: "active", minCalls: 20, maxIncrease: 0.15 });
    const flow = await json<{ version: string; current: boolean; rollout: RolloutJson }>(await api(`/v1/flows/${tn}`));
    expect(flow).toMatchObject({ version: stable, current: true, rollout: { id: body.rollout.id, state: "active" } });
    const list = await json<{ flows: Array<{ tn: string; rollout?: unknown }> }>(await api("/v1/flows"));
    expect(list.flows.find((f) => f.tn === tn)?.rollout).toEqual({ candidate: body.version, percent: 25, state: "active" });
    const versions = await json<{ versions: Array<{ version: string; action: string; current: boolean; candidate?: boolean }> }>(
      await api(`/v1/flows/${tn}/versions`),
    );
    expect(versions.versions.map((v) => [v.action, v.current, v.candidate ?? false])).toEqual([
      ["canary", false, true],
      ["publish", true, false],
    ]);
    const status = await json<{ verdict: { verdict: string } }>(await api(`/v1/flows/${tn}/rollout`));
    expect(status.verdict.verdict).toBe("waiting");
    const promoted = await json<{ current: string; rollout: RolloutJson }>(await api(`/v1/flows/${tn}/promote`, { method: "POST" }));
    expect(promoted).toMatchObject({ current: body.version, rollout: { state: "promoted" } });
    expect((await api(`/v1/flows/${tn}/promote`, { method: "POST" })).status).toBe(409);
    // A second canary, aborted: the promoted version stays.
    const again = await json<{ rollout: RolloutJson }>(await canary(tn, STABLE, { percent: 5, minCalls: 50 }));
    expect(again.rollout).toMatchObject({ stable: body.version, candidate: stable, percent: 5, minCalls: 50 });
    const aborted = await json<{ current: string; rollout: RolloutJson }>(await api(`/v1/flows/${tn}/abort`, { method: "POST" }));
    expect(aborted).toMatchObject({ current: body.version, rollout: { state: "aborted" } });
    const audit = await json<{ entries: Array<{ action: string }> }>(await api(`/v1/audit?tn=${tn}`));
    expect(audit.entries.map((e) => e.action)).toEqual(["flow.abort", "flow.canary", "flow.promote", "flow.canary", "flow.publish"]);
  });

  it("refuses a canary with nothing to compare with, of the current version, or with a share out of range", async ({ expect }) => {
    const tn = freshTn();
    expect((await canary(tn, STABLE, 10)).status).toBe(409);
    await publishOk(tn, STABLE);
    const same = await canary(tn, STABLE, 10);
    expect(same.status).toBe(409);
    expect(((await same.json()) as { title: string }).title).toBe("Already current");
    expect((await canary(tn, CANDIDATE, 100)).status).toBe(400);
    expect((await canary(tn, CANDIDATE, { percent: 10, minCalls: 0 })).status).toBe(400);
    expect((await api(`/v1/flows/${tn}/abort`, { method: "POST" })).status).toBe(409);
    expect((await api(`/v1/flows/${tn}/rollout`)).status).toBe(404);
    // Raw XML with ?canary=.
    const raw = await api(`/v1/flows/${tn}?canary=12.5`, {
      method: "PUT",
      headers: { "content-type": "application/xml" },
      body: CANDIDATE,
    });
    expect(raw.status).toBe(201);
    expect(((await raw.json()) as { rollout: RolloutJson }).rollout.percent).toBe(12.5);
  });
});

describe("an automatic rollback", () => {
  it("rolls a candidate whose Callback fails back on its own, and says so on the account's stream", async ({ expect }) => {
    const tn = freshTn();
    const { version: stable } = await publishOk(tn, STABLE);
    const before = await runInDurableObject(env.EVENT_HUB.getByName(HUB_NAME), (hub: EventHub) => hub.log.lastSeq());
    const { version: candidate, rollout } = await json<{ version: string; rollout: RolloutJson }>(await canary(tn, BROKEN, 50));
    let candidateCalls = 0;
    let after = 0;
    for (let i = 0; i < 200; i++) {
      const ended = (await json<{ rollout: RolloutJson }>(await api(`/v1/flows/${tn}`))).rollout.state !== "active";
      if (ended && after >= 10) break;
      const call = newCall("canary");
      let version = "";
      const fetch = async (input: string, init?: RequestInit) => {
        const res = await exports.default.fetch(input, init);
        if (new URL(input).pathname === "/v1/callflow") version = res.headers.get("x-tactflow-version") ?? "";
        return res;
      };
      await placeCall({ from: `+1201555${String(1000 + i)}`, to: tn, callId: call }, { baseUrl: ORIGIN, fetch });
      await runDurableObjectAlarm(env.CALL.getByName(call));
      if (version === candidate) {
        candidateCalls += 1;
        if (ended) throw new Error("a caller got the candidate after the rollback");
      }
      if (ended) after += 1;
    }
    const flow = await json<{ version: string; rollout: RolloutJson }>(await api(`/v1/flows/${tn}`));
    expect(flow.version).toBe(stable);
    expect(flow.rollout).toMatchObject({ id: rollout.id, state: "auto-aborted" });
    expect(flow.rollout.reason).toContain("<Callback> at 3:3 failed");
    expect(candidateCalls).toBeGreaterThanOrEqual(20);
    expect(candidateCalls).toBeLessThanOrEqual(50);
    const status = await json<{ verdict: { verdict: string }; health: { candidate: { errors: number } } }>(
      await api(`/v1/flows/${tn}/rollout`),
    );
    expect(status.verdict.verdict).toBe("worse");
    expect(status.health.candidate.errors).toBeGreaterThanOrEqual(20);
    const events = await runInDurableObject(env.EVENT_HUB.getByName(HUB_NAME), (hub: EventHub) =>
      hub.log.framesSince(before, 10_000).filter((f) => f.type === "flow_rollout" && f.tn === tn),
    );
    const bodies = events.map((f) => JSON.parse(f.json) as { action: string; success: boolean; message: string; hub_seq: number });
    expect(bodies.map((b) => [b.action, b.success])).toEqual([
      ["start", true],
      ["auto-abort", false],
    ]);
    expect(bodies[1]!.message).toContain("rolled back automatically");
    const audit = await json<{ entries: Array<{ action: string; actor: string; before: string; after: string }> }>(
      await api(`/v1/audit?tn=${tn}`),
    );
    expect(audit.entries[0]).toMatchObject({ action: "flow.auto-abort", actor: "insights", before: candidate, after: stable });
  });
});
