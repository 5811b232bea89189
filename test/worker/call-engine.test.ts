/**
 * The IVR engine is one implementation: a call through the Worker (the route and the
 * CallSession over SQLite) and the same call through the engine over memory (as `tactflow test`
 * runs it) get the same documents, step by step, and the same Gather decisions.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, it } from "vitest";
import { answerGather, beginCall } from "../../src/call/ivr.ts";
import { MemoryCallState } from "../../src/call/memoryState.ts";
import { ORIGIN, clearAlarms, gather, newCall, pinned, snapshot } from "./call-helpers.ts";

afterEach(clearAlarms);

const FLOW = `<Response>
  <Say>Welcome, caller {{from}}</Say>
  <Gather numDigits="1" attempts="2" tag="menu">
    <Say>Press 1 or 2.</Say>
    <DTMF value="1"><Say>One</Say></DTMF>
    <DTMF value="2">
      <Gather dtmf_length="3" dtmf_stop="#"><Say>Code?</Say><DTMF value="{{vars.code}}"><Say>Code ok</Say></DTMF><Default><Say>Bad code {{digits}}</Say></Default></Gather>
      <Say>Menu {{gather.menu}}</Say>
    </DTMF>
    <Error><Say>Nothing</Say><Hangup/></Error>
  </Gather>
  <Say>Bye</Say>
</Response>`;

describe("the engine over SQLite and over memory", () => {
  it("serve the same documents and decisions for the same call", async ({ expect }) => {
    const call = newCall("parity");
    const flow = await pinned(FLOW, { variables: { code: "777" } });
    const facts = { from: "+12015550123", to: "18005550100", sca: "sca-1", state: "live" };
    const viaWorker = await env.CALL.getByName(call).begin({ call, flow, facts, origin: ORIGIN });
    const memory = new MemoryCallState();
    const now = () => new Date();
    const inMemory = beginCall(memory, { call, flow, facts, origin: ORIGIN }, { now: now(), defaultParkMs: 30_000 }).result;
    expect(inMemory).toEqual(viaWorker);

    const steps: Array<[string, number, string | null]> = [
      ["g1", 1, null],
      ["g1", 2, "2"],
      ["g1_2_0", 1, "123#"],
      ["g1_2_0", 1, "123#"],
    ];
    for (const [node, attempt, digits] of steps) {
      const w = await gather(call, node, attempt, digits);
      const m = answerGather(memory, { node, attempt, digits }, { now: now() });
      if (!m.ok) throw new Error(`${m.reason}: ${m.detail}`);
      expect(m.xml, `${node}#${attempt}`).toBe(w.xml);
      expect(`${m.node};attempt=${m.attempt};${m.action}${m.duplicate ? ";duplicate" : ""}`).toBe(w.headers.get("x-tactflow-gather"));
    }
    const snap = await snapshot(call);
    expect(snap.body.gather.history.map((h) => [h.node, h.attempt, h.action, h.branch])).toEqual(
      memory.history.map((h) => [h.node, h.attempt, h.action, h.branch]),
    );
    expect(snap.body.gather.digits).toEqual(memory.pinned()?.facts.gather);
  });
});
