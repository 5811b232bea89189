/**
 * Stateful calls end to end : a real `wrangler dev`, the simulator playing the
 * platform, and — for parked calls — the simulator's Call Control API on the port the Worker's
 * PLATFORM_API_URL names. The Worker's CallSession keeps the menu's state and enforces the
 * park deadline with its alarm, in real time.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CallControlPlatform, placeParkedCall, type CallResult } from "../../sim/index.ts";
import { serveCallControl, type ControlServer } from "../../sim/controlServer.ts";
import { callTn, heard, publishFlow, tactflow } from "./tactflow.ts";

const MENU_TN = "15550150001";
const PARK_TN = "15550150002";
const DRIVEN_TN = "15550150003";

const MENU = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Say>Welcome to Acme.</Say>
  <Gather numDigits="1" attempts="2" timeout="4000" tag="menu">
    <Say>Press 1 for opening hours, 2 for your account.</Say>
    <Switch>
      <Case dtmf="1"><Say>We are open nine to five.</Say></Case>
      <Case dtmf="2">
        <Say>Account services.</Say>
        <Gather dtmf_length="4" dtmf_stop="#" attempts="3" timeout="6000" tag="pin">
          <Say>Enter your four digit PIN, then the pound key.</Say>
          <DTMF value="{{vars.pin}}"><Say>PIN accepted. Your balance is zero.</Say></DTMF>
          <Default><Say>That PIN is not right.</Say><Hangup tag="bad-pin"/></Default>
          <Error><Say>No PIN entered.</Say><Hangup tag="no-pin"/></Error>
        </Gather>
        <Say>You entered menu {{gather.menu}} and PIN {{gather.pin}}.</Say>
      </Case>
      <Default><Say>That is not an option.</Say></Default>
      <Error><Say>We did not hear you.</Say></Error>
    </Switch>
  </Gather>
  <Say>Goodbye.</Say>
  <Hangup/>
</Response>`;

const HOLD = `<Response><Answer/><Say>Please hold while we find an agent.</Say></Response>`;

let control: ControlServer;
let platform: CallControlPlatform;

beforeAll(async () => {
  const t = tactflow();
  await publishFlow(MENU_TN, { xml: MENU, variables: { pin: "4321" }, description: "e2e menu with a PIN" });
  await publishFlow(PARK_TN, { xml: HOLD, mode: "async", parkTimeoutMs: 1500, description: "e2e parked, times out" });
  await publishFlow(DRIVEN_TN, { xml: HOLD, mode: "async", parkTimeoutMs: 8000, description: "e2e parked, driven" });
  platform = new CallControlPlatform({ token: t.platformApiToken });
  control = await serveCallControl(platform, Number(new URL(t.platformApiUrl).port));
});

afterAll(async () => {
  await control?.close();
});

async function callState(id: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const t = tactflow();
  const res = await fetch(`${t.url}/v1/calls/${id}`, { headers: { authorization: `Bearer ${t.adminToken}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function simOptions() {
  const t = tactflow();
  return { baseUrl: t.url, webhookToken: t.webhookToken };
}

describe("a multi-level menu with a PIN Gather", () => {
  it("takes the menu branch, retries a wrong PIN, accepts the right one, and carries the digits on", async () => {
    const id = `e2e-menu-${crypto.randomUUID()}`;
    const result = await callTn({ to: MENU_TN, callId: id, inputs: [{ digits: "2" }, { digits: "1111#" }, { digits: "4321#" }] });
    expect(heard(result)).toEqual([
      "Welcome to Acme.",
      "Press 1 for opening hours, 2 for your account.",
      "Account services.",
      "Enter your four digit PIN, then the pound key.",
      "Enter your four digit PIN, then the pound key.",
      "PIN accepted. Your balance is zero.",
      "You entered menu 2 and PIN 4321.",
      "Goodbye.",
    ]);
    expect(result.end.cause).toBe("flow-hangup");
    // Every Gather went to the call's object: three requests, none failed.
    const gathers = result.trace.filter((e) => e.kind === "REQUEST" && e.detail.purpose === "gather");
    expect(gathers.map((e) => (e.kind === "REQUEST" ? e.detail.status : 0))).toEqual([200, 200, 200]);
    const state = await callState(id);
    expect(state.status).toBe(200);
    const g = state.body.gather as {
      attempts: Record<string, number>;
      digits: Record<string, string>;
      history: Array<{ node: string; input: string; action: string }>;
    };
    expect(g.history.map((h) => [h.node, h.input, h.action])).toEqual([
      ["g1", "match", "branch"],
      ["g1_1_1_1", "wrong", "retry"],
      ["g1_1_1_1", "match", "branch"],
    ]);
    expect(g.digits).toMatchObject({ menu: "2", pin: "4321" });
    // The simulator posted the call's lifecycle; the object followed it to the end.
    expect(state.body.state).toBe("destroyed");
  });

  it("spends the PIN attempts on silence and ends in <Error>", async () => {
    const result = await callTn({ to: MENU_TN, inputs: [{ digits: "2" }, { digits: "" }, { digits: "" }, { digits: "" }] });
    expect(heard(result).slice(-2)).toEqual(["Enter your four digit PIN, then the pound key.", "No PIN entered."]);
    expect(heard(result).filter((s) => s.startsWith("Enter your")).length).toBe(3);
    expect(result.end).toMatchObject({ cause: "flow-hangup", tag: "no-pin" });
  });
});

describe("a parked call", () => {
  it("that gets no command is hung up at the deadline, with a timeout cause", async () => {
    const id = `e2e-park-${crypto.randomUUID()}`;
    const started = Date.now();
    const result: CallResult = await placeParkedCall({ from: "15551230000", to: PARK_TN, callId: id }, simOptions(), platform, 20_000);
    const waited = Date.now() - started;
    expect(heard(result)).toEqual(["Please hold while we find an agent."]);
    expect(result.trace.some((e) => e.kind === "HOLD")).toBe(true);
    expect(result.end).toMatchObject({
      cause: "platform-hangup",
      q850_cause: 102,
      q850_cause_string: "RECOVERY_ON_TIMER_EXPIRE",
      reason: "park timeout: no command within 1500 ms",
    });
    expect(waited).toBeGreaterThanOrEqual(1400);
    expect(waited).toBeLessThan(15_000);
    const state = await callState(id);
    expect(state.body.ended).toMatchObject({ reason: "park timeout" });
    const events = state.body.events as Array<{ type: string; payload: { state?: string; reason?: string } }>;
    expect(
      events.some(
        (e) => e.type === "call_state" && e.payload.state === "hangup" && e.payload.reason === "park timeout: no command within 1500 ms",
      ),
    ).toBe(true);
  });

  it("driven by commands: each is delivered through the Call Control API, a Pause spaces them, a Hangup ends the call", async () => {
    const t = tactflow();
    const id = `e2e-driven-${crypto.randomUUID()}`;
    const running = placeParkedCall({ from: "15551230000", to: DRIVEN_TN, callId: id }, simOptions(), platform, 30_000);
    // Wait until the call is parked on the server.
    for (let i = 0; i < 100 && !(await callState(id)).body.parked; i++) await new Promise((r) => setTimeout(r, 100));
    const post = (xml: string) =>
      fetch(`${t.url}/v1/calls/${id}/commands`, {
        method: "POST",
        headers: { authorization: `Bearer ${t.adminToken}`, "content-type": "application/xml" },
        body: xml,
      });
    const first = await post("<Say>An agent is on the way.</Say>");
    expect(first.status).toBe(202);
    expect(await first.json()).toMatchObject({ delivered: 1, pending: 0 });
    const sentAt = Date.now();
    const second = await post(`<Say>Connecting you now.</Say><Pause length="1200"/><Say>Thank you for waiting.</Say><Hangup tag="done"/>`);
    expect(await second.json()).toMatchObject({ deliveries: 2, delivered: 1, pending: 1 });
    const result = await running;
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(1100);
    expect(heard(result)).toEqual([
      "Please hold while we find an agent.",
      "An agent is on the way.",
      "Connecting you now.",
      "Thank you for waiting.",
    ]);
    expect(result.end).toMatchObject({ cause: "flow-hangup", tag: "done" });
    const late = await post("<Say>Hello?</Say>");
    expect(late.status).toBe(409);
    const received = platform.received.filter((r) => r.call === id);
    expect(received.map((r) => [r.action, r.status])).toEqual([
      ["commands", 200],
      ["commands", 200],
      ["commands", 200],
    ]);
  });
});
