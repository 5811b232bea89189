/** The WebSocket event streams accept an API key with events:read (checked by the Worker). */
import { exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import { subscribe } from "./events-helpers.ts";

async function key(grants: string[]): Promise<string> {
  const res = await exports.default.fetch("http://tactflow.test/v1/keys", {
    method: "POST",
    headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
    body: JSON.stringify({ name: "stream", grants }),
  });
  return ((await res.json()) as { secret: string }).secret;
}

const upgrade = (path: string) => exports.default.fetch(`http://tactflow.test${path}`, { headers: { Upgrade: "websocket" } });

describe("event streams with an API key", () => {
  it("events:read opens the account stream, by ?token= or Authorization", async ({ expect }) => {
    const secret = await key(["events:read"]);
    const inbox = await subscribe(`/v1/events?token=${secret}`);
    expect(await inbox.auth()).toMatchObject({ type: "auth", success: true });
    const byHeader = await subscribe("/v1/calls/c-stream-1/events", { authorization: `Bearer ${secret}` });
    expect(await byHeader.auth()).toMatchObject({ type: "auth", success: true });
  });

  it("a key without events:read, or a revoked one, is refused before the object", async ({ expect }) => {
    const reader = await key(["flows:read"]);
    const res = await upgrade(`/v1/events?token=${reader}`);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ scope: "events:read" });
    expect((await upgrade(`/v1/events?token=tfk_aaaaaaaaaaaa_${"A".repeat(43)}`)).status).toBe(401);
  });

  it("a key limited to TN patterns follows only the account stream filtered to its numbers", async ({ expect }) => {
    const limited = await key(["events:read@1800555*"]);
    const inbox = await subscribe(`/v1/events?tn=18005550100&token=${limited}`);
    expect(await inbox.auth()).toMatchObject({ success: true });
    expect((await upgrade(`/v1/events?tn=19005550100&token=${limited}`)).status).toBe(403);
    expect((await upgrade(`/v1/events?token=${limited}`)).status).toBe(403);
    expect((await upgrade(`/v1/calls/c-stream-2/events?token=${limited}`)).status).toBe(403);
    // Without the upgrade (a browser asking why its handshake failed): the same refusal, as a problem document.
    const plain = await exports.default.fetch(`http://tactflow.test/v1/events?token=${limited}`);
    expect(plain.status).toBe(403);
    expect(await plain.json()).toMatchObject({ scope: "events:read", detail: expect.stringMatching(/for every number/) });
    expect((await exports.default.fetch(`http://tactflow.test/v1/events?tn=18005550100&token=${limited}`)).status).toBe(426);
  });
});
