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
