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

  it("a Gather's URL, with and without the router: one line each with the route and call, without the token", async ({ expect }) => {
    const lines = captureLines();
    const call = "call-request-log-1";
    // GET of the URL itself skips the router (src/index.ts); the trailing-slash form goes through it.
    for (const path of [`/v1/calls/${call}/gather`, `/v1/calls/${call}/gather/`])
      await exports.default.fetch(`https://tf.test${path}?node=g1&attempt=1&dtmf=1&token=very-secret-token`);
    const got = lines();
    expect(got.map((l) => l.route)).toEqual(["/v1/calls/:call/gather", "/v1/calls/:call/gather/"]);
    for (const line of got) {
      expect(line).toMatchObject({ method: "GET", status: 200, call, fallback: "unknown-call" });
      expect(JSON.stringify(line)).not.toContain("very-secret-token");
    }
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
