/**
 * A customer backend may sign its requests the Standard Webhooks way instead of sending a token:
 * commands for a parked call and the events webhook accept a valid signature; a tampered body,
 * a stale timestamp or a replayed webhook-id is refused.
 */
import { env, exports } from "cloudflare:workers";
import { afterEach, describe, it } from "vitest";
import { loadSigningKeys, newWebhookId, signWebhook } from "../../src/http/signatures.ts";
import { begin, clearAlarms, newCall, ORIGIN, sentTo } from "./call-helpers.ts";

afterEach(clearAlarms);

const PARKED = `<Response><Answer/><Say>Please hold</Say></Response>`;

async function signed(path: string, body: string, opts: { id?: string; at?: number; tamper?: boolean } = {}): Promise<Response> {
  const keys = (await loadSigningKeys((env as Env).WEBHOOK_SIGNING_SECRET))!;
  const headers = await signWebhook(keys, opts.id ?? newWebhookId(), body, opts.at);
  return exports.default.fetch(`${ORIGIN}${path}`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/xml" },
    body: opts.tamper ? body.replace("ready", "READY") : body,
  });
}

describe("signed commands", () => {
  it("a valid signature stands in for the bearer token", async ({ expect }) => {
    const call = newCall("signed-in");
    await begin(call, PARKED, { mode: "async", parkTimeoutMs: 30_000 });
    const res = await signed(`/v1/calls/${call}/commands`, "<Say>Your table is ready</Say>");
    expect(res.status).toBe(202);
    expect((await sentTo(call)).map((s) => s.action)).toEqual(["commands"]);
  });

  it("a tampered body, a timestamp 6 minutes old and a replayed id are refused; nothing is delivered", async ({ expect }) => {
    const call = newCall("signed-bad");
    await begin(call, PARKED, { mode: "async", parkTimeoutMs: 30_000 });
    const path = `/v1/calls/${call}/commands`;
    const tampered = await signed(path, "<Say>Your table is ready</Say>", { tamper: true });
    expect(tampered.status).toBe(401);
    expect(await tampered.json()).toMatchObject({ title: "Invalid signature", reason: "bad-signature" });
    const stale = await signed(path, "<Say>Your table is ready</Say>", { at: Date.now() - 6 * 60_000 });
    expect(stale.status).toBe(401);
    expect(await stale.json()).toMatchObject({ reason: "too-old" });
    expect(await sentTo(call)).toEqual([]);
    const id = newWebhookId();
    expect((await signed(path, "<Say>Once</Say>", { id })).status).toBe(202);
    const replay = await signed(path, "<Say>Once</Say>", { id });
    expect(replay.status).toBe(409);
    expect(await replay.json()).toMatchObject({ title: "Replayed webhook", reason: "replayed" });
    expect(await sentTo(call)).toHaveLength(1);
  });

  it("without webhook-* headers the bearer token is still required", async ({ expect }) => {
    const res = await exports.default.fetch(`${ORIGIN}/v1/calls/${newCall("x")}/commands`, { method: "POST", body: "<Say>hi</Say>" });
    expect(res.status).toBe(401);
  });
});

describe("signed platform events", () => {
  it("the events webhook takes a signature instead of ?token=, once per webhook-id", async ({ expect }) => {
    const call = newCall("signed-ev");
    const body = JSON.stringify({ type: "call_state", payload: { uuid: call, state: "ringing", from: "+12125550123", to: "18005550100" } });
    const keys = (await loadSigningKeys((env as Env).WEBHOOK_SIGNING_SECRET))!;
    const headers = { ...(await signWebhook(keys, newWebhookId(), body)), "content-type": "application/json" };
    const first = await exports.default.fetch(`${ORIGIN}/v1/webhooks/events`, { method: "POST", headers, body });
    expect(first.status).toBe(202);
    const again = await exports.default.fetch(`${ORIGIN}/v1/webhooks/events`, { method: "POST", headers, body });
    expect(again.status).toBe(409);
  });
});
