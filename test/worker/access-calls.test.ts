/** calls:control limited to TN patterns: only calls on the key's numbers (the call object knows the TN). */
import { exports } from "cloudflare:workers";
import { afterEach, describe, it } from "vitest";
import { begin, clearAlarms, newCall, ORIGIN } from "./call-helpers.ts";

afterEach(clearAlarms);

async function key(grants: string[]): Promise<string> {
  const res = await exports.default.fetch(`${ORIGIN}/v1/keys`, {
    method: "POST",
    headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
    body: JSON.stringify({ name: "calls", grants }),
  });
  return ((await res.json()) as { secret: string }).secret;
}

describe("calls:control on TN patterns", () => {
  it("reads and commands a call on its numbers, and no other", async ({ expect }) => {
    // begin() starts calls on 18005550100.
    const call = newCall("scoped");
    await begin(call, "<Response><Answer/><Say>Hold</Say></Response>", { mode: "async", parkTimeoutMs: 30_000 });
    const mine = await key(["calls:control@1800555*"]);
    const theirs = await key(["calls:control@1900*"]);
    const get = (token: string) => exports.default.fetch(`${ORIGIN}/v1/calls/${call}`, { headers: { authorization: `Bearer ${token}` } });
    const command = (token: string) =>
      exports.default.fetch(`${ORIGIN}/v1/calls/${call}/commands`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/xml" },
        body: "<Say>Thanks for holding</Say>",
      });
    expect((await get(mine)).status).toBe(200);
    expect((await command(mine)).status).toBe(202);
    const refused = await get(theirs);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ scope: "calls:control" });
    expect((await command(theirs)).status).toBe(403);
  });
});
