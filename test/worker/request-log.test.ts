/**
 * One structured log line per request: method, route pattern, status, time and the TN/call it
 * concerned, and never the token or the query string that carries it.
 */
import { exports } from "cloudflare:workers";
import { afterEach, describe, it, vi } from "vitest";

afterEach(() => vi.restoreAllMocks());

function captureLines(): () => Array<Record<string, unknown>> {
  const lines: string[] = [];
  for (const level of ["log", "warn", "error", "debug"] as const)
    vi.spyOn(console, level).mockImplementation((line: unknown) => void lines.push(String(line)));
  return () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "request");
}

describe("the request log", () => {
  it("the call-flow webhook: one line with the route and TN, without the token", async ({ expect }) => {
    const lines = captureLines();
    await exports.default.fetch("https://tf.test/v1/callflow?from=%2B12125550123&to=15550001111&token=very-secret-token");
    const [line, ...more] = lines();
    expect(more).toEqual([]);
    expect(line).toMatchObject({ level: "info", method: "GET", route: "/v1/callflow", status: 200, tn: "15550001111" });
    expect(typeof line!.ms).toBe("number");
    expect(JSON.stringify(line)).not.toContain("very-secret-token");
  });

  it("an admin route: the route pattern and a clipped TN, never the bearer token", async ({ expect }) => {
    const lines = captureLines();
    await exports.default.fetch(`https://tf.test/v1/flows/${"9".repeat(500)}`, { headers: { authorization: "Bearer test-admin-token" } });
    const [line] = lines();
    expect(line).toMatchObject({ method: "GET", route: "/v1/flows/:tn" });
    expect((line!.tn as string).length).toBeLessThanOrEqual(33);
    expect(JSON.stringify(line)).not.toContain("test-admin-token");
  });
});
