/**
 * The stateful Gather (docs/architecture.md §2), through the real route and the real
 * CallSession: every row of the Gather state table (docs/stateful-calls.md), nesting, digits in
 * later steps, duplicate callbacks, eviction in the middle of a Gather, and the fallback for
 * strangers.
 */
import { env, exports } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, it } from "vitest";
import app from "../../src/index.ts";
import type { CallSession } from "../../src/call/CallSession.ts";
import { ORIGIN, begin, clearAlarms, gather, newCall, outline, rootOf, snapshot, urlGathers } from "./call-helpers.ts";

afterEach(clearAlarms);

const MENU = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Say>Welcome</Say>
  <Gather numDigits="1" attempts="3" timeout="5000" tag="menu">
    <Say>Press 1 for sales, 2 for support.</Say>
    <Switch>
      <Case dtmf="1"><Say>Sales</Say></Case>
      <Case dtmf="2">
        <Say>Support</Say>
        <Gather dtmf_length="4" dtmf_stop="#" attempts="2" tag="pin">
          <Say>Enter your PIN</Say>
          <DTMF value="{{vars.pin}}"><Say>PIN ok {{gather.pin}}</Say></DTMF>
          <Default><Say>Wrong PIN {{digits}}</Say><Hangup/></Default>
          <Error><Say>No PIN</Say><Hangup/></Error>
        </Gather>
        <Say>Connecting support</Say>
      </Case>
      <Default><Say>Not a choice</Say></Default>
      <Error><Say>Nothing entered</Say></Error>
    </Switch>
  </Gather>
  <Say>Goodbye {{gather.menu}}</Say>
  <Hangup/>
</Response>`;
const MENU_VARS = { variables: { pin: "1234" } };
const PIN = "g1_1_1_1";

describe("the first document", () => {
  it("rewrites each branching Gather into a url Gather for this call, keeping prompts and digit settings", async ({ expect }) => {
    const call = newCall();
    const r = await begin(call, MENU, MENU_VARS);
    const root = rootOf(r.xml);
    expect(outline(root)).toEqual(["Say:Welcome", "Gather@g1#1", "Say:Goodbye", "Hangup"]);
    const [g] = urlGathers(root);
    expect(g!.url.origin + g!.url.pathname).toBe(`${ORIGIN}/v1/calls/${call}/gather`);
    // Prompts kept; branches gone (we pick them); the author's Error stays as the failure handler.
    expect(g!.el.children.filter((c) => c.type === "element").map((c) => (c.type === "element" ? c.name : ""))).toEqual(["Say", "Error"]);
    const attrs = Object.fromEntries(g!.el.attrs.map((a) => [a.name, a.value]));
    expect(attrs).toMatchObject({ numDigits: "1", timeout: "5000", tag: "menu", finishOnKey: "*" });
    expect(attrs).not.toHaveProperty("attempts");
  });

  it("pins the version: a repeat of the webhook gets the same document, whatever was published since", async ({ expect }) => {
    const call = newCall();
    const first = await begin(call, MENU, MENU_VARS);
    const again = await begin(call, "<Response><Say>A newer flow</Say></Response>");
    expect(again.replay).toBe(true);
    expect(again.xml).toBe(first.xml);
    expect(again.version).toBe(first.version);
    const snap = await snapshot(call);
    expect((snap.body.flow as { version: string }).version).toBe(first.version);
  });
});

describe("the state table", () => {
  it("match: runs the branch, then the continuation", async ({ expect }) => {
    const call = newCall();
    await begin(call, MENU, MENU_VARS);
    const a = await gather(call, "g1", 1, "1");
    expect(a.status).toBe(200);
    expect(a.headers.get("content-type")).toBe("text/xml; charset=utf-8");
    expect(outline(a.root)).toEqual(["Say:Sales", "Say:Goodbye 1", "Hangup"]);
  });

  it("match into a nested Gather: the branch up to it, it rewritten, then both continuations in order", async ({ expect }) => {
    const call = newCall();
    await begin(call, MENU, MENU_VARS);
    const a = await gather(call, "g1", 1, "2");
    expect(outline(a.root)).toEqual(["Say:Support", `Gather@${PIN}#1`, "Say:Connecting support", "Say:Goodbye 2", "Hangup"]);
    const pin = await gather(call, PIN, 1, "1234#");
    // The finish key is not part of the PIN; {{gather.pin}} reads the digits by the Gather's tag.
    expect(outline(pin.root)).toEqual(["Say:PIN ok 1234", "Say:Connecting support", "Say:Goodbye 2", "Hangup"]);
  });

  it("wrong input with attempts left: the Gather again, prompts and all, with the next attempt number", async ({ expect }) => {
    const call = newCall();
    await begin(call, MENU, MENU_VARS);
    await gather(call, "g1", 1, "2");
    const retry = await gather(call, PIN, 1, "9999");
    expect(outline(retry.root)).toEqual([`Gather@${PIN}#2`, "Say:Connecting support", "Say:Goodbye 2", "Hangup"]);
    const [g] = urlGathers(retry.root);
    expect(outline(g!.el)).toContain("Say:Enter your PIN");
  });

  it("wrong input with attempts spent: <Default> (before <Error>), with {{digits}}", async ({ expect }) => {
    const call = newCall();
    await begin(call, MENU, MENU_VARS);
    await gather(call, "g1", 1, "2");
    await gather(call, PIN, 1, "9999");
    const last = await gather(call, PIN, 2, "8888");
    expect(outline(last.root)).toEqual(["Say:Wrong PIN 8888", "Hangup", "Say:Connecting support", "Say:Goodbye 2", "Hangup"]);
  });

  it("no input with attempts left replays; with attempts spent: <Error> (before <Default>)", async ({ expect }) => {
    const call = newCall();
    await begin(call, MENU, MENU_VARS);
    expect(outline((await gather(call, "g1", 1, "")).root)).toEqual(["Gather@g1#2", "Say:Goodbye", "Hangup"]);
    expect(outline((await gather(call, "g1", 2, null)).root)).toEqual(["Gather@g1#3", "Say:Goodbye", "Hangup"]);
    // Only the finish key is no input too.
    expect(outline((await gather(call, "g1", 3, "*")).root)).toEqual(["Say:Nothing entered", "Say:Goodbye", "Hangup"]);
    const snap = await snapshot(call);
    expect(snap.body.gather.history.map((h) => [h.attempt, h.input, h.action])).toEqual([
      [1, "none", "retry"],
      [2, "none", "retry"],
      [3, "none", "error"],
    ]);
  });

  it("wrong input, attempts spent, no <Default>: <Error>; no input, no <Error>: <Default>", async ({ expect }) => {
    const errOnly = `<Response><Gather numDigits="1"><Say>Press 1</Say><DTMF value="1"><Say>One</Say></DTMF><Error><Say>Oops</Say></Error></Gather><Say>End</Say></Response>`;
    const c1 = newCall();
    await begin(c1, errOnly);
    expect(outline((await gather(c1, "g0", 1, "5")).root)).toEqual(["Say:Oops", "Say:End"]);
    const defOnly = `<Response><Gather numDigits="1"><Say>Press 1</Say><DTMF value="1"><Say>One</Say></DTMF><Default><Say>Other</Say></Default></Gather><Say>End</Say></Response>`;
    const c2 = newCall();
    await begin(c2, defOnly);
    expect(outline((await gather(c2, "g0", 1, "")).root)).toEqual(["Say:Other", "Say:End"]);
  });

  it("attempts spent with neither <Default> nor <Error>: the flow continues after the Gather", async ({ expect }) => {
    const call = newCall();
    await begin(
      call,
      `<Response><Gather numDigits="1"><Say>Press 1</Say><DTMF value="1"><Say>One</Say></DTMF></Gather><Say>Moving on</Say></Response>`,
    );
    const a = await gather(call, "g0", 1, "4");
    expect(outline(a.root)).toEqual(["Say:Moving on"]);
    expect(a.headers.get("x-tactflow-gather")).toBe("g0;attempt=1;continue");
  });

  it("a Gather with only <Default> takes any digits at once (no retry on 'wrong' input)", async ({ expect }) => {
    const call = newCall();
    await begin(
      call,
      `<Response><Gather dtmf_length="6" attempts="3" tag="acct"><Say>Account number</Say><Default><Say>Looking up {{digits}}</Say></Default></Gather><Say>Account {{gather.acct}} / {{gather.g0}}</Say></Response>`,
    );
    const a = await gather(call, "g0", 1, "123456");
    expect(outline(a.root)).toEqual(["Say:Looking up 123456", "Say:Account 123456 / 123456"]);
  });

  it("reads dialect A's code= as well as dtmf=, and a POST body", async ({ expect }) => {
    const call = newCall();
    await begin(call, MENU, MENU_VARS);
    const viaCode = await exports.default.fetch(`${ORIGIN}/v1/calls/${call}/gather?node=g1&attempt=1&code=2&success=true&attempts=1`);
    expect(outline(rootOf(await viaCode.text()))[0]).toBe("Say:Support");
    const viaForm = await exports.default.fetch(`${ORIGIN}/v1/calls/${call}/gather?node=${PIN}&attempt=1`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "dtmf=1234",
    });
    expect(outline(rootOf(await viaForm.text()))[0]).toBe("Say:PIN ok 1234");
  });

  it("three levels deep: each level's continuation, innermost first", async ({ expect }) => {
    const deep = `<Response>
      <Gather numDigits="1"><Say>L1</Say>
        <DTMF value="1"><Say>in L1</Say>
          <Gather numDigits="1"><Say>L2</Say>
            <DTMF value="2"><Say>in L2</Say>
              <Gather numDigits="1"><Say>L3</Say>
                <DTMF value="3"><Say>in L3</Say></DTMF>
              </Gather>
              <Say>after L3</Say>
            </DTMF>
          </Gather>
          <Say>after L2</Say>
        </DTMF>
      </Gather>
      <Say>after L1</Say>
    </Response>`;
    const call = newCall();
    await begin(call, deep);
    expect(outline((await gather(call, "g0", 1, "1")).root)).toEqual(["Say:in L1", "Gather@g0_1_1#1", "Say:after L2", "Say:after L1"]);
    expect(outline((await gather(call, "g0_1_1", 1, "2")).root)).toEqual([
      "Say:in L2",
      "Gather@g0_1_1_1_1#1",
      "Say:after L3",
      "Say:after L2",
      "Say:after L1",
    ]);
    expect(outline((await gather(call, "g0_1_1_1_1", 1, "3")).root)).toEqual(["Say:in L3", "Say:after L3", "Say:after L2", "Say:after L1"]);
  });

  it("a Gather inside a condition block: the rest of the block still runs after it", async ({ expect }) => {
    const call = newCall();
    await begin(
      call,
      `<Response><Call field="to" value="18005550100"><Gather numDigits="1"><DTMF value="1"><Say>One</Say></DTMF></Gather><Say>Still in the block</Say></Call><Say>After</Say></Response>`,
    );
    expect(outline((await gather(call, "g0_0", 1, "1")).root)).toEqual(["Say:One", "Say:Still in the block", "Say:After"]);
  });
});

describe("duplicates, eviction and strangers", () => {
  it("the same (node, attempt) twice gets the same document and advances nothing", async ({ expect }) => {
    const call = newCall();
    await begin(call, MENU, MENU_VARS);
    const first = await gather(call, "g1", 1, "9");
    const again = await gather(call, "g1", 1, "9");
    // Even different digits for the same attempt can't change what was decided.
    const other = await gather(call, "g1", 1, "1");
    expect(again.xml).toBe(first.xml);
    expect(other.xml).toBe(first.xml);
    expect(again.headers.get("x-tactflow-gather")).toBe("g1;attempt=1;retry;duplicate");
    const snap = await snapshot(call);
    expect(snap.body.gather.attempts).toEqual({ g1: 1 });
    expect(snap.body.gather.history).toHaveLength(1);
    expect(
      snap.body.events.filter((e) => e.type === "call_flow" && (e.payload.command as { name: string }).name === "Gather"),
    ).toHaveLength(1);
  });

  it("a callback without the attempt number counts as the next attempt, and repeats once answered", async ({ expect }) => {
    const call = newCall();
    await begin(call, MENU, MENU_VARS);
    const a = await gather(call, "g1", null, "1");
    expect(outline(a.root)[0]).toBe("Say:Sales");
    const b = await gather(call, "g1", null, "2");
    expect(b.xml).toBe(a.xml);
  });

  it("state survives eviction in the middle of a Gather", async ({ expect }) => {
    const call = newCall();
    await begin(call, MENU, MENU_VARS);
    await gather(call, "g1", 1, "7");
    await gather(call, "g1", 2, "");
    await evictDurableObject(env.CALL.getByName(call));
    const third = await gather(call, "g1", 3, "8");
    // Attempt 3 of 3, wrong input: Default; the counters came back from storage.
    expect(outline(third.root)).toEqual(["Say:Not a choice", "Say:Goodbye 8", "Hangup"]);
    await evictDurableObject(env.CALL.getByName(call));
    expect((await gather(call, "g1", 2, "")).xml).toContain("Gather");
    const snap = await snapshot(call);
    expect(snap.body.gather.attempts).toEqual({ g1: 3 });
    expect(snap.body.gather.digits).toMatchObject({ g1: "8", menu: "8" });
  });

  it("an unknown call, an unknown node and an unexpected attempt get the fallback document", async ({ expect }) => {
    const call = newCall();
    await begin(call, MENU, MENU_VARS);
    const cases = [
      await gather(newCall("stranger"), "g1", 1, "1"),
      await gather(call, "g0", 1, "1"),
      await gather(call, "g9_9", 1, "1"),
      await gather(call, "not-a-node", 1, "1"),
      await gather(call, "g1", 3, "1"),
    ];
    expect(cases.map((c) => c.status)).toEqual([200, 200, 200, 200, 200]);
    expect(cases.map((c) => c.headers.get("x-tactflow-fallback"))).toEqual([
      "unknown-call",
      "unknown-node",
      "unknown-node",
      "unknown-node",
      "unexpected-attempt",
    ]);
    for (const c of cases) expect(outline(c.root).at(-1)).toBe("Hangup");
    // None of it touched the call's state.
    expect((await snapshot(call)).body.gather.history).toHaveLength(0);
  });

  it("a wrong webhook token is refused with 401", async ({ expect }) => {
    const call = newCall();
    await begin(call, MENU, MENU_VARS);
    const guarded = { ...env, WEBHOOK_TOKEN: "s3cret" };
    const bad = await app.fetch(new Request(`${ORIGIN}/v1/calls/${call}/gather?node=g1&attempt=1&dtmf=1&token=nope`), guarded);
    expect(bad.status).toBe(401);
    const good = await app.fetch(new Request(`${ORIGIN}/v1/calls/${call}/gather?node=g1&attempt=1&dtmf=1&token=s3cret`), guarded);
    expect(good.status).toBe(200);
  });

  it("emits one call_flow event per decision, with the Gather's tag", async ({ expect }) => {
    const call = newCall();
    await begin(call, MENU, MENU_VARS);
    await gather(call, "g1", 1, "2");
    await gather(call, PIN, 1, "1234");
    const events = await runInDurableObject(env.CALL.getByName(call), async (instance: CallSession) => (await instance.snapshot())!.events);
    const flow = events.filter((e) => e.type === "call_flow");
    expect(
      flow.map((e) => [
        e.command,
        e.type === "call_flow" ? e.tag : undefined,
        e.type === "call_flow" ? e.payload.command.action : undefined,
      ]),
    ).toEqual([
      ["Response", undefined, undefined],
      ["Gather", "menu", "branch"],
      ["Gather", "pin", "branch"],
    ]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
  });
});
