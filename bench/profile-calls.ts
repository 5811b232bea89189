/**
 * Where a Gather decision's time goes: a CPU profile of the Worker's isolate (the webhook, the
 * CallSession and the EventHub share it) while a closed-loop client makes fresh Gather decisions
 * through the production bundle in Miniflare, as `bench:calls` does.
 *
 * Prints the functions with the most self time and, by bundle module, where the samples fall;
 * `--out FILE` also writes the `.cpuprofile` (open it in Chrome DevTools → Performance).
 *
 *   npm run bench:profile
 *   npm run bench:profile -- --duration 10 --connections 32 --out /tmp/gather.cpuprofile
 *   npm run bench:profile -- --target repeat --storage disk   (targets: gather, repeat, webhook)
 *
 * A profile is a diagnosis, not a figure: the inspector slows the isolate down, so compare its
 * shares, never its req/s, with `bench:calls`.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import WebSocket from "ws";
import { cli } from "./lib/cli.ts";
import { ADMIN, HOOK, MENU_ATTEMPTS, MENU_TN, MENU_XML, PLAIN_TN, PLAIN_XML } from "./lib/menuFlows.ts";
import { type Storage, storageOptions, worker } from "./lib/miniflare.ts";

const { args, num, log } = cli("profile", {
  duration: { type: "string", default: "8" },
  connections: { type: "string", default: "32" },
  port: { type: "string", default: "8842" },
  inspector: { type: "string", default: "9242" },
  top: { type: "string", default: "40" },
  target: { type: "string", default: "gather" },
  storage: { type: "string", default: "memory" },
  out: { type: "string" },
});
const duration = num("duration", 1);
const connections = num("connections", 1);
const port = num("port", 1024);
const inspectorPort = num("inspector", 1024);
const top = num("top", 1);
if (args.storage !== "memory" && args.storage !== "disk") throw new Error(`--storage is memory or disk, not "${args.storage}"`);
const storage: Storage = args.storage;

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// Unminified, so the profile names functions and the bundle's `// src/…` markers name files.
log("building the production bundle, unminified (wrangler deploy --dry-run --no-minify)…");
const outdir = join(root, "dist", "profile-bench");
const build = spawnSync(join(root, "node_modules", ".bin", "wrangler"), ["deploy", "--dry-run", "--no-minify", "--outdir", outdir], {
  cwd: root,
  encoding: "utf8",
});
if (build.status !== 0) {
  process.stderr.write(build.stdout + build.stderr);
  throw new Error("wrangler deploy --dry-run failed");
}
const bundle = readFileSync(join(outdir, "index.js"), "utf8");
const mf = new Miniflare({
  host: "127.0.0.1",
  port,
  inspectorPort,
  // As bench:calls: drop the request log lines (warnings and errors still shown), storage on RAM unless --storage disk.
  handleStructuredLogs: (l: { level: string; message: string }) => {
    if (l.level === "warn" || l.level === "error") process.stderr.write(`${l.message}\n`);
  },
  ...storageOptions(storage),
  workers: [
    worker(
      "tactflow",
      bundle,
      {
        FLOWS: { type: "kv" },
        CALL: { type: "durable-object", worker: "tactflow", exportName: "CallSession" },
        EVENT_HUB: { type: "durable-object", worker: "tactflow", exportName: "EventHub" },
        INSIGHTS: { type: "durable-object", worker: "tactflow", exportName: "FlowInsights" },
        ACCESS: { type: "durable-object", worker: "tactflow", exportName: "AccessStore" },
        ADMIN_TOKEN: { type: "text", value: ADMIN },
        WEBHOOK_TOKEN: { type: "text", value: HOOK },
      },
      {
        CallSession: { type: "durable-object", storage: "sqlite" },
        EventHub: { type: "durable-object", storage: "sqlite" },
        FlowInsights: { type: "durable-object", storage: "sqlite" },
        AccessStore: { type: "durable-object", storage: "sqlite" },
      },
    ),
  ],
});

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** A Chrome DevTools Protocol session with the isolate's inspector. */
async function inspect(): Promise<{ send: (method: string, params?: object) => Promise<unknown>; close: () => void }> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as Array<{
    id: string;
    title?: string;
    webSocketDebuggerUrl?: string;
  }>;
  const target = targets.find((t) => (t.title ?? t.id).includes("tactflow")) ?? targets[0];
  if (!target?.webSocketDebuggerUrl) throw new Error(`no inspector target: ${JSON.stringify(targets)}`);
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  let next = 1;
  const waiting = new Map<number, (v: unknown) => void>();
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: unknown };
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg.error ? Promise.reject(new Error(JSON.stringify(msg.error))) : msg.result);
  });
  return {
    send: (method, params = {}) =>
      new Promise((resolve) => {
        const id = next++;
        waiting.set(id, resolve);
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

async function load(seconds: number, next: (conn: number) => string | Promise<string>): Promise<{ requests: number; errors: number }> {
  let requests = 0;
  let errors = 0;
  const stopAt = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async (_, conn) => {
      while (performance.now() < stopAt) {
        const res = await fetch(await next(conn));
        const body = await res.text();
        requests++;
        if (res.status !== 200 || res.headers.get("x-tactflow-fallback") || !body.includes("<")) errors++;
      }
    }),
  );
  return { requests, errors };
}

try {
  const base = (await mf.ready).origin.replace(/\/$/, "");
  for (const [tn, xml] of [
    [MENU_TN, MENU_XML],
    [PLAIN_TN, PLAIN_XML],
  ] as const) {
    const res = await fetch(`${base}/v1/flows/${tn}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ xml, variables: { company: "Acme" } }),
    });
    if (res.status >= 300) throw new Error(`publish ${tn}: ${res.status} ${await res.text()}`);
  }
  // A Gather has at most MENU_ATTEMPTS attempts (src/xml/tags.ts): a connection whose call is near
  // its last one moves on to a newly started call.
  const startCall = async (conn: number) => {
    const id = `profile-${conn}-${crypto.randomUUID()}`;
    await (await fetch(`${base}/v1/callflow?from=%2B12125550123&to=${MENU_TN}&call=${id}&token=${HOOK}`)).text();
    return id;
  };
  const ids: string[] = [];
  for (let conn = 0; conn < connections; conn++) ids.push(await startCall(conn));
  const attempt = new Array<number>(connections).fill(0);
  const next =
    args.target === "webhook"
      ? () => `${base}/v1/callflow?from=%2B12125550123&to=${PLAIN_TN}&token=${HOOK}`
      : args.target === "repeat"
        ? (conn: number) => `${base}/v1/calls/${ids[conn]}/gather?node=g1&attempt=1&dtmf=9&token=${HOOK}`
        : async (conn: number) => {
            if (attempt[conn]! >= MENU_ATTEMPTS - 1) {
              ids[conn] = await startCall(conn);
              attempt[conn] = 0;
            }
            return `${base}/v1/calls/${ids[conn]}/gather?node=g1&attempt=${++attempt[conn]!}&dtmf=9&token=${HOOK}`;
          };
  log(`warming up ${args.target}…`);
  await load(2, next);
  const session = await inspect();
  await session.send("Profiler.enable");
  await session.send("Profiler.setSamplingInterval", { interval: 200 });
  await session.send("Profiler.start");
  log(`profiling ${args.target} for ${duration} s at ${connections} connections…`);
  const run = await load(duration, next);
  const { profile } = (await session.send("Profiler.stop")) as { profile: Profile };
  session.close();
  if (args.out) writeFileSync(args.out, JSON.stringify(profile));

  // Self time per function and per bundle region; the bundle keeps esbuild's `// src/…` markers.
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const lines = bundle.split("\n");
  const regionOf = (line: number): string => {
    for (let l = line; l >= 0; l--) {
      const m = /^\/\/ (\S+)$/.exec(lines[l] ?? "");
      if (m) return m[1]!;
    }
    return "?";
  };
  const fnTotals = new Map<string, number>();
  const regionTotals = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const f = n.callFrame;
    const inBundle = f.url.endsWith("index.js");
    const where = inBundle ? regionOf(f.lineNumber) : f.url || "(native)";
    const key = `${f.functionName || "(anonymous)"}  ${where}${inBundle ? `:${f.lineNumber + 1}` : ""}`;
    fnTotals.set(key, (fnTotals.get(key) ?? 0) + us);
    regionTotals.set(where, (regionTotals.get(where) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
  const idle = [...self].filter(([id]) => byId.get(id)?.callFrame.functionName === "(idle)").reduce((a, [, us]) => a + us, 0);
  const out = [
    `${args.target}: ${run.requests} requests in ${duration} s (${Math.round(run.requests / duration)} req/s under the profiler), ${run.errors} errors; ${(total / 1000).toFixed(0)} ms sampled`,
    `busy (not idle) per request: ${((total - idle) / 1000 / run.requests).toFixed(3)} ms`,
    "",
    "self time by source file:",
    ...[...regionTotals].sort((a, b) => b[1] - a[1]).map(([k, us]) => `${pct(us)}  ${k}`),
    "",
    `top ${top} functions by self time:`,
    ...[...fnTotals]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `${pct(us)}  ${k}`),
  ];
  process.stdout.write(`${out.join("\n")}\n`);
} finally {
  await mf.dispose();
}
