import { describe, expect, it } from "vitest";
import { collectDigits, pickBranch, type BranchInput } from "../../sim/index.ts";
import { branches, call, entries, keys, ROUND_TIMING, said } from "./sim-fixtures.ts";

const timing = { reactionMs: 500, interDigitMs: 200 };
const spec = { maxDigits: 4, finishKey: "#", timeoutMs: 5000 };

describe("collecting keys in one Gather attempt", () => {
  it("stops at maxDigits and ignores what comes after", () => {
    const got = collectDigits({ ...spec, maxDigits: 1 }, { digits: "12" }, 3000, timing);
    expect(got).toMatchObject({ digits: "1", ignored: "2", endedBy: "max-digits", firstKeyAt: 3500, endAt: 3500 });
  });

  it("ends at the finish key, which is not part of the input", () => {
    const got = collectDigits(spec, { digits: "12#" }, 0, timing);
    expect(got).toMatchObject({ digits: "12", pressed: "12#", endedBy: "finish-key", endAt: 500 + 2 * 200 });
  });

  it("ends a partial entry one timeout after the last key, keeping what was typed", () => {
    const got = collectDigits(spec, { digits: "12" }, 0, timing);
    expect(got).toMatchObject({ digits: "12", endedBy: "timeout", endAt: 500 + 200 + 5000 });
  });

  it("treats silence as no input once the timeout after the prompts has run", () => {
    expect(collectDigits(spec, { digits: "" }, 3000, timing)).toMatchObject({ digits: "", endedBy: "timeout", endAt: 8000 });
  });

  it("treats keys pressed after the Gather stopped listening as silence", () => {
    const got = collectDigits(spec, { digits: "1", afterMs: 9000 }, 3000, timing);
    expect(got).toMatchObject({ digits: "", endedBy: "timeout", endAt: 8000, late: "1" });
  });

  it("presses a short reaction time after the prompts unless told when", () => {
    expect(collectDigits(spec, { digits: "1#" }, 2000, timing).firstKeyAt).toBe(2500);
    expect(collectDigits(spec, { digits: "1#", afterMs: 700 }, 2000, timing).firstKeyAt).toBe(700);
  });
});

describe("the Gather state table", () => {
  const base: BranchInput = { digits: "", attempt: 1, attempts: 3, values: ["1", "2"], hasDefault: true, hasError: true };
  it.each([
    ["a matching key takes its branch", { digits: "2" }, "branch"],
    ["a wrong key replays the prompts while attempts are left", { digits: "9" }, "reprompt"],
    ["a wrong key on the last attempt runs <Default>", { digits: "9", attempt: 3 }, "default"],
    ["a wrong key on the last attempt without <Default> runs <Error>", { digits: "9", hasDefault: false, attempt: 3 }, "error"],
    [
      "a wrong key with neither block carries on after the Gather",
      { digits: "9", hasDefault: false, hasError: false, attempt: 3 },
      "fallthrough",
    ],
    ["any key runs <Default> at once when the Gather has no branches", { digits: "9", values: [] }, "default"],
    [
      "any key carries on when the Gather has neither branches nor <Default>",
      { digits: "9", values: [], hasDefault: false },
      "fallthrough",
    ],
    ["silence replays while attempts are left", {}, "reprompt"],
    ["silence on the last attempt runs <Error>", { attempt: 3 }, "error"],
    ["silence on the last attempt without <Error> runs <Default>", { attempt: 3, hasError: false }, "default"],
    ["silence with neither block carries on", { attempt: 3, hasError: false, hasDefault: false }, "fallthrough"],
    ["a single attempt of silence goes straight to <Error>", { attempts: 1 }, "error"],
    ["a single wrong key goes straight to <Default>", { digits: "0", attempts: 1 }, "default"],
  ] as const)("%s", (_name, change, outcome) => {
    expect(pickBranch({ ...base, ...change }).kind).toBe(outcome);
  });

  it("picks the first branch that carries the value", () => {
    expect(pickBranch({ ...base, digits: "1", values: ["2", "1", "1"] })).toMatchObject({ kind: "branch", index: 1 });
  });
});

const MENU_A = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Gather numDigits="1" attempts="3" timeout="5000">
    <Say>Press 1 for sales, 2 for support.</Say>
    <Switch>
      <Case dtmf="1"><Say>Sales.</Say></Case>
      <Case dtmf="2"><Say>Support.</Say></Case>
      <Default><Say>Not an option.</Say></Default>
      <Error><Say>We did not hear you.</Say><Hangup/></Error>
    </Switch>
  </Gather>
  <Say>Goodbye.</Say>
  <Hangup/>
</Response>`;

const MENU_B = `<Response>
  <Gather dtmf_length="4" dtmf_stop="#" timeout="4000">
    <Say text="Enter your PIN."/>
    <DTMF value="1234"><Say>PIN accepted.</Say></DTMF>
    <Default><Say>Wrong PIN.</Say></Default>
  </Gather>
  <Say>Bye.</Say>
</Response>`;

describe("a local Gather (dialect A: Switch/Case)", () => {
  it.each([
    ["1", "Sales."],
    ["2", "Support."],
  ])("key %s takes its branch, then the flow carries on after the Gather", async (key, heard) => {
    const { result } = await call(MENU_A, { inputs: keys(key) });
    expect(said(result)).toEqual(["Press 1 for sales, 2 for support.", heard, "Goodbye."]);
    expect(branches(result)).toEqual([`Case ${key}`]);
    expect(result.end.cause).toBe("flow-hangup");
  });

  it("replays the menu on a wrong key and runs <Default> once the attempts are spent", async () => {
    const { result } = await call(MENU_A, { inputs: keys("7", "8", "9") });
    const menu = "Press 1 for sales, 2 for support.";
    expect(said(result)).toEqual([menu, menu, menu, "Not an option.", "Goodbye."]);
    expect(branches(result)).toEqual(["none", "none", "Default"]);
  });

  it("takes a right key on the replay after a wrong one", async () => {
    const { result } = await call(MENU_A, { inputs: keys("7", "1") });
    expect(branches(result)).toEqual(["none", "Case 1"]);
  });

  it("replays the prompts on silence until the attempts are spent, then runs <Error>", async () => {
    const { result } = await call(MENU_A, { inputs: [] });
    expect(said(result)).toEqual([
      "Press 1 for sales, 2 for support.",
      "Press 1 for sales, 2 for support.",
      "Press 1 for sales, 2 for support.",
      "We did not hear you.",
    ]);
    expect(entries(result, "GATHER").map((e) => e.detail.attempt)).toEqual([1, 2, 3]);
    expect(entries(result, "TIMEOUT")).toHaveLength(3);
    expect(branches(result)).toEqual(["none", "none", "Error"]);
    // The Error block hung up, so "Goodbye." never played.
    expect(result.end.cause).toBe("flow-hangup");
  });

  it("gives each attempt the next scripted entry: silence, then the right key", async () => {
    const { result } = await call(MENU_A, { inputs: keys("", "2") });
    expect(said(result)).toEqual(["Press 1 for sales, 2 for support.", "Press 1 for sales, 2 for support.", "Support.", "Goodbye."]);
  });

  it("uses * as the finish key of dialect A and # of dialect B (docs/opentact.md §f.3)", async () => {
    const a = await call(
      `<Response><Gather numDigits="4"><Say>Code?</Say><Switch><Case dtmf="12"><Say>Twelve.</Say></Case></Switch></Gather></Response>`,
      { inputs: keys("12*") },
    );
    expect(said(a.result)).toContain("Twelve.");
    const b = await call(
      `<Response><Gather dtmf_length="4"><Say>Code?</Say><DTMF value="12"><Say>Twelve.</Say></DTMF></Gather></Response>`,
      { inputs: keys("12#") },
    );
    expect(said(b.result)).toContain("Twelve.");
  });

  it("carries on after the Gather when nothing matches and there is nowhere to go", async () => {
    const { result } = await call(
      `<Response><Gather><Say>Press 1.</Say><DTMF value="1"><Say>One.</Say></DTMF></Gather><Say>After.</Say></Response>`,
      { inputs: keys("5") },
    );
    expect(said(result)).toEqual(["Press 1.", "After."]);
    expect(result.end.cause).toBe("end-of-flow");
  });
});

describe("a local Gather (dialect B: DTMF)", () => {
  it("collects up to the finish key and matches the whole entry", async () => {
    const { result } = await call(MENU_B, { inputs: keys("1234#") });
    expect(entries(result, "DTMF")[0]?.detail.keys).toBe("1234");
    expect(said(result)).toEqual(["Enter your PIN.", "PIN accepted.", "Bye."]);
  });

  it("accepts a short entry ended by the finish key and judges it", async () => {
    const { result } = await call(MENU_B, { inputs: keys("12#") });
    expect(said(result)).toEqual(["Enter your PIN.", "Wrong PIN.", "Bye."]);
  });

  it("runs a Gather nested in a branch (docs/opentact.md §f.20)", async () => {
    const xml = `<Response><Gather><Say>Menu.</Say>
      <DTMF value="2"><Gather dtmf_length="2"><Say>Sub menu.</Say><DTMF value="42"><Say>Forty two.</Say></DTMF></Gather></DTMF>
    </Gather></Response>`;
    const { result } = await call(xml, { inputs: keys("2", "42") });
    expect(said(result)).toEqual(["Menu.", "Sub menu.", "Forty two."]);
    expect(entries(result, "BRANCH").map((e) => e.path)).toEqual(["Gather[0]/DTMF[1]", "Gather[0]/DTMF[1]/Gather[0]/DTMF[1]"]);
  });

  it("lets a key pressed during the prompts cut them short (barge-in)", async () => {
    const xml = `<Response><Gather><Say>Press 1 for sales.</Say><Say>Press 2 for support.</Say><DTMF value="1"><Say>Sales.</Say></DTMF></Gather></Response>`;
    const { result } = await call(xml, { inputs: [{ digits: "1", afterMs: 700 }] }, { timing: ROUND_TIMING });
    const prompts = entries(result, "SAY");
    expect(prompts[0]?.detail).toMatchObject({ text: "Press 1 for sales.", interrupted: true });
    expect(said(result)).toEqual(["Press 1 for sales.", "Sales."]);
    expect(entries(result, "DTMF")[0]?.t).toBe(700);
  });
});

describe("a url Gather", () => {
  const PIN = `<Response>
    <Gather dtmf_length="4" dtmf_stop="#" url="/v1/calls/call-1/gather?node=n1&amp;token=g-secret">
      <Say>Enter your PIN.</Say>
      <Error><Say>Sorry, something went wrong.</Say></Error>
    </Gather>
    <Say>This line belongs to the old document.</Say>
  </Response>`;

  it("sends the keys with both parameter families and runs the reply instead of the rest", async () => {
    const { result, server } = await call(
      { "/v1/callflow": PIN, "/v1/calls/call-1/gather": `<Response><Say>Welcome back.</Say><Hangup/></Response>` },
      { inputs: keys("1234#") },
    );
    const req = server.requests.find((r) => r.url.pathname.endsWith("/gather"))!;
    expect(req.method).toBe("GET");
    expect(Object.fromEntries(req.url.searchParams)).toEqual({
      node: "n1",
      token: "g-secret",
      dtmf: "1234",
      code: "1234",
      success: "true",
      attempts: "1",
      from: "15551230000",
      tn: "18005550100",
      state: "live",
      sca: expect.any(String),
      call: "call-1",
    });
    expect(said(result)).toEqual(["Enter your PIN.", "Welcome back."]);
    expect(result.end.cause).toBe("flow-hangup");
  });

  it("reports silence as success=false with empty digits", async () => {
    const { server } = await call({ "/v1/callflow": PIN, "/v1/calls/call-1/gather": `<Response/>` }, { inputs: [] });
    const params = server.requests.find((r) => r.url.pathname.endsWith("/gather"))!.url.searchParams;
    expect([params.get("dtmf"), params.get("code"), params.get("success")]).toEqual(["", "", "false"]);
  });

  it("posts the history and the call with method=POST (dialect A callback)", async () => {
    const xml = `<Response><Say>Hi.</Say><Gather numDigits="1" callback="/next" method="POST"><Say>Press a key.</Say></Gather></Response>`;
    const { server } = await call({ "/v1/callflow": xml, "/next": `<Response/>` }, { inputs: keys("5") });
    const req = server.requests.find((r) => r.url.pathname === "/next")!;
    expect(req.method).toBe("POST");
    const body = JSON.parse(req.body) as { history: unknown[]; call: { uuid: string; from: string } };
    expect(body.call).toMatchObject({ uuid: "call-1", from: "15551230000" });
    expect(body.history.length).toBeGreaterThan(0);
    expect(req.url.searchParams.get("code")).toBe("5");
  });

  it("runs <Error> when the URL fails, then carries on with the old document", async () => {
    const { result } = await call(
      { "/v1/callflow": PIN, "/v1/calls/call-1/gather": () => new Response("boom", { status: 500 }) },
      { inputs: keys("1234#") },
    );
    expect(said(result)).toEqual(["Enter your PIN.", "Sorry, something went wrong.", "This line belongs to the old document."]);
    expect(entries(result, "ERROR")[0]?.detail.reason).toMatch(/HTTP 500/);
  });

  it("keeps the Gather URL's token out of the trace", async () => {
    const { result } = await call({ "/v1/callflow": PIN, "/v1/calls/call-1/gather": "<Response/>" }, { inputs: keys("1#") });
    const urls = [
      ...entries(result, "REQUEST").map((e) => e.detail.url),
      ...entries(result, "GATHER").map((e) => e.detail.remoteUrl ?? ""),
    ];
    expect(urls.join(" ")).not.toMatch(/g-secret|hook-secret/);
    expect(urls.filter((u) => u.includes("token=…"))).toHaveLength(3);
  });
});
