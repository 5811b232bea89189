/**
 * What counting costs the webhook (docs/insights.md): its throughput with insights on against the
 * same production bundle with them off (`INSIGHTS_COUNTING=off`), side by side in one run
 * (docs/benchmarks.md, method).
 *
 * - **on**: the production bundle (`wrangler deploy --dry-run`) in Miniflare on 127.0.0.1, the
 *   number's insights object counting: each answer noted in isolate memory, the notes sent in one
 *   batch per second after the response, the object writing a row per call.
 * - **off**: the same bundle, another Miniflare, counting off.
 *
 * Both serve the same stateless flow (bench/fixtures/render-medium.xml), isolate caches warm; every
 * request carries a new call uuid, so each one is a call the insights object keeps a row for. Each
 * round loads both with autocannon (after a warm-up), in alternating order; the figures are the
 * medians over rounds. Target: throughput with insights on ≥ 95 % of off. After the run, the
 * insights object must have counted every call the "on" server answered.
 *
 *   npm run bench:insights                       table
 *   npm run bench:insights -- --json             figures
 *   npm run bench:insights -- --rounds 5 --duration 8
 *
 * Ports 8821 and 8822 (override with --port, which takes the first of two).
 */
import autocannon from "autocannon";
import { cli, machine, table } from "./lib/cli.ts";
import { fixture, RENDER_VARIABLES } from "./lib/fixtures.ts";
import { compatibilityDate, miniflareVersion, startTactflow } from "./lib/miniflare.ts";
import { median } from "./lib/stats.ts";

const { args, num, log } = cli("insights", {
  json: { type: "boolean", default: false },
  rounds: { type: "string", default: "5" },
  duration: { type: "string", default: "5" },
  warmup: { type: "string", default: "1" },
  connections: { type: "string", default: "32" },
  port: { type: "string", default: "8821" },
});
const rounds = num("rounds", 1);
const duration = num("duration", 1);
const warmup = num("warmup", 0);
const connections = num("connections", 1);
const port = num("port", 1024);

const ADMIN = "bench-admin-token";
const HOOK = "bench-webhook-token";
const TN = "18005550100";
const vars = { ADMIN_TOKEN: ADMIN, WEBHOOK_TOKEN: HOOK, PARK_TIMEOUT_MS: "30000" };

// Quiet: the request log line each request writes would otherwise be printed here, competing for the CPU.
const on = startTactflow("insights-on", port, vars, log, { quiet: true });
const off = startTactflow("insights-off", port + 1, { ...vars, INSIGHTS_COUNTING: "off" }, log, { quiet: true });

interface Run {
  rps: number;
  p50: number;
  p99: number;
  sent: number;
  errors: number;
}

try {
  const bases = { on: (await on.mf.ready).origin, off: (await off.mf.ready).origin };
  for (const base of Object.values(bases)) {
    const put = await fetch(`${base}/v1/flows/${TN}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ xml: fixture("render-medium.xml"), variables: RENDER_VARIABLES, timezone: "America/New_York" }),
    });
    if (put.status !== 201 && put.status !== 200) throw new Error(`publishing the bench flow failed: ${put.status} ${await put.text()}`);
  }
  let seq = 0;
  const path = () =>
    `/v1/callflow?from=%2B12125550123&to=${TN}&call=5f1c2d3e-4b5a-4c6d-8e7f-${String(seq++).padStart(12, "0")}&token=${HOOK}`;
  // Both answer the document; the first request warms the isolate caches.
  for (const [name, base] of Object.entries(bases)) {
    const res = await fetch(`${base}${path()}`);
    if (res.status !== 200 || res.headers.get("x-tactflow-fallback")) throw new Error(`${name}: the webhook did not render the flow`);
    await res.text();
  }
  // Calls sent to the "on" server (each request has a call uuid of its own), the first one included.
  const sentOn = { n: 1 };

  const load = async (base: string, seconds: number): Promise<Run> => {
    const r = await autocannon({
      url: base,
      connections,
      duration: seconds,
      pipelining: 1,
      requests: [{ method: "GET", setupRequest: (req) => ({ ...req, path: path() }) }],
    });
    return {
      rps: r.requests.average,
      p50: r.latency.p50,
      p99: r.latency.p99,
      sent: r.requests.total,
      errors: r.errors + r.timeouts + r.non2xx,
    };
  };

  type Name = keyof typeof bases;
  const runs: Record<Name, Run[]> = { on: [], off: [] };
  log(`${rounds} rounds × 2 servers × ${duration} s at ${connections} connections (+${warmup} s warm-up each)`);
  for (let round = 0; round < rounds; round++) {
    const order: Name[] = round % 2 ? ["off", "on"] : ["on", "off"];
    for (const name of order) {
      const before = seq;
      if (warmup) await load(bases[name], warmup);
      const run = await load(bases[name], duration);
      if (name === "on") sentOn.n += seq - before;
      runs[name].push(run);
      log(
        `round ${round + 1}/${rounds} insights ${name}: ${Math.round(run.rps)} req/s, p50 ${run.p50} ms, p99 ${run.p99} ms${run.errors ? `, ${run.errors} errors` : ""}`,
      );
    }
  }

  // Every call the "on" server answered is counted (the last batch goes out a second after its calls).
  const answeredOn = sentOn.n;
  let counted = 0;
  for (let i = 0; i < 20 && counted < answeredOn; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const res = await fetch(`${bases.on}/v1/flows/${TN}/insights`, { headers: { authorization: `Bearer ${ADMIN}` } });
    counted = ((await res.json()) as { calls: number }).calls;
  }
  const offRes = await fetch(`${bases.off}/v1/flows/${TN}/insights`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const countedOff = ((await offRes.json()) as { calls: number }).calls;

  const summary = (name: Name) => ({
    rps: median(runs[name].map((r) => r.rps)),
    p50: median(runs[name].map((r) => r.p50)),
    p99: median(runs[name].map((r) => r.p99)),
    errors: runs[name].reduce((n, r) => n + r.errors, 0),
  });
  const s = { on: summary("on"), off: summary("off") };
  const ratio = s.on.rps / s.off.rps;
  const result = {
    benchmark: "insights",
    ...machine(),
    miniflare: miniflareVersion(),
    compatibilityDate,
    rounds,
    durationSeconds: duration,
    connections,
    statistic: "median over rounds of autocannon's per-run average req/s and latency percentiles (ms)",
    on: s.on,
    off: s.off,
    throughputRatio: ratio,
    target: 0.95,
    targetMet: ratio >= 0.95,
    callsSent: answeredOn,
    callsCounted: counted,
    callsCountedOff: countedOff,
    perRound: runs,
  };
  if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const row = (label: string, x: (typeof s)["on"]) => [
      label,
      Math.round(x.rps).toLocaleString("en-US"),
      String(x.p50),
      String(x.p99),
      String(x.errors),
    ];
    process.stdout.write(
      [
        `webhook with and without insights — Node ${result.node}, ${result.cpu} (${result.cores} cores), Miniflare ${result.miniflare}; ${rounds} rounds × ${duration} s, ${connections} connections; medians`,
        "",
        table([["server", "req/s", "p50 ms", "p99 ms", "errors"], row("insights off", s.off), row("insights on", s.on)]),
        "",
        `throughput with insights on: ${(ratio * 100).toFixed(1)} % of off (target ≥ 95 %) ${ratio >= 0.95 ? "✓" : "✗"}`,
        `calls counted: ${counted.toLocaleString("en-US")} of ${answeredOn.toLocaleString("en-US")} sent with insights on; ${countedOff} with them off`,
        "",
      ].join("\n"),
    );
  }
} finally {
  await on.mf.dispose();
  await off.mf.dispose();
}
