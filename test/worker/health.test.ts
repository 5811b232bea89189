import { env, exports } from "cloudflare:workers";
import { describe, it, expect } from "vitest";
import pkg from "../../package.json" with { type: "json" };

describe("GET /healthz", () => {
  it("answers ok with the version and a passing check of KV and both Durable Object namespaces", async () => {
    const res = await exports.default.fetch("http://x/healthz");
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      ok: true,
      service: "tactflow",
      version: pkg.version,
      checks: { kv: { ok: true }, calls: { ok: true }, events: { ok: true } },
    });
  });

  it("a binding that fails is named, and the answer is 503", async () => {
    const broken = { ...env, FLOWS: { get: () => Promise.reject(new Error("KV is down")) } } as unknown as Env;
    const worker = (await import("../../src/index.ts")).default;
    const res = await worker.fetch(new Request("http://x/healthz"), broken);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { ok: boolean; checks: Record<string, { ok: boolean; error?: string }> };
    expect(body.ok).toBe(false);
    expect(body.checks.kv).toMatchObject({ ok: false, error: "Error: KV is down" });
    expect(body.checks.calls!.ok).toBe(true);
  });
});
