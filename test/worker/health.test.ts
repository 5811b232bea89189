import { exports } from "cloudflare:workers";
import { describe, it, expect } from "vitest";

describe("GET /healthz", () => {
  it("answers ok", async () => {
    const res = await exports.default.fetch("http://x/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true });
  });
});
