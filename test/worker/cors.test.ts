/** CORS on the developer-facing API: only the configured origins, preflights before authentication. */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import worker from "../../src/index.ts";

const configured = { ...env, CORS_ALLOWED_ORIGINS: "https://console.example.com, https://ops.example.com" } as unknown as Env;

describe("CORS", () => {
  it("a preflight from an allowed origin is answered without a token", async ({ expect }) => {
    const res = await worker.fetch(
      new Request("https://tf.test/v1/flows/18005550100", {
        method: "OPTIONS",
        headers: {
          origin: "https://console.example.com",
          "access-control-request-method": "PUT",
          "access-control-request-headers": "authorization",
        },
      }),
      configured,
    );
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://console.example.com");
    expect(res.headers.get("access-control-allow-headers")).toContain("authorization");
  });

  it("an actual request from an allowed origin gets the header; another origin does not", async ({ expect }) => {
    const get = (origin: string) =>
      worker.fetch(new Request("https://tf.test/v1/flows", { headers: { origin, authorization: "Bearer test-admin-token" } }), configured);
    expect((await get("https://ops.example.com")).headers.get("access-control-allow-origin")).toBe("https://ops.example.com");
    expect((await get("https://evil.example.net")).headers.get("access-control-allow-origin")).toBeNull();
  });

  it("unset: no cross-origin access at all", async ({ expect }) => {
    const res = await worker.fetch(
      new Request("https://tf.test/v1/flows", {
        headers: { origin: "https://console.example.com", authorization: "Bearer test-admin-token" },
      }),
      { ...env, CORS_ALLOWED_ORIGINS: "" } as unknown as Env,
    );
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});
