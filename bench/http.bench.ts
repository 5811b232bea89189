/**
 * The webhook over HTTP, against a floor, in one run (docs/benchmarks.md, method).
 *
 * - **tactflow**: the production bundle (`wrangler deploy --dry-run --outdir dist/http-bench`)
 *   served by Miniflare on 127.0.0.1, with a flow published through the admin API and the isolate
 *   cache warm; load on `GET /v1/callflow?from=…&to=…&token=…`.
 * - **floor**: a constant-response Worker in its own Miniflare on the same runtime, answering the
 *   same bytes with the same content type — what any Worker costs before it does anything.
 *
 * Each round loads both with autocannon (after a warm-up), in alternating order; the figures are
 * the medians over rounds. Targets: webhook throughput ≥ 85 % of the floor's, p99 within
 * 1 ms of the floor's.
 *
 *   npm run bench:http                                   table
 *   npm run bench:http -- --json                         figures
 *   npm run bench:http -- --rounds 7 --duration 10 --connections 32
 *
 * Ports 8811 and 8812 (override with --port, which takes the first of two).
 */
import autocannon from "autocannon";
import type { Miniflare } from "miniflare";
import { cli, machine, table } from "./lib/cli.ts";
import { fixture, RENDER_VARIABLES } from "./lib/fixtures.ts";
import { compatibilityDate, miniflareVersion, serve, startTactflow, worker } from "./lib/miniflare.ts";
import { median } from "./lib/stats.ts";

const { args, num, log } = cli("http", {
  json: { type: "boolean", default: false },
  rounds: { type: "string", default: "5" },
  duration: { type: "string", default: "8" },
  warmup: { type: "string", default: "2" },
  connections: { type: "string", default: "32" },
  port: { type: "string", default: "8811" },
});
const rounds = num("rounds", 1);
const duration = num("duration", 1);
const warmup = num("warmup", 0);
const connections = num("connections", 1);
const port = num("port", 1024);

const ADMIN = "bench-admin-token";
const HOOK = "bench-webhook-token";
const TN = "18005550100";

// ---- the two servers ----

const { mf: tactflow, bundleBytes } = startTactflow(
  "http",
  port,
  { ADMIN_TOKEN: ADMIN, WEBHOOK_TOKEN: HOOK, PARK_TIMEOUT_MS: "30000" },
  log,
);

let floor: Miniflare | undefined;
try {
  const base = (await tactflow.ready).origin;
  const template = fixture("render-medium.xml");
  const put = await fetch(`${base}/v1/flows/${TN}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: JSON.stringify({ xml: template, variables: RENDER_VARIABLES, timezone: "America/New_York", description: "bench:http" }),
  });
  if (put.status !== 201 && put.status !== 200) throw new Error(`publishing the bench flow failed: ${put.status} ${await put.text()}`);
  const webhookUrl = `${base}/v1/callflow?from=%2B12125550123&to=${TN}&call=5f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f&token=${HOOK}`;
  const first = await fetch(webhookUrl);
  const body = await first.text();
  if (first.status !== 200 || first.headers.get("x-tactflow-fallback") || !first.headers.get("x-tactflow-version")) {
    throw new Error(
      `the webhook did not render the flow: ${first.status} ${first.headers.get("x-tactflow-fallback")} ${body.slice(0, 200)}`,
    );
  }

  const floorSource = `const BODY = ${JSON.stringify(body)};
export default { fetch() { return new Response(BODY, { headers: { "content-type": "text/xml; charset=utf-8" } }); } };`;
  floor = serve(port + 1, [worker("floor", floorSource, {})]);
  const floorUrl = `${(await floor.ready).origin}/v1/callflow?from=%2B12125550123&to=${TN}`;
  const floorBody = await (await fetch(floorUrl)).text();
  // The same document, but for {{now}}: compare with the timestamps masked.
  const mask = (s: string) => s.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, "<now>");
  if (mask(floorBody) !== mask(body) || floorBody.length !== body.length) throw new Error("the floor does not answer the same document");

  interface Run {
    rps: number;
    p50: number;
    p90: number;
    p99: number;
    errors: number;
    non2xx: number;
  }
  const load = async (url: string, seconds: number): Promise<Run> => {
    const r = await autocannon({ url, connections, duration: seconds, pipelining: 1 });
    return {
      rps: r.requests.average,
      p50: r.latency.p50,
      p90: r.latency.p90,
      p99: r.latency.p99,
      errors: r.errors + r.timeouts,
      non2xx: r.non2xx,
    };
  };

  // For diagnosis, not a target: the same bundle's `/healthz` (Hono routing and a JSON constant,
  // no KV, no render) separates the framework's share from the flow path's.
  const targets = { tactflow: webhookUrl, floor: floorUrl, healthz: `${base}/healthz` } as const;
  type Name = keyof typeof targets;
  const runs: Record<Name, Run[]> = { tactflow: [], floor: [], healthz: [] };
  log(`${rounds} rounds × 3 targets × ${duration} s at ${connections} connections (+${warmup} s warm-up each)`);
  for (let round = 0; round < rounds; round++) {
    const order: Name[] = round % 2 ? ["tactflow", "healthz", "floor"] : ["floor", "healthz", "tactflow"];
    for (const name of order) {
      if (warmup) await load(targets[name], warmup);
      const run = await load(targets[name], duration);
      runs[name].push(run);
      log(
        `round ${round + 1}/${rounds} ${name}: ${Math.round(run.rps)} req/s, p50 ${run.p50} ms, p99 ${run.p99} ms${run.errors || run.non2xx ? `, ${run.errors} errors, ${run.non2xx} non-2xx` : ""}`,
      );
    }
  }
  // The isolate cache must still have been warm at the end: no fallback, same version.
  const last = await fetch(webhookUrl);
  if (last.headers.get("x-tactflow-fallback"))
    throw new Error(`the webhook fell back during the run: ${last.headers.get("x-tactflow-fallback")}`);

  const summary = (name: Name) => ({
    rps: median(runs[name].map((r) => r.rps)),
    p50: median(runs[name].map((r) => r.p50)),
    p90: median(runs[name].map((r) => r.p90)),
    p99: median(runs[name].map((r) => r.p99)),
    errors: runs[name].reduce((n, r) => n + r.errors, 0),
    non2xx: runs[name].reduce((n, r) => n + r.non2xx, 0),
  });
  const t = summary("tactflow");
  const f = summary("floor");
  const h = summary("healthz");
  const throughputRatio = t.rps / f.rps;
  const p99DeltaMs = t.p99 - f.p99;
  const result = {
    benchmark: "http",
    ...machine(),
    miniflare: miniflareVersion(),
    compatibilityDate,
    bundleBytes,
    responseBytes: Buffer.byteLength(body),
    rounds,
    durationSeconds: duration,
    connections,
    statistic: "median over rounds of autocannon's per-run average req/s and latency percentiles (ms)",
    tactflow: t,
    floor: f,
    healthz: h,
    throughputRatio,
    p99DeltaMs,
    targets: { throughputRatio: 0.85, p99DeltaMs: 1 },
    targetsMet: { throughput: throughputRatio >= 0.85, p99: p99DeltaMs <= 1 },
    perRound: runs,
  };
  if (args.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const mark = (ok: boolean) => (ok ? "✓" : "✗");
    const rows = [
      ["server", "req/s", "p50 ms", "p90 ms", "p99 ms", "errors", "non-2xx"],
      [
        "floor (constant Worker)",
        Math.round(f.rps).toLocaleString("en-US"),
        String(f.p50),
        String(f.p90),
        String(f.p99),
        String(f.errors),
        String(f.non2xx),
      ],
      [
        "tactflow /v1/callflow (warm)",
        Math.round(t.rps).toLocaleString("en-US"),
        String(t.p50),
        String(t.p90),
        String(t.p99),
        String(t.errors),
        String(t.non2xx),
      ],
      [
        "(tactflow /healthz, reference)",
        Math.round(h.rps).toLocaleString("en-US"),
        String(h.p50),
        String(h.p90),
        String(h.p99),
        String(h.errors),
        String(h.non2xx),
      ],
    ];
    process.stdout.write(
      [
        `webhook over HTTP — Node ${result.node}, ${result.cpu} (${result.cores} cores), Miniflare ${result.miniflare}; ${rounds} rounds × ${duration} s, ${connections} connections; medians`,
        `bundle ${bundleBytes.toLocaleString("en-US")} bytes; response ${result.responseBytes} bytes (bench/fixtures/render-medium.xml, 22 placeholders)`,
        "",
        table(rows),
        "",
        `throughput: ${(throughputRatio * 100).toFixed(1)} % of the floor (target ≥ 85 %) ${mark(result.targetsMet.throughput)}`,
        `p99: ${p99DeltaMs >= 0 ? "+" : ""}${p99DeltaMs} ms vs the floor (target ≤ 1 ms) ${mark(result.targetsMet.p99)}`,
        "",
      ].join("\n"),
    );
  }
} finally {
  await floor?.dispose();
  await tactflow.dispose();
}
