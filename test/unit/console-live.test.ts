/**
 * The console's live pages read calls from events alone: the rows of the live list and a
 * number's recent calls (console/src/live/model.ts), and a call's timeline (timeline.ts).
 */
import { describe, expect, it } from "vitest";
import { applyEvents, type CallRow, ended, inProgress } from "../../console/src/live/model.ts";
import type { StreamEvent } from "../../console/src/live/event.ts";
import { timelineOf } from "../../console/src/live/timeline.ts";

const call = { uuid: "c1", direction: "in", from: "+12125550123", to: "18005550100" };
let hub = 0;

function state(id: string, seq: number, s: string, extra: Record<string, unknown> = {}, at = "2026-11-30T10:00:00.000Z"): StreamEvent {
  return {
    type: "call_state",
    seq,
    hub_seq: ++hub,
    call_uuid: id,
    created_on: at,
    payload: { state: s, duration: 0, q850_cause: null, q850_cause_string: null, ...extra },
    call: { ...call, uuid: id },
  };
}

function flow(id: string, seq: number, command: Record<string, unknown>, success = true, at = "2026-11-30T10:00:01.000Z"): StreamEvent {
  return {
    type: "call_flow",
    seq,
    hub_seq: ++hub,
    call_uuid: id,
    created_on: at,
    success,
    command: String(command["name"]),
    payload: { command: { success, children: [], error: [], ...command }, call: { ...call, uuid: id } },
  };
}

const decision = (id: string, seq: number, digits: string) =>
  flow(id, seq, {
    name: "Gather",
    path: "g1",
    node: "g1",
    attempt: 1,
    attempts: 3,
    digits,
    input: digits ? "match" : "timeout",
    action: "branch",
    branch: digits ? `Case=${digits}` : "Error",
    reason: `digits "${digits}"`,
  });

describe("live calls from events", () => {
  it("shows a call in progress with its number, caller, state and the command it is at, then as ended with its cause", () => {
    const calls = new Map<string, CallRow>();
    applyEvents(calls, [
      state("c1", 1, "init"),
      state("c1", 2, "ringing"),
      flow("c1", 3, { name: "Response", path: "Response", reason: "flow 222e7bddebeb served", version: "222e7bddebeb" }),
      state("c1", 4, "live"),
      flow("c1", 5, { name: "Say", path: "Gather[1]/Say[0]", reason: "Say finished", source: "platform" }),
    ]);
    const [row] = inProgress(calls);
    expect(row).toMatchObject({
      id: "c1",
      tn: "18005550100",
      from: "+12125550123",
      state: "live",
      node: "Gather[1]/Say[0]",
      version: "222e7bddebeb",
    });

    applyEvents(calls, [decision("c1", 6, "1")]);
    expect(inProgress(calls)[0]!.node).toBe('g1 "1" → Case=1');

    applyEvents(calls, [
      state("c1", 7, "hangup", { duration: 33, q850_cause: 16, q850_cause_string: "NORMAL_CLEARING" }, "2026-11-30T10:00:33.000Z"),
    ]);
    expect(inProgress(calls)).toEqual([]);
    expect(ended(calls, 50)[0]).toMatchObject({ id: "c1", outcome: "NORMAL_CLEARING", duration: 33 });
  });

  it("an event older than what a call already shows is counted but does not take it back", () => {
    const calls = new Map<string, CallRow>();
    applyEvents(calls, [state("c2", 1, "init"), state("c2", 3, "hangup", { q850_cause_string: "NORMAL_CLEARING" })]);
    applyEvents(calls, [state("c2", 2, "live")]);
    expect(calls.get("c2")).toMatchObject({ state: "hangup", events: 3 });
    expect(inProgress(calls)).toEqual([]);
  });

  it("a failed command is the outcome of the call it ended", () => {
    const calls = new Map<string, CallRow>();
    applyEvents(calls, [
      state("c3", 1, "live"),
      flow("c3", 2, { name: "Dial", path: "Dial[1]", reason: "busy", source: "platform" }, false),
      state("c3", 3, "hangup", { q850_cause_string: "NORMAL_CLEARING" }),
    ]);
    expect(calls.get("c3")!.outcome).toBe("failed: Dial[1]: busy");
  });

  it("keeps the newest ended calls first, up to the limit", () => {
    const calls = new Map<string, CallRow>();
    for (let i = 0; i < 60; i++) {
      const at = new Date(Date.UTC(2026, 10, 30, 10, 0, i)).toISOString();
      applyEvents(calls, [state(`n${i}`, 1, "live", {}, at), state(`n${i}`, 2, "hangup", {}, at)]);
    }
    const last = ended(calls, 50);
    expect(last).toHaveLength(50);
    expect(last[0]!.id).toBe("n59");
    expect(last.at(-1)!.id).toBe("n10");
  });
});

describe("a call's timeline", () => {
  it("names states, the flow served, commands, a Gather decision with its digits and attempt, deliveries and the end's cause", () => {
    const lines = timelineOf([
      state("c1", 1, "ringing"),
      flow("c1", 2, { name: "Response", path: "Response", reason: "flow 222e7bddebeb served" }),
      flow("c1", 3, { name: "Say", path: "Gather[1]/Say[0]", reason: "Say finished", source: "platform" }),
      decision("c1", 4, "2"),
      decision("c1", 5, ""),
      flow("c1", 6, { name: "Say", path: "Commands[1].Say[0]", reason: "delivered" }),
      flow("c1", 7, { name: "Dial", path: "Dial[1]", reason: "busy", source: "platform" }, false),
      state("c1", 8, "hangup", { duration: 12, q850_cause: 16, q850_cause_string: "NORMAL_CLEARING" }),
    ]);
    expect(lines.map((l) => `${l.kind} ${l.text}${l.ok ? "" : " (failed)"}`)).toEqual([
      "state ringing",
      "served flow 222e7bddebeb served",
      "command Gather[1]/Say[0]: Say finished",
      'decision Gather g1: digits "2" (match, attempt 1 of 3) → branch Case=2',
      "decision Gather g1: no digits (timeout, attempt 1 of 3) → branch Error",
      "delivery Commands[1].Say[0]: delivered",
      "command Dial[1]: busy (failed)",
      "end hangup — NORMAL_CLEARING (16), 12 s",
    ]);
  });
});
