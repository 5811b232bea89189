/**
 * Fail closed: with no secrets configured (and no INSECURE_DEV_MODE), every developer-facing
 * route refuses with a 503 naming the missing secret, the platform-facing routes refuse too, and
 * the call-flow webhook (and a Gather) answer only the fallback document. And with a token
 * configured, 1,000 unauthenticated requests to random call ids create no Durable Object storage.
 */
import { env } from "cloudflare:workers";
import { listDurableObjectIds } from "cloudflare:test";
import { describe, it } from "vitest";
import worker from "../../src/index.ts";

const bare = { ...env, ADMIN_TOKEN: "", WEBHOOK_TOKEN: "", EVENTS_TOKEN: "", INSECURE_DEV_MODE: "" } as unknown as Env;

async function send(e: Env, method: string, path: string, init: RequestInit = {}): Promise<Response> {
  return worker.fetch(new Request(`https://tf.test${path}`, { method, ...init }), e);
}

describe("no secrets configured", () => {
  it("every developer-facing route refuses with a 503 problem naming ADMIN_TOKEN", async ({ expect }) => {
    const routes: Array<[string, string]> = [
      ["GET", "/v1/flows"],
      ["PUT", "/v1/flows/18005550100"],
      ["GET", "/v1/flows/18005550100"],
      ["DELETE", "/v1/flows/18005550100"],
      ["GET", "/v1/flows/18005550100/versions"],
      ["POST", "/v1/flows/18005550100/rollback"],
      ["POST", "/v1/flows/18005550100/preview"],
      ["GET", "/v1/calls/c-1"],
      ["POST", "/v1/calls/c-1/commands"],
      ["GET", "/v1/keys"],
      ["POST", "/v1/keys"],
      ["DELETE", "/v1/keys/aaaaaaaaaaaa"],
      ["GET", "/v1/audit"],
    ];
    for (const [method, path] of routes) {
      for (const auth of [undefined, "Bearer anything"]) {
        const res = await send(bare, method, path, auth ? { headers: { authorization: auth } } : {});
        expect({ method, path, status: res.status }).toEqual({ method, path, status: 503 });
        const body = (await res.json()) as { missing?: string[]; detail?: string };
        expect(body.missing).toEqual(["ADMIN_TOKEN"]);
        expect(body.detail).toContain("ADMIN_TOKEN");
      }
    }
  });

  it("the events webhook refuses with a 503 naming WEBHOOK_TOKEN and applies nothing", async ({ expect }) => {
    const res = await send(bare, "POST", "/v1/webhooks/events", {
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type: "call_state", payload: { uuid: "victim-call", state: "hangup" } }),
    });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { missing: string[] }).missing).toEqual(["WEBHOOK_TOKEN"]);
  });

  it("the call-flow webhook and a Gather answer only the fallback document", async ({ expect }) => {
    for (const path of ["/v1/callflow?from=%2B12125550123&to=18005550100", "/v1/calls/c-1/gather?node=g0&dtmf=1"]) {
      const res = await send(bare, "GET", path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/xml");
      expect(res.headers.get("x-tactflow-fallback")).toBe("not-configured");
      expect(await res.text()).toContain("<Hangup");
    }
  });

  it("INSECURE_DEV_MODE=1 runs the platform-facing routes open, never the admin API", async ({ expect }) => {
    const dev = { ...bare, INSECURE_DEV_MODE: "1" } as Env;
    expect((await send(dev, "GET", "/v1/callflow?from=1&to=18005550100")).headers.get("x-tactflow-fallback")).not.toBe("not-configured");
    expect((await send(dev, "GET", "/v1/flows")).status).toBe(503);
  });
});

describe("the source-address allow-list", () => {
  it("refuses platform requests from elsewhere with a 403, admits the listed address and range", async ({ expect }) => {
    const listed = { ...env, WEBHOOK_TOKEN: "t", WEBHOOK_ALLOWED_IPS: "72.21.26.35, 2001:db8::/32" } as unknown as Env;
    const from = (ip: string) => ({ headers: { "cf-connecting-ip": ip } });
    expect((await send(listed, "GET", "/v1/callflow?to=18005550100&token=t", from("203.0.113.9"))).status).toBe(403);
    expect((await send(listed, "GET", "/v1/callflow?to=18005550100&token=t", from("72.21.26.35"))).status).toBe(200);
    expect((await send(listed, "GET", "/v1/callflow?to=18005550100&token=t", from("2001:db8:1::5"))).status).toBe(200);
    expect((await send(listed, "GET", "/v1/callflow?to=18005550100&token=t")).status).toBe(403);
  });
});

describe("no object before authentication", () => {
  it("1,000 unauthenticated requests to random call ids create no call storage", async ({ expect }) => {
    const guarded = { ...env, WEBHOOK_TOKEN: "the-real-token", INSECURE_DEV_MODE: "" } as unknown as Env;
    const before = (await listDurableObjectIds(env.CALL)).length;
    const requests: Array<Promise<Response>> = [];
    for (let i = 0; i < 1000; i++) {
      const call = `probe-${crypto.randomUUID()}`;
      const kind = i % 4;
      if (kind === 0) requests.push(send(guarded, "GET", `/v1/calls/${call}/gather?node=g0&dtmf=1&token=wrong`));
      else if (kind === 1) requests.push(send(guarded, "GET", `/v1/calls/${call}`));
      else if (kind === 2) requests.push(send(guarded, "POST", `/v1/calls/${call}/commands`, { body: "<Say>hi</Say>" }));
      else
        requests.push(
          send(guarded, "POST", "/v1/webhooks/events?token=wrong", {
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ type: "call_state", payload: { uuid: call, state: "ringing" } }),
          }),
        );
      if (requests.length === 50) {
        for (const r of await Promise.all(requests.splice(0))) expect(r.status).toBeGreaterThanOrEqual(400);
      }
    }
    for (const r of await Promise.all(requests)) expect(r.status).toBeGreaterThanOrEqual(400);
    expect((await listDurableObjectIds(env.CALL)).length).toBe(before);
  });
});
