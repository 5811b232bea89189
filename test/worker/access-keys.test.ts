/**
 * Scoped API keys and the audit log: created by the root key (ADMIN_TOKEN) with the secret shown
 * once, refused outside their scopes with a 403 naming the scope, revoked with effect on the very
 * next request, and every change on record, newest first.
 */
import { exports } from "cloudflare:workers";
import { describe, it } from "vitest";

const ORIGIN = "https://tf.test";
const ROOT = { authorization: "Bearer test-admin-token" };

async function api(
  path: string,
  init: RequestInit & { token?: string } = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const headers = new Headers(init.headers);
  if (init.token !== undefined) headers.set("authorization", `Bearer ${init.token}`);
  else if (!headers.has("authorization")) headers.set("authorization", ROOT.authorization);
  const res = await exports.default.fetch(`${ORIGIN}${path}`, { ...init, headers });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

async function createKey(name: string, grants: string[], token?: string) {
  return api("/v1/keys", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, grants }),
    ...(token !== undefined ? { token } : {}),
  });
}

describe("API keys", () => {
  it("the secret is shown once, stored hashed; the list never shows it", async ({ expect }) => {
    const created = await createKey("reader", ["flows:read@1800555*"]);
    expect(created.status).toBe(201);
    const secret = created.body.secret as string;
    expect(secret).toMatch(/^tfk_[a-z2-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(created.body.key).toMatchObject({ name: "reader", grants: ["flows:read@1800555*"], created_by: "root", revoked_at: null });
    const list = await api("/v1/keys");
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(secret.slice(18));
  });

  it("a key without keys:admin is refused with a 403 naming the scope", async ({ expect }) => {
    const { body } = await createKey("reader", ["flows:read"]);
    const res = await api("/v1/keys", { token: body.secret as string });
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(res.body).toMatchObject({ status: 403, scope: "keys:admin" });
    expect(res.body.detail).toContain("keys:admin");
  });

  it("a revoked key is refused by the next request", async ({ expect }) => {
    const { body } = await createKey("admin", ["keys:admin"]);
    const secret = body.secret as string;
    const id = (body.key as { id: string }).id;
    expect((await api("/v1/keys", { token: secret })).status).toBe(200);
    const revoked = await api(`/v1/keys/${id}`, { method: "DELETE" });
    expect(revoked.status).toBe(200);
    expect((revoked.body.key as { revoked_at: string | null }).revoked_at).not.toBeNull();
    expect((await api("/v1/keys", { token: secret })).status).toBe(401);
  });

  it("a wrong or malformed token is 401; an unknown key id 404 on revoke", async ({ expect }) => {
    expect((await api("/v1/keys", { token: "nope" })).status).toBe(401);
    expect((await api("/v1/keys", { token: `tfk_aaaaaaaaaaaa_${"A".repeat(43)}` })).status).toBe(401);
    expect((await api("/v1/keys/aaaaaaaaaaaa", { method: "DELETE" })).status).toBe(404);
  });

  it("bad grants are a 400 with one errors item per grant; a key can't grant more than it holds", async ({ expect }) => {
    const bad = await createKey("x", ["flows:read", "flows:fly", "flows:write@18x"]);
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([
      { path: "grants.1", message: expect.stringContaining("unknown scope") },
      { path: "grants.2", message: expect.stringContaining("only digits and *") },
    ]);
    const { body } = await createKey("limited admin", ["keys:admin", "flows:read@1800555*"]);
    const token = body.secret as string;
    expect((await createKey("narrower", ["flows:read@1800555*"], token)).status).toBe(201);
    const wider = await createKey("wider", ["flows:read"], token);
    expect(wider.status).toBe(403);
    expect(wider.body.scope).toBe("flows:read");
  });
});

describe("the audit log", () => {
  it("records key changes, newest first, with who did them", async ({ expect }) => {
    const { body } = await createKey("audited", ["audit:read"]);
    const id = (body.key as { id: string }).id;
    await api(`/v1/keys/${id}`, { method: "DELETE" });
    const log = await api("/v1/audit?limit=2");
    expect(log.status).toBe(200);
    const entries = log.body.entries as Array<Record<string, unknown>>;
    expect(entries.map((e) => e.action)).toEqual(["key.revoke", "key.create"]);
    expect(entries[0]).toMatchObject({ actor: "root", before: id });
    expect(entries[1]).toMatchObject({ actor: "root", after: id });
    expect(entries[0]!.seq as number).toBeGreaterThan(entries[1]!.seq as number);
    expect(log.body.next).toBe(entries[1]!.seq);
  });

  it("limit is enforced as documented", async ({ expect }) => {
    const res = await api("/v1/audit?limit=1001");
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: "limit", message: expect.any(String) }]);
  });
});

describe("a key scoped to flows:read on 1800555*", () => {
  const FLOW = "<Response><Say>Hello</Say></Response>";
  const publish = (tn: string, token?: string) =>
    api(`/v1/flows/${tn}`, { method: "PUT", headers: { "content-type": "application/xml" }, body: FLOW, ...(token ? { token } : {}) });

  it("reads those flows and nothing else", async ({ expect }) => {
    expect((await publish("18005550142")).status).toBeLessThan(300);
    expect((await publish("19005550142")).status).toBeLessThan(300);
    const { body } = await createKey("reader", ["flows:read@1800555*"]);
    const token = body.secret as string;
    // Its numbers, in any spelling.
    expect((await api("/v1/flows/18005550142", { token })).status).toBe(200);
    expect((await api("/v1/flows/%2B1%20800%20555%200142", { token })).status).toBe(200);
    expect((await api("/v1/flows/18005550142/versions", { token })).status).toBe(200);
    // Not another number.
    const other = await api("/v1/flows/19005550142", { token });
    expect(other.status).toBe(403);
    expect(other.body).toMatchObject({ scope: "flows:read" });
    // The list shows only its numbers.
    const list = await api("/v1/flows", { token });
    const tns = (list.body.flows as Array<{ tn: string }>).map((f) => f.tn);
    expect(tns).toContain("18005550142");
    expect(tns.every((tn) => tn.startsWith("1800555"))).toBe(true);
    // No writing, not even its own numbers.
    const write = await publish("18005550142", token);
    expect(write.status).toBe(403);
    expect(write.body).toMatchObject({ scope: "flows:write" });
    expect((await api("/v1/flows/18005550142", { method: "DELETE", token })).status).toBe(403);
    // Nor anything outside flows.
    expect((await api("/v1/keys", { token })).status).toBe(403);
    expect((await api("/v1/audit", { token })).status).toBe(403);
    expect((await api("/v1/calls/c-1", { token })).status).toBe(403);
  });

  it("publishes, rollbacks and deletes are in the audit log with the key that made them, filterable by TN", async ({ expect }) => {
    const { body } = await createKey("publisher", ["flows:write@1800555*", "audit:read@1800555*"]);
    const token = body.secret as string;
    const keyId = (body.key as { id: string }).id;
    const tn = "18005550177";
    const v1 = await publish(tn, token);
    const v2 = await api(`/v1/flows/${tn}`, {
      method: "PUT",
      headers: { "content-type": "application/xml" },
      body: "<Response><Say>Bye</Say></Response>",
      token,
    });
    expect((await api(`/v1/flows/${tn}/rollback`, { method: "POST", token })).status).toBe(200);
    expect((await api(`/v1/flows/${tn}`, { method: "DELETE", token })).status).toBe(204);
    const log = await api(`/v1/audit?tn=${tn}`, { token });
    expect(log.status).toBe(200);
    const entries = log.body.entries as Array<Record<string, unknown>>;
    expect(entries.map((e) => e.action)).toEqual(["flow.delete", "flow.rollback", "flow.publish", "flow.publish"]);
    expect(entries.every((e) => e.actor === keyId && e.tn === tn)).toBe(true);
    expect(entries[3]).toMatchObject({ before: null, after: v1.body.version });
    expect(entries[2]).toMatchObject({ before: v1.body.version, after: v2.body.version });
    expect(entries[1]).toMatchObject({ before: v2.body.version, after: v1.body.version });
    expect(entries[0]).toMatchObject({ before: v1.body.version });
    // Another number's log is out of its scope.
    expect((await api("/v1/audit?tn=19005550142", { token })).status).toBe(403);
  });
});

describe("rate limits on the admin API", () => {
  it("past the limit per client address: 429 with Retry-After, a problem document", async ({ expect }) => {
    const ip = "198.51.100.77";
    let last: Response | undefined;
    for (let i = 0; i < 301; i++) last = await exports.default.fetch(`${ORIGIN}/v1/keys`, { headers: { ...ROOT, "cf-connecting-ip": ip } });
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await last!.json()) as { status: number }).status).toBe(429);
    // Another address is unaffected.
    expect((await exports.default.fetch(`${ORIGIN}/v1/keys`, { headers: { ...ROOT, "cf-connecting-ip": "198.51.100.78" } })).status).toBe(
      200,
    );
  });
});

describe("query limits, enforced as documented", () => {
  it("GET /v1/flows?limit and GET /v1/calls/{call}?limit/since outside their range are 400 naming the parameter", async ({ expect }) => {
    for (const path of [
      "/v1/flows?limit=0",
      "/v1/flows?limit=1001",
      "/v1/flows?limit=abc",
      "/v1/calls/c-1?limit=10001",
      "/v1/calls/c-1?since=-1",
    ]) {
      const res = await api(path);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      const param = new URL(path, "https://x").searchParams.keys().next().value;
      expect(res.body.errors).toEqual([{ path: param, message: expect.stringContaining("an integer from") }]);
    }
    expect((await api("/v1/flows?limit=1000")).status).toBe(200);
  });
});
