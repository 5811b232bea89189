/**
 * Per-number insights through the Worker: the webhook's render notes, the platform's events
 * to the call's object, the call's trace to the number's insights object when the call is over,
 * and `GET /v1/flows/{tn}/insights` showing where the caller went and how the call ended —
 * each call counted once, however often its end is reported.
 */
import { env, exports } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, it } from "vitest";
import type { Insights, NodeInsight } from "../../src/insights/summary.ts";
import { clearAlarms, newCall } from "./call-helpers.ts";
import { ADMIN, api, freshTn, publishOk } from "./helpers/flows.ts";

afterEach(clearAlarms);

const ORIGIN = "http://tactflow.test";

type Answer = Insights & { tn: string; current: string | null; versions: Array<{ version: string; calls: number }> };

async function insights(tn: string, query = ""): Promise<Answer> {
  const res = await api(`/v1/flows/${tn}/insights${query}`);
  if (res.status !== 200) throw new Error(`insights ${tn} → ${res.status}: ${await res.text()}`);
  return (await res.json()) as Answer;
}

/** Insights once they show `calls` calls with `paths` paths (render notes go out after the response). */
async function settled(tn: string, calls: number, paths: number): Promise<Answer> {
  let last: Answer | null = null;
  for (let i = 0; i < 100; i++) {
    last = await insights(tn);
    if (last.calls >= calls && last.paths >= paths) return last;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`insights of ${tn} never showed ${calls} calls and ${paths} paths: ${JSON.stringify(last)}`);
}

function node(ins: Insights, id: string): NodeInsight {
  const n = ins.nodes.find((x) => x.id === id);
  if (!n) throw new Error(`no node ${id} in ${ins.nodes.map((x) => x.id).join(", ")}`);
  return n;
}

function entity(call: string, tn: string, state: string) {
  return { uuid: call, direction: "in", from: "+12015550123", to: tn, state, type: "CallSCA" };
}

/** The platform's events, as a 2024 `call_state` or a 2022 `call_flow`, at `t` seconds after 12:00. */
function state(call: string, tn: string, s: string, t: number) {
  const at = new Date(Date.UTC(2026, 10, 30, 12, 0, t)).toISOString();
  return { uuid: crypto.randomUUID(), created_on: at, type: "call_state", message: s, payload: { state: s }, call: entity(call, tn, s) };
}
function flow(call: string, tn: string, path: string, name: string, success: boolean, t: number, reason = "") {
  const at = new Date(Date.UTC(2026, 10, 30, 12, 0, t)).toISOString();
  return {
    timestamp: at,
    type: "call_flow",
    success,
    message: reason,
    command: name,
    payload: { command: { name, success, reason, path }, call: entity(call, tn, "live") },
  };
}

async function events(list: unknown[]): Promise<void> {
  const res = await exports.default.fetch(`${ORIGIN}/v1/webhooks/events`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(list),
  });
  if (res.status !== 202) throw new Error(`events → ${res.status}: ${await res.text()}`);
}

async function ring(call: string, tn: string, from = "+12015550123"): Promise<Response> {
  const res = await exports.default.fetch(`${ORIGIN}/v1/callflow?to=${tn}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...entity(call, tn, "ringing"), from }),
  });
  await res.text();
  return res;
}

const GREETING = `<Response>
  <Say>Welcome.</Say>
  <Dial><To>sip:desk@example.com</To><Error><Say>Nobody is free.</Say></Error></Dial>
  <Hangup/>
</Response>`;

const MENU = `<Response>
  <Say>Welcome.</Say>
  <Gather numDigits="1" attempts="2" timeout="5000">
    <Say>Press 1 for sales.</Say>
    <DTMF value="1"><Say>Sales.</Say><Dial><To>sip:sales@example.com</To></Dial></DTMF>
    <Default><Say>Sorry.</Say></Default>
  </Gather>
  <Hangup/>
</Response>`;

describe("insights of a call the webhook answered alone", () => {
  it("joins the platform's events to the version rendered, and counts a repeated end once", async ({ expect }) => {
    const tn = freshTn();
    const { version } = await publishOk(tn, GREETING);
    const call = newCall("ins");
    expect((await ring(call, tn)).headers.get("x-tactflow-version")).toBe(version);
    const end = [state(call, tn, "hangup", 30), state(call, tn, "destroyed", 30)];
    await events([
      state(call, tn, "ringing", 0),
      state(call, tn, "live", 1),
      flow(call, tn, "Say[0]", "Say", true, 2),
      flow(call, tn, "Dial[1]", "Dial", false, 8, "busy"),
      flow(call, tn, "Dial[1]/Error[1]/Say[0]", "Say", true, 10),
      flow(call, tn, "Hangup[2]", "Hangup", true, 10),
      ...end,
    ]);
    // The platform sends the end again; the object applies it once, and reports the call once.
    await events(end);
    await runDurableObjectAlarm(env.CALL.getByName(call));
    await events([state(call, tn, "destroyed", 31)]);
    await runDurableObjectAlarm(env.CALL.getByName(call));
    const ins = await settled(tn, 1, 1);
    expect(ins).toMatchObject({ tn, current: version, version, calls: 1, paths: 1, errors: 1, ended: { "flow-hangup": 1 } });
    expect(node(ins, "g0")).toMatchObject({ tag: "Say", line: 2, entered: 1 });
    expect(node(ins, "g1")).toMatchObject({ tag: "Dial", entered: 1, errors: 1, left: [{ how: "error", calls: 1 }] });
    expect(node(ins, "g1_1_0")).toMatchObject({ entered: 1 });
    expect(node(ins, "g2")).toMatchObject({ tag: "Hangup", ended: { "flow-hangup": 1 } });
    expect(ins.meanDurationMs).toBe(30_000);
    expect(ins.hours.reduce((s, h) => s + h.calls, 0)).toBe(1);
    expect(ins.versions).toEqual([{ version, calls: 1 }]);
    // A trace delivered again (a retried report) is a duplicate.
    const again = await env.INSIGHTS.getByName(tn).report({
      call,
      tn,
      version: null,
      mode: null,
      begunAt: null,
      facts: { from: "", to: tn, sca: "", state: "" },
      endReason: null,
      renderFailed: false,
      steps: [],
    });
    expect(again.result).toBe("duplicate");
  });

  it("counts a fallback against the version whose render failed", async ({ expect }) => {
    const tn = freshTn();
    // 120 copies of a 9 kB caller id is over the 1 MiB render budget.
    const { version } = await publishOk(tn, `<Response>${"<Say>{{from}}</Say>".repeat(120)}</Response>`);
    const call = newCall("fb");
    expect((await ring(call, tn, "9".repeat(9000))).headers.get("x-tactflow-fallback")).toBe("render-error");
    const ins = await settled(tn, 1, 0);
    expect(ins).toMatchObject({ version, calls: 1, fallbacks: { "render-error": 1 }, fallbackRate: 1 });
  });
});

describe("insights of a stateful call", () => {
  it("takes the Gather's decisions from the call object and finds where the caller hung up", async ({ expect }) => {
    const tn = freshTn();
    const { version } = await publishOk(tn, MENU);
    const call = newCall("menu");
    await ring(call, tn);
    await events([
      state(call, tn, "live", 0),
      flow(call, tn, "Say[0]", "Say", true, 1),
      flow(call, tn, "Gather[1]/Say[0]", "Say", true, 3),
    ]);
    const wrong = await exports.default.fetch(`${ORIGIN}/v1/calls/${call}/gather?node=g1&attempt=1&dtmf=7`);
    expect(wrong.headers.get("x-tactflow-gather")).toBe("g1;attempt=1;retry");
    await events([flow(call, tn, "Gather[1]", "Gather", true, 5), flow(call, tn, "Gather[0]/Say[0]", "Say", true, 7)]);
    await exports.default.fetch(`${ORIGIN}/v1/calls/${call}/gather?node=g1&attempt=2&dtmf=1`);
    // The caller hangs up while "Sales." plays: 1 s after the menu was left.
    await events([flow(call, tn, "Gather[0]", "Gather", true, 9), state(call, tn, "hangup", 10), state(call, tn, "destroyed", 10)]);
    await runDurableObjectAlarm(env.CALL.getByName(call));
    const ins = await settled(tn, 1, 1);
    expect(ins).toMatchObject({ version, calls: 1, paths: 1, quick: 1, ended: { "caller-hangup": 1 } });
    expect(node(ins, "g1")).toMatchObject({
      entered: 1,
      left: [{ how: "g1_1", label: "keys 1", calls: 1 }],
      gather: { attempts: 2, wrong: 1, silent: 0, abandoned: 0, decided: 1, medianMs: 8000 },
    });
    expect(node(ins, "g1_1_0")).toMatchObject({ tag: "Say", entered: 1, hungUp: 1, quick: 1 });
    expect(node(ins, "g1_1_1")).toMatchObject({ tag: "Dial", entered: 0 });
    expect(node(ins, "g2")).toMatchObject({ entered: 0 });
  });
});

describe("GET /v1/flows/{tn}/insights", () => {
  it("refuses what it cannot answer, with problem documents", async ({ expect }) => {
    expect((await exports.default.fetch(`${ORIGIN}/v1/flows/18005550100/insights`)).status).toBe(401);
    const bad = await api("/v1/flows/not-a-number/insights");
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toBe("application/problem+json");
    expect((await api("/v1/flows/*/insights")).status).toBe(400);
    expect((await api(`/v1/flows/${freshTn()}/insights`)).status).toBe(404);
    const tn = freshTn();
    await publishOk(tn, GREETING);
    expect((await api(`/v1/flows/${tn}/insights?from=2026-11-30T12:00:00Z&to=2026-11-30T11:00:00Z`)).status).toBe(400);
    expect((await api(`/v1/flows/${tn}/insights?version=abcdef`)).status).toBe(404);
    const empty = await insights(tn);
    expect(empty).toMatchObject({ calls: 0, paths: 0, fallbackRate: null });
    expect(empty.nodes.map((n) => n.id)).toEqual(["g0", "g1", "g1_0", "g1_1", "g1_1_0", "g2"]);
    expect(ADMIN.authorization).toContain("Bearer");
  });
});
