/**
 * `/v1/calls/{call}/events`: authentication the Opentact way, filters, resume, ordering,
 * backpressure and the stale sweep, against the real CallSession object and hibernatable
 * sockets in workerd.
 */
import { env, exports } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, it } from "vitest";
import type { CallSession } from "../../src/call/CallSession.ts";
import { EventLog } from "../../src/events/log.ts";
import { callStateEvent } from "../../src/events/shapes.ts";
import { ADMIN, READER, callEntity, emit, range, seqs, subscribe } from "./events-helpers.ts";

const newCall = () => `call-${crypto.randomUUID()}`;

describe("authentication", () => {
  it("accepts ?token= and answers with an docs/opentact.md §d.2 auth frame", async ({ expect }) => {
    const call = newCall();
    const sub = await subscribe(`/v1/calls/${call}/events?token=${READER}`, { "CF-Connecting-IP": "203.0.113.7" });
    const auth = await sub.auth();
    expect(auth).toMatchObject({ type: "auth", success: true });
    expect(typeof auth.uuid).toBe("string");
    expect(typeof auth.created_on).toBe("string");
    const payload = auth.payload as {
      uuid: string;
      ip: string;
      user: { wss_online: boolean; role: string };
      account: { uuid: string };
      stream: Record<string, unknown>;
    };
    expect(auth.message).toBe(`WSS connection ${payload.uuid}@203.0.113.7 - success auth events@tactflow.invalid`);
    expect(payload.ip).toBe("203.0.113.7");
    expect(payload.user.wss_online).toBe(true);
    expect(auth.account).toEqual(payload.account);
    // Every account key docs/opentact.md §d.2 shows is present, so clients reading any of them find it.
    expect(Object.keys(payload.account)).toEqual(
      expect.arrayContaining([
        "uuid",
        "email",
        "name",
        "phone",
        "level",
        "address1",
        "address2",
        "zip_code",
        "city",
        "created_on",
        "modified_on",
        "deleted_on",
        "disabled_on",
      ]),
    );
    expect(payload.stream).toMatchObject({ kind: "call", scope: call, last_seq: 0, seq_field: "seq" });

    await emit(call, 2);
    expect(seqs(await sub.eventCount(2))).toEqual([1, 2]);
  });

  it.for([
    ["token", READER],
    ["jwt", ADMIN],
    ["X-Auth-Token", READER],
  ] as const)("accepts a first frame carrying the token as %s", async ([key, token], { expect }) => {
    const call = newCall();
    const sub = await subscribe(`/v1/calls/${call}/events`);
    await emit(call, 1);
    sub.send({ type: "auth", [key]: token });
    expect((await sub.auth()).success).toBe(true);
    // Nothing was delivered before authentication; the event published earlier is not replayed
    // without `since`, but the next one arrives.
    await emit(call, 1);
    expect(seqs(await sub.eventCount(1))).toEqual([2]);
    expect(sub.events()).toHaveLength(1);
  });

  it("accepts the X-Auth-Token header on the upgrade", async ({ expect }) => {
    const sub = await subscribe(`/v1/calls/${newCall()}/events`, { "X-Auth-Token": ADMIN });
    const auth = await sub.auth();
    expect(auth.success).toBe(true);
    expect(auth.message).toMatch(/success auth admin@tactflow\.invalid$/);
  });

  it("rejects a bad ?token= with success:false and close 4001", async ({ expect }) => {
    const sub = await subscribe(`/v1/calls/${newCall()}/events?token=nope`);
    const auth = await sub.auth();
    expect(auth).toMatchObject({ type: "auth", success: false });
    expect(auth.message).toMatch(/ - auth failed: invalid token$/);
    const closed = await sub.close();
    expect(closed.code).toBe(4001);
    expect(closed.reason).toBe("auth failed: invalid token");
  });

  it("rejects a bad first-frame token, and a first frame that is not auth", async ({ expect }) => {
    const call = newCall();
    const bad = await subscribe(`/v1/calls/${call}/events`);
    bad.send({ type: "auth", token: "wrong" });
    expect((await bad.close()).code).toBe(4001);
    expect((await bad.auth()).success).toBe(false);

    const wrongFrame = await subscribe(`/v1/calls/${call}/events`);
    wrongFrame.send({ type: "ack", seq: 1 });
    const closed = await wrongFrame.close();
    expect(closed).toEqual({ code: 4001, reason: "auth failed: expected an auth frame first, got ack" });

    const garbage = await subscribe(`/v1/calls/${call}/events`);
    garbage.send("hello");
    expect((await garbage.close()).code).toBe(4001);
  });

  it("closes 4001 when no auth arrives within 5 s (the object's alarm, not a timer)", async ({ expect }) => {
    const call = newCall();
    // A call the object knows (an object nobody started keeps no alarm: test/worker/call-unknown.test.ts).
    await emit(call, 1);
    const started = Date.now();
    const sub = await subscribe(`/v1/calls/${call}/events`);
    const alarm = await runInDurableObject(env.CALL.getByName(call), (_i, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm as number).toBeLessThanOrEqual(started + 5_000 + 1_000);
    const closed = await sub.close(15_000);
    expect(closed).toEqual({ code: 4001, reason: "auth failed: no authentication within 5 s" });
    expect((await sub.auth()).success).toBe(false);
  }, 20_000);

  it("answers pings through the runtime's auto-response", async ({ expect }) => {
    const sub = await subscribe(`/v1/calls/${newCall()}/events?token=${READER}`);
    await sub.auth();
    sub.send("ping");
    await sub.until(() => sub.texts.includes("pong"), "pong");
    expect(sub.closed).toBeNull();
  });
});

describe("the upgrade request", () => {
  it("answers 426 to a plain GET and 400 to bad filters, as problem documents", async ({ expect }) => {
    const plain = await exports.default.fetch(`http://tactflow.test/v1/calls/${newCall()}/events`);
    expect(plain.status).toBe(426);
    expect(plain.headers.get("content-type")).toBe("application/problem+json");

    const bad = await exports.default.fetch(`http://tactflow.test/v1/calls/${newCall()}/events?types=call_state,sms&since=-1`, {
      headers: { Upgrade: "websocket" },
    });
    expect(bad.status).toBe(400);
    const problem = (await bad.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((e) => e.path).sort()).toEqual(["since", "types"]);

    const tnOnCall = await exports.default.fetch(`http://tactflow.test/v1/calls/${newCall()}/events?tn=18382049000`, {
      headers: { Upgrade: "websocket" },
    });
    expect(tnOnCall.status).toBe(400);
  });

  it("are described in the OpenAPI document", async ({ expect }) => {
    const doc = (await (await exports.default.fetch("http://tactflow.test/v1/openapi.json")).json()) as {
      paths: Record<string, { get?: { responses?: Record<string, unknown> } }>;
    };
    expect(Object.keys(doc.paths["/v1/calls/{call}/events"]?.get?.responses ?? {})).toContain("101");
    expect(Object.keys(doc.paths["/v1/events"]?.get?.responses ?? {})).toContain("101");
  });
});

describe("filters", () => {
  it("?types= delivers only the listed event types", async ({ expect }) => {
    const call = newCall();
    const flows = await subscribe(`/v1/calls/${call}/events?types=call_flow&token=${READER}`);
    const states = await subscribe(`/v1/calls/${call}/events?types=call_state&token=${READER}`);
    const both = await subscribe(`/v1/calls/${call}/events?types=call_state,call_flow&token=${READER}`);
    await Promise.all([flows.auth(), states.auth(), both.auth()]);
    await emit(call, 6);
    expect(seqs(await both.eventCount(6))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seqs(await flows.eventCount(3))).toEqual([2, 4, 6]);
    expect(seqs(await states.eventCount(3))).toEqual([1, 3, 5]);
    expect(flows.events().every((e) => e.type === "call_flow" && e.tag === "greeting")).toBe(true);
  });

  it("applies filters to replays too", async ({ expect }) => {
    const call = newCall();
    await emit(call, 5);
    const sub = await subscribe(`/v1/calls/${call}/events?types=call_flow&since=0&token=${READER}`);
    expect(seqs(await sub.eventCount(2))).toEqual([2, 4]);
    await emit(call, 2);
    expect(seqs(await sub.eventCount(3))).toEqual([2, 4, 6]);
  });
});

describe("resume", () => {
  it("?since= replays what was missed across a disconnect, then goes live: no gap, no duplicate", async ({ expect }) => {
    const call = newCall();
    const first = await subscribe(`/v1/calls/${call}/events?token=${READER}`);
    await first.auth();
    await emit(call, 3);
    const seen = seqs(await first.eventCount(3));
    first.ws.close(1000, "bye");
    await first.close();

    await emit(call, 4); // 4..7 happen while nobody listens
    const again = await subscribe(`/v1/calls/${call}/events?since=${seen.at(-1)}&token=${READER}`);
    expect((await again.auth()).payload?.stream).toMatchObject({ since: 3, last_seq: 7 });
    expect(seqs(await again.eventCount(4))).toEqual([4, 5, 6, 7]);
    await emit(call, 2);
    expect(seqs(await again.eventCount(6))).toEqual([4, 5, 6, 7, 8, 9]);
    expect(new Set(again.events().map((e) => e.uuid)).size).toBe(6);
  });

  it("resumes from the log after the object is evicted", async ({ expect }) => {
    const call = newCall();
    const sub = await subscribe(`/v1/calls/${call}/events?token=${READER}`);
    await sub.auth();
    await emit(call, 2);
    await sub.eventCount(2);
    await evictDurableObject(env.CALL.getByName(call), { webSockets: "close" });
    await sub.close();

    await emit(call, 3);
    const again = await subscribe(`/v1/calls/${call}/events?since=2&token=${READER}`);
    expect(seqs(await again.eventCount(3))).toEqual([3, 4, 5]);
    const before = sub.events().map((e) => e.uuid);
    expect(again.events().some((e) => before.includes(e.uuid))).toBe(false);
  });

  it("keeps a hibernated socket's place: after the object wakes, the next events follow on", async ({ expect }) => {
    const call = newCall();
    const slowReplay = await subscribe(`/v1/calls/${call}/events?token=${READER}`);
    const live = await subscribe(`/v1/calls/${call}/events?types=call_state&token=${READER}`);
    await Promise.all([slowReplay.auth(), live.auth()]);
    await emit(call, 3);
    await slowReplay.eventCount(3);
    await live.eventCount(2);
    slowReplay.send({ type: "ack", seq: 3 });
    await evictDurableObject(env.CALL.getByName(call), { webSockets: "hibernate" });
    await emit(call, 3);
    expect(seqs(await slowReplay.eventCount(6))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seqs(await live.eventCount(3))).toEqual([1, 3, 5]);
    expect(slowReplay.closed).toBeNull();
  });

  it("a since beyond the end of the log is treated as the end", async ({ expect }) => {
    const call = newCall();
    await emit(call, 2);
    const sub = await subscribe(`/v1/calls/${call}/events?since=50&token=${READER}`);
    await sub.auth();
    await emit(call, 1);
    expect(seqs(await sub.eventCount(1))).toEqual([3]);
  });
});

describe("ordering", () => {
  it("delivers events from concurrent producers in log order, each once", async ({ expect }) => {
    const call = newCall();
    const sub = await subscribe(`/v1/calls/${call}/events?token=${READER}`);
    await sub.auth();
    await Promise.all(range(1, 20).map(() => emit(call, 5)));
    expect(seqs(await sub.eventCount(100))).toEqual(range(1, 100));
  });

  it("keeps the log's order when the platform posts many events for one call at once", async ({ expect }) => {
    const call = newCall();
    const sub = await subscribe(`/v1/calls/${call}/events?token=${READER}`);
    const hubSub = await subscribe(`/v1/events?token=${READER}`);
    await Promise.all([sub.auth(), hubSub.auth()]);
    const post = (i: number) =>
      exports.default.fetch("http://tactflow.test/v1/webhooks/events", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          uuid: crypto.randomUUID(),
          created_on: new Date().toISOString(),
          type: "call_flow",
          success: true,
          message: `[success] command Say[${i}], reason: step ${i}`,
          command: "Say",
          payload: {
            command: { name: "Say", success: true, reason: `step ${i}`, path: `Say[${i}]`, children: [], error: [] },
            call: callEntity(call),
          },
        }),
      });
    const answers = await Promise.all(range(1, 30).map(post));
    expect(answers.every((r) => r.status < 300)).toBe(true);
    const events = await sub.eventCount(30);
    expect(seqs(events)).toEqual(range(1, 30));
    expect(new Set(events.map((e) => e.uuid)).size).toBe(30);
    // The hub copy keeps the call's order too.
    await hubSub.until(() => hubSub.events().filter((e) => e.call_uuid === call).length >= 30, "30 events through the hub");
    expect(
      hubSub
        .events()
        .filter((e) => e.call_uuid === call)
        .map((e) => e.uuid),
    ).toEqual(events.map((e) => e.uuid));
  });

  it("fills a gap from the log when events are published out of order", async ({ expect }) => {
    const call = newCall();
    const sub = await subscribe(`/v1/calls/${call}/events?token=${READER}`);
    await sub.auth();
    await runInDurableObject(env.CALL.getByName(call), (instance: CallSession, state) => {
      const log = new EventLog(state.storage.sql);
      const a = log.append(callStateEvent(callEntity(call), "init", new Date()));
      const b = log.append(callStateEvent(callEntity(call), "ringing", new Date()));
      const c = log.append(callStateEvent(callEntity(call), "live", new Date()));
      instance.publish(c);
      instance.publish(a);
      instance.publish(b);
    });
    const events = await sub.eventCount(3);
    expect(seqs(events)).toEqual([1, 2, 3]);
    expect(events.map((e) => e.payload?.state)).toEqual(["init", "ringing", "live"]);
    await emit(call, 1);
    expect(seqs(await sub.eventCount(4))).toEqual([1, 2, 3, 4]);
  });
});

describe("backpressure", () => {
  it("closes a subscriber that stops acknowledging with 1013 once its window is full, without holding up the call or other subscribers", async ({
    expect,
  }) => {
    const call = newCall();
    const stalled = await subscribe(`/v1/calls/${call}/events?window=4&token=${READER}`);
    const keeping = await subscribe(`/v1/calls/${call}/events?window=4&token=${READER}`);
    await Promise.all([stalled.auth(), keeping.auth()]);
    for (let i = 0; i < 12; i++) {
      await emit(call, 1);
      // The keeping-up reader acknowledges what it has; the stalled one never does.
      await keeping.eventCount(i + 1);
      keeping.send({ type: "ack", seq: i + 1 });
    }
    const closed = await stalled.close();
    expect(closed.code).toBe(1013);
    expect(closed.reason).toMatch(/^backpressure: 4 events unacknowledged/);
    expect(seqs(stalled.events())).toEqual([1, 2, 3, 4]);
    expect(seqs(await keeping.eventCount(12))).toEqual(range(1, 12));
    expect(keeping.closed).toBeNull();
    const logged = await runInDurableObject(env.CALL.getByName(call), (_i, state) => new EventLog(state.storage.sql).lastSeq());
    expect(logged).toBe(12);
  });

  it("paces a long replay by acknowledgements instead of dropping the reader", async ({ expect }) => {
    const call = newCall();
    await emit(call, 40);
    const sub = await subscribe(`/v1/calls/${call}/events?since=0&window=8&token=${READER}`);
    await sub.auth();
    // Half the window is sent, then the replay waits for acks.
    await sub.eventCount(4);
    expect(sub.events()).toHaveLength(4);
    let acked = 0;
    while (sub.events().length < 40) {
      const have = sub.events().length;
      const last = sub.events().at(-1)?.seq ?? 0;
      if (last > acked) {
        sub.send({ type: "ack", seq: last });
        acked = last;
      }
      await sub.until(() => sub.events().length > have, `more replay after ack ${acked}`);
    }
    expect(seqs(sub.events())).toEqual(range(1, 40));
    expect(sub.closed).toBeNull();
  });

  it("reports malformed frames from an authenticated client without closing it", async ({ expect }) => {
    const sub = await subscribe(`/v1/calls/${newCall()}/events?token=${READER}`);
    await sub.auth();
    sub.send({ type: "ack", seq: "x" });
    await sub.until(() => sub.frames.some((f) => f.type === "error"), "an error frame");
    expect(sub.closed).toBeNull();
  });
});

describe("closing", () => {
  it.for([
    ["no status code (the server sees 1005)", undefined, 1000],
    ["1000", 1000, 1000],
    ["1001 going away", 1001, 1001],
    ["an application code", 4000, 4000],
  ] as const)("reciprocates a client's close with %s, never with a reserved code", async ([, sent, echoed], { expect }) => {
    const sub = await subscribe(`/v1/calls/${newCall()}/events?token=${READER}`);
    await sub.auth();
    if (sent === undefined) sub.ws.close();
    else sub.ws.close(sent, "bye");
    const closed = await sub.close();
    expect(closed.code).toBe(echoed);
  });
});
