/**
 * Flow tests in process (src/flowtest): scenarios read from their shorthand, run through the
 * webhook and the IVR engine over memory, checked with readable failures, and branch coverage
 * with the branches nobody took listed at line:col.
 */
import { describe, it } from "vitest";
import { FlowOptionsSchema } from "../../src/flows/meta.ts";
import { readScenarios, ScenarioError, scenarioFromScript, type TestScenario } from "../../src/flowtest/format.ts";
import { formatReport } from "../../src/flowtest/report.ts";
import { runSuite, type SuiteReport } from "../../src/flowtest/suite.ts";
import { parseScript } from "../../sim/script.ts";

const TN = "18005550111";

async function run(xml: string, scenarios: unknown[], options: Record<string, unknown> = {}): Promise<SuiteReport> {
  const { scenarios: list } = readScenarios({ scenarios }, "test.yaml");
  return runSuite(
    [{ tn: TN, xml, meta: FlowOptionsSchema.parse(options), file: "flow.xml" }],
    list.map((scenario: TestScenario) => ({ scenario, flow: TN })),
  );
}

const text = (r: SuiteReport) => formatReport(r).join("\n");

const MENU = `<Response>
  <Say>Welcome.</Say>
  <Gather numDigits="1" attempts="2" tag="menu">
    <Say>Press 1 or 2.</Say>
    <DTMF value="1"><Say>One.</Say></DTMF>
    <DTMF value="2"><Say>Two.</Say><Hangup tag="two"/></DTMF>
    <Default><Say>Not an option.</Say></Default>
    <Error><Say>Nothing heard.</Say></Error>
  </Gather>
  <Say>Bye.</Say>
</Response>`;

describe("the scenario format", () => {
  it("reads the shorthands people write and keeps file defaults per scenario", ({ expect }) => {
    const { scenarios } = readScenarios(
      {
        from: "+12125550123",
        at: "2026-11-23T15:00:00Z",
        scenarios: [
          {
            name: "a",
            press: ["1", "silence", { press: "12#", after: "2.5s" }, "hangup"],
            talk: "45s",
            replies: { "https://x.example/a": "<Response/>", "https://x.example/b": "timeout" },
            commands: [{ at: "5s", xml: "<Say>Hi</Say>" }],
            expect: [{ say: "/hel+o/i" }, { end: { cause: "flow-hangup", before: "1m" } }, { dial: "sip:a@b" }],
          },
          { name: "b", from: "+13125550123" },
        ],
      },
      "f.yaml",
    );
    expect(scenarios[0]).toMatchObject({
      name: "a",
      from: "+12125550123",
      at: "2026-11-23T15:00:00.000Z",
      inputs: [{ digits: "1" }, { digits: "" }, { digits: "12#", afterMs: 2500 }, { digits: "", hangup: true }],
      talkMs: 45_000,
      replies: { "https://x.example/a": [{ xml: "<Response/>" }], "https://x.example/b": [{ timeout: true }] },
      commands: [{ atMs: 5000, xml: "<Say>Hi</Say>" }],
      expect: [{ say: "/hel+o/i" }, { end: { cause: "flow-hangup", beforeMs: 60_000 } }, { dial: { to: "sip:a@b" } }],
    });
    expect(scenarios[1]).toMatchObject({ name: "b", from: "+13125550123", at: "2026-11-23T15:00:00.000Z" });
  });

  it("names the file and the place of a mistake", ({ expect }) => {
    expect(() => readScenarios({ scenarios: [{ name: "x", press: ["1x"] }] }, "f.yaml")).toThrow(ScenarioError);
    expect(() => readScenarios({ scenarios: [{ name: "x", expect: [{ sya: "hi" }] }] }, "f.yaml")).toThrow(
      /f\.yaml: scenarios\.0 at expect\.0/,
    );
    expect(() => readScenarios({ scenarios: [{ name: "x" }, { name: "x" }] }, "f.yaml")).toThrow(/two scenarios are named "x"/);
  });

  it("takes a tactflow call script as a scenario", ({ expect }) => {
    const s = scenarioFromScript(parseScript("to 18005550100\nfrom +12125550123\npress 1\nsilence\ndial * busy\n"), "script.txt");
    expect(s).toMatchObject({ name: "script.txt", to: "18005550100", inputs: [{ digits: "1" }, { digits: "" }], dial: { "*": "busy" } });
  });
});

describe("running scenarios in process", () => {
  it("passes a menu's scenarios, with the server's decisions in the transcript and full coverage", async ({ expect }) => {
    const r = await run(MENU, [
      {
        name: "one",
        press: ["1"],
        expect: [{ gather: { tag: "menu", branch: 1 } }, { say: "One." }, { say: "Bye." }, { end: "end-of-flow" }],
      },
      { name: "two", press: ["2"], expect: [{ say: "Two." }, { end: { tag: "two" } }], never: [{ say: "Bye." }] },
      {
        name: "wrong twice",
        press: ["9", "9"],
        expect: [{ gather: { branch: "retry" } }, { gather: { attempt: 2, branch: "Default" } }, { say: "Not an option." }],
      },
      {
        name: "silence",
        press: ["silence", "silence"],
        expect: [{ gather: { branch: "Error" } }, { say: "Nothing heard." }],
        somewhere: [{ vars: { digits: "" } }],
      },
    ]);
    expect(text(r)).toContain("4 scenarios: 4 passed, 0 failed; branch coverage 100 %");
    expect(r.scenarios[0]!.transcript).toContain('DECISION g1 [tag menu] attempt 1 of 2: "1" → DTMF 1');
    expect(r.flows[0]!.points.map((p) => `${p.line}:${p.col} ${p.label} ${p.hits}`)).toEqual([
      '5:5 <DTMF value="1"> 1',
      '6:5 <DTMF value="2"> 1',
      "7:5 <Default> 1",
      "8:5 <Error> 1",
      "3:3 <Gather> all 2 attempts used 2",
    ]);
  });

  it("shows a failed expectation beside the nearest step, and lists what no scenario covered", async ({ expect }) => {
    const r = await run(MENU, [{ name: "one", press: ["1"], expect: [{ say: "Welcome." }, { say: "Won." }] }]);
    expect(r.failed).toBe(1);
    const out = text(r);
    expect(out).toContain("✗ one");
    expect(out).toContain('expect[1]: expected SAY "Won." after 00:00.0 SAY "Welcome."');
    expect(out).toContain('- SAY "Won."');
    expect(out).toMatch(/\+ \d\d:\d\d\.\d SAY "One\." \(voice en-US FEMALE\)\s+← nearest/);
    expect(out).toContain('not covered flow.xml:6:5 <DTMF value="2">');
    expect(out).toContain("1 scenario: 0 passed, 1 failed; branch coverage 20 %");
  });

  it("fails a changed golden transcript with a line diff", async ({ expect }) => {
    const first = await run(MENU, [{ name: "one", press: ["1"] }]);
    const golden = first.scenarios[0]!.transcript.replace('"One."', '"Uno."');
    const r = await run(MENU, [{ name: "one", press: ["1"], transcript: golden }]);
    const out = text(r);
    expect(out).toContain("transcript: the transcript differs from the recorded one");
    expect(out).toMatch(/- \d\d:\d\d\.\d SAY "Uno\."/);
    expect(out).toMatch(/\+ \d\d:\d\d\.\d SAY "One\."/);
  });

  it("answers Callbacks and url Gathers from the scenario's replies, and covers success and failure", async ({ expect }) => {
    const xml = `<Response>
  <Callback url="https://crm.example/lookup" timeout="3000">
    <Error><Say>The lookup failed.</Say></Error>
  </Callback>
  <Say>No reply.</Say>
</Response>`;
    const r = await run(xml, [
      {
        name: "reply",
        replies: { "https://crm.example/lookup": "<Response><Say>Hello VIP.</Say></Response>" },
        expect: [{ say: "Hello VIP." }],
        never: [{ say: "The lookup failed." }],
      },
      { name: "down", replies: { "https://crm.example/lookup": { status: 503 } }, expect: [{ say: "The lookup failed." }] },
      { name: "slow", replies: { "https://crm.example/lookup": "timeout" }, expect: [{ say: "The lookup failed." }] },
      { name: "unscripted", expect: [{ say: "The lookup failed." }] },
    ]);
    expect(r.scenarios.map((s) => s.ok)).toEqual([true, true, true, false]);
    expect(text(r)).toContain("problem: no reply scripted for https://crm.example/lookup");
    expect(r.scenarios[2]!.transcript).toMatch(/00:03\.0 ERROR block of <Callback> runs: no answer within 3000 ms/);
    expect(r.flows[0]!.covered).toBe(2);
  });

  it("covers conditions whether tactflow or the platform evaluates them", async ({ expect }) => {
    const xml = `<Response>
  <Schedule dow="mon-fri" time="09:00:00-17:00:00"><Say>Open.</Say></Schedule>
  <Geo states="NY"><Say>New York.</Say></Geo>
</Response>`;
    const scenarios = [
      { name: "monday in new york", at: "2026-11-23T15:00:00Z", from: "+12125550123", expect: [{ say: "Open." }, { say: "New York." }] },
      { name: "saturday in chicago", at: "2026-11-28T15:00:00Z", from: "+13125550123", never: [{ say: "Open." }, { say: "New York." }] },
    ];
    for (const conditions of ["evaluate", "platform"]) {
      const r = await run(xml, scenarios, { timezone: "America/New_York", conditions });
      expect(r.failed, conditions).toBe(0);
      expect(
        r.flows[0]!.points.map((p) => `${p.label} ${p.hits}`),
        conditions,
      ).toEqual(["<Schedule> true 1", "<Schedule> false 1", "<Geo> true 1", "<Geo> false 1"]);
    }
  });

  it("drives a parked call with the scenario's commands, and times it out without them", async ({ expect }) => {
    const xml = `<Response><Answer/><Say>Please hold.</Say></Response>`;
    const r = await run(
      xml,
      [
        {
          name: "driven",
          commands: [{ at: "10s", xml: '<Say>Hello.</Say><Pause length="3000"/><Say>Still there?</Say><Hangup/>' }],
          expect: [{ line: "/^HOLD/" }, { say: "Hello." }, { say: "Still there?" }, { end: "flow-hangup" }],
        },
        { name: "forgotten", expect: [{ end: { cause: "platform-hangup", after: "19s", before: "21s" } }] },
      ],
      { mode: "async", parkTimeoutMs: 20_000 },
    );
    expect(text(r)).toContain("2 passed, 0 failed");
    expect(r.scenarios[0]!.transcript).toMatch(/00:13\.\d SAY "Still there\?"/);
  });
});

describe("save as test", () => {
  it("turns a recorded call into a scenario that replays it with the same transcript", async ({ expect }) => {
    const { LocalTactflow } = await import("../../src/flowtest/local.ts");
    const { localTarget } = await import("../../src/flowtest/suite.ts");
    const { runScenario } = await import("../../src/flowtest/run.ts");
    const { scenarioFromCall } = await import("../../src/flowtest/fromCall.ts");
    const local = new LocalTactflow();
    await local.publish(TN, MENU, FlowOptionsSchema.parse({}));
    const recorded = await runScenario(
      { name: "rec", to: TN, inputs: [{ digits: "9" }, { digits: "2", afterMs: 300 }] },
      localTarget(local),
      "console-call-1",
    );
    const scenario = scenarioFromCall(recorded.result, { name: "wrong, then two", events: local.peek("console-call-1")!.state.events });
    expect(scenario).toMatchObject({ callId: "console-call-1", to: TN, inputs: [{ digits: "9" }, { digits: "2", afterMs: 300 }] });
    expect(scenario.expect).toContainEqual({ say: "Two." });
    const r = await runSuite([{ tn: TN, xml: MENU, meta: FlowOptionsSchema.parse({}) }], [{ scenario, flow: TN }]);
    expect(formatReport(r).join("\n")).toContain("1 passed, 0 failed");
    expect(r.scenarios[0]!.transcript).toBe(recorded.transcript);
  });
});
