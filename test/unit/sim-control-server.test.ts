/**
 * The simulator's Call Control server on a real port: requests that race its shutdown are
 * answered or dropped, never a crash of the process running `tactflow call`.
 */
import { Agent, request as httpRequest } from "node:http";
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import type { CallControlPlatform } from "../../sim/control.ts";
import { serveCallControl } from "../../sim/controlServer.ts";

/** A platform stand-in: answers every request after `delayMs`, echoing the path. */
function slowPlatform(delayMs: number): CallControlPlatform {
  const handle = async (req: Request) => {
    await new Promise((r) => setTimeout(r, delayMs));
    return Response.json({ success: true, path: new URL(req.url).pathname });
  };
  return { handle } as unknown as CallControlPlatform;
}

describe("sim/controlServer: shutdown races", () => {
  it("answers a request whose headers finish arriving after close() began", async () => {
    const server = await serveCallControl(slowPlatform(0));
    const socket = connect(Number(new URL(server.url).port), "127.0.0.1");
    await new Promise((r) => socket.once("connect", r));
    socket.write("POST /api/call/a/commands HTTP/1.1\r\nHost: sim\r\n");
    await new Promise((r) => setTimeout(r, 20));
    const closing = server.close();
    let reply = "";
    socket.on("data", (chunk: Buffer) => {
      reply += chunk.toString("utf8");
      if (reply.includes("\r\n\r\n")) socket.destroy();
    });
    const ended = new Promise((r) => socket.once("close", r));
    // The request completes only now, with the server closing: the old handler read
    // server.address() here, got null and threw.
    socket.write("content-length: 0\r\n\r\n");
    await ended;
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    await closing;
  });

  it("drops the answer for a request in flight when the client goes away, without throwing", async () => {
    const server = await serveCallControl(slowPlatform(50));
    const agent = new Agent({ keepAlive: false });
    const pending = new Promise<void>((resolve) => {
      const req = httpRequest(`${server.url}/api/call/c/commands`, { agent, method: "POST" });
      req.on("error", () => resolve());
      req.end("<Hangup/>");
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 10);
    });
    await pending;
    await new Promise((r) => setTimeout(r, 80));
    await server.close();
  });
});
