/**
 * `tactflow tail` against a real `wrangler dev`: a simulated call's whole event sequence
 * arrives live, in order, once each; a second tail resuming with `--since` gets exactly the
 * rest; and the account-wide stream carries the same events with the call's uuid and seq.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { type AddressInfo, createConnection, createServer } from "node:net";
import type { Server, Socket } from "node:net";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./harness.ts";
import { callTn, publishFlow, tactflow } from "./tactflow.ts";

const TN = "15550160001";
const FLOW = `<Response>
  <Say tag="welcome">Welcome to the events test.</Say>
  <Gather numDigits="1" attempts="1" timeout="3000">
    <Say>Press 1 to continue.</Say>
    <Switch>
      <Case dtmf="1"><Say tag="pressed">You pressed one.</Say></Case>
      <Default><Say>Not an option.</Say></Default>
    </Switch>
  </Gather>
  <Hangup tag="bye"/>
</Response>`;

interface TailEvent {
  type: "call_state" | "call_flow";
  seq: number;
  hub_seq?: number;
  uuid: string;
  call_uuid: string;
  tag?: string;
  payload: { state?: string };
}

interface RunningTail {
  events: TailEvent[];
  stderr(): string;
  /** Resolves when stderr says the subscription is live. */
  connected: Promise<void>;
  exited: Promise<number>;
  stop(): void;
}

/** Runs the real CLI (`bin/tactflow.mjs tail --json …`) as a child process. */
function tail(args: string[], url = tactflow().url): RunningTail {
  const t = tactflow();
  const child = spawn(
    process.execPath,
    [join(ROOT, "bin/tactflow.mjs"), "tail", "--json", "--url", url, "--token", t.adminToken, ...args],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const events: TailEvent[] = [];
  let out = "";
  let err = "";
  let onConnected: () => void = () => {};
  const connected = new Promise<void>((resolve) => (onConnected = resolve));
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    let nl: number;
    while ((nl = out.indexOf("\n")) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      if (line.trim()) events.push(JSON.parse(line) as TailEvent);
    }
  });
  child.stderr.on("data", (chunk: Buffer) => {
    err += chunk.toString();
    if (/tactflow tail: connected to /.test(err)) onConnected();
  });
  const exited = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? -1)));
  return { events, stderr: () => err, connected, exited, stop: () => child.kill("SIGINT") };
}

async function within<T>(p: Promise<T>, ms: number, what: string, t: RunningTail): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms; tail said:\n${t.stderr()}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Where to cut a server-to-client byte stream so that `frames` whole WebSocket frames (after
 * the HTTP 101 head) get through and the next one arrives only in part; null until the stream
 * holds that much. Server frames are unmasked (RFC 6455 §5.2); payloads may be compressed,
 * which is why this counts frames rather than bytes.
 */
function cutPoint(buf: Buffer, frames: number): number | null {
  const head = buf.indexOf("\r\n\r\n");
  if (head < 0) return null;
  let at = head + 4;
  for (let n = 0; ; n++) {
    if (at + 2 > buf.length) return null;
    const b1 = buf[at + 1] ?? 0;
    let len = b1 & 0x7f;
    let hdr = 2;
    if (len === 126) {
      if (at + 4 > buf.length) return null;
      len = buf.readUInt16BE(at + 2);
      hdr = 4;
    } else if (len === 127) {
      if (at + 10 > buf.length) return null;
      len = Number(buf.readBigUInt64BE(at + 2));
      hdr = 10;
    }
    if (n === frames) return at + 2 + Math.floor((hdr - 2 + len) / 2); // half of the next frame
    at += hdr + len;
  }
}

/**
 * A TCP relay in front of the server that cuts the first connection through it part-way into
 * its `frames + 1`-th WebSocket frame towards the client: a network drop mid-stream.
 */
async function droppingRelay(target: URL, frames: number): Promise<{ url: string; cuts: () => number; close: () => Promise<void> }> {
  let connections = 0;
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const index = connections++;
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    sockets.add(client).add(upstream);
    let seen = Buffer.alloc(0);
    let sent = 0;
    upstream.on("data", (chunk: Buffer) => {
      if (index !== 0) {
        client.write(chunk);
        return;
      }
      seen = Buffer.concat([seen, chunk]);
      const cut = cutPoint(seen, frames);
      if (cut === null) {
        client.write(chunk);
        sent = seen.length;
        return;
      }
      cuts += 1;
      client.write(seen.subarray(sent, cut), () => {
        client.destroy();
        upstream.destroy();
      });
    });
    client.on("data", (chunk: Buffer) => upstream.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  // Any free port: a fixed one collides with whatever else runs on the machine.
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cuts: () => cuts,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

beforeAll(async () => {
  await publishFlow(TN, { xml: FLOW, description: "e2e events" });
});

describe("tactflow tail", () => {
  it("shows a simulated call's full event sequence live, and again after a reconnect with --since, with no gaps", async () => {
    const callId = `e2e-tail-${crypto.randomUUID()}`;
    const live = tail(["--call", callId, "--until-end"]);
    const hub = tail(["--tn", TN]);
    try {
      await within(live.connected, 20_000, "the call tail connecting", live);
      await within(hub.connected, 20_000, "the hub tail connecting", hub);

      const result = await callTn({ to: TN, callId, inputs: [{ digits: "1" }] });
      expect(result.events.failed).toBe(0);
      expect(await within(live.exited, 20_000, "tail --until-end exiting after the call was destroyed", live)).toBe(0);

      const events = live.events;
      // Every event of the call, in order, once: seq 1..n with no gap.
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(new Set(events.map((e) => e.uuid)).size).toBe(events.length);
      expect(events.every((e) => e.call_uuid === callId)).toBe(true);
      const states = events.filter((e) => e.type === "call_state").map((e) => e.payload.state);
      expect(states).toEqual(expect.arrayContaining(["init", "live", "hangup", "destroyed"]));
      expect(states.at(-1)).toBe("destroyed");
      expect(events.some((e) => e.type === "call_flow")).toBe(true);

      // The server's own log says the same.
      const t = tactflow();
      const snap = (await (
        await fetch(`${t.url}/v1/calls/${callId}`, { headers: { authorization: `Bearer ${t.adminToken}` } })
      ).json()) as { events?: { uuid: string }[] };
      expect(snap.events?.map((e) => e.uuid)).toEqual(events.map((e) => e.uuid));

      // A reconnect from the middle gets exactly the rest.
      const cut = Math.floor(events.length / 2);
      const resumed = tail(["--call", callId, "--since", String(cut), "--until-end"]);
      expect(await within(resumed.exited, 20_000, "the resumed tail replaying to the end", resumed)).toBe(0);
      expect(resumed.events.map((e) => e.uuid)).toEqual(events.slice(cut).map((e) => e.uuid));

      // The account-wide stream (filtered to this TN) carries the same events, tagged with the call.
      await within(
        (async () => {
          while (hub.events.filter((e) => e.call_uuid === callId).length < events.length) await new Promise((r) => setTimeout(r, 50));
        })(),
        10_000,
        "the hub tail receiving every event",
        hub,
      );
      const viaHub = hub.events.filter((e) => e.call_uuid === callId);
      expect(viaHub.map((e) => [e.uuid, e.seq])).toEqual(events.map((e) => [e.uuid, e.seq]));
      const hubSeqs = viaHub.map((e) => e.hub_seq ?? 0);
      expect(hubSeqs).toEqual([...hubSeqs].sort((a, b) => a - b));
    } finally {
      live.stop();
      hub.stop();
    }
    expect(await hub.exited).toBe(0);
  });

  it("keeps the sequence whole across a network drop in the middle of a call", async () => {
    const callId = `e2e-drop-${crypto.randomUUID()}`;
    // Let the auth frame and two events through, then drop the connection inside the third.
    const relay = await droppingRelay(new URL(tactflow().url), 3);
    const live = tail(["--call", callId, "--until-end"], relay.url);
    try {
      await within(live.connected, 20_000, "the tail connecting through the relay", live);
      const result = await callTn({ to: TN, callId, inputs: [{ digits: "1" }] });
      expect(result.events.failed).toBe(0);
      expect(await within(live.exited, 20_000, "tail --until-end exiting after the call was destroyed", live)).toBe(0);
      expect(relay.cuts()).toBe(1);
      expect(live.stderr()).toMatch(/reconnecting in [\d.]+ s from seq 2\b/);
      const events = live.events;
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(events.at(-1)?.payload.state).toBe("destroyed");
      const t = tactflow();
      const snap = (await (
        await fetch(`${t.url}/v1/calls/${callId}`, { headers: { authorization: `Bearer ${t.adminToken}` } })
      ).json()) as { events?: { uuid: string }[] };
      expect(events.map((e) => e.uuid)).toEqual(snap.events?.map((e) => e.uuid));
    } finally {
      live.stop();
      await relay.close();
    }
  });
});
