/**
 * Parked calls (docs/architecture.md §3): the holding document, the deadline on
 * the object's alarm, commands delivered through the Call Control API (a stand-in Worker here)
 * and spaced by `<Pause>`, the timeout hang-up, and refusals once the call is over.
 */
import { env, exports } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, it } from "vitest";
import type { CallSession } from "../../src/call/CallSession.ts";
import { advance, begin, clearAlarms, commands, newCall, outline, rootOf, sentTo, snapshot, timers } from "./call-helpers.ts";

afterEach(clearAlarms);

const PARKED = `<Response><Answer/><Say>Please hold</Say></Response>`;
const ASYNC = { mode: "async" as const, parkTimeoutMs: 30_000 };

async function deadline(call: string): Promise<number | null> {
  return (await timers(call)).find((t) => t.kind === "park_deadline")?.due_at ?? null;
}

describe("parking", () => {
  it("answers the flow followed by a holding <Hold>, and arms the deadline", async ({ expect }) => {
    const call = newCall("park");
    const before = Date.now();
    const r = await begin(call, PARKED, ASYNC);
    expect(r.mode).toBe("async");
    expect(outline(rootOf(r.xml))).toEqual(["Answer", "Say:Please hold", "Hold"]);
    expect(rootOf(r.xml).children.at(-1)).toMatchObject({
      attrs: [
        { name: "timeout", value: "40000" },
        { name: "tag", value: "tactflow-park" },
      ],
    });
    const due = await deadline(call);
    expect(due).toBeGreaterThanOrEqual(before + 30_000);
    expect(due).toBeLessThanOrEqual(Date.now() + 30_000);
    const alarm = await runInDurableObject(env.CALL.getByName(call), (_i: CallSession, state) => state.storage.getAlarm());
    expect(alarm).toBe(due);
  });

  it("uses PARK_TIMEOUT_MS when the flow sets no parkTimeoutMs", async ({ expect }) => {
    const call = newCall("park");
    const before = Date.now();
    await begin(call, PARKED, { mode: "async" });
    expect((await deadline(call))! - before).toBeGreaterThanOrEqual(Number(env.PARK_TIMEOUT_MS));
  });

  it("an early alarm changes nothing; at the deadline the call is hung up with a timeout cause, once", async ({ expect }) => {
    const call = newCall("park");
    await begin(call, PARKED, ASYNC);
    // The alarm runs before anything is due (a re-delivery, or a test helper): nothing happens.
    expect(await runDurableObjectAlarm(env.CALL.getByName(call))).toBe(true);
    expect(await sentTo(call)).toEqual([]);
    expect(await deadline(call)).not.toBeNull();
    // 30 s later.
    expect(await advance(call, 30_000)).toBe(true);
    const sent = await sentTo(call);
    expect(sent.map((s) => s.action)).toEqual(["hangup"]);
    expect(JSON.parse(sent[0]!.body)).toEqual({
      q850_cause: 102,
      q850_cause_string: "RECOVERY_ON_TIMER_EXPIRE",
      reason: "park timeout: no command within 30000 ms",
    });
    expect(sent[0]!.token).toBe("test-platform-token");
    const snap = await snapshot(call);
    const hangup = snap.body.events.find((e) => e.type === "call_state");
    expect(hangup?.payload).toMatchObject({
      state: "hangup",
      reason: "park timeout: no command within 30000 ms",
      q850_cause: 102,
      q850_cause_string: "RECOVERY_ON_TIMER_EXPIRE",
    });
    expect(snap.body.ended).toMatchObject({ reason: "park timeout" });
    // Running the alarm again (at-least-once delivery) hangs up nothing more.
    await runInDurableObject(env.CALL.getByName(call), (instance: CallSession) => instance.alarm());
    expect(await sentTo(call)).toHaveLength(1);
    // And the object has scheduled its own cleanup.
    expect((await timers(call)).map((t) => t.kind)).toContain("cleanup");
  });

  it("commands after the hang-up get 409", async ({ expect }) => {
    const call = newCall("park");
    await begin(call, PARKED, ASYNC);
    await advance(call, 30_000);
    const late = await commands(call, "<Say>Too late</Say>");
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ title: "Call has ended" });
    expect((await sentTo(call)).map((s) => s.action)).toEqual(["hangup"]);
  });

  it("the deadline and the pending state survive eviction", async ({ expect }) => {
    const call = newCall("park");
    await begin(call, PARKED, ASYNC);
    const due = await deadline(call);
    await evictDurableObject(env.CALL.getByName(call));
    expect(await deadline(call)).toBe(due);
    await advance(call, 30_000);
    expect((await sentTo(call)).map((s) => s.action)).toEqual(["hangup"]);
  });
});

describe("commands", () => {
  it("delivers commands at once, re-arms the deadline, and spaces the rest by <Pause> through the alarm", async ({ expect }) => {
    const call = newCall("cmd");
    await begin(call, PARKED, ASYNC);
    await advance(call, 20_000); // 20 s into the 30 s window: nothing due yet
    expect(await sentTo(call)).toEqual([]);
    const first = await deadline(call);
    expect(first! - Date.now()).toBeLessThanOrEqual(10_000);
    const r = await commands(call, `<Say>Your agent is ready</Say><Pause length="2000"/><Say tag="bye">Connecting</Say>`);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ deliveries: 2, delivered: 1, pending: 1, errors: [] });
    let sent = await sentTo(call);
    expect(sent.map((s) => [s.action, s.body])).toEqual([["commands", "<Response><Say>Your agent is ready</Say></Response>"]]);
    expect(sent[0]!.contentType).toBe("application/xml; charset=utf-8");
    // Re-armed: 30 s from the command plus the 2 s still queued (the old one had 10 s left).
    const rearmed = await deadline(call);
    expect(rearmed! - first!).toBeGreaterThanOrEqual(21_000);
    expect(rearmed! - Date.now()).toBeGreaterThan(31_000);
    // The Pause holds the second delivery until its time.
    expect(await runDurableObjectAlarm(env.CALL.getByName(call))).toBe(true);
    expect(await sentTo(call)).toHaveLength(1);
    await advance(call, 2_000);
    sent = await sentTo(call);
    expect(sent.map((s) => s.body)).toEqual([
      "<Response><Say>Your agent is ready</Say></Response>",
      '<Response><Say tag="bye">Connecting</Say></Response>',
    ]);
    // Each delivery has its own idempotency key, stable across retries.
    expect(new Set(sent.map((s) => s.idempotencyKey)).size).toBe(2);
    const snap = await snapshot(call);
    const delivered = snap.body.events.filter((e) => e.type === "call_flow" && String(e.message).includes("delivered"));
    expect(delivered.map((e) => [e.command, e.tag])).toEqual([
      ["Say", undefined],
      ["Say", "bye"],
    ]);
  });

  it("a deadline re-armed by a command does not fire at the old time, and fires at the new one", async ({ expect }) => {
    const call = newCall("cmd");
    await begin(call, PARKED, ASYNC);
    await advance(call, 25_000);
    expect((await commands(call, "<Say>Still there</Say>")).status).toBe(202);
    await advance(call, 10_000); // past the original deadline, 10 s after the command
    expect((await sentTo(call)).map((s) => s.action)).toEqual(["commands"]);
    await advance(call, 20_000); // 30 s after the command
    expect((await sentTo(call)).map((s) => s.action)).toEqual(["commands", "hangup"]);
  });

  it("a <Hangup/> in the commands ends the call: later commands get 409, nothing after it is sent", async ({ expect }) => {
    const call = newCall("cmd");
    await begin(call, PARKED, ASYNC);
    const r = await commands(call, `<Response><Say>Bye</Say><Hangup/><Say>never</Say></Response>`);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ dropped: ["Say"], deadline_at: null });
    expect((await sentTo(call)).map((s) => s.body)).toEqual(["<Response><Say>Bye</Say><Hangup/></Response>"]);
    expect((await commands(call, "<Say>more</Say>")).status).toBe(409);
    expect(await deadline(call)).toBeNull();
  });

  it("invalid XML is 422 with diagnostics at the caller's own line:col", async ({ expect }) => {
    const call = newCall("cmd");
    await begin(call, PARKED, ASYNC);
    const r = await commands(call, `<Say>ok</Say>\n<Pause length="soon"/>`);
    expect(r.status).toBe(422);
    const diags = r.body.diagnostics as Array<{ line: number; col: number; message: string }>;
    expect(diags[0]).toMatchObject({ line: 2, col: 8 });
    expect(diags[0]!.message).toMatch(/milliseconds/);
    const unknown = await commands(call, "<Sya>typo</Sya>");
    expect(unknown.status).toBe(422);
    expect(await sentTo(call)).toEqual([]);
  });

  it("an Idempotency-Key makes a retried POST a no-op that returns the first answer", async ({ expect }) => {
    const call = newCall("cmd");
    await begin(call, PARKED, ASYNC);
    const a = await commands(call, "<Say>Once</Say>", { "idempotency-key": "k-1" });
    const b = await commands(call, "<Say>Once</Say>", { "idempotency-key": "k-1" });
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(b.body).toMatchObject({ delivered: 1, replay: true });
    expect(await sentTo(call)).toHaveLength(1);
  });

  it("a repeat with the same Idempotency-Key while the first is still delivering is refused, not delivered twice", async ({ expect }) => {
    const call = newCall("platform-down");
    await begin(call, PARKED, ASYNC);
    // The stand-in platform is "down" for this call, so the first request spends a while failing.
    const [a, b] = await Promise.all([
      commands(call, "<Say>Once</Say>", { "idempotency-key": "k-2" }),
      commands(call, "<Say>Once</Say>", { "idempotency-key": "k-2" }),
    ]);
    expect([a.status, b.status].sort()).toEqual([202, 409]);
    expect((await sentTo(call)).length).toBe(1);
  });

  it("a platform that is down: the delivery is retried by the alarm with backoff, then given up and reported", async ({ expect }) => {
    const call = newCall("platform-down");
    await begin(call, PARKED, ASYNC);
    const r = await commands(call, "<Say>Hello</Say>");
    expect(r.body).toMatchObject({ delivered: 0, pending: 1 });
    expect((r.body.errors as string[])[0]).toMatch(/503/);
    for (const wait of [1_000, 2_000, 4_000, 8_000]) await advance(call, wait);
    expect(await sentTo(call)).toHaveLength(5);
    const snap = await snapshot(call);
    const failed = snap.body.events.find((e) => e.type === "call_flow" && e.success === false);
    expect(String(failed?.message)).toMatch(/not delivered after 5 tries/);
    expect((snap.body.parked as { pendingDeliveries: number }).pendingDeliveries).toBe(0);
  });

  it("a platform that refuses (success: false) is not retried", async ({ expect }) => {
    const call = newCall("platform-refuses");
    await begin(call, PARKED, ASYNC);
    const r = await commands(call, "<Say>Hello</Say>");
    expect(r.body).toMatchObject({ delivered: 0, pending: 0 });
    expect(await sentTo(call)).toHaveLength(1);
  });

  it("refuses commands for unknown calls (404) and for calls of a sync flow (409)", async ({ expect }) => {
    expect((await commands(newCall("nobody"), "<Say>Hi</Say>")).status).toBe(404);
    const sync = newCall("sync");
    await begin(sync, PARKED);
    const r = await commands(sync, "<Say>Hi</Say>");
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ title: "Call is not parked" });
  });

  it("requires the admin token", async ({ expect }) => {
    const call = newCall("cmd");
    await begin(call, PARKED, ASYNC);
    const direct = await exports.default.fetch(`https://tf.test/v1/calls/${call}/commands`, { method: "POST", body: "<Say>x</Say>" });
    expect(direct.status).toBe(401);
  });
});
