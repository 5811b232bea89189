/**
 * Nothing is stored for a call nobody started: whatever the route and whatever the token,
 * requests naming unknown call ids leave no table, row or alarm in any call object, and the
 * token-checked routes refuse before any object is reached. A call that does start still gets
 * the subscribers that were waiting for it.
 */
import { env, exports } from "cloudflare:workers";
import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { describe, it } from "vitest";
import app from "../../src/index.ts";
import type { CallSession } from "../../src/call/CallSession.ts";
import { READER, subscribe } from "./events-helpers.ts";

const ORIGIN = "http://tactflow.test";
const ADMIN = { authorization: "Bearer test-admin-token" };
const guarded = { ...env, WEBHOOK_TOKEN: "hook-secret" } as Env;

/** What a call object holds: its tables (ours and the runtime's) and its alarm. */
async function held(id: DurableObjectId): Promise<{ tables: number; alarm: number | null }> {
  return runInDurableObject(env.CALL.get(id), async (_i: CallSession, state) => ({
    tables: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master").one().n,
    alarm: await state.storage.getAlarm(),
  }));
}

/** The call objects of these call ids that the runtime has started at all. */
async function started(calls: string[]): Promise<string[]> {
  const ids = new Set((await listDurableObjectIds(env.CALL)).map((id) => id.toString()));
  return calls.filter((c) => ids.has(env.CALL.idFromName(c).toString()));
}

async function upgrade(call: string, query = "", headers: Record<string, string> = {}): Promise<Response> {
  return exports.default.fetch(`${ORIGIN}/v1/calls/${call}/events${query}`, { headers: { Upgrade: "websocket", ...headers } });
}

/** Opens a socket and closes it again once the server has said what it has to say. */
async function touchSocket(call: string, query: string, frame?: unknown): Promise<number> {
  const res = await upgrade(call, query);
  const ws = res.webSocket;
  if (!ws) return res.status;
  ws.accept();
  if (frame !== undefined) ws.send(JSON.stringify(frame));
  await new Promise((r) => setTimeout(r, 5));
  ws.close(1000, "done");
  return res.status;
}

describe("requests for call ids nobody started", () => {
  it("1,000 of them, on every call route, with and without tokens, leave no storage", async ({ expect }) => {
    const ids = Array.from({ length: 1000 }, (_, i) => `stranger-${i}-${crypto.randomUUID()}`);
    const routes: Array<(call: string) => Promise<number>> = [
      // WebSocket upgrades: no token (first-frame auth), a bad one, a bad first frame, a good one.
      (call) => touchSocket(call, ""),
      (call) => touchSocket(call, "?token=nope"),
      (call) => touchSocket(call, "", { type: "auth", token: "nope" }),
      (call) => touchSocket(call, `?token=${READER}`),
      // Reads and commands, authenticated and not.
      async (call) => (await exports.default.fetch(`${ORIGIN}/v1/calls/${call}`, { headers: ADMIN })).status,
      async (call) => (await exports.default.fetch(`${ORIGIN}/v1/calls/${call}`)).status,
      async (call) =>
        (
          await exports.default.fetch(`${ORIGIN}/v1/calls/${call}/commands`, {
            method: "POST",
            headers: { ...ADMIN, "content-type": "application/xml" },
            body: "<Say>hello</Say>",
          })
        ).status,
      // A Gather callback, with the platform's token and without it.
      async (call) => (await exports.default.fetch(`${ORIGIN}/v1/calls/${call}/gather?node=g1&attempt=1&dtmf=1`)).status,
      async (call) =>
        (await app.fetch(new Request(`${ORIGIN}/v1/calls/${call}/gather?node=g1&attempt=1&dtmf=1&token=nope`), guarded)).status,
      // A platform event without the platform's token.
      async (call) =>
        (
          await app.fetch(
            new Request(`${ORIGIN}/v1/webhooks/events?token=nope`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ uuid: call, direction: "in", from: "+12015550123", to: "18005550100", state: "live" }),
            }),
            guarded,
          )
        ).status,
    ];
    const statuses = new Map<number, number>();
    for (let i = 0; i < ids.length; i += 50) {
      const chunk = ids.slice(i, i + 50);
      const got = await Promise.all(chunk.map((call, j) => routes[(i + j) % routes.length]!(call)));
      for (const s of got) statuses.set(s, (statuses.get(s) ?? 0) + 1);
    }
    // Every route answered as it does for an unknown call: 101 sockets, 404 reads and commands,
    // the Gather fallback (200), 401 without a token.
    expect([...statuses.keys()].sort()).toEqual([101, 200, 401, 404]);

    const objects = await started(ids);
    const holding = [];
    for (const call of objects) {
      const h = await held(env.CALL.idFromName(call));
      if (h.tables > 0 || h.alarm !== null) holding.push({ call, ...h });
    }
    expect(holding).toEqual([]);
    // The token-checked routes refused before any object was reached.
    const refusedFirst = ids.filter((_, i) => [5, 8, 9].includes(i % routes.length));
    expect(await started(refusedFirst)).toEqual([]);
  }, 60_000);

  it("a socket that never authenticates on an unknown call is closed after 5 s, without an alarm or storage", async ({ expect }) => {
    const call = `stranger-${crypto.randomUUID()}`;
    const sub = await subscribe(`/v1/calls/${call}/events`);
    expect(await held(env.CALL.idFromName(call))).toEqual({ tables: 0, alarm: null });
    expect(await sub.close(15_000)).toEqual({ code: 4001, reason: "auth failed: no authentication within 5 s" });
    expect(await held(env.CALL.idFromName(call))).toEqual({ tables: 0, alarm: null });
  }, 20_000);

  it("a subscriber waiting for a call gets its events once the call starts, and the call's alarm watches it", async ({ expect }) => {
    const call = `early-${crypto.randomUUID()}`;
    const sub = await subscribe(`/v1/calls/${call}/events?token=${READER}`);
    await sub.auth();
    expect(await held(env.CALL.idFromName(call))).toEqual({ tables: 0, alarm: null });
    const res = await exports.default.fetch(`${ORIGIN}/v1/webhooks/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ uuid: call, direction: "in", from: "+12015550123", to: "18005550100", state: "ringing" }),
    });
    expect(res.status).toBe(202);
    const [first] = await sub.eventCount(1);
    expect(first).toMatchObject({ type: "call_state", seq: 1, payload: { state: "ringing" } });
    const timers = await runInDurableObject(env.CALL.getByName(call), (_i: CallSession, state) =>
      state.storage.sql
        .exec<{ id: string }>("SELECT id FROM timers ORDER BY id")
        .toArray()
        .map((t) => t.id),
    );
    expect(timers).toEqual(["events", "max_length"]);
    await runInDurableObject(env.CALL.getByName(call), (_i: CallSession, state) => state.storage.deleteAlarm());
  });
});
