/**
 * Phone tokens (src/http/phoneToken.ts): the web console's in-browser phone calls a published
 * number through the platform-facing routes without ever holding WEBHOOK_TOKEN. A token opens
 * the webhook for one number and one call uuid, that call's Gather URLs and events about that
 * call, for an hour; the Gather URLs it is served carry it instead of WEBHOOK_TOKEN.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, it } from "vitest";
import { mintPhoneToken } from "../../src/http/phoneToken.ts";
import app from "../../src/index.ts";
import { clearAlarms, newCall, rootOf, snapshot, urlGathers } from "./call-helpers.ts";
import { ADMIN, freshTn, publishOk } from "./helpers/flows.ts";

afterEach(clearAlarms);

const SECRET = "webhook-s3cret";
const guarded = { ...env, WEBHOOK_TOKEN: SECRET, PUBLIC_URL: "https://flows.example.com" } as Env;

const IVR = `<Response>
  <Gather numDigits="1" attempts="2">
    <Say>Press 1 for hours</Say>
    <DTMF value="1"><Say>We open at 9</Say></DTMF>
  </Gather>
  <Hangup/>
</Response>`;

async function send(path: string, init: RequestInit = {}, e: Env = guarded): Promise<Response> {
  return app.fetch(new Request(`http://internal${path}`, init), e);
}

async function mint(tn: string, call?: string, auth: Record<string, string> = ADMIN, e: Env = guarded): Promise<Response> {
  return send(
    "/v1/phone/tokens",
    { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ tn, ...(call ? { call } : {}) }) },
    e,
  );
}

async function tokenFor(tn: string, call: string): Promise<string> {
  const res = await mint(tn, call);
  if (res.status !== 200) throw new Error(`mint → ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

const q = encodeURIComponent;

describe("POST /v1/phone/tokens", () => {
  it("gives the admin a token for a number and a call, never WEBHOOK_TOKEN itself", async ({ expect }) => {
    const call = newCall("phone");
    const res = await mint("+1 (800) 555-0100", call);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { tn: string; call: string; token: string; expiresAt: string };
    expect(body).toMatchObject({ tn: "18005550100", call });
    expect(body.token).toMatch(/^tfph\.18005550100\./);
    expect(body.token).not.toContain(SECRET);
    expect(Date.parse(body.expiresAt) - Date.now()).toBeGreaterThan(50 * 60_000);
  });

  it("refuses without credentials, and a key limited to other numbers", async ({ expect }) => {
    expect((await mint("18005550100", undefined, {})).status).toBe(401);
    const created = await send("/v1/keys", {
      method: "POST",
      headers: { ...ADMIN, "content-type": "application/json" },
      body: JSON.stringify({ name: "phone-test", grants: ["calls:control@1888*"] }),
    });
    const { secret } = (await created.json()) as { secret: string };
    const auth = { authorization: `Bearer ${secret}` };
    expect((await mint("18005550100", undefined, auth)).status).toBe(403);
    expect((await mint("18885550100", undefined, auth)).status).toBe(200);
  });

  it("answers no token on a development server whose platform routes run open", async ({ expect }) => {
    const open = { ...env, WEBHOOK_TOKEN: "", INSECURE_DEV_MODE: "1" } as Env;
    const res = await mint("18005550100", undefined, ADMIN, open);
    expect(await res.json()).toMatchObject({ token: null });
  });
});

describe("a phone token on the platform-facing routes", () => {
  it("opens the webhook for its call, whose Gather URLs then carry it instead of WEBHOOK_TOKEN", async ({ expect }) => {
    const tn = freshTn();
    await publishOk(tn, IVR);
    const call = newCall("phone");
    const token = await tokenFor(tn, call);
    const res = await send(`/v1/callflow?from=%2B12125550123&to=${tn}&call=${call}&token=${q(token)}`);
    expect(res.status).toBe(200);
    const xml = await res.text();
    expect(xml).not.toContain(SECRET);
    const [g] = urlGathers(rootOf(xml));
    expect(g!.url.searchParams.get("token")).toBe(token);
    // The Gather URL works with it, for this call.
    const answer = await send(`/v1/calls/${call}/gather?node=g0&attempt=1&dtmf=1&token=${q(token)}`);
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain("We open at 9");
    expect(((await snapshot(call)).body.flow as { tn: string }).tn).toBe(tn);
  });

  it("is refused for another number, another call, when altered, and once expired", async ({ expect }) => {
    const tn = freshTn();
    await publishOk(tn, IVR);
    const call = newCall("phone");
    const token = await tokenFor(tn, call);
    const other = freshTn();
    await publishOk(other, IVR);
    expect((await send(`/v1/callflow?to=${other}&call=${call}&token=${q(token)}`)).status).toBe(401);
    expect((await send(`/v1/callflow?to=${tn}&call=${newCall("other")}&token=${q(token)}`)).status).toBe(401);
    const altered = token.replace(`.${call}.`, `.${newCall("x")}.`);
    expect((await send(`/v1/callflow?to=${tn}&call=${call}&token=${q(altered)}`)).status).toBe(401);
    const old = await mintPhoneToken(SECRET, tn, call, Date.now() - 2 * 3600_000);
    expect((await send(`/v1/callflow?to=${tn}&call=${call}&token=${q(old.token)}`)).status).toBe(401);
    expect((await send(`/v1/calls/${newCall("other")}/gather?node=g0&attempt=1&dtmf=1&token=${q(token)}`)).status).toBe(401);
  });

  it("posts events about its own call only", async ({ expect }) => {
    const tn = freshTn();
    await publishOk(tn, IVR);
    const call = newCall("phone");
    const token = await tokenFor(tn, call);
    await send(`/v1/callflow?to=${tn}&call=${call}&token=${q(token)}`);
    const event = (uuid: string) => ({ type: "call_state", payload: { uuid, from: "+12125550123", to: tn, state: "hangup" } });
    const stranger = newCall("stranger");
    const res = await send(`/v1/webhooks/events?token=${q(token)}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([event(call), event(stranger)]),
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { accepted: number; ignored: string[] };
    expect(body.accepted).toBe(1);
    expect(body.ignored.join(" ")).toContain("not the phone token's call");
    expect((await snapshot(call)).body.state).toBe("hangup");
  });

  it("is not held to WEBHOOK_ALLOWED_IPS: its holder is a browser, not the platform", async ({ expect }) => {
    const tn = freshTn();
    await publishOk(tn, IVR);
    const call = newCall("phone");
    const token = await tokenFor(tn, call);
    const fenced = { ...guarded, WEBHOOK_ALLOWED_IPS: "72.21.26.35" } as Env;
    const headers = { "cf-connecting-ip": "203.0.113.9" };
    expect((await send(`/v1/callflow?to=${tn}&call=${call}&token=${SECRET}`, { headers }, fenced)).status).toBe(403);
    expect((await send(`/v1/callflow?to=${tn}&call=${call}&token=${q(token)}`, { headers }, fenced)).status).toBe(200);
  });
});
