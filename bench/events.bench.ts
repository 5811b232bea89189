/**
 * Live call events: fan-out to one call's subscribers, and throughput through the hub
 * (docs/benchmarks.md).
 *
 * The production bundle (`wrangler deploy --dry-run --outdir dist/events-bench`) is served by
 * Miniflare on 127.0.0.1 (§5.3: not `wrangler dev`, whose proxy object serialises everything).
 * Events enter the way the platform sends them, `POST /v1/webhooks/events`, so each one is
 * appended to the call's SQLite log and published by CallSession exactly as in production.
 *
 * - **fan-out**: N = 10, 100, 1,000 `ws` subscribers of one call; one event at a time; for each
 *   event, publish (the POST leaving this process) → the last subscriber receiving it, and →
 *   the first. p50 and p99 over the events. Also the webhook's own round trip: what the
 *   fan-out costs the call.
 * - **hub, direct**: the same subscriber, with E events handed straight to `EventHub.ingest`
 *   (batches of 100; a call forwards up to 200 at a time) over Miniflare's RPC: the hub's own ceiling.
 * - **hub**: K calls post E events concurrently (a batch of each call's events per request, as
 *   the webhook allows); one `/v1/events` subscriber receives them;
 *   events per second from the first post to the last receipt, and publish → hub receipt p50/p99.
 *
 * Subscribers acknowledge every 16 events, as `tactflow tail` does (every 32 or 500 ms), so the
 * backpressure window never closes them. The clients run in this Node process; at N = 1,000
 * part of "last receive" is Node reading 1,000 sockets.
 *
 *   npm run bench:events                       table
 *   npm run bench:events -- --json             figures
 *   npm run bench:events -- --events 100 --hub-events 4000 --hub-calls 40 --batch 20
 *
 * Port 8862 (override with --port).
 */
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { callFlowEvent } from "../src/events/shapes.ts";
import type { CallEvent } from "../src/events/shapes.ts";
import { cli, machine } from "./lib/cli.ts";
import { miniflareVersion, startTactflow } from "./lib/miniflare.ts";
import { percentile } from "./lib/stats.ts";

const { args, num, fail, log } = cli("events", {
  json: { type: "boolean", default: false },
  events: { type: "string", default: "60" },
  warmup: { type: "string", default: "5" },
  subscribers: { type: "string", default: "10,100,1000" },
  "hub-events": { type: "string", default: "3000" },
  "hub-calls": { type: "string", default: "30" },
  concurrency: { type: "string", default: "16" },
  batch: { type: "string", default: "10" },
  port: { type: "string", default: "8862" },
});
const EVENTS = num("events", 1);
const WARMUP = num("warmup", 0);
const HUB_EVENTS = num("hub-events", 1);
const HUB_CALLS = num("hub-calls", 1);
const CONCURRENCY = num("concurrency", 1);
const BATCH = num("batch", 1);
if (BATCH > 100) fail("--batch is at most 100 (the events webhook's limit per request)");
const PORT = num("port", 1024);
const SIZES = String(args.subscribers)
  .split(",")
  .map((s) => Number(s.trim()));
if (SIZES.some((n) => !Number.isInteger(n) || n < 1 || n > 5000))
  fail("--subscribers takes a comma-separated list of counts between 1 and 5000");

const ADMIN = "bench-admin-token";
const READER = "bench-events-token";
const HOOK = "bench-webhook-token";
const TN = "18005550123";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- build the production bundle and serve it ----

const { mf } = startTactflow(
  "events",
  PORT,
  { ADMIN_TOKEN: ADMIN, EVENTS_TOKEN: READER, WEBHOOK_TOKEN: HOOK, PARK_TIMEOUT_MS: "30000" },
  log,
);

// ---- helpers ----

interface Frame {
  type?: string;
  seq?: number;
  hub_seq?: number;
  call_uuid?: string;
  success?: boolean;
  payload?: { command?: { reason?: string } };
}

/** A platform `call_flow` event (docs/opentact.md §d.4, 2022 shape + uuid) whose reason carries a marker. */
function platformEvent(call: string, marker: string): string {
  return JSON.stringify(platformEventObject(call, marker));
}

function platformEventObject(call: string, marker: string): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    uuid: crypto.randomUUID(),
    created_on: now,
    timestamp: now,
    type: "call_flow",
    success: true,
    message: `[success] command Say[0], reason: ${marker}`,
    command: "Say",
    payload: {
      command: { name: "Say", success: true, reason: marker, path: "Say[0]", children: [], error: [] },
      call: { uuid: call, direction: "in", from: "+15550100000", to: TN, state: "live", duration: 1, type: "CallSCA" },
    },
  };
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s.at(-1) ?? Number.NaN };
};

/** A subscriber that records when each marked event arrives and acknowledges every 16 events. */
class Subscriber {
  readonly ws: WebSocket;
  readonly arrivals = new Map<string, number>();
  readonly opened: Promise<void>;
  closed: { code: number; reason: string } | null = null;
  #sinceAck = 0;

  constructor(url: string, field: "seq" | "hub_seq", onEvent?: (f: Frame, at: number) => void) {
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("error", reject);
      this.ws.on("message", (data) => {
        const at = performance.now();
        const f = JSON.parse(data.toString()) as Frame;
        if (f.type === "auth") {
          if (f.success) resolve();
          else reject(new Error("auth refused"));
          return;
        }
        const marker = f.payload?.command?.reason;
        if (marker) this.arrivals.set(marker, at);
        onEvent?.(f, at);
        const seq = f[field];
        if (seq !== undefined && ++this.#sinceAck >= 16) {
          this.#sinceAck = 0;
          this.ws.send(JSON.stringify({ type: "ack", seq }));
        }
      });
    });
    this.ws.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
  }

  close(): void {
    this.ws.close(1000, "bench done");
  }
}

async function post(base: string, body: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/webhooks/events?token=${HOOK}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  const text = await res.text();
  if (res.status !== 200 && res.status !== 202) throw new Error(`the events webhook answered ${res.status}: ${text.slice(0, 300)}`);
  return performance.now() - t0;
}

async function waitFor(done: () => boolean, what: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

// ---- the runs ----

interface FanOut {
  subscribers: number;
  events: number;
  last_p50_ms: number;
  last_p99_ms: number;
  first_p50_ms: number;
  first_p99_ms: number;
  webhook_p50_ms: number;
  webhook_p99_ms: number;
  dropped: number;
}

async function fanOut(base: string, wsBase: string, n: number): Promise<FanOut> {
  const call = `bench-fanout-${n}-${crypto.randomUUID()}`;
  const subs: Subscriber[] = [];
  for (let i = 0; i < n; i += 100) {
    const batch = Array.from(
      { length: Math.min(100, n - i) },
      () => new Subscriber(`${wsBase}/v1/calls/${call}/events?token=${READER}`, "seq"),
    );
    subs.push(...batch);
    await Promise.all(batch.map((s) => s.opened));
  }
  const last: number[] = [];
  const first: number[] = [];
  const webhook: number[] = [];
  try {
    for (let i = 0; i < WARMUP + EVENTS; i++) {
      const marker = `fan-${n}-${i}`;
      const body = platformEvent(call, marker);
      const t0 = performance.now();
      const rtt = await post(base, body);
      await waitFor(() => subs.every((s) => s.arrivals.has(marker) || s.closed !== null), `event ${i} at ${n} subscribers`, 30_000);
      if (i < WARMUP) continue;
      const times = subs.flatMap((s) => (s.arrivals.has(marker) ? [s.arrivals.get(marker)! - t0] : []));
      last.push(Math.max(...times));
      first.push(Math.min(...times));
      webhook.push(rtt);
    }
  } finally {
    for (const s of subs) s.close();
  }
  const l = stats(last);
  const f = stats(first);
  const w = stats(webhook);
  return {
    subscribers: n,
    events: EVENTS,
    last_p50_ms: l.p50,
    last_p99_ms: l.p99,
    first_p50_ms: f.p50,
    first_p99_ms: f.p99,
    webhook_p50_ms: w.p50,
    webhook_p99_ms: w.p99,
    dropped: subs.filter((s) => s.closed !== null && s.closed.code !== 1000 && s.closed.code !== 1005).length,
  };
}

interface Hub {
  calls: number;
  events: number;
  seconds: number;
  events_per_s: number;
  posted_per_s: number;
  latency_p50_ms: number;
  latency_p99_ms: number;
}

async function hubThroughput(base: string, wsBase: string): Promise<Hub> {
  const run = crypto.randomUUID().slice(0, 8);
  const calls = Array.from({ length: HUB_CALLS }, (_, i) => `bench-hub-${run}-${i}`);
  const mine = new Set(calls);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let received = 0;
  let lastAt = 0;
  const sub = new Subscriber(`${wsBase}/v1/events?token=${READER}`, "hub_seq", (f, at) => {
    if (!f.call_uuid || !mine.has(f.call_uuid)) return;
    received += 1;
    lastAt = at;
    const sent = sentAt.get(f.payload?.command?.reason ?? "");
    if (sent !== undefined) latencies.push(at - sent);
  });
  await sub.opened;
  // Each call posts its own events in order; CONCURRENCY posts are in flight at once.
  const perCall = Math.ceil(HUB_EVENTS / HUB_CALLS);
  const queue = calls.map((call) => ({ call, next: 0 }));
  let posted = 0;
  const t0 = performance.now();
  let postedAt = 0;
  const worker = async (w: number) => {
    for (let k = w; k < queue.length; k += CONCURRENCY) {
      const q = queue[k]!;
      while (q.next < perCall && posted < HUB_EVENTS) {
        // Up to BATCH of this call's events per request, in order (the webhook takes arrays).
        const batch: Record<string, unknown>[] = [];
        const now = performance.now();
        while (batch.length < BATCH && q.next < perCall && posted < HUB_EVENTS) {
          const marker = `hub-${q.call}-${q.next++}`;
          posted += 1;
          sentAt.set(marker, now);
          batch.push(platformEventObject(q.call, marker));
        }
        await post(base, JSON.stringify(batch));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, (_, w) => worker(w)));
  postedAt = performance.now();
  await waitFor(() => received >= posted || sub.closed !== null, `${posted} events through the hub`, 60_000);
  sub.close();
  if (received < posted)
    throw new Error(`the hub subscriber was closed (${JSON.stringify(sub.closed)}) after ${received}/${posted} events`);
  const seconds = (lastAt - t0) / 1000;
  const l = stats(latencies);
  return {
    calls: HUB_CALLS,
    events: posted,
    seconds,
    events_per_s: posted / seconds,
    posted_per_s: posted / ((postedAt - t0) / 1000),
    latency_p50_ms: l.p50,
    latency_p99_ms: l.p99,
  };
}

interface HubDirect {
  events: number;
  seconds: number;
  events_per_s: number;
}

/** The hub alone: synthetic call events straight into `ingest`, one subscriber counting them. */
async function hubDirect(wsBase: string): Promise<HubDirect> {
  const ns = await mf.getDurableObjectNamespace("EVENT_HUB");
  const hub = ns.get(ns.idFromName("account")) as unknown as { ingest(events: CallEvent[]): Promise<{ accepted: number }> };
  const call = `bench-direct-${crypto.randomUUID()}`;
  const entity = { uuid: call, direction: "in" as const, from: "+15550100000", to: TN, state: "live", duration: 1, type: "CallSCA" };
  const events: CallEvent[] = Array.from(
    { length: HUB_EVENTS },
    (_, i) =>
      ({
        ...callFlowEvent(entity, { name: "Say", success: true, reason: `direct-${i}`, path: "Say[0]" }, new Date()),
        seq: i + 1,
      }) as CallEvent,
  );
  let received = 0;
  let lastAt = 0;
  const sub = new Subscriber(`${wsBase}/v1/events?token=${READER}`, "hub_seq", (f, at) => {
    if (f.call_uuid !== call) return;
    received += 1;
    lastAt = at;
  });
  await sub.opened;
  const t0 = performance.now();
  for (let i = 0; i < events.length; i += 100) await hub.ingest(events.slice(i, i + 100));
  await waitFor(() => received >= events.length || sub.closed !== null, `${events.length} events through the hub`, 60_000);
  sub.close();
  if (received < events.length)
    throw new Error(`the hub subscriber was closed (${JSON.stringify(sub.closed)}) after ${received}/${events.length} events`);
  const seconds = (lastAt - t0) / 1000;
  return { events: events.length, seconds, events_per_s: events.length / seconds };
}

try {
  const base = (await mf.ready).origin;
  const wsBase = base.replace(/^http/, "ws");
  const fan: FanOut[] = [];
  for (const n of SIZES) {
    log(`fan-out: ${n} subscribers, ${EVENTS} events…`);
    fan.push(await fanOut(base, wsBase, n));
    await sleep(200);
  }
  log(`hub, direct: ${HUB_EVENTS} events…`);
  const direct = await hubDirect(wsBase);
  log(`hub: ${HUB_EVENTS} events from ${HUB_CALLS} calls…`);
  const hub = await hubThroughput(base, wsBase);

  const { node, cpu, cores } = machine();
  const environment = { node, miniflare: miniflareVersion(), cpu, cores };
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ bench: "events", fan_out: fan, hub_direct: direct, hub, environment }, null, 2)}\n`);
  } else {
    const f = (x: number) => x.toFixed(2).padStart(8);
    const lines = [
      `Fan-out: one event to N subscribers of one call (${EVENTS} events after ${WARMUP} warm-up; ms)`,
      "",
      "subscribers   publish→last p50   p99   publish→first p50   p99   webhook p50   p99   dropped",
      ...fan.map(
        (r) =>
          `${String(r.subscribers).padStart(11)}   ${f(r.last_p50_ms)} ${f(r.last_p99_ms)}   ${f(r.first_p50_ms)} ${f(r.first_p99_ms)}   ${f(r.webhook_p50_ms)} ${f(r.webhook_p99_ms)}   ${String(r.dropped).padStart(7)}`,
      ),
      "",
      `Hub, direct: ${direct.events} events into EventHub.ingest (batches of 100) to one /v1/events subscriber`,
      `  ${direct.events_per_s.toFixed(0)} events/s`,
      "",
      `Hub, end to end: ${hub.events} events from ${hub.calls} calls (${CONCURRENCY} posts of up to ${BATCH} events in flight) to one /v1/events subscriber`,
      `  ${hub.events_per_s.toFixed(0)} events/s through the hub (posted at ${hub.posted_per_s.toFixed(0)}/s); publish→hub receive p50 ${hub.latency_p50_ms.toFixed(2)} ms, p99 ${hub.latency_p99_ms.toFixed(2)} ms`,
      "",
      `Node ${environment.node}, miniflare ${environment.miniflare}, ${environment.cores} × ${environment.cpu}. Local and relative: no network, no output-gate flush to remote storage.`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  }
} finally {
  await mf.dispose();
}
