/**
 * The subscriber protocol's pure parts: what an upgrade URL may carry, which tokens pass, what
 * a client frame may be, and close reasons that fit the 123-byte limit.
 */
import { describe, it } from "vitest";
import { ClientFrame, authenticate, closeReason, parseSubscribeRequest, sendableCloseCode, tokenOf } from "../../src/events/protocol.ts";

const req = (query: string, headers: Record<string, string> = {}) => new Request(`http://x/v1/events${query}`, { headers });

describe("parseSubscribeRequest", () => {
  it("reads filters, since, window and the token from any of its docs/opentact.md §d.2 places", ({ expect }) => {
    const ok = parseSubscribeRequest(
      req("?types=call_flow,%20call_state,call_flow&since=12&tn=%2B1%20(838)%20204-9000&window=64&jwt=abc"),
      "hub",
    );
    expect(ok).toEqual({ ok: true, value: { types: ["call_flow", "call_state"], since: 12, tn: "18382049000", window: 64, token: "abc" } });
    expect(parseSubscribeRequest(req("?tn=8382049000"), "hub")).toMatchObject({
      ok: true,
      value: { tn: "18382049000", token: null, window: 1024 },
    });
    expect(parseSubscribeRequest(req("", { "X-Auth-Token": "h" }), "call")).toMatchObject({ ok: true, value: { token: "h" } });
    expect(parseSubscribeRequest(req("", { Authorization: "Bearer b" }), "call")).toMatchObject({ ok: true, value: { token: "b" } });
    expect(parseSubscribeRequest(req("?token=q", { "X-Auth-Token": "h" }), "call")).toMatchObject({ ok: true, value: { token: "q" } });
  });

  it("names every bad parameter", ({ expect }) => {
    const bad = parseSubscribeRequest(req("?types=sms&since=1.5&window=0&tn=12"), "hub");
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors.map((e) => e.path).sort()).toEqual(["since", "tn", "types", "window"]);
    expect(parseSubscribeRequest(req("?tn=18382049000"), "call")).toMatchObject({ ok: false, errors: [{ path: "tn" }] });
    expect(parseSubscribeRequest(req("?types="), "call").ok).toBe(false);
  });
});

describe("authenticate", () => {
  it("accepts either configured token, says which, and fails closed", ({ expect }) => {
    const env = { ADMIN_TOKEN: "admin-secret", EVENTS_TOKEN: "reader-secret" };
    expect(authenticate(env, "admin-secret")).toEqual({ ok: true, role: "admin" });
    expect(authenticate(env, "reader-secret")).toEqual({ ok: true, role: "events" });
    expect(authenticate(env, "reader-secreT")).toEqual({ ok: false, reason: "invalid token" });
    expect(authenticate(env, "")).toEqual({ ok: false, reason: "no token" });
    expect(authenticate({ EVENTS_TOKEN: "r" }, "r")).toEqual({ ok: true, role: "events" });
    expect(authenticate({}, "anything").ok).toBe(false);
  });
});

describe("ClientFrame", () => {
  it("takes auth frames with token, jwt or X-Auth-Token, acks and pings; nothing else", ({ expect }) => {
    for (const key of ["token", "jwt", "X-Auth-Token"]) {
      const f = ClientFrame.parse({ type: "auth", [key]: "t" });
      expect(f.type === "auth" && tokenOf(f)).toBe("t");
    }
    expect(ClientFrame.safeParse({ type: "auth" }).success).toBe(false);
    expect(ClientFrame.parse({ type: "ack", seq: 4 })).toEqual({ type: "ack", seq: 4 });
    expect(ClientFrame.safeParse({ type: "ack", seq: -1 }).success).toBe(false);
    expect(ClientFrame.safeParse({ type: "ack", seq: "4" }).success).toBe(false);
    expect(ClientFrame.safeParse({ type: "subscribe" }).success).toBe(false);
  });
});

describe("closeReason", () => {
  it("keeps reasons within 123 bytes of UTF-8 without splitting a character", ({ expect }) => {
    expect(closeReason("short")).toBe("short");
    const long = closeReason("é".repeat(100));
    expect(new TextEncoder().encode(long).length).toBeLessThanOrEqual(123);
    expect(long.endsWith("é...")).toBe(true);
  });
});

describe("sendableCloseCode", () => {
  it("never sends a reserved code (RFC 6455 §7.4): 1005, 1006, 1015 and the rest become 1000", ({ expect }) => {
    for (const reserved of [1004, 1005, 1006, 1015, 1016, 2000, 2999, 999, 0, 5000, 1000.5, Number.NaN]) {
      expect(sendableCloseCode(reserved), String(reserved)).toBe(1000);
    }
    for (const sendable of [1000, 1001, 1002, 1003, 1007, 1008, 1011, 1013, 1014, 3000, 4001, 4999]) {
      expect(sendableCloseCode(sendable), String(sendable)).toBe(sendable);
    }
  });
});
