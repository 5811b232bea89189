/**
 * `tactflow tail` against a scripted WebSocket server speaking the tactflow event protocol:
 * first-frame auth, acks, and the reconnect with `since` after a drop. (The e2e suite runs it
 * against the real Worker.)
 */
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { afterEach, describe, it } from "vitest";
import { WebSocketServer } from "ws";
import type { WebSocket as ServerSocket } from "ws";
import { formatEvent, planTail, runTail } from "../../cli/tail.ts";

const TOKEN = "unit-events-token";

function event(seq: number, state: string, extra: Record<string, unknown> = {}) {
  return {
    uuid: `ev-${seq}`,
    created_on: "2026-11-21T10:00:0" + (seq % 10) + ".000Z",
    timestamp: "2026-11-21T10:00:00.000Z",
    type: "call_state",
    seq,
    call_uuid: "call-1",
    message: `CallSCA in +18389999168 > 18382049000 - ${state}`,
    payload: { state, duration: seq },
    call: { uuid: "call-1", direction: "in", from: "+18389999168", to: "18382049000", state, duration: seq, type: "CallSCA" },
    ...extra,
  };
}

const authOk = (lastSeq: number) =>
  JSON.stringify({
    type: "auth",
    success: true,
    message: "WSS connection x@127.0.0.1 - success auth events",
    payload: { stream: { last_seq: lastSeq } },
  });

interface Conn {
  url: URL;
  ws: ServerSocket;
  received: string[];
}

let server: WebSocketServer | null = null;
afterEach(async () => {
  if (server) {
    for (const c of server.clients) c.terminate();
    await new Promise((r) => server?.close(r));
    server = null;
  }
});

/** A server that hands each connection to `script` once the client has sent its first frame. */
async function serve(script: (conn: Conn, index: number) => void): Promise<string> {
  server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await once(server, "listening");
  let n = 0;
  server.on("connection", (ws, req) => {
    const conn: Conn = { url: new URL(req.url ?? "/", "http://x"), ws, received: [] };
    const index = n++;
    ws.on("message", (d) => {
      conn.received.push(d.toString());
      if (conn.received.length === 1) script(conn, index);
    });
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function collect() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    deps: {
      env: {},
      cwd: "/nonexistent",
      out: (l: string) => out.push(l),
      err: (l: string) => err.push(l),
      backoffMs: 10,
      backoffMaxMs: 50,
    },
  };
}

describe("tactflow tail", () => {
  it("authenticates with a first frame, prints events, and after a drop resumes from the last seq without repeats", async ({ expect }) => {
    const conns: Conn[] = [];
    const url = await serve((conn, i) => {
      conns.push(conn);
      expect(JSON.parse(conn.received[0] ?? "{}")).toEqual({ type: "auth", token: TOKEN });
      if (i === 0) {
        conn.ws.send(authOk(0));
        for (const [s, st] of [
          [1, "init"],
          [2, "ringing"],
          [3, "live"],
        ] as const)
          conn.ws.send(JSON.stringify(event(s, st)));
        setTimeout(() => conn.ws.terminate(), 50); // a drop, not a goodbye
      } else {
        conn.ws.send(authOk(5));
        // A server that repeats seq 3 must not make tail print it twice.
        for (const [s, st] of [
          [3, "live"],
          [4, "hangup"],
          [5, "destroyed"],
        ] as const)
          conn.ws.send(JSON.stringify(event(s, st)));
      }
    });
    const c = collect();
    const code = await runTail({ call: "call-1", url, token: TOKEN, untilEnd: true, json: true }, c.deps);
    expect(code).toBe(0);
    expect(c.out.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([1, 2, 3, 4, 5]);
    expect(conns.map((k) => k.url.pathname)).toEqual(["/v1/calls/call-1/events", "/v1/calls/call-1/events"]);
    expect(conns[0]?.url.searchParams.get("since")).toBeNull();
    expect(conns[1]?.url.searchParams.get("since")).toBe("3");
    expect(c.err.some((l) => /reconnecting in .* from seq 3/.test(l))).toBe(true);
    // What it printed, it acknowledged before leaving.
    await new Promise((r) => setTimeout(r, 20));
    expect(
      conns[1]?.received
        .map((r) => JSON.parse(r) as { type: string; seq?: number })
        .filter((f) => f.type === "ack")
        .at(-1)?.seq,
    ).toBe(5);
  });

  it("a drop before any event still resumes from where the subscription started", async ({ expect }) => {
    const conns: Conn[] = [];
    const url = await serve((conn, i) => {
      conns.push(conn);
      if (i === 0) {
        conn.ws.send(authOk(7));
        setTimeout(() => conn.ws.terminate(), 30);
      } else {
        conn.ws.send(authOk(9));
        for (const [s, st] of [
          [8, "live"],
          [9, "destroyed"],
        ] as const)
          conn.ws.send(JSON.stringify(event(s, st)));
      }
    });
    const c = collect();
    expect(await runTail({ call: "call-1", url, token: TOKEN, untilEnd: true, json: true }, c.deps)).toBe(0);
    expect(conns[1]?.url.searchParams.get("since")).toBe("7");
    expect(c.out.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([8, 9]);
  });

  it("passes filters on the URL and uses the hub for all calls", async ({ expect }) => {
    let seen: URL | null = null;
    const url = await serve((conn) => {
      seen = conn.url;
      conn.ws.send(authOk(0));
      conn.ws.close(4001, "auth failed: test ends here");
    });
    const c = collect();
    const code = await runTail({ url, token: TOKEN, types: "call_flow", tn: "+1 838 204 9000", since: "7" }, c.deps);
    expect(code).toBe(1);
    const u = seen as URL | null;
    expect(u?.pathname).toBe("/v1/events");
    expect(u?.searchParams.get("types")).toBe("call_flow");
    expect(u?.searchParams.get("tn")).toBe("+1 838 204 9000");
    expect(u?.searchParams.get("since")).toBe("7");
  });

  it("stops with exit 1 when the token is refused (4001), without retrying", async ({ expect }) => {
    let connections = 0;
    const url = await serve((conn) => {
      connections += 1;
      conn.ws.send(JSON.stringify({ type: "auth", success: false, message: "WSS connection x@127.0.0.1 - auth failed: invalid token" }));
      conn.ws.close(4001, "auth failed: invalid token");
    });
    const c = collect();
    expect(await runTail({ call: "c", url, token: "bad" }, c.deps)).toBe(1);
    expect(connections).toBe(1);
    expect(c.err.join("\n")).toMatch(/auth failed: invalid token/);
  });

  it("exits 3 when nothing listens at the URL on the first try, naming it", async ({ expect }) => {
    // A port that was free a moment ago: bound, then released.
    const probe = await new Promise<number>((resolve) => {
      const s = new WebSocketServer({ port: 0, host: "127.0.0.1" }, () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const c = collect();
    expect(await runTail({ call: "c", url: `http://127.0.0.1:${probe}`, token: TOKEN }, c.deps)).toBe(3);
    expect(c.err.join("\n")).toMatch(new RegExp(`cannot reach .*127\\.0\\.0\\.1:${probe}`));
  });

  it("rejects bad options with exit 2", async ({ expect }) => {
    const c = collect();
    expect(await runTail({ call: "c", tn: "18382049000", token: TOKEN }, c.deps)).toBe(2);
    expect(await runTail({ types: "sms", token: TOKEN }, c.deps)).toBe(2);
    expect(await runTail({ since: "-1", token: TOKEN }, c.deps)).toBe(2);
    expect(await runTail({ untilEnd: true, token: TOKEN }, c.deps)).toBe(2);
    expect(await runTail({ call: "c" }, c.deps)).toBe(2);
    expect(c.err.at(-1)).toMatch(/no token/);
  });

  it("finds the token in .dev.vars and turns http URLs into ws URLs", ({ expect }) => {
    const plan = planTail(
      { call: "a b", url: "https://flows.example.com/" },
      { env: {}, cwd: "/x", readFile: () => "ADMIN_TOKEN=adm\nEVENTS_TOKEN=evt\n" },
    );
    expect(plan.token).toBe("evt");
    expect(plan.url.toString()).toBe("wss://flows.example.com/v1/calls/a%20b/events");
    expect(plan.seqField).toBe("seq");
  });

  it("prints one readable line per event", ({ expect }) => {
    expect(
      formatEvent(
        event(4, "hangup", {
          payload: { state: "hangup", duration: 4, reason: "park timeout", q850_cause_string: "RECOVERY_ON_TIMER_EXPIRE" },
        }),
        "call",
      ),
    ).toBe("10:00:04.000 #4    call_state hangup    in +18389999168 > 18382049000 (park timeout) [RECOVERY_ON_TIMER_EXPIRE]");
    const flow = {
      type: "call_flow",
      seq: 2,
      hub_seq: 17,
      call_uuid: "0123456789abcdef",
      created_on: "2026-11-21T10:00:01.500Z",
      success: true,
      command: "Say",
      tag: "greeting",
      payload: { command: { name: "Say", path: "Say[0]", reason: "played" }, call: {} },
    };
    expect(formatEvent(flow, "hub")).toBe("10:00:01.500    17 0123456789ab #2 call_flow  ok Say[0]: played tag=greeting");
    // A number's canary rollout on the account's stream: its message says what happened.
    const rollout = {
      type: "flow_rollout",
      seq: 2,
      hub_seq: 18,
      call_uuid: "rollout-r0a1b2c3d4e5f",
      created_on: "2026-11-21T10:00:02.000Z",
      success: false,
      message: "18005550100: canary 1b2c3d4e5f60 rolled back automatically; 3f2a9c1e04b2 answers every call again",
    };
    expect(formatEvent(rollout, "hub")).toBe(
      "10:00:02.000    18 rollout-r0a1 #2 flow_rollout 18005550100: canary 1b2c3d4e5f60 rolled back automatically; 3f2a9c1e04b2 answers every call again",
    );
  });
});
