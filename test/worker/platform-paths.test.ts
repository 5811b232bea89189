/**
 * Platform-facing paths answer XML whatever the router sees — a trailing slash, HEAD, a method
 * the platform never uses — because the platform executes what comes back (docs/opentact.md
 * §a.3). Never a JSON 404.
 */
import { env, exports } from "cloudflare:workers";
import { afterEach, describe, it } from "vitest";
import { BUILTIN_FALLBACK_XML } from "../../src/callflow/fallback.ts";
import app from "../../src/index.ts";
import { checkFlow } from "../../src/xml/index.ts";
import { begin, clearAlarms, gather, newCall, ORIGIN, outline, snapshot } from "./call-helpers.ts";
import { freshTn, publishOk } from "./helpers/flows.ts";

afterEach(clearAlarms);

const XML_TYPE = "text/xml; charset=utf-8";

const GREETING = `<Response><Say>Hello {{from}}</Say><Hangup/></Response>`;

const MENU = `<Response>
  <Say>Welcome</Say>
  <Gather numDigits="1" attempts="2" tag="menu">
    <Say>Press 1</Say>
    <DTMF value="1"><Say>One</Say></DTMF>
    <Default><Say>Other</Say></Default>
  </Gather>
  <Hangup/>
</Response>`;

function fetchPath(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(`${ORIGIN}${path}`, init);
}

describe("a trailing slash", () => {
  it("/v1/callflow/ is the same webhook: the TN's flow, by GET and by POST", async ({ expect }) => {
    const tn = freshTn();
    const { version } = await publishOk(tn, GREETING);
    const get = await fetchPath(`/v1/callflow/?from=555&to=${tn}`);
    expect(get.status).toBe(200);
    expect(get.headers.get("content-type")).toBe(XML_TYPE);
    expect(get.headers.get("x-tactflow-version")).toBe(version);
    expect(await get.text()).toContain("Hello 555");
    const post = await fetchPath("/v1/callflow/", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ uuid: "c-1", from: "+15550001111", to: tn }),
    });
    expect(post.headers.get("content-type")).toBe(XML_TYPE);
    expect(await post.text()).toContain("Hello +15550001111");
  });

  it("a Gather URL with a trailing slash is the same Gather", async ({ expect }) => {
    const call = newCall("slash");
    await begin(call, MENU);
    const res = await fetchPath(`/v1/calls/${call}/gather/?node=g1&attempt=1&dtmf=1`);
    expect(res.headers.get("content-type")).toBe(XML_TYPE);
    expect(res.headers.get("x-tactflow-fallback")).toBeNull();
    expect(await res.text()).toContain("<Say>One</Say>");
  });

  it("other paths under /v1/callflow/ get the fallback document", async ({ expect }) => {
    const tn = freshTn();
    await publishOk(tn, GREETING);
    const res = await fetchPath(`/v1/callflow/v2?from=555&to=${tn}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(XML_TYPE);
    expect(await res.text()).toBe(BUILTIN_FALLBACK_XML);
  });
});

describe("a method the platform never uses", () => {
  it("is a 405 with Allow and an XML body, never JSON — with or without the webhook token", async ({ expect }) => {
    const call = newCall("method");
    const paths = ["/v1/callflow?to=18005550100", "/v1/callflow/", `/v1/calls/${call}/gather?node=g1&attempt=1`];
    for (const overrides of [{}, { WEBHOOK_TOKEN: "hook-secret" }]) {
      for (const path of paths) {
        for (const method of ["PUT", "DELETE", "PATCH", "OPTIONS"]) {
          const res = await app.fetch(new Request(`${ORIGIN}${path}`, { method }), { ...env, ...overrides });
          const what = `${method} ${path} ${JSON.stringify(overrides)}`;
          expect(res.status, what).toBe(405);
          expect(res.headers.get("content-type"), what).toBe(XML_TYPE);
          expect(res.headers.get("allow"), what).toBe("GET, POST, HEAD");
          expect(checkFlow(await res.text()).ok, what).toBe(true);
        }
      }
    }
  });
});

describe("HEAD", () => {
  it("on the webhook answers the XML headers with no body, and starts no call", async ({ expect }) => {
    const tn = freshTn();
    await publishOk(tn, MENU);
    const call = newCall("head");
    for (const path of [`/v1/callflow?to=${tn}&call=${call}`, `/v1/callflow/?to=${tn}&call=${call}`]) {
      const res = await fetchPath(path, { method: "HEAD" });
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toBe(XML_TYPE);
      expect(await res.text(), path).toBe("");
    }
    expect((await snapshot(call)).status).toBe(404);
  });

  it("on a Gather URL spends no attempt: the real callback still picks the branch", async ({ expect }) => {
    const call = newCall("head");
    await begin(call, MENU);
    const probe = await fetchPath(`/v1/calls/${call}/gather?node=g1&attempt=1`, { method: "HEAD" });
    expect(probe.status).toBe(200);
    expect(probe.headers.get("content-type")).toBe(XML_TYPE);
    const a = await gather(call, "g1", 1, "1");
    expect(a.headers.get("x-tactflow-gather")).not.toContain("duplicate");
    expect(outline(a.root)[0]).toBe("Say:One");
  });

  it("takes the webhook token like GET", async ({ expect }) => {
    const secret = { ...env, WEBHOOK_TOKEN: "hook-secret" };
    const refused = await app.fetch(new Request(`${ORIGIN}/v1/callflow?to=18005550100`, { method: "HEAD" }), secret);
    expect(refused.status).toBe(401);
    const admitted = await app.fetch(new Request(`${ORIGIN}/v1/callflow?to=18005550100&token=hook-secret`, { method: "HEAD" }), secret);
    expect(admitted.status).toBe(200);
  });
});
