/** The exported frame types describe what the streams really send (src/contract/events.ts). */
import { describe, expect, it } from "vitest";
import type { AuthFrame, ClientFrame, ErrorFrame } from "../../src/contract/events.ts";
import { authFailureFrame, ClientFrame as ClientFrameSchema, errorFrame } from "../../src/events/protocol.ts";

describe("stream frame types", () => {
  it("the auth failure and error frames have the documented fields", () => {
    const auth = JSON.parse(authFailureFrame("c1", "203.0.113.1", "bad token", new Date(0))) as AuthFrame;
    expect(auth).toMatchObject({ type: "auth", success: false, payload: { uuid: "c1", ip: "203.0.113.1" } });
    const err = JSON.parse(errorFrame("unknown frame", new Date(0))) as ErrorFrame;
    expect(Object.keys(err).sort()).toEqual(["created_on", "message", "type", "uuid"]);
  });

  it("a client's frames parse as ClientFrame", () => {
    const frames: ClientFrame[] = [{ type: "auth", token: "t" }, { type: "ack", seq: 3 }, { type: "ping" }];
    for (const f of frames) expect(ClientFrameSchema.safeParse(f).success).toBe(true);
  });
});
