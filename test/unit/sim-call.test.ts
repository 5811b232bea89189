import { describe, expect, it } from "vitest";
import { formatTranscript, parseCommands, parseDigitList, parseScript, ScriptError, SimulatedCall } from "../../sim/index.ts";
import { BASE, call, entries, fakeTactflow, keys, ROUND_TIMING, said } from "./sim-fixtures.ts";

const HELLO = `<Response><Say>Hello</Say><Hangup/></Response>`;

describe("requesting the call-flow webhook", () => {
  it("POSTs the call entity with from, to and the token in the query by default (docs/opentact.md §a.2)", async () => {
    const { server } = await call(HELLO);
    const req = server.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.url.pathname).toBe("/v1/callflow");
    expect(Object.fromEntries(req.url.searchParams)).toEqual({ from: "15551230000", to: "18005550100", token: "hook-secret" });
    expect(JSON.parse(req.body)).toMatchObject({
      uuid: "call-1",
      direction: "in",
      from: "15551230000",
      to: "18005550100",
      state: "ringing",
      type: "CallSCA",
      tn: { tn: 18005550100 },
    });
  });

  it("can GET instead, with no body", async () => {
    const { server } = await call(HELLO, {}, { method: "GET" });
    expect(server.requests[0]).toMatchObject({ method: "GET", body: "" });
  });

  it("sends a hostile caller id verbatim, safely encoded", async () => {
    const hostile = `"><Record/>&x=1`;
    const { server, result } = await call(HELLO, { from: hostile });
    expect(server.requests[0]!.url.searchParams.get("from")).toBe(hostile);
    expect(server.requests[0]!.url.searchParams.get("x")).toBeNull();
    expect(result.call.from).toBe(hostile);
  });

  it.each([
    [
      "an HTTP error",
      () => new Response("kaboom", { status: 500, statusText: "Internal Server Error" }),
      /HTTP 500 Internal Server Error: kaboom/,
    ],
    ["JSON", () => Response.json({ error: "nope" }), /not a call-flow document \(application\/json/],
    ["XML with another root", () => new Response("<Html/>", { headers: { "content-type": "text/xml" } }), /root is <Html>, not <Response>/],
  ])("ends the call as webhook-failed when the answer is %s", async (_what, answer, message) => {
    const { result } = await call({ "/v1/callflow": answer });
    expect(result.end.cause).toBe("webhook-failed");
    expect(result.end.reason).toMatch(message);
    expect(said(result)).toEqual([]);
  });

  it("says which server it could not reach", async () => {
    const { result } = await call(
      HELLO,
      {},
      {
        fetch: async () => {
          throw new TypeError("fetch failed", {
            cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8787"), { code: "ECONNREFUSED" }),
          });
        },
      },
    );
    expect(result.end).toMatchObject({ cause: "webhook-failed" });
    expect(result.end.reason).toBe("cannot reach http://tactflow.test: ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:8787)");
  });

  it("notes problems in the document it was given and still runs what it can", async () => {
    const { result } = await call(`<Response><Say>Hi</Say><Gather attempts="x"><Say>Menu</Say></Gather></Response>`);
    expect(entries(result, "NOTE").some((n) => /problem at 1:\d+/.test(n.detail.message))).toBe(true);
    expect(said(result)[0]).toBe("Hi");
  });
});

describe("lifecycle and command events", () => {
  it("posts init, ringing, live, hangup and destroyed in the docs/opentact.md §d.4 shape", async () => {
    const { server } = await call(HELLO);
    const states = server.events.filter((e) => e.type === "call_state");
    expect(states.map((e) => (e.payload as { state: string }).state)).toEqual(["init", "ringing", "live", "hangup", "destroyed"]);
    const live = states[2]!;
    expect(live).toMatchObject({
      type: "call_state",
      message: "CallSCA in 15551230000 > 18005550100 - live",
      created_on: "2026-11-23T15:00:00.000Z",
      call: { uuid: "call-1", state: "live", answer_on: "2026-11-23T15:00:00.000Z" },
    });
    expect(typeof live.uuid).toBe("string");
    // The platform does not number events; that is the event log's job.
    expect(live).not.toHaveProperty("seq");
    expect(live).not.toHaveProperty("call_uuid");
    expect(states[4]).toMatchObject({ payload: { q850_cause: 16, q850_cause_string: "NORMAL_CLEARING" }, call: { state: "destroyed" } });
  });

  it("posts one call_flow event per command with its path and result", async () => {
    const { server } = await call(
      `<Response><Say tag="hi">Hello</Say><Gather><Say>Menu</Say><DTMF value="1"><Hangup/></DTMF></Gather></Response>`,
      { inputs: keys("1") },
    );
    const flow = server.events.filter((e) => e.type === "call_flow");
    expect(flow.map((e) => (e.payload as { command: { path: string } }).command.path)).toEqual([
      "Say[0]",
      "Gather[1]/Say[0]",
      "Gather[1]",
      "Gather[1]/DTMF[1]/Hangup[0]",
    ]);
    expect(flow[0]).toMatchObject({
      success: true,
      command: "Say",
      message: "[success] command Say[0], reason: Say finished",
      payload: { command: { tag: "hi" } },
    });
  });

  it("sends events to the events webhook with the token", async () => {
    const seen: string[] = [];
    const server = fakeTactflow({ "/v1/callflow": HELLO });
    await new SimulatedCall(
      { from: "1", to: "18005550100" },
      {
        baseUrl: `${BASE}/`,
        webhookToken: "t0k",
        wait: server.wait,
        fetch: (input, init) => {
          seen.push(input);
          return server.fetch(input, init);
        },
      },
    ).run();
    expect(seen.filter((u) => u.includes("/v1/webhooks/events")).every((u) => u === `${BASE}/v1/webhooks/events?token=t0k`)).toBe(true);
  });

  it("posts nothing with events turned off", async () => {
    const { server } = await call(HELLO, {}, { events: false });
    expect(server.events).toEqual([]);
  });

  it("keeps the call going when events cannot be delivered, and says so once", async () => {
    const { result } = await call({ "/v1/callflow": HELLO, "/v1/webhooks/events": () => new Response("not found", { status: 404 }) });
    expect(said(result)).toEqual(["Hello"]);
    expect(result.end.cause).toBe("flow-hangup");
    expect(entries(result, "NOTE").filter((n) => n.detail.message.includes("posting events"))).toHaveLength(1);
    expect(result.events).toEqual({ posted: 0, failed: 7 });
  });
});

describe("a parked call fed with commands over time", () => {
  it("runs fragments as they arrive, on one clock, until it is hung up", async () => {
    const server = fakeTactflow({ "/v1/callflow": `<Response><Answer/><Hold/></Response>` });
    const sim = new SimulatedCall(
      { from: "15551230000", to: "18005550100", at: "2026-11-23T15:00:00Z", inputs: keys("2") },
      { baseUrl: BASE, fetch: server.fetch, wait: server.wait, timing: ROUND_TIMING },
    );
    const first = await sim.start();
    expect(await sim.execute(first!.document, { url: first!.url })).toBe("idle");
    const more = parseCommands(`<Unhold/><Gather><Say>Press 2</Say><DTMF value="2"><Say>Two</Say></DTMF></Gather>`);
    expect(await sim.execute(more, { idleMs: 5000 })).toBe("idle");
    await sim.hangup("no command before the deadline", "platform-hangup", {
      q850_cause: 102,
      q850_cause_string: "RECOVERY_ON_TIMER_EXPIRE",
    });
    const result = sim.result();
    expect(result.call).toMatchObject({ state: "destroyed", q850_cause: 102, q850_cause_string: "RECOVERY_ON_TIMER_EXPIRE" });
    expect(said(result)).toEqual(["Press 2", "Two"]);
    expect(entries(result, "UNHOLD")[0]?.t).toBe(5000);
    expect(result.end).toMatchObject({ cause: "platform-hangup", reason: "no command before the deadline" });
    expect(await sim.execute(parseCommands("<Say>Too late</Say>"))).toBe("ended");
  });

  it("tells a waiting party when the call is over", async () => {
    const server = fakeTactflow({ "/v1/callflow": `<Response><Hold/></Response>` });
    const sim = new SimulatedCall({ from: "1", to: "18005550100" }, { baseUrl: BASE, fetch: server.fetch, wait: server.wait });
    const ended = sim.whenEnded();
    const first = await sim.start();
    await sim.execute(first!.document);
    let done = false;
    void ended.then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    await sim.execute(parseCommands("<Say>Goodbye</Say><Hangup/>"));
    expect((await ended).end.cause).toBe("flow-hangup");
  });

  it("reads a whole document or bare commands, and refuses what is not XML", () => {
    expect(parseCommands(`<?xml version="1.0"?><Response><Say>a</Say><Hangup/></Response>`).map((e) => e.kind)).toEqual(["Say", "Hangup"]);
    expect(parseCommands(`<Say>a</Say><Pause length="100"/>`).map((e) => e.kind)).toEqual(["Say", "Pause"]);
    expect(() => parseCommands(`<Say>unclosed`)).toThrow(/well-formed/);
  });
});

describe("the transcript", () => {
  it("prints one timed line per step and how the call ended", async () => {
    const xml = `<Response><Say>Thanks for calling.</Say><Gather><Say>Press 1 for sales</Say><DTMF value="1"><Say>Sales</Say><Hangup tag="done"/></DTMF></Gather></Response>`;
    const { result } = await call(xml, { inputs: keys("1") }, { timing: { ...ROUND_TIMING, sayPerCharMs: 100 } });
    expect(formatTranscript(result).split("\n")).toEqual([
      "Call call-1 from 15551230000 to 18005550100, starting 2026-11-23T15:00:00.000Z",
      "00:00.0 STATE ringing",
      "00:00.0 REQUEST POST /v1/callflow?from=15551230000&to=18005550100&token=… → 200 text/xml",
      "00:00.0 STATE live",
      '00:00.0 SAY "Thanks for calling." (voice en-US FEMALE)',
      "00:01.9 GATHER up to 1 digit, finish key #, timeout 5.0s, attempt 1 of 1",
      '00:01.9 SAY "Press 1 for sales" (voice en-US FEMALE)',
      "00:04.1 DTMF 1",
      '00:04.1 BRANCH DTMF 1: "1" matches',
      '00:04.1 SAY "Sales" (voice en-US FEMALE)',
      "00:04.6 HANGUP the flow hung up (done)",
      // 5 call_state events and one call_flow per command (Say, Say, Gather, Say, Hangup).
      "Call ended at 00:04.6: the flow hung up (done). Events: 10 posted.",
    ]);
  });

  it("shows a url Gather's requests as paths on the server, without the call's own parameters", async () => {
    const xml = `<Response><Gather url="/g?node=1&amp;token=x"><Say>Key?</Say></Gather></Response>`;
    const { result } = await call({ "/v1/callflow": xml, "/g": "<Response/>" }, { inputs: keys("5") });
    const text = formatTranscript(result);
    expect(text).toContain("then asks /g?node=1&token=…");
    expect(text).toContain("REQUEST GET /g?node=1&token=…&dtmf=5&success=true&attempts=1 → 200 text/xml");
    expect(formatTranscript(result, { verbose: true })).toContain(
      "REQUEST GET http://tactflow.test/g?node=1&token=…&dtmf=5&code=5&success=true&attempts=1&from=15551230000&tn=18005550100&state=live",
    );
  });

  it("shows every event post when verbose", async () => {
    const { result } = await call(HELLO);
    const text = formatTranscript(result, { verbose: true });
    expect(text).toContain("00:00.0 STATE init");
    expect(text).toContain("EVENT call_state destroyed → 202");
  });
});

describe("scripts", () => {
  it("reads --digits: one entry per input point, empty for silence, @ for when", () => {
    expect(parseDigitList("1,1234#,,9@2.5s,#@800ms")).toEqual([
      { digits: "1" },
      { digits: "1234#" },
      { digits: "" },
      { digits: "9", afterMs: 2500 },
      { digits: "#", afterMs: 800 },
    ]);
    expect(() => parseDigitList("1,x")).toThrow(/entry 2/);
    expect(() => parseDigitList("1@soon")).toThrow(/not a delay/);
  });

  it("reads the line format", () => {
    const script = parseScript(`# PIN with one retry
to 18005550100
from "><Record/>
at 2026-11-23T22:30:00Z
press 1
silence
press 1234# after 2.5s
dial sip:desk@acme.example busy
dial * no-answer
talk 45s
hangup after 2m
location nj Essex County
timezone America/New_York
`);
    expect(script).toEqual({
      to: "18005550100",
      from: `"><Record/>`,
      at: "2026-11-23T22:30:00Z",
      inputs: [{ digits: "1" }, { digits: "" }, { digits: "1234#", afterMs: 2500 }],
      dial: { "sip:desk@acme.example": "busy", "*": "no-answer" },
      talkMs: 45_000,
      hangupAfterMs: 120_000,
      location: { state: "NJ", county: "Essex County" },
      timezone: "America/New_York",
    });
  });

  it("reads JSON", () => {
    expect(parseScript(`{"to":"18005550100","inputs":["1",{"digits":"42#","afterMs":300},""],"dial":{"*":"busy"}}`)).toEqual({
      to: "18005550100",
      inputs: [{ digits: "1" }, { digits: "42#", afterMs: 300 }, { digits: "" }],
      dial: { "*": "busy" },
    });
  });

  it("names the line or field that is wrong", () => {
    expect(() => parseScript("to 1\npress 12x\n")).toThrow(
      new ScriptError(`line 2: "12x" has keys a phone cannot send; use 0-9, *, #, + or A-D: press 12x`),
    );
    expect(() => parseScript("dial sip:a@b maybe")).toThrow(/line 1: "maybe" is not an outcome/);
    expect(() => parseScript("jump 3")).toThrow(/unknown instruction "jump"/);
    expect(() => parseScript(`{"dial":{"*":"later"}}`)).toThrow(/script field dial\.\*/);
    expect(() => parseScript(`{"to": 5}`)).toThrow(/script field to/);
  });
});
