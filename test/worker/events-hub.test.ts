/**
 * `/v1/events`: the account-wide stream served by EventHub. Calls forward a copy of every
 * event off their critical path; the hub keeps its own numbered log so its subscribers can
 * filter by TN and resume like call subscribers do.
 */
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, it } from "vitest";
import { CallEvents, FORWARD_RETRY_MS } from "../../src/events/callEvents.ts";
import { HUB_NAME } from "../../src/events/EventHub.ts";
import { EventLog } from "../../src/events/log.ts";
import { callFlowEvent } from "../../src/events/shapes.ts";
import type { CallSession } from "../../src/call/CallSession.ts";
import type { EventHub } from "../../src/events/EventHub.ts";
import type { CallEvent } from "../../src/events/shapes.ts";
import { READER, callEntity, emit, range, seqs, subscribe } from "./events-helpers.ts";
import type { Frame } from "./events-helpers.ts";

const newCall = () => `call-${crypto.randomUUID()}`;
const hub = () => env.EVENT_HUB.getByName(HUB_NAME);

/** Only the frames of the calls a test made (the hub is shared by every test in the file). */
function of(frames: Frame[], calls: string[]): Frame[] {
  return frames.filter((f) => calls.includes(f.call_uuid as string));
}

describe("fan-out through the hub", () => {
  it("every call's events reach hub subscribers with the call's uuid and seq and a hub_seq", async ({ expect }) => {
    const a = newCall();
    const b = newCall();
    const sub = await subscribe(`/v1/events?token=${READER}`);
    const auth = await sub.auth();
    expect(auth.payload?.stream).toMatchObject({ kind: "hub", scope: "account", seq_field: "hub_seq" });
    await emit(a, 3);
    await emit(b, 2);
    await emit(a, 1);
    await sub.until(() => of(sub.events(), [a, b]).length >= 6, "6 events from two calls");
    const got = of(sub.events(), [a, b]);
    expect(got.filter((f) => f.call_uuid === a).map((f) => f.seq)).toEqual([1, 2, 3, 4]);
    expect(got.filter((f) => f.call_uuid === b).map((f) => f.seq)).toEqual([1, 2]);
    const hubSeqs = seqs(sub.events(), "hub_seq");
    expect(hubSeqs).toEqual([...hubSeqs].sort((x, y) => x - y));
    expect(new Set(hubSeqs).size).toBe(hubSeqs.length);
    // The event itself is unchanged: the same uuid the call logged.
    const fromCall = await emit(a, 1);
    await sub.until(() => sub.events().some((f) => f.uuid === fromCall[0]?.uuid), "the forwarded event");
  });

  it("takes repeats of an event once (a retried forward)", async ({ expect }) => {
    const call = newCall();
    const events = await emit(call, 2, { publish: false });
    const first = await hub().ingest(events);
    const again = await hub().ingest(events);
    expect(first.accepted).toBe(2);
    expect(again.accepted).toBe(0);
    expect(again.last_hub_seq).toBe(first.last_hub_seq);
  });

  it("a forward that never happened is caught up by the call's next event, or by its alarm", async ({ expect }) => {
    const sub = await subscribe(`/v1/events?token=${READER}`);
    await sub.auth();
    // Logged but never forwarded (as if the object was evicted before its forward ran).
    const byEvent = newCall();
    const missed = await emit(byEvent, 2, { publish: false });
    const next = await emit(byEvent, 1);
    await sub.until(() => of(sub.events(), [byEvent]).length >= 3, "the missed events and the next one");
    expect(of(sub.events(), [byEvent]).map((f) => f.uuid)).toEqual([...missed, ...next].map((e) => e.uuid));

    const byAlarm = newCall();
    const quiet = await emit(byAlarm, 2, { publish: false });
    const wakes = await runInDurableObject(env.CALL.getByName(byAlarm), (_instance, state) => {
      const asked: number[] = [];
      const events = new CallEvents(state, env, { log: new EventLog(state.storage.sql), requestWake: (at) => asked.push(at) });
      const before = events.nextWake(Date.now());
      events.alarm(Date.now());
      return { before, asked: asked.length };
    });
    expect(wakes.before).not.toBeNull();
    expect(wakes.asked).toBe(1);
    await sub.until(() => of(sub.events(), [byAlarm]).length >= 2, "the quiet call's events, sent by its alarm");
    expect(of(sub.events(), [byAlarm]).map((f) => f.uuid)).toEqual(quiet.map((e) => e.uuid));
  });

  it("filters by ?tn= (the call's own number) and ?types=", async ({ expect }) => {
    const mine = newCall();
    const other = newCall();
    const outbound = newCall();
    const byTn = await subscribe(`/v1/events?tn=%2B1%20(838)%20204-7777&token=${READER}`);
    const flows = await subscribe(`/v1/events?tn=8382047777&types=call_flow&token=${READER}`);
    await Promise.all([byTn.auth(), flows.auth()]);
    await emit(mine, 3, { to: "+18382047777" });
    await emit(other, 3, { to: "+18382040000" });
    await emit(outbound, 2, { to: "+15550001111", direction: "out" }); // from is the default caller id, not ours
    const last = await emit(mine, 1, { to: "18382047777" });
    await byTn.until(() => byTn.events().some((f) => f.uuid === last[0]?.uuid), "the last event of the matching call");
    expect(byTn.events().map((f) => [f.call_uuid, f.seq])).toEqual([
      [mine, 1],
      [mine, 2],
      [mine, 3],
      [mine, 4],
    ]);
    await flows.until(() => flows.events().length >= 2, "two call_flow events");
    expect(flows.events().map((f) => [f.call_uuid, f.type, f.seq])).toEqual([
      [mine, "call_flow", 2],
      [mine, "call_flow", 4],
    ]);
  });
});

describe("hub resume", () => {
  it("?since=<hub_seq> replays, then goes live, without gaps or duplicates", async ({ expect }) => {
    const call = newCall();
    const sub = await subscribe(`/v1/events?token=${READER}`);
    await sub.auth();
    await emit(call, 2);
    await sub.until(() => of(sub.events(), [call]).length >= 2, "two events");
    const lastSeen = sub.events().at(-1)?.hub_seq as number;
    sub.ws.close(1000);
    await sub.close();

    await emit(call, 3);
    // The copy reaches the hub off the call's critical path: wait (boundedly) until it is there.
    const deadline = Date.now() + 5_000;
    while ((await hub().lastSeq()) < lastSeen + 3) {
      if (Date.now() > deadline) throw new Error("the hub never received the three events");
      await new Promise((r) => setTimeout(r, 20));
    }
    const again = await subscribe(`/v1/events?since=${lastSeen}&token=${READER}`);
    await again.auth();
    await again.until(() => of(again.events(), [call]).length >= 3, "the three missed events");
    await emit(call, 1);
    await again.until(() => of(again.events(), [call]).length >= 4, "the live event");
    expect(of(again.events(), [call]).map((f) => f.seq)).toEqual([3, 4, 5, 6]);
    const hubSeqs = seqs(again.events(), "hub_seq");
    expect(hubSeqs[0]).toBe(lastSeen + 1);
    expect(hubSeqs).toEqual(range(lastSeen + 1, lastSeen + hubSeqs.length));
  });

  it("says so with a gap frame when the events asked for are no longer retained", async ({ expect }) => {
    const call = newCall();
    await emit(call, 6, { publish: false }).then((events) => hub().ingest(events));
    const last = (await hub().lastSeq()) as number;
    await runInDurableObject(hub(), (instance: EventHub) => instance.log.trim(3));
    const sub = await subscribe(`/v1/events?since=0&token=${READER}`);
    await sub.auth();
    await sub.until(() => sub.events().length >= 3, "the retained events");
    const gap = sub.frames.find((f) => f.type === "gap");
    expect(gap?.payload).toEqual({ since: 0, first_available: last - 2 });
    expect(seqs(sub.events(), "hub_seq")).toEqual([last - 2, last - 1, last]);
  });
});

describe("hub numbering", () => {
  it("hub_seq keeps rising after every retained event was trimmed and the hub restarted", async ({ expect }) => {
    const before = await hub().ingest(await emit(newCall(), 2, { publish: false }));
    await runInDurableObject(hub(), (instance: EventHub) => instance.log.trim(0));
    await evictDurableObject(hub(), { webSockets: "hibernate" });
    expect(await hub().lastSeq()).toBe(before.last_hub_seq);
    const after = await hub().ingest(await emit(newCall(), 1, { publish: false }));
    expect(after.last_hub_seq).toBe(before.last_hub_seq + 1);
  });
});

describe("stale sockets", () => {
  it("the sweep closes hub sockets that have shown no sign of life, then stops asking for alarms", async ({ expect }) => {
    const quiet = await subscribe(`/v1/events?token=${READER}`);
    await quiet.auth();
    const now = Date.now();
    const after = await runInDurableObject(hub(), (instance: EventHub) => {
      instance.subs.alarm(now + 60_000); // within the allowance
      const open = instance.subs.inspect().length;
      instance.subs.alarm(now + 10 * 60_000);
      return { open, next: instance.subs.nextWake(now + 10 * 60_000) };
    });
    expect(after.open).toBeGreaterThanOrEqual(1);
    const closed = await quiet.close();
    expect(closed.code).toBe(4008);
    expect(closed.reason).toMatch(/^stale: no ping or frame for \d+ s$/);
    expect(after.next).toBeNull();
  });

  it("arms the hub's alarm while a subscriber is connected", async ({ expect }) => {
    const sub = await subscribe(`/v1/events?token=${READER}`);
    await sub.auth();
    const alarm = await runInDurableObject(hub(), (_i, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
  });
});

/**
 * A stand-in for the hub binding that records each forward (the call seqs it carried). While
 * `hold` is set, a forward waits; while `fail` is set, it throws as an unreachable hub would.
 */
class HubDouble {
  readonly forwards: number[][] = [];
  /** Forwards entered, including those that failed or are waiting. */
  calls = 0;
  inFlight = 0;
  maxInFlight = 0;
  hold = false;
  fail = false;

  env(): Env {
    const ingest = (events: CallEvent[]) => this.#ingest(events);
    return { ...env, EVENT_HUB: { getByName: () => ({ ingest }) } } as unknown as Env;
  }

  async #ingest(events: CallEvent[]): Promise<{ accepted: number; last_hub_seq: number }> {
    this.calls += 1;
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      while (this.hold) await new Promise((r) => setTimeout(r, 5));
      if (this.fail) throw new Error("hub unreachable");
      this.forwards.push(events.map((e) => e.seq));
      return { accepted: events.length, last_hub_seq: 0 };
    } finally {
      this.inFlight -= 1;
    }
  }
}

/** Waits (boundedly) until `done()` holds. */
async function until(done: () => boolean, what: string, ms = 4_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Inside a call's object: a CallEvents wired to `hub`, and a way to log and publish events. */
function withEvents(state: DurableObjectState, hub: HubDouble, asked: number[] = []) {
  const log = new EventLog(state.storage.sql);
  const events = new CallEvents(state, hub.env(), { log, requestWake: (at) => asked.push(at) });
  const call = state.id.name ?? "call";
  const publish = (n: number) => {
    for (let i = 0; i < n; i++)
      events.publish(
        log.append(callFlowEvent(callEntity(call), { name: "Say", success: true, reason: "played", path: `Say[${i}]` }, new Date())),
      );
  };
  return { events, publish };
}

describe("forwarding to the hub", () => {
  it("sends a burst of events in one forward, which the request that logged them does not wait for", async ({ expect }) => {
    const hub = new HubDouble();
    const stub = env.CALL.getByName(newCall());
    const during = await runInDurableObject(stub, (_i, state) => {
      withEvents(state, hub).publish(5);
      return hub.calls;
    });
    // The request's own work never called (let alone awaited) the hub.
    expect(during).toBe(0);
    await until(() => hub.forwards.length >= 1, "the forward");
    expect(hub.forwards).toEqual([[1, 2, 3, 4, 5]]);
  });

  it("keeps one forward in flight; what is logged meanwhile goes in the next, in order, each event once", async ({ expect }) => {
    const hub = new HubDouble();
    hub.hold = true;
    const stub = env.CALL.getByName(newCall());
    // One CallEvents for the whole test, as a CallSession keeps one; each publish is its own request.
    const { publish } = await runInDurableObject(stub, (_i, state) => {
      const w = withEvents(state, hub);
      w.publish(1);
      return { publish: w.publish };
    });
    await until(() => hub.inFlight === 1, "the first forward to be in flight");
    for (let i = 0; i < 4; i++) await runInDurableObject(stub, () => publish(1));
    hub.hold = false;
    await until(() => hub.forwards.flat().length >= 5, "all five events");
    expect(hub.forwards).toEqual([[1], [2, 3, 4, 5]]);
    expect(hub.maxInFlight).toBe(1);
  });

  it("a busy call stores the hub's acknowledgement with its events; only a call gone quiet stores it on its own", async ({ expect }) => {
    const hub = new HubDouble();
    const stub = env.CALL.getByName(newCall());
    // Each save, and whether it ran inside a publish (the event's own transaction) or on its own.
    const saves: Array<"with an event" | "on its own"> = [];
    let publishing = false;
    const { publish, events } = await runInDurableObject(stub, (_i, state) => {
      const w = withEvents(state, hub);
      const save = w.events.forwarder.save.bind(w.events.forwarder);
      w.events.forwarder.save = () => {
        saves.push(publishing ? "with an event" : "on its own");
        save();
      };
      return w;
    });
    const busyFor = 2_600;
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < busyFor) {
      await runInDurableObject(stub, () => {
        publishing = true;
        try {
          publish(1);
        } finally {
          publishing = false;
        }
      });
      sent += 1;
      await new Promise((r) => setTimeout(r, 50));
    }
    // Forwards went out about once a second while the call was busy, and every save rode on an event.
    expect(hub.forwards.length).toBeGreaterThanOrEqual(2);
    expect(saves.filter((s) => s === "on its own")).toEqual([]);
    // Quiet now: the last acknowledgement is stored on its own, once.
    await until(() => saves.includes("on its own"), "the quiet save", 5_000);
    const stored = await runInDurableObject(stub, (_i, state) => state.storage.kv.get<number>("events:hub_forwarded_seq"));
    expect(stored).toBe(sent);
    expect(await runInDurableObject(stub, () => events.forwarder.behind())).toBe(false);
  });

  it("a forward that fails is retried from the call's alarm, from where the hub left off", async ({ expect }) => {
    const hub = new HubDouble();
    hub.fail = true;
    const asked: number[] = [];
    const stub = env.CALL.getByName(newCall());
    const started = Date.now();
    const { events } = await runInDurableObject(stub, (_i, state) => {
      const w = withEvents(state, hub, asked);
      w.publish(2);
      return { events: w.events };
    });
    await until(() => asked.length === 1, "the forwarder to give up and ask for the alarm");
    expect(asked[0]).toBeGreaterThanOrEqual(started + FORWARD_RETRY_MS);
    expect(hub.forwards).toEqual([]);
    const pending = await runInDurableObject(stub, () => ({ behind: events.forwarder.behind(), wake: events.nextWake(Date.now()) }));
    expect(pending.behind).toBe(true);
    expect(pending.wake).not.toBeNull();
    // The hub is back; the call's alarm runs.
    hub.fail = false;
    await runInDurableObject(stub, () => events.alarm(Date.now()));
    await until(() => hub.forwards.length >= 1, "the retried forward");
    expect(hub.forwards).toEqual([[1, 2]]);
    await until(() => hub.inFlight === 0, "the forward to finish");
    expect(await runInDurableObject(stub, () => events.forwarder.behind())).toBe(false);
  });

  it("starts over with a call's new log after the call deleted its storage", async ({ expect }) => {
    const call = newCall();
    const stub = env.CALL.getByName(call);
    // How far the call has the hub's acknowledgement stored (the forwarder keeps it under this key).
    const mark = () => runInDurableObject(stub, (_i: CallSession, state) => state.storage.kv.get<number>("events:hub_forwarded_seq") ?? 0);
    const markReaches = async (n: number) => {
      const deadline = Date.now() + 4_000;
      while ((await mark()) !== n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      return mark();
    };
    await emit(call, 3);
    expect(await markReaches(3)).toBe(3);
    // The cleanup timer comes due: the object deletes everything, its event log included.
    await runInDurableObject(stub, async (_i: CallSession, state) => {
      state.storage.sql.exec("INSERT INTO timers (id, kind, due_at) VALUES ('cleanup', 'cleanup', 0)");
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await mark()).toBe(0);
    // The log starts again at seq 1, and the forwarder with it.
    await emit(call, 2);
    expect(await markReaches(2)).toBe(2);
  });
});
