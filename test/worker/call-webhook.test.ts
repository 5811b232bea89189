/**
 * The call-flow webhook handing stateful flows to the CallSession : a published flow
 * with a branching Gather comes back rewritten for the call; the call stays on its version
 * after a republish; an async flow parks; plain flows never create an object.
 */
import { env, exports } from "cloudflare:workers";
import { listDurableObjectIds } from "cloudflare:test";
import { afterEach, describe, it } from "vitest";
import app from "../../src/index.ts";
import { clearAlarms, commands, gather, newCall, outline, rootOf, sentTo, snapshot, timers, urlGathers } from "./call-helpers.ts";
import { freshTn, publishOk, webhook } from "./helpers/flows.ts";

afterEach(clearAlarms);

const IVR = `<Response>
  <Say>Thanks for calling {{vars.company}}</Say>
  <Gather numDigits="1" attempts="2" tag="menu">
    <Say>Press 1 for hours</Say>
    <DTMF value="1"><Say>We open at 9, {{from}}</Say></DTMF>
    <Default><Say>Sorry</Say></Default>
  </Gather>
  <Say>You pressed {{gather.menu}}</Say>
  <Hangup/>
</Response>`;

describe("GET|POST /v1/callflow with a stateful flow", () => {
  it("answers the flow with its Gather pointing at the call object, then the object answers the digits", async ({ expect }) => {
    const tn = freshTn();
    const { version } = await publishOk(tn, IVR, { variables: { company: "Acme" } });
    const call = newCall("hook");
    const res = await webhook(`from=%2B12015550123&to=${tn}&call=${call}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-tactflow-version")).toBe(version);
    const root = rootOf(await res.text());
    expect(outline(root)).toEqual(["Say:Thanks for calling Acme", "Gather@g1#1", "Say:You pressed", "Hangup"]);
    // The URL is on the origin the platform reached us at.
    expect(urlGathers(root)[0]!.url.href).toBe(`http://tactflow.test/v1/calls/${call}/gather?node=g1&attempt=1`);
    const a = await gather(call, "g1", 1, "1");
    expect(outline(a.root)).toEqual(["Say:We open at 9, +12015550123", "Say:You pressed 1", "Hangup"]);
    expect((await snapshot(call)).body.flow).toEqual({ version, tn, mode: "sync" });
  });

  it("puts WEBHOOK_TOKEN and PUBLIC_URL into the Gather URL when they are set", async ({ expect }) => {
    const tn = freshTn();
    await publishOk(tn, IVR, { variables: { company: "Acme" } });
    const call = newCall("hook");
    const guarded = { ...env, WEBHOOK_TOKEN: "s3cr&t", PUBLIC_URL: "https://flows.example.com/" };
    const res = await app.fetch(new Request(`http://internal/v1/callflow?to=${tn}&call=${call}&token=s3cr%26t`), guarded);
    const [g] = urlGathers(rootOf(await res.text()));
    expect(g!.url.href).toBe(`https://flows.example.com/v1/calls/${call}/gather?node=g1&attempt=1&token=s3cr%26t`);
  });

  it("keeps a call on the version it started with after a republish", async ({ expect }) => {
    const tn = freshTn();
    const first = await publishOk(tn, IVR, { variables: { company: "Acme" } });
    const call = newCall("hook");
    await webhook(`to=${tn}&call=${call}`);
    await publishOk(tn, IVR.replace("We open at 9", "We open at 10"), { variables: { company: "Acme" } });
    const a = await gather(call, "g1", 1, "1");
    expect(outline(a.root)[0]).toBe("Say:We open at 9,");
    expect(((await snapshot(call)).body.flow as { version: string }).version).toBe(first.version);
  });

  it("parks a call of an async flow, which then takes commands", async ({ expect }) => {
    const tn = freshTn();
    await publishOk(tn, `<Response><Answer/><Say>One moment</Say></Response>`, { mode: "async", parkTimeoutMs: 5000 });
    const call = newCall("hook");
    const res = await webhook(`to=${tn}&call=${call}`);
    expect(outline(rootOf(await res.text()))).toEqual(["Answer", "Say:One moment", "Hold"]);
    const deadline = (await timers(call)).find((t) => t.kind === "park_deadline")!;
    expect(deadline.due_at - Date.now()).toBeLessThanOrEqual(5000);
    expect((await commands(call, "<Say>Hello from the backend</Say>")).status).toBe(202);
    expect((await sentTo(call)).map((s) => s.body)).toEqual(["<Response><Say>Hello from the backend</Say></Response>"]);
  });

  it("leaves flows without branching Gathers to the webhook alone: no call object", async ({ expect }) => {
    const tn = freshTn();
    await publishOk(tn, `<Response><Gather numDigits="4" url="https://example.com/pin"><Say>PIN</Say></Gather></Response>`);
    const call = newCall("plain");
    const before = (await listDurableObjectIds(env.CALL)).length;
    const res = await webhook(`to=${tn}&call=${call}`);
    expect(await res.text()).toContain('url="https://example.com/pin"');
    expect((await listDurableObjectIds(env.CALL)).length).toBe(before);
    expect(
      (await exports.default.fetch(`http://tactflow.test/v1/calls/${call}`, { headers: { authorization: "Bearer test-admin-token" } }))
        .status,
    ).toBe(404);
  });

  it("uses the uuid of a POSTed call entity, and invents one when the platform sends none", async ({ expect }) => {
    const tn = freshTn();
    await publishOk(tn, IVR, { variables: { company: "Acme" } });
    const call = newCall("hook");
    const posted = await webhook(`to=${tn}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ uuid: call, from: "+15550001111", to: tn }),
    });
    expect(urlGathers(rootOf(await posted.text()))[0]!.url.pathname).toBe(`/v1/calls/${call}/gather`);
    const anonymous = await webhook(`to=${tn}`);
    const path = urlGathers(rootOf(await anonymous.text()))[0]!.url.pathname;
    const invented = /^\/v1\/calls\/([^/]+)\/gather$/.exec(path)![1]!;
    expect(invented).toMatch(/^[0-9a-f-]{36}$/);
    expect((await gather(invented, "g1", 1, "1")).headers.get("x-tactflow-fallback")).toBeNull();
    await clearAlarmsFor(invented);
  });

  it("carries the POSTed call entity into the call's events, fields we don't model included", async ({ expect }) => {
    const tn = freshTn();
    await publishOk(tn, IVR, { variables: { company: "Acme" } });
    const call = newCall("hook");
    const entity = {
      uuid: call,
      direction: "in",
      from: "+15550001111",
      to: tn,
      state: "ringing",
      freeswitch_call_state: "DOWN",
      stir_shaken_attest_level: "B",
      tn: { tn: Number(tn) },
      sip_control_app: { uuid: "sca-7", name: "IVR", auto_answer: false },
    };
    await webhook(`to=${tn}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(entity) });
    const [served] = (await snapshot(call)).body.events;
    expect(served?.payload).toMatchObject({ command: { name: "Response", success: true }, call: { ...entity, from: "+15550001111" } });
  });
});

async function clearAlarmsFor(call: string): Promise<void> {
  const { runInDurableObject } = await import("cloudflare:test");
  await runInDurableObject(env.CALL.getByName(call), (_i, state) => state.storage.deleteAlarm());
}

describe("GET /v1/openapi.json", () => {
  it("describes the call routes", async ({ expect }) => {
    const doc = (await (await exports.default.fetch("http://tactflow.test/v1/openapi.json")).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/v1/calls/{call}/gather", "/v1/calls/{call}", "/v1/calls/{call}/commands", "/v1/webhooks/events"]),
    );
    expect(Object.keys(doc.paths["/v1/calls/{call}/commands"]!)).toContain("post");
  });
});
