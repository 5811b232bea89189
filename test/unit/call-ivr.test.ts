/**
 * The IVR engine in Node over the in-memory state, as `tactflow test` drives it: the first
 * document, every kind of Gather answer, repeats, digits carried into later steps, and the
 * events the call logs. The same engine runs in the call object (test/worker/call-engine.test.ts
 * checks both give the same documents).
 */
import { describe, it } from "vitest";
import type { BeginInput, GatherResult } from "../../src/call/api.ts";
import { answerGather, beginCall } from "../../src/call/ivr.ts";
import { MemoryCallState } from "../../src/call/memoryState.ts";
import { readGatherUrl, type PinnedFlow } from "../../src/call/render.ts";
import { elementChildren, parseXml, textContent, type ElementNode } from "../../src/xml/index.ts";

const MENU = `<Response>
  <Say>Welcome to {{vars.company}}</Say>
  <Gather numDigits="1" attempts="2" tag="menu">
    <Say>Press 1 for sales, 2 for your account.</Say>
    <Switch>
      <Case dtmf="1"><Say>Sales</Say></Case>
      <Case dtmf="2">
        <Gather dtmf_length="4" dtmf_stop="#" attempts="2" tag="pin">
          <Say>Enter your PIN</Say>
          <DTMF value="{{vars.pin}}"><Say>PIN ok</Say></DTMF>
          <Default><Say>Wrong PIN {{digits}}</Say><Hangup/></Default>
        </Gather>
        <Say>Account {{gather.pin}}</Say>
      </Case>
      <Default><Say>Not a choice</Say></Default>
    </Switch>
  </Gather>
  <Say>Goodbye {{gather.menu}}</Say>
  <Hangup/>
</Response>`;

const flow: PinnedFlow = {
  version: "v-menu-1",
  tn: "18005550100",
  xml: MENU,
  meta: { mode: "sync", timezone: "UTC", variables: { company: "Acme", pin: "4321" }, conditions: "evaluate" },
};
const now = new Date("2026-11-30T12:00:00Z");
const input = (call: string): BeginInput => ({
  call,
  flow,
  facts: { from: "+12015550123", to: "18005550100", sca: "sca-1", state: "live" },
  origin: "https://flows.example",
  token: "hook",
});

/** `Say:text`, `Gather@node#attempt`, `Hangup` for each top-level command. */
function outline(xml: string): string[] {
  const root = parseXml(xml).document?.root;
  if (!root) throw new Error(`not XML: ${xml}`);
  return elementChildren(root).map((el: ElementNode) => {
    if (el.kind === "Gather" && el.props.remoteUrl) {
      const u = readGatherUrl(el.props.remoteUrl);
      return `Gather@${u?.node}#${u?.attempt}`;
    }
    return el.kind === "Say" ? `Say:${textContent(el).trim()}` : el.name;
  });
}

function ok(r: GatherResult): Extract<GatherResult, { ok: true }> {
  if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
  return r;
}

describe("the IVR engine over memory", () => {
  it("begins a call: the flow pinned, its Gathers rewritten to report to the call, a Response event", ({ expect }) => {
    const state = new MemoryCallState();
    const { result, parkDeadlineAt } = beginCall(state, input("c1"), { now, defaultParkMs: 30_000 });
    if (!result.ok) throw new Error(result.error);
    expect(outline(result.xml)).toEqual(["Say:Welcome to Acme", "Gather@g1#1", "Say:Goodbye", "Hangup"]);
    expect(result.xml).toContain("https://flows.example/v1/calls/c1/gather?node=g1&amp;attempt=1&amp;token=hook");
    expect(parkDeadlineAt).toBeNull();
    expect(state.pinned()?.flow.version).toBe("v-menu-1");
    expect(state.events.map((e) => [e.seq, e.type, e.type === "call_flow" ? e.payload.command.name : ""])).toEqual([
      [1, "call_flow", "Response"],
    ]);
    // A repeated webhook gets the same document and logs nothing more.
    const again = beginCall(state, input("c1"), { now, defaultParkMs: 30_000 }).result;
    expect(again).toMatchObject({ ok: true, replay: true, xml: result.xml });
    expect(state.events).toHaveLength(1);
  });

  it("answers Gathers by the state table, carrying digits into later steps", ({ expect }) => {
    const state = new MemoryCallState();
    beginCall(state, input("c2"), { now, defaultParkMs: 30_000 });
    const wrong = ok(answerGather(state, { node: "g1", attempt: 1, digits: "9" }, { now }));
    expect([wrong.input, wrong.action]).toEqual(["wrong", "retry"]);
    expect(outline(wrong.xml)).toEqual(["Gather@g1#2", "Say:Goodbye", "Hangup"]);
    const account = ok(answerGather(state, { node: "g1", attempt: 2, digits: "2" }, { now }));
    expect(outline(account.xml)).toEqual(["Gather@g1_1_1_0#1", "Say:Account", "Say:Goodbye 2", "Hangup"]);
    const pin = ok(answerGather(state, { node: "g1_1_1_0", attempt: 1, digits: "4321#" }, { now }));
    expect([pin.input, pin.action, pin.digits]).toEqual(["match", "branch", "4321"]);
    expect(outline(pin.xml)).toEqual(["Say:PIN ok", "Say:Account 4321", "Say:Goodbye 2", "Hangup"]);
    expect(state.history.map((h) => [h.node, h.attempt, h.action, h.branch])).toEqual([
      ["g1", 1, "retry", null],
      ["g1", 2, "branch", "Case=2"],
      ["g1_1_1_0", 1, "branch", "DTMF=4321"],
    ]);
    expect(state.pinned()?.facts.gather).toEqual({ g1: "2", menu: "2", g1_1_1_0: "4321", pin: "4321" });
    const gathers = state.events.filter((e) => e.type === "call_flow" && e.payload.command.name === "Gather");
    expect(gathers.map((e) => (e.type === "call_flow" ? e.payload.command.reason : ""))).toEqual([
      'digits "9" matched no branch (attempt 1 of 2): prompts replay',
      'digits "2" matched <Case=2> (attempt 2 of 2)',
      'digits "4321" matched <DTMF=4321> (attempt 1 of 2)',
    ]);
  });

  it("answers a repeated attempt from the stored answer, and refuses attempts out of turn", ({ expect }) => {
    const state = new MemoryCallState();
    beginCall(state, input("c3"), { now, defaultParkMs: 30_000 });
    const first = ok(answerGather(state, { node: "g1", attempt: 1, digits: "1" }, { now }));
    const events = state.events.length;
    const repeat = ok(answerGather(state, { node: "g1", attempt: 1, digits: "2" }, { now }));
    expect(repeat).toMatchObject({ duplicate: true, xml: first.xml, action: "branch", digits: "1" });
    expect(state.events).toHaveLength(events);
    expect(answerGather(state, { node: "g1", attempt: 2, digits: "1" }, { now })).toMatchObject({
      ok: false,
      reason: "unexpected-attempt",
    });
    expect(answerGather(state, { node: "g7", attempt: 1, digits: "1" }, { now })).toMatchObject({ ok: false, reason: "unknown-node" });
    expect(answerGather(new MemoryCallState(), { node: "g1", attempt: 1, digits: "1" }, { now })).toMatchObject({
      ok: false,
      reason: "unknown-call",
    });
  });

  it("parks an async call: the document holds the call, and the deadline is reported", ({ expect }) => {
    const state = new MemoryCallState();
    const async: PinnedFlow = {
      ...flow,
      version: "v-async",
      xml: "<Response><Say>Hold on</Say></Response>",
      meta: { ...flow.meta, mode: "async" },
    };
    const { result, parkDeadlineAt } = beginCall(state, { ...input("c4"), flow: async }, { now, defaultParkMs: 20_000 });
    expect(result).toMatchObject({ ok: true, mode: "async" });
    expect(parkDeadlineAt).toBe(now.getTime() + 20_000);
    expect(result.ok && outline(result.xml)).toEqual(["Say:Hold on", "Hold"]);
  });
});

describe("readGatherUrl", () => {
  it("reads back what the engine writes, and refuses other URLs", ({ expect }) => {
    expect(readGatherUrl("https://x.example/v1/calls/c%3A1/gather?node=g1_0&attempt=3&token=t")).toEqual({
      call: "c:1",
      node: "g1_0",
      attempt: 3,
    });
    expect(readGatherUrl("/v1/calls/c1/gather?node=g1")).toEqual({ call: "c1", node: "g1", attempt: null });
    expect(readGatherUrl("https://x.example/v1/calls/c1/gather?attempt=1")).toBeNull();
    expect(readGatherUrl("https://example.com/menu")).toBeNull();
  });
});
