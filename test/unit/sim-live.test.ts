/**
 * The live caller (sim/live.ts): a call in real time with keys pressed as it runs, as the
 * console's phone places it. Real time is vitest's fake clock; a prompt "plays" for its length.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { KeypadCaller, placeCall, realTimers, type CallResult, type Player, type Scenario } from "../../sim/index.ts";
import { BASE, branches, entries, fakeTactflow, ROUND_TIMING, said } from "./sim-fixtures.ts";

const MENU = `<Response>
  <Say>Hello</Say>
  <Gather numDigits="1" timeout="5000" attempts="2">
    <Say>Press one</Say>
    <DTMF value="1"><Say>One</Say></DTMF>
    <Default><Say>Wrong</Say></Default>
  </Gather>
  <Say>Bye</Say>
</Response>`;

/** Plays everything for exactly its virtual length. */
const player: Player = { play: (_entry, ms, signal) => realTimers.sleep(ms, signal) };

const SCENARIO: Scenario = { from: "15551230000", to: "18005550100", at: "2026-11-23T15:00:00Z", callId: "call-1" };

function place(xml: string, options: { keypad?: KeypadCaller; inputs?: Scenario["inputs"] } = {}): Promise<CallResult> {
  const server = fakeTactflow({ "/v1/callflow": xml });
  return placeCall(
    { ...SCENARIO, ...(options.inputs ? { inputs: options.inputs } : {}) },
    {
      baseUrl: BASE,
      fetch: server.fetch,
      wait: server.wait,
      events: false,
      timing: ROUND_TIMING,
      ...(options.keypad ? { live: options.keypad } : {}),
    },
  );
}

/** The trace without the parts that differ between a live run and its replay by script. */
const shape = (r: CallResult) => ({ trace: r.trace, end: r.end });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("a live caller", () => {
  it("hears the prompts in real time and is heard when it presses a key; a script replaying its keys gets the same call", async () => {
    const keypad = new KeypadCaller(player);
    const running = place(MENU, { keypad });
    await vi.advanceTimersByTimeAsync(500 + 900 + 300);
    expect(keypad.press("1")).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    const live = await running;
    expect(said(live)).toEqual(["Hello", "Press one", "One", "Bye"]);
    expect(branches(live)).toEqual(["DTMF 1"]);
    expect(entries(live, "DTMF")).toEqual([{ t: 1700, kind: "DTMF", detail: { keys: "1" }, path: "Gather[1]" }]);
    const gather = entries(live, "GATHER")[0]!;
    const replay = await place(MENU, { inputs: [{ digits: "1", afterMs: 1700 - gather.t }] });
    expect(shape(live)).toEqual(shape(replay));
  });

  it("cuts a Gather's prompt short with a key (barge-in), as a script pressing at the same moment does", async () => {
    const keypad = new KeypadCaller(player);
    const running = place(MENU, { keypad });
    await vi.advanceTimersByTimeAsync(500 + 400);
    keypad.press("1");
    await vi.advanceTimersByTimeAsync(1000);
    const live = await running;
    expect(entries(live, "SAY")[1]!.detail).toMatchObject({ text: "Press one", interrupted: true });
    expect(entries(live, "DTMF")[0]!.t).toBe(900);
    const replay = await place(MENU, { inputs: [{ digits: "1", afterMs: 400 }] });
    expect(shape(live)).toEqual(shape(replay));
  });

  it("ignores keys pressed while nothing listens", async () => {
    const keypad = new KeypadCaller(player);
    const running = place(MENU, { keypad });
    await vi.advanceTimersByTimeAsync(200);
    expect(keypad.press("1")).toBe(false);
    await vi.advanceTimersByTimeAsync(300 + 900 + 5000 + 900 + 5000 + 1000);
    const live = await running;
    expect(entries(live, "DTMF")).toEqual([]);
    expect(entries(live, "TIMEOUT")).toHaveLength(2);
  });

  it("stays silent: the Gather's timeout runs out at once on the virtual clock", async () => {
    const keypad = new KeypadCaller(player);
    const running = place(MENU, { keypad });
    await vi.advanceTimersByTimeAsync(500 + 900);
    keypad.staySilent();
    await vi.advanceTimersByTimeAsync(900);
    keypad.staySilent();
    await vi.advanceTimersByTimeAsync(1000);
    const live = await running;
    expect(entries(live, "TIMEOUT").map((e) => e.t)).toEqual([500 + 900 + 5000, 500 + 900 + 5000 + 900 + 5000]);
    // Silence after the last attempt: <Error> first, else <Default> (the Gather state table).
    expect(branches(live)).toEqual(["none", "Default"]);
    expect(said(live)).toEqual(["Hello", "Press one", "Press one", "Wrong", "Bye"]);
  });

  it("enters several keys at its own pace: the timeout counts again after each key, the finish key ends the input", async () => {
    const pin = `<Response><Gather numDigits="6" finishOnKey="#" timeout="3000"><Say>Pin</Say><DTMF value="42"><Say>Ok</Say></DTMF></Gather></Response>`;
    const keypad = new KeypadCaller(player);
    const running = place(pin, { keypad });
    await vi.advanceTimersByTimeAsync(300 + 2500);
    keypad.press("4");
    await vi.advanceTimersByTimeAsync(2500);
    keypad.press("2");
    await vi.advanceTimersByTimeAsync(1000);
    keypad.press("#");
    await vi.advanceTimersByTimeAsync(1000);
    const live = await running;
    expect(entries(live, "DTMF")[0]!).toMatchObject({ t: 2800, detail: { keys: "42#" } });
    expect(branches(live)).toEqual(["DTMF 42"]);
    expect(entries(live, "SAY").at(-1)!.t).toBe(2800 + 2500 + 1000);
  });

  it("hangs up in the middle of a prompt: the call ends there", async () => {
    const keypad = new KeypadCaller(player);
    const running = place(MENU, { keypad });
    await vi.advanceTimersByTimeAsync(200);
    keypad.hangUp();
    const live = await running;
    expect(live.end).toMatchObject({ cause: "caller-hangup", t: 200 });
    expect(said(live)).toEqual(["Hello"]);
  });

  it("fast-forwards pauses and ringing, not speech", async () => {
    const xml = `<Response><Pause length="60000"/><Dial><To>sip:a@example.org</To></Dial><Say>Hi</Say></Response>`;
    const keypad = new KeypadCaller(player, { fastForward: true });
    const running = place(xml, { keypad });
    await vi.advanceTimersByTimeAsync(150);
    let ended = false;
    void running.then(() => (ended = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(ended).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    const live = await running;
    expect(live.end.t).toBe(60_000 + 4000 + 20_000 + 200);
  });

  it("stops a <Pause dtmf_stop> with one of its keys and reports every key pressed", async () => {
    const xml = `<Response><Pause length="10000" dtmf_stop="#"/><Say>Done</Say></Response>`;
    const keypad = new KeypadCaller(player);
    const running = place(xml, { keypad });
    await vi.advanceTimersByTimeAsync(1000);
    keypad.press("5");
    await vi.advanceTimersByTimeAsync(500);
    keypad.press("#");
    await vi.advanceTimersByTimeAsync(1000);
    const live = await running;
    expect(entries(live, "PAUSE")[0]!.detail).toMatchObject({ lengthMs: 10_000, stoppedAfterMs: 1500 });
    expect(entries(live, "DTMF")[0]).toMatchObject({ t: 1000, detail: { keys: "5#" } });
    expect(entries(live, "SAY")[0]!.t).toBe(1500);
  });
});
