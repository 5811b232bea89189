import { describe, expect, it } from "vitest";
import { evaluateCall, evaluateGeo, evaluateSchedule } from "../../sim/index.ts";
import { checkFlow, type ElementNode, type TagProps } from "../../src/xml/index.ts";
import { call, entries, keys, ROUND_TIMING, said } from "./sim-fixtures.ts";

/** The props of the first element of a kind in a one-element document. */
function propsOf<K extends "Call" | "Geo" | "Schedule">(xml: string, kind: K): TagProps[K] {
  const doc = checkFlow(`<Response>${xml}</Response>`).document!;
  const el = doc.root.children.find((c) => c.type === "element" && c.kind === kind) as ElementNode;
  return el.props as TagProps[K];
}

describe("the virtual clock", () => {
  it("stamps each step with the time the caller would reach it", async () => {
    const xml = `<Response><Say>Hi there</Say><Pause length="1500"/><Gather timeout="3000"><Say>Press 1</Say><DTMF value="1"><Say>Yes</Say></DTMF></Gather></Response>`;
    const { result } = await call(xml, { inputs: keys("1") }, { timing: ROUND_TIMING });
    const at = result.trace.filter((e) => ["SAY", "PAUSE", "GATHER", "DTMF"].includes(e.kind)).map((e) => [e.kind, e.t]);
    // "Hi there" is 8 characters (0.8 s), the pause 1.5 s, "Press 1" 0.7 s, then the 0.5 s reaction.
    expect(at).toEqual([
      ["SAY", 0],
      ["PAUSE", 800],
      ["GATHER", 2300],
      ["SAY", 2300],
      ["DTMF", 3500],
      ["SAY", 3500],
    ]);
    expect(result.end.t).toBe(3800);
  });

  it("waits out a Gather's timeout on silence", async () => {
    const { result } = await call(`<Response><Gather timeout="7000"><Say>Hello</Say></Gather></Response>`, {}, { timing: ROUND_TIMING });
    expect(entries(result, "TIMEOUT")[0]?.t).toBe(500 + 7000);
  });
});

describe("prompts", () => {
  it("reports Say's text, voice and loop, from either spelling", async () => {
    const { result } = await call(
      `<Response><Say text="Press 1 for sales" gender="MALE" lang="es-US" loop="2" type="WaveNet"/><Say>Plain</Say></Response>`,
    );
    expect(entries(result, "SAY").map((e) => e.detail)).toMatchObject([
      { text: "Press 1 for sales", gender: "MALE", lang: "es-US", loop: 2, voiceType: "WaveNet" },
      { text: "Plain", gender: "FEMALE", lang: "en-US", loop: 1, voiceType: "Standard" },
    ]);
  });

  it("plays a URL for its loops", async () => {
    const { result } = await call(
      `<Response><Play loop="3">https://cdn.example.org/hold.mp3</Play><Say>After</Say></Response>`,
      {},
      { timing: ROUND_TIMING },
    );
    expect(entries(result, "PLAY")[0]?.detail).toMatchObject({ url: "https://cdn.example.org/hold.mp3", loop: 3, durationMs: 6000 });
    expect(entries(result, "SAY")[0]?.t).toBe(6000);
  });

  it("plays back a recording by tag, and fails into <Error> when there is none", async () => {
    const xml = `<Response><Record tag="name"><Pause length="3000"/></Record><Play record="name"/><Play record="missing"><Error><Say>No such recording.</Say></Error></Play></Response>`;
    const { result } = await call(xml, {}, { timing: ROUND_TIMING });
    expect(entries(result, "RECORD").map((e) => e.detail)).toMatchObject([
      { action: "start", tag: "name" },
      { action: "stop", tag: "name", durationMs: 3000 },
    ]);
    expect(entries(result, "PLAY")[0]?.detail).toMatchObject({ record: "name", durationMs: 3000 });
    expect(said(result)).toEqual(["No such recording."]);
  });
});

describe("Pause with dtmf_stop", () => {
  const VOICEMAIL = `<Response><Say>Leave a message</Say><Record tag="vm"><Pause length="60000" dtmf_stop="#"/></Record><Say>Thanks</Say></Response>`;

  it("ends when the caller presses a stop key", async () => {
    const { result } = await call(VOICEMAIL, { inputs: [{ digits: "#", afterMs: 12_000 }] }, { timing: ROUND_TIMING });
    expect(entries(result, "PAUSE")[0]?.detail.stoppedAfterMs).toBe(12_000);
    expect(entries(result, "RECORD").find((e) => e.detail.action === "stop")?.detail.durationMs).toBe(12_000);
    expect(entries(result, "SAY")[1]?.t).toBe(1500 + 12_000);
  });

  it("runs its full length when the caller stays silent or presses other keys", async () => {
    for (const inputs of [[], [{ digits: "5", afterMs: 1000 }]]) {
      const { result } = await call(VOICEMAIL, { inputs }, { timing: ROUND_TIMING });
      expect(entries(result, "PAUSE")[0]?.detail.stoppedAfterMs).toBeUndefined();
      expect(entries(result, "SAY")[1]?.t).toBe(1500 + 60_000);
    }
  });

  it("is an input point of its own, after the Gather that came before it", async () => {
    const xml = `<Response><Gather><Say>Menu</Say><DTMF value="1"><Say>One</Say></DTMF></Gather><Pause length="10000" dtmf_stop="*#"/><Say>Done</Say></Response>`;
    const { result } = await call(xml, { inputs: [{ digits: "1" }, { digits: "*", afterMs: 2000 }] }, { timing: ROUND_TIMING });
    expect(said(result)).toEqual(["Menu", "One", "Done"]);
    expect(entries(result, "PAUSE")[0]?.detail.stoppedAfterMs).toBe(2000);
  });
});

describe("Callback", () => {
  it("fetches with the call's parameters and runs the reply instead of the rest", async () => {
    const xml = `<Response><Say>One moment</Say><Callback url="/flows/next?step=2" tag="lookup" method="post"/><Say>Never heard</Say></Response>`;
    const { result, server } = await call({ "/v1/callflow": xml, "/flows/next": `<Response><Say>From the callback</Say></Response>` });
    expect(said(result)).toEqual(["One moment", "From the callback"]);
    const req = server.requests.find((r) => r.url.pathname === "/flows/next")!;
    expect(req.method).toBe("POST");
    expect(Object.fromEntries(req.url.searchParams)).toMatchObject({
      step: "2",
      from: "15551230000",
      to: "18005550100",
      tn: "18005550100",
      call: "call-1",
      state: "live",
      tag: "lookup",
    });
  });

  it("falls into <Error> when the fetch times out, after waiting the timeout, then carries on", async () => {
    const xml = `<Response><Callback url="/slow" timeout="8000"><Error><Say>The lookup failed.</Say></Error></Callback><Say>Still here</Say></Response>`;
    const { result } = await call({ "/v1/callflow": xml, "/slow": "hang" }, {}, { timing: ROUND_TIMING });
    expect(said(result)).toEqual(["The lookup failed.", "Still here"]);
    expect(entries(result, "ERROR")[0]).toMatchObject({ t: 8000, detail: { parent: "Callback", reason: "no answer within 8000 ms" } });
  });

  it("falls into <Error> when the answer is not a call-flow document", async () => {
    const xml = `<Response><Callback url="/json"><Error say="true"><Hangup/></Error></Callback><Say>Not reached</Say></Response>`;
    const { result } = await call({ "/v1/callflow": xml, "/json": () => Response.json({ hello: "world" }) });
    expect(entries(result, "ERROR")[0]?.detail.reason).toMatch(/not a call-flow document/);
    // say="true" speaks the reason before the block runs.
    expect(said(result)[0]).toMatch(/not a call-flow document/);
    expect(said(result)).not.toContain("Not reached");
  });

  it("falls into <Error> when the server cannot be reached", async () => {
    const xml = `<Response><Callback url="http://unreachable.test/x"><Error><Say>Down.</Say></Error></Callback></Response>`;
    const { result } = await call(
      { "/v1/callflow": xml },
      {},
      {
        fetch: async (input) => {
          if (input.startsWith("http://unreachable.test")) throw new TypeError("fetch failed");
          if (input.includes("/v1/callflow")) return new Response(xml, { headers: { "content-type": "text/xml" } });
          return new Response(null, { status: 202 });
        },
      },
    );
    expect(said(result)).toEqual(["Down."]);
    expect(entries(result, "ERROR")[0]?.detail.reason).toMatch(/cannot reach http:\/\/unreachable\.test/);
  });
});

describe("Dial", () => {
  const DESK = `<Response><Dial timeout="15000"><To>sip:desk@acme.example</To><Error><Say>Nobody answered.</Say></Error></Dial><Say>Back in the flow</Say></Response>`;

  it("bridges an answering destination and continues after the Dial when it hangs up", async () => {
    const { result } = await call(
      DESK,
      { dial: { "sip:desk@acme.example": "answer" }, talkMs: 30_000 },
      { timing: { ...ROUND_TIMING, dialRingMs: 4000 } },
    );
    expect(entries(result, "DIAL")[0]?.detail).toMatchObject({ result: "answered", answeredBy: "sip:desk@acme.example", talkMs: 30_000 });
    expect(said(result)).toEqual(["Back in the flow"]);
    expect(entries(result, "SAY")[0]?.t).toBe(34_000);
  });

  it.each([
    ["busy", 2000],
    ["no-answer", 15_000],
  ] as const)("runs <Error> when the destination is %s", async (outcome, waited) => {
    const { result } = await call(DESK, { dial: { "*": outcome } }, { timing: { ...ROUND_TIMING, dialBusyMs: 2000 } });
    expect(entries(result, "DIAL")[0]?.detail.result).toBe("failed");
    expect(said(result)).toEqual(["Nobody answered.", "Back in the flow"]);
    expect(entries(result, "ERROR")[0]?.t).toBe(waited);
  });

  it("rings every destination and lets the first that answers win", async () => {
    const xml = `<Response><Dial><To>sip:a@x</To><Sip>b@x</Sip><To>15550001111</To></Dial></Response>`;
    const { result } = await call(xml, { dial: { "sip:a@x": "busy", "b@x": "answer", "*": "answer" } });
    expect(entries(result, "DIAL")[0]?.detail).toMatchObject({
      targets: [
        { target: "sip:a@x", outcome: "busy" },
        { target: "b@x", outcome: "answer" },
        { target: "15550001111", outcome: "answer" },
      ],
      answeredBy: "b@x",
    });
  });
});

describe("conditions left for the platform", () => {
  const flow = `<Response>
    <Schedule dow="mon-fri" time="09:00:00-17:00:00" tz="America/New_York"><Say>We are open.</Say><Hangup/></Schedule>
    <Say>We are closed.</Say><Hangup tag="after-hours"/>
  </Response>`;

  it.each([
    ["2026-11-23T15:00:00Z", "a Monday, 10:00 in New York", "We are open."],
    ["2026-11-23T22:30:00Z", "a Monday, 17:30 in New York", "We are closed."],
    ["2026-11-22T15:00:00Z", "a Sunday, 10:00 in New York", "We are closed."],
  ])("at %s (%s) the caller hears %j", async (at, _when, heard) => {
    const { result } = await call(flow, { at });
    expect(said(result)).toEqual([heard]);
  });

  it("evaluates a Schedule window across midnight and in the default zone", () => {
    const props = propsOf(`<Schedule time="22:00:00-06:00:00"><Say>Night</Say></Schedule>`, "Schedule");
    expect(evaluateSchedule(props, new Date("2026-11-23T23:30:00Z"), "UTC").matched).toBe(true);
    expect(evaluateSchedule(props, new Date("2026-11-23T05:59:59Z"), "UTC").matched).toBe(true);
    expect(evaluateSchedule(props, new Date("2026-11-23T12:00:00Z"), "UTC").matched).toBe(false);
    // 23:30 UTC is 18:30 in New York: outside the window there.
    expect(evaluateSchedule(props, new Date("2026-11-23T23:30:00Z"), "America/New_York").matched).toBe(false);
  });

  it("compares <Call> fields as phone numbers, numbers, null or strings", () => {
    const entity = {
      uuid: "c",
      direction: "in" as const,
      from: "+1 (555) 123-0000",
      to: "18005550100",
      state: "live",
      duration: 12,
      type: "CallSCA",
      hangup_on: null,
    };
    expect(evaluateCall(propsOf(`<Call field="from" value="5551230000"/>`, "Call"), entity).matched).toBe(true);
    expect(evaluateCall(propsOf(`<Call field="from" value="15559999999"/>`, "Call"), entity).matched).toBe(false);
    expect(evaluateCall(propsOf(`<Call field="duration" value="12.0"/>`, "Call"), entity).matched).toBe(true);
    expect(evaluateCall(propsOf(`<Call field="hangup_on" value="null"/>`, "Call"), entity).matched).toBe(true);
    expect(evaluateCall(propsOf(`<Call field="direction" value="in"/>`, "Call"), entity).matched).toBe(true);
    expect(evaluateCall(propsOf(`<Call field="direction" value="out"/>`, "Call"), entity).matched).toBe(false);
  });

  it("runs a <Call> block only for the matching caller", async () => {
    const xml = `<Response><Call field="from" value="15551230000"><Say>Welcome back, boss.</Say></Call><Say>Hello.</Say></Response>`;
    expect(said((await call(xml)).result)).toEqual(["Welcome back, boss.", "Hello."]);
    expect(said((await call(xml, { from: "15550000000" })).result)).toEqual(["Hello."]);
  });

  it("matches <Geo> on the caller's state and county, and never on an unknown location", async () => {
    expect(evaluateGeo(propsOf(`<Geo states="NJ,NY"/>`, "Geo"), { state: "NJ" }).matched).toBe(true);
    expect(evaluateGeo(propsOf(`<Geo states="NJ" county="essex"/>`, "Geo"), { state: "NJ", county: "ESSEX" }).matched).toBe(true);
    expect(evaluateGeo(propsOf(`<Geo states="NJ" county="ESSEX"/>`, "Geo"), { state: "NJ", county: "BERGEN" }).matched).toBe(false);
    expect(evaluateGeo(propsOf(`<Geo states="CA"/>`, "Geo"), undefined).matched).toBe(false);
    expect(evaluateGeo(propsOf(`<Geo/>`, "Geo"), undefined).matched).toBe(true);
    const xml = `<Response><Geo states="NJ"><Say>Jersey.</Say></Geo><Geo states="CA"><Say>California.</Say></Geo></Response>`;
    expect(said((await call(xml, { location: { state: "NJ" } })).result)).toEqual(["Jersey."]);
    expect(said((await call(xml, {}, { locate: (from) => (from.startsWith("1213") ? { state: "CA" } : undefined) })).result)).toEqual([]);
    expect(
      said(
        (await call(xml, { from: "12135550000" }, { locate: (from) => (from.startsWith("1213") ? { state: "CA" } : undefined) })).result,
      ),
    ).toEqual(["California."]);
  });
});

describe("how a call ends", () => {
  it("stops at <Hangup> and keeps its tag", async () => {
    const { result } = await call(`<Response><Say>Bye</Say><Hangup tag="after-hours"/><Say>Never</Say></Response>`);
    expect(said(result)).toEqual(["Bye"]);
    expect(result.end).toMatchObject({ cause: "flow-hangup", tag: "after-hours", q850_cause: 16 });
  });

  it("hangs up when the document runs out of commands", async () => {
    const { result } = await call(`<Response><Say>Only this</Say></Response>`);
    expect(result.end.cause).toBe("end-of-flow");
  });

  it("stops exactly when the scripted caller hangs up", async () => {
    const { result } = await call(
      `<Response><Say>${"la ".repeat(50)}</Say><Say>Never</Say></Response>`,
      { hangupAfterMs: 2500 },
      { timing: ROUND_TIMING },
    );
    expect(result.end).toMatchObject({ cause: "caller-hangup", t: 2500 });
    expect(said(result)).toHaveLength(1);
  });

  it("stops a flow that loops forever at the step limit", async () => {
    const loop = `<Response><Say>Again</Say><Callback url="/v1/callflow"/></Response>`;
    const { result } = await call(loop, {}, { maxSteps: 50 });
    expect(result.end.cause).toBe("step-limit");
    expect(said(result).length).toBeGreaterThan(10);
  });

  it("skips unknown and unspecified tags with a note and a failed call_flow event", async () => {
    const { result, server } = await call(`<Response><Tone/><Blink rate="2"/><Say>Still works</Say></Response>`);
    expect(said(result)).toEqual(["Still works"]);
    expect(entries(result, "NOTE").map((e) => e.detail.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/skipped <Tone>/), expect.stringMatching(/skipped <Blink>/)]),
    );
    const failed = server.events.filter((e) => e.type === "call_flow" && e.success === false);
    expect(failed.map((e) => (e.payload as { command: { reason: string } }).command.reason)).toEqual([
      "unsupported command",
      "unsupported command",
    ]);
  });

  it("reports Answer, Hold, Unhold and background recordings in the transcript", async () => {
    const xml = `<Response><Answer delay="500"/><Record tag="all"/><Hold timeout="60000"/><Unhold/><RecordStop/><Say>Done</Say></Response>`;
    const { result } = await call(xml, {}, { autoAnswer: false, timing: ROUND_TIMING });
    expect(result.trace.filter((e) => e.kind !== "EVENT" && e.kind !== "REQUEST").map((e) => e.kind)).toEqual([
      "STATE", // init
      "STATE", // ringing
      "STATE", // live, at Answer
      "ANSWER",
      "RECORD",
      "HOLD",
      "UNHOLD",
      "RECORD",
      "SAY",
      "HANGUP",
      "STATE",
      "STATE",
    ]);
    expect(entries(result, "STATE").map((e) => e.detail.state)).toEqual(["init", "ringing", "live", "hangup", "destroyed"]);
    expect(entries(result, "SAY")[0]?.t).toBe(500);
  });
});

describe("where the caller is", () => {
  it("places a North American caller in the state of their area code by default", async () => {
    const xml = `<Response><Geo states="NJ"><Say>Jersey.</Say></Geo><Geo states="CA"><Say>California.</Say></Geo></Response>`;
    expect(said((await call(xml, { from: "+1 (201) 555-0100" })).result)).toEqual(["Jersey."]);
    expect(said((await call(xml, { from: "18005550100" })).result)).toEqual([]);
  });
});

describe("request timeouts", () => {
  it("treats a Callback timeout of 0 as no timeout", async () => {
    let waited = 0;
    const xml = `<Response><Callback url="/slow" timeout="0"/></Response>`;
    const { result } = await call(
      {
        "/v1/callflow": xml,
        "/slow": async () => new Response("<Response><Say>Worth the wait</Say></Response>", { headers: { "content-type": "text/xml" } }),
      },
      {},
      {
        wait: (ms) => {
          if (ms === 0) waited += 1;
          return new Promise<void>(() => undefined);
        },
      },
    );
    expect(waited).toBe(0);
    expect(said(result)).toEqual(["Worth the wait"]);
  });
});
