/**
 * The call lifecycle : platform events in both generations and the flat entity,
 * routed by call uuid; state that only moves forward; repeats applied once; the object's own
 * cleanup after the call ends or outlives the maximum length.
 */
import { env, exports } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, it } from "vitest";
import type { CallSession } from "../../src/call/CallSession.ts";
import { migrate, SCHEMA_VERSION } from "../../src/call/schema.ts";
import { ORIGIN, advance, begin, clearAlarms, commands, newCall, sentTo, snapshot, timers } from "./call-helpers.ts";

afterEach(clearAlarms);

async function post(
  body: unknown,
): Promise<{ status: number; body: { accepted: number; results: Array<Record<string, unknown>>; ignored: string[] } }> {
  const res = await exports.default.fetch(`${ORIGIN}/v1/webhooks/events`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as never };
}

function call2024(uuid: string, state: string, extra: Record<string, unknown> = {}) {
  return {
    uuid: crypto.randomUUID(),
    created_on: "2024-02-19T16:06:00.210Z",
    type: "call_state",
    message: `CallSCA in +18389999168 > 18382049000 - ${state}`,
    payload: { state, duration: 3 },
    call: {
      uuid,
      direction: "in",
      from: "+18389999168",
      to: "18382049000",
      state,
      type: "CallSCA",
      sip_control_app: { uuid: "sca-9", name: "Main" },
      ...extra,
    },
  };
}

function call2022(uuid: string, state: string) {
  return {
    timestamp: "2022-07-04T16:44:53.554Z",
    type: "call_state",
    message: `state ${state}`,
    payload: { uuid, direction: "in", from: "+18389999168", to: "18382049000", state, sipcontrol_app: { uuid: "sca-9" } },
  };
}

describe("POST /v1/webhooks/events", () => {
  it("takes the 2024 envelope, the 2022 envelope and the flat call entity, and moves the state forward", async ({ expect }) => {
    const call = newCall("life");
    const a = await post(call2024(call, "init"));
    expect(a.status).toBe(202);
    expect(a.body.results[0]).toMatchObject({ call, applied: true, state: "init" });
    await post(call2022(call, "ringing"));
    await post({
      uuid: call,
      direction: "in",
      from: "+18389999168",
      to: "18382049000",
      state: "live",
      type: "CallSCA",
      answer_on: "2024-02-19T16:06:03Z",
    });
    const snap = await snapshot(call);
    expect(snap.status).toBe(200);
    expect(snap.body.state).toBe("live");
    expect(snap.body.call).toMatchObject({
      uuid: call,
      from: "+18389999168",
      to: "18382049000",
      state: "live",
      answer_on: "2024-02-19T16:06:03Z",
      sip_control_app: { uuid: "sca-9" },
    });
    const states = snap.body.events.filter((e) => e.type === "call_state");
    expect(states.map((e) => e.payload.state)).toEqual(["init", "ringing", "live"]);
    expect(states.map((e) => e.message)).toEqual([
      "CallSCA in +18389999168 > 18382049000 - init",
      "CallSCA in +18389999168 > 18382049000 - ringing",
      "CallSCA in +18389999168 > 18382049000 - live",
    ]);
  });

  it("applies a repeated event once, and never moves a call backwards", async ({ expect }) => {
    const call = newCall("life");
    const live = call2024(call, "live");
    await post(live);
    const again = await post(live);
    expect(again.body.results[0]).toMatchObject({ duplicate: true, applied: false });
    const late = await post(call2024(call, "ringing"));
    expect(late.body.results[0]).toMatchObject({ applied: false, state: "live" });
    const snap = await snapshot(call);
    expect(snap.body.events.filter((e) => e.type === "call_state")).toHaveLength(1);
  });

  it("takes a batch for several calls, and acknowledges what it can't use", async ({ expect }) => {
    const c1 = newCall("life");
    const c2 = newCall("life");
    const r = await post([
      call2024(c1, "init"),
      call2024(c2, "init"),
      call2024(c1, "ringing"),
      { type: "balance", payload: 873.06 },
      { hello: "world" },
    ]);
    expect(r.status).toBe(202);
    expect(r.body.accepted).toBe(3);
    expect(r.body.ignored).toHaveLength(2);
    expect((await snapshot(c1)).body.state).toBe("ringing");
    expect((await snapshot(c2)).body.state).toBe("init");
  });

  it("logs the platform's call_flow events for the call", async ({ expect }) => {
    const call = newCall("life");
    await post({
      timestamp: "2022-07-04T16:44:53.554Z",
      success: true,
      message: "[success] command Answer[0], reason: Call answered",
      type: "call_flow",
      command: "Answer",
      payload: {
        command: { name: "Answer", success: true, reason: "Call answered", path: "Answer[0]", children: [], error: [] },
        call: { uuid: call, state: "ringing" },
      },
    });
    const e = (await snapshot(call)).body.events[0]!;
    expect(e).toMatchObject({
      type: "call_flow",
      command: "Answer",
      success: true,
      message: "[success] command Answer[0], reason: Call answered",
    });
  });

  it("rejects a body that is not JSON (400) and a wrong token (401)", async ({ expect }) => {
    const res = await exports.default.fetch(`${ORIGIN}/v1/webhooks/events`, { method: "POST", body: "state=live" });
    expect(res.status).toBe(400);
    const { default: app } = await import("../../src/index.ts");
    const guarded = await app.fetch(new Request(`${ORIGIN}/v1/webhooks/events?token=bad`, { method: "POST", body: "{}" }), {
      ...env,
      WEBHOOK_TOKEN: "s3cret",
    });
    expect(guarded.status).toBe(401);
  });

  it("keeps the call entity as the platform sent it, unknown fields included, with the normalised fields beside them", async ({
    expect,
  }) => {
    const call = newCall("life");
    const fields = {
      freeswitch_call_state: "EARLY",
      freeswitch_channel_state: "CS_EXECUTE",
      stir_shaken_attest_level: "A",
      tn: { tn: 18382049000, created_on: "2024-01-01T00:00:00Z" },
      sip_control_app: { uuid: "sca-9", name: "Main", auto_answer: true },
    };
    await post(call2024(call, "live", fields));
    const snap = await snapshot(call);
    const expected = { ...fields, uuid: call, state: "live", from: "+18389999168", direction: "in" };
    expect(snap.body.call).toMatchObject(expected);
    expect(snap.body.events[0]).toMatchObject({ type: "call_state", call: expected });
    // Too big to keep whole: the largest platform fields go, and the entity says so.
    const logs = Array.from({ length: 500 }, (_, i) => `log line ${i} ${"x".repeat(20)}`);
    await post(call2024(call, "hangup", { ...fields, logs }));
    const last = (await snapshot(call)).body.events.at(-1) as unknown as { call: Record<string, unknown> };
    expect(last.call).toMatchObject({ ...fields, state: "hangup", _tactflow: { dropped: ["logs"] } });
    expect(last.call).not.toHaveProperty("logs");
  });

  it("takes the GET form of the SCA webhook (?state=&from=&to=&call=)", async ({ expect }) => {
    const call = newCall("life");
    const res = await exports.default.fetch(`${ORIGIN}/v1/webhooks/events?state=ringing&from=%2B12015550123&to=18005550100&call=${call}`);
    expect(res.status).toBe(202);
    expect((await snapshot(call)).body.call).toMatchObject({ state: "ringing", from: "+12015550123" });
  });
});

describe("the end of a call", () => {
  it("destroyed: a parked call's deadline is cancelled, commands get 409, and the state is deleted after the retention", async ({
    expect,
  }) => {
    const call = newCall("end");
    await begin(call, `<Response><Say>Hold</Say></Response>`, { mode: "async", parkTimeoutMs: 30_000 });
    await post(call2024(call, "live"));
    await post(call2024(call, "destroyed", { q850_cause: 16, q850_cause_string: "NORMAL_CLEARING" }));
    const snap = await snapshot(call);
    expect(snap.body.ended).toMatchObject({ reason: "platform: destroyed" });
    expect(snap.body.events.at(-1)!.payload).toMatchObject({ state: "destroyed", q850_cause: 16, q850_cause_string: "NORMAL_CLEARING" });
    // The call's path is due to go to the number's insights now; its record is deleted later.
    expect((await timers(call)).map((t) => t.kind).sort()).toEqual(["cleanup", "insights", "max_length"]);
    expect((await commands(call, "<Say>late</Say>")).status).toBe(409);
    // The deadline never fires for a call that is gone.
    await advance(call, 60_000);
    expect(await sentTo(call)).toEqual([]);
    expect((await snapshot(call)).status).toBe(200);
    // Ten minutes on, the object deletes everything, including its alarm.
    await advance(call, 10 * 60_000);
    expect((await snapshot(call)).status).toBe(404);
    // Not a table is left (the rows went with them), nor the alarm.
    const left = await runInDurableObject(env.CALL.getByName(call), async (_i: CallSession, state) => ({
      alarm: await state.storage.getAlarm(),
      rows: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master").one().n,
    }));
    expect(left).toEqual({ alarm: null, rows: 0 });
    // A stray late Gather callback now gets the fallback, not an error.
    const stray = await exports.default.fetch(`${ORIGIN}/v1/calls/${call}/gather?node=g0&attempt=1&dtmf=1`);
    expect(stray.status).toBe(200);
    expect(stray.headers.get("x-tactflow-fallback")).toBe("unknown-call");
  });

  it("a call that outlives MAX_CALL_MS is cleaned up even if the platform never says it ended", async ({ expect }) => {
    const call = newCall("end");
    await begin(call, `<Response><Gather numDigits="1"><DTMF value="1"><Say>One</Say></DTMF></Gather></Response>`);
    const max = (await timers(call)).find((t) => t.kind === "max_length")!;
    expect(max.due_at - Date.now()).toBeGreaterThan(3 * 60 * 60 * 1000);
    await advance(call, 4 * 60 * 60 * 1000);
    const snap = await snapshot(call);
    expect(snap.body.ended).toMatchObject({ reason: "maximum call length" });
    await advance(call, 10 * 60_000);
    expect((await snapshot(call)).status).toBe(404);
  });

  it("the alarm is safe to run with nothing due, and tolerates a retry invocation", async ({ expect }) => {
    const call = newCall("end");
    await begin(call, `<Response><Say>Hold</Say></Response>`, { mode: "async", parkTimeoutMs: 30_000 });
    const stub = env.CALL.getByName(call);
    const before = await timers(call);
    await runInDurableObject(stub, async (instance: CallSession) => {
      await instance.alarm({ retryCount: 5, isRetry: true, scheduledTime: Date.now() - 60_000 });
      await instance.alarm();
    });
    expect(await timers(call)).toEqual(before);
    expect(await sentTo(call)).toEqual([]);
    // And the alarm is still armed for the earliest timer.
    const armed = await runInDurableObject(stub, (_i: CallSession, state) => state.storage.getAlarm());
    expect(armed).toBe(Math.min(...before.map((t) => t.due_at)));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
  });
});

describe("schema", () => {
  it("an attempt decided before the history kept its answer is still answered from the response cache", async ({ expect }) => {
    const call = newCall("schema");
    await begin(call, `<Response><Gather numDigits="1" attempts="3"><DTMF value="1"><Say>One</Say></DTMF></Gather></Response>`);
    const first = await exports.default.fetch(`${ORIGIN}/v1/calls/${call}/gather?node=g0&attempt=1&dtmf=9`);
    const xml = await first.text();
    const stub = env.CALL.getByName(call);
    // Store it the way older code did: the answer in `responses`, the counter in `nodes`.
    await runInDurableObject(stub, (_i: CallSession, state) => {
      const sql = state.storage.sql;
      sql.exec(
        "INSERT INTO responses (node, attempt, xml, meta) SELECT node, attempt, xml, json_object('input', input, 'action', action, 'digits', digits) FROM gather_history",
      );
      sql.exec("INSERT INTO nodes (node, used, done) VALUES ('g0', 1, 0)");
      sql.exec("UPDATE gather_history SET xml = NULL");
    });
    await evictDurableObject(stub);
    const again = await exports.default.fetch(`${ORIGIN}/v1/calls/${call}/gather?node=g0&attempt=1&dtmf=1`);
    expect(again.headers.get("x-tactflow-gather")).toBe("g0;attempt=1;retry;duplicate");
    expect(await again.text()).toBe(xml);
    const next = await exports.default.fetch(`${ORIGIN}/v1/calls/${call}/gather?node=g0&dtmf=1`);
    expect(next.headers.get("x-tactflow-gather")).toBe("g0;attempt=2;branch");
    expect((await snapshot(call)).body.gather.attempts).toEqual({ g0: 2 });
  });

  it("an object made before a schema change keeps its call and gains the new column", async ({ expect }) => {
    const call = newCall("schema");
    await begin(call, `<Response><Gather numDigits="1"><DTMF value="1"><Say>One</Say></DTMF></Gather></Response>`);
    const stub = env.CALL.getByName(call);
    // Rewind to the first schema: no version table, no token column.
    await runInDurableObject(stub, (_i: CallSession, state) => {
      const sql = state.storage.sql;
      sql.exec(
        "CREATE TABLE old_session AS SELECT call_uuid, created_at, state, mode, flow_json, facts_json, entity_json, origin, park_timeout_ms, ended_at, end_reason FROM session",
      );
      sql.exec("DROP TABLE session");
      sql.exec(
        "CREATE TABLE session (id INTEGER PRIMARY KEY CHECK (id = 1), call_uuid TEXT NOT NULL, created_at INTEGER NOT NULL, state TEXT NOT NULL, mode TEXT, flow_json TEXT, facts_json TEXT, entity_json TEXT NOT NULL, origin TEXT, park_timeout_ms INTEGER, ended_at INTEGER, end_reason TEXT)",
      );
      sql.exec("INSERT INTO session SELECT 1, * FROM old_session");
      sql.exec("DROP TABLE old_session");
      sql.exec("DROP TABLE call_schema");
    });
    await evictDurableObject(stub);
    const a = await exports.default.fetch(`${ORIGIN}/v1/calls/${call}/gather?node=g0&attempt=1&dtmf=1`);
    expect(a.headers.get("x-tactflow-fallback")).toBeNull();
    expect(await a.text()).toContain("<Say>One</Say>");
    const version = await runInDurableObject(
      stub,
      (_i: CallSession, state) => state.storage.sql.exec<{ version: number }>("SELECT version FROM call_schema").one().version,
    );
    expect(version).toBe(SCHEMA_VERSION);
  });

  it("a new call's tables, made at once, are the ones every step leads to", async ({ expect }) => {
    const describe = (sql: SqlStorage) =>
      sql
        .exec<{ name: string; sql: string }>(
          "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        )
        .toArray()
        .map((t) => ({
          table: t.name,
          autoincrement: /AUTOINCREMENT/i.test(t.sql),
          columns: sql.exec(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info('${t.name}') ORDER BY cid`).toArray(),
          indexes: sql
            .exec<{ name: string; unique: number }>(`SELECT name, "unique" FROM pragma_index_list('${t.name}') ORDER BY name`)
            .toArray()
            .map((i) => ({
              unique: i.unique,
              // Autoindexes are named by position; compare what they index.
              name: i.name.startsWith("sqlite_autoindex") ? "(autoindex)" : i.name,
              columns: sql
                .exec<{ name: string }>(`SELECT name FROM pragma_index_info('${i.name}') ORDER BY seqno`)
                .toArray()
                .map((c) => c.name),
            })),
        }));
    const made = (opts: { steps?: boolean }) =>
      runInDurableObject(env.CALL.getByName(newCall("schema")), (_i: CallSession, state) => {
        migrate(state.storage.sql, opts);
        return {
          version: state.storage.sql.exec<{ version: number }>("SELECT version FROM call_schema").one().version,
          tables: describe(state.storage.sql),
        };
      });
    const atOnce = await made({});
    const bySteps = await made({ steps: true });
    expect(atOnce.tables.map((t) => t.table)).toContain("events");
    expect(atOnce).toEqual(bySteps);
    expect(atOnce.version).toBe(SCHEMA_VERSION);
  });

  it("the event log and the Gather history lose AUTOINCREMENT and the uuid index; an older call keeps its rows and goes on numbering", async ({
    expect,
  }) => {
    const shape = (call: string) =>
      runInDurableObject(env.CALL.getByName(call), (_i: CallSession, state) => {
        const sql = state.storage.sql;
        return {
          tables: sql
            .exec<{ name: string; sql: string }>(
              "SELECT name, sql FROM sqlite_master WHERE name IN ('events', 'gather_history') ORDER BY name",
            )
            .toArray()
            .map((r) => [r.name, /AUTOINCREMENT/i.test(r.sql), /UNIQUE/i.test(r.sql)]),
          indexes: sql
            .exec<{ name: string }>(
              "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('events', 'gather_history') ORDER BY name",
            )
            .toArray()
            .map((r) => r.name),
          sequences: sql
            .exec<{ name: string }>("SELECT name FROM sqlite_sequence WHERE name IN ('events', 'gather_history')")
            .toArray()
            .map((r) => r.name),
        };
      });
    const now = {
      tables: [
        ["events", false, false],
        ["gather_history", false, false],
      ],
      indexes: ["gather_history_node"],
      sequences: [],
    };
    // A new call is made in the new shape.
    const fresh = newCall("schema");
    await begin(fresh, `<Response><Gather numDigits="1" attempts="3"><DTMF value="1"><Say>One</Say></DTMF></Gather></Response>`);
    await exports.default.fetch(`${ORIGIN}/v1/calls/${fresh}/gather?node=g0&attempt=1&dtmf=9`);
    expect(await shape(fresh)).toEqual(now);

    // A call made by the code before: both tables as they were, schema version 5.
    const call = newCall("schema");
    await begin(call, `<Response><Gather numDigits="1" attempts="3"><DTMF value="1"><Say>One</Say></DTMF></Gather></Response>`);
    await exports.default.fetch(`${ORIGIN}/v1/calls/${call}/gather?node=g0&attempt=1&dtmf=9`);
    const stub = env.CALL.getByName(call);
    await runInDurableObject(stub, (_i: CallSession, state) => {
      const sql = state.storage.sql;
      sql.exec("ALTER TABLE events RENAME TO events_now");
      sql.exec(
        "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE, type TEXT NOT NULL, created_on TEXT NOT NULL, body TEXT NOT NULL)",
      );
      sql.exec("INSERT INTO events SELECT * FROM events_now");
      sql.exec("DROP TABLE events_now");
      sql.exec("ALTER TABLE gather_history RENAME TO history_now");
      sql.exec(
        "CREATE TABLE gather_history (seq INTEGER PRIMARY KEY AUTOINCREMENT, node TEXT NOT NULL, attempt INTEGER NOT NULL, attempts INTEGER NOT NULL, digits TEXT NOT NULL, input TEXT NOT NULL, action TEXT NOT NULL, branch TEXT, at INTEGER NOT NULL, xml TEXT)",
      );
      sql.exec("INSERT INTO gather_history SELECT * FROM history_now");
      sql.exec("DROP TABLE history_now");
      sql.exec("CREATE INDEX gather_history_node ON gather_history (node, attempt)");
      sql.exec("UPDATE call_schema SET version = 5");
    });
    const old = await shape(call);
    expect(old.tables).toEqual([
      ["events", true, true],
      ["gather_history", true, false],
    ]);
    expect(old.sequences.sort()).toEqual(["events", "gather_history"]);
    const before = (await snapshot(call)).body;
    await evictDurableObject(stub);

    // The next request brings it up to date; what it held is all there, and numbering goes on.
    const next = await exports.default.fetch(`${ORIGIN}/v1/calls/${call}/gather?node=g0&attempt=2&dtmf=1`);
    expect(next.headers.get("x-tactflow-gather")).toBe("g0;attempt=2;branch");
    expect(await shape(call)).toEqual(now);
    const after = (await snapshot(call)).body;
    const seqs = after.events.map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(after.events.slice(0, before.events.length)).toEqual(before.events);
    expect(after.gather.history.map((h) => [h.attempt, h.action])).toEqual([
      [1, "retry"],
      [2, "branch"],
    ]);
  });
});
