/**
 * Stateful calls under load, on the production bundle in Miniflare (docs/benchmarks.md:
 * `wrangler deploy --dry-run`, never `wrangler dev`), in one run:
 *
 * Two servers run the same bundle; they differ only in where workerd keeps the objects' SQLite
 * files (bench/lib/miniflare.ts, `Storage`). The headline figures use a RAM-backed folder, so they
 * measure the code: a decision's answer waits for its commit, and on this machine's disk the
 * commit's writes and syncs outweigh the decision's own work (docs/benchmarks.md, "Storage"). The
 * disk server's webhook and gather are measured in the same rounds, so both figures come from one run.
 *
 * 1. **Round trips, side by side.** The same closed-loop client loads, in alternating order:
 *    - `webhook`: `GET /v1/callflow` for a flow the webhook renders alone (no object);
 *    - `gather`: `GET /v1/calls/{call}/gather` deciding a new attempt in the call's CallSession
 *      (one call per connection; each request is a fresh wrong key, so every one is a real
 *      decision: counters, history, an event, a render);
 *    - `gather (repeat)`: the same (node, attempt) again, answered from the object's cache;
 *    - `webhook (disk)`, `gather (disk)`: the first two on the disk server.
 *    Figures are medians over rounds of req/s, p50 and p99.
 * 2. **A thousand calls at once** (on the RAM-backed server). 1,000 simulated calls (the platform simulator, `sim/`) run
 *    concurrently, each through a full menu — the webhook, a menu Gather, a wrong PIN, the right
 *    PIN — posting their lifecycle events. Every call must end as expected, both as the caller
 *    heard it and in its CallSession (`destroyed`, three Gather decisions); any other outcome
 *    fails the benchmark. Reports calls/s, HTTP req/s and p50/p99 per request kind.
 *
 *   npm run bench:calls
 *   npm run bench:calls -- --json
 *   npm run bench:calls -- --rounds 5 --duration 8 --connections 32 --calls 1000
 *
 * Ports 8840 and 8841 (override the first with --port).
 */
import { placeCall, type CallResult } from "../sim/index.ts";
import { cli, machine, table } from "./lib/cli.ts";
import { ADMIN, HOOK, MENU_ATTEMPTS, MENU_TN, MENU_XML, PLAIN_TN, PLAIN_XML } from "./lib/menuFlows.ts";
import { compatibilityDate, miniflareVersion, startTactflow } from "./lib/miniflare.ts";
import { median, percentile } from "./lib/stats.ts";

const { args, num, log } = cli("calls", {
  json: { type: "boolean", default: false },
  rounds: { type: "string", default: "3" },
  duration: { type: "string", default: "5" },
  warmup: { type: "string", default: "1" },
  connections: { type: "string", default: "32" },
  calls: { type: "string", default: "1000" },
  port: { type: "string", default: "8840" },
});
const rounds = num("rounds", 1);
const duration = num("duration", 1);
const warmup = num("warmup", 0);
const connections = num("connections", 1);
const callCount = num("calls", 1);
const port = num("port", 1024);

const PIN_TN = "18005550172";

const PIN_XML = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Say>Welcome to {{vars.company}}.</Say>
  <Gather numDigits="1" attempts="2" timeout="4000" tag="menu">
    <Say>Press 1 for hours, 2 for your account.</Say>
    <Switch>
      <Case dtmf="1"><Say>We are open nine to five.</Say></Case>
      <Case dtmf="2">
        <Say>Account services.</Say>
        <Gather dtmf_length="4" dtmf_stop="#" attempts="3" timeout="6000" tag="pin">
          <Say>Enter your PIN.</Say>
          <DTMF value="{{vars.pin}}"><Say>PIN accepted.</Say></DTMF>
          <Default><Say>Wrong PIN.</Say><Hangup tag="bad-pin"/></Default>
          <Error><Say>No PIN.</Say><Hangup tag="no-pin"/></Error>
        </Gather>
        <Say>Menu {{gather.menu}}, PIN {{gather.pin}}.</Say>
      </Case>
      <Default><Say>Not an option.</Say></Default>
    </Switch>
  </Gather>
  <Say>Goodbye.</Say>
  <Hangup tag="done"/>
</Response>`;
const EXPECTED_HEARD = [
  "Welcome to Acme.",
  "Press 1 for hours, 2 for your account.",
  "Account services.",
  "Enter your PIN.",
  "Enter your PIN.",
  "PIN accepted.",
  "Menu 2, PIN 4321.",
  "Goodbye.",
];

// ---- the production bundle in Miniflare, twice ----

// The same bundle on two servers that differ only in where workerd keeps the objects' SQLite
// files (bench/lib/miniflare.ts, `Storage`): the headline figures are on a RAM-backed folder, so
// they measure the code; the disk server shows what this machine's disk adds to every commit.
const vars = { ADMIN_TOKEN: ADMIN, WEBHOOK_TOKEN: HOOK, PARK_TIMEOUT_MS: "30000" };
const servers = {
  memory: startTactflow("calls", port, vars, log, { quiet: true, storage: "memory" }).mf,
  disk: startTactflow("calls-disk", port + 1, vars, log, { quiet: true, storage: "disk" }).mf,
};

interface Run {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;
/** A percentile in ms to two places; 0 when nothing answered. */
const pct = (sorted: number[], p: number) => round2(percentile(sorted, p, 0));

/**
 * A closed-loop client: `connections` loops, each sending its next request as soon as the last
 * answered, for `seconds`. `next(conn)` gives each loop's next URL (any work it does to find one
 * is not part of the request's latency); `check` validates answers.
 */
async function load(
  seconds: number,
  next: (conn: number) => string | Promise<string>,
  check: (res: Response, body: string) => boolean,
): Promise<Run> {
  const latencies: number[] = [];
  let errors = 0;
  const stopAt = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async (_, conn) => {
      while (performance.now() < stopAt) {
        try {
          const url = await next(conn);
          const t0 = performance.now();
          const res = await fetch(url);
          const body = await res.text();
          latencies.push(performance.now() - t0);
          if (!check(res, body)) errors++;
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / elapsed, p50: pct(latencies, 50), p99: pct(latencies, 99), requests: latencies.length, errors };
}

interface Target {
  next: (conn: number) => string | Promise<string>;
  check: (res: Response, body: string) => boolean;
}

/** Publish the three flows on a server and make its round-trip targets (checked once each first). */
async function prepare(base: string): Promise<{ webhook: Target; gather: Target; repeat: Target }> {
  const publish = async (tn: string, xml: string, variables: Record<string, string>) => {
    const res = await fetch(`${base}/v1/flows/${tn}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ xml, variables, description: "bench:calls" }),
    });
    if (res.status !== 200 && res.status !== 201) throw new Error(`publishing ${tn} failed: ${res.status} ${await res.text()}`);
  };
  await publish(MENU_TN, MENU_XML, { company: "Acme" });
  await publish(PLAIN_TN, PLAIN_XML, { company: "Acme" });
  await publish(PIN_TN, PIN_XML, { company: "Acme", pin: "4321" });

  const webhookUrl = `${base}/v1/callflow?from=%2B12125550123&to=${PLAIN_TN}&token=${HOOK}`;
  const plain = await fetch(webhookUrl);
  const plainBody = await plain.text();
  if (plain.headers.get("x-tactflow-fallback") || !plainBody.includes('url="https://example.com/menu"'))
    throw new Error(`the plain webhook did not render: ${plainBody.slice(0, 200)}`);

  // One call per connection for the fresh-decision target; attempts continue across rounds, and
  // a connection whose call is near its last attempt starts a new one.
  const startMenuCall = async (conn: number): Promise<string> => {
    const id = `bench-rt-${conn}-${crypto.randomUUID()}`;
    const res = await fetch(`${base}/v1/callflow?from=%2B12125550123&to=${MENU_TN}&call=${id}&token=${HOOK}`);
    const body = await res.text();
    if (!body.includes(`/v1/calls/${id}/gather?node=g1&amp;attempt=1`))
      throw new Error(`the stateful webhook did not rewrite the Gather: ${body.slice(0, 300)}`);
    return id;
  };
  const callIds: string[] = [];
  for (let conn = 0; conn < connections; conn++) callIds.push(await startMenuCall(conn));
  const attempt = new Array<number>(connections).fill(0);
  const gatherUrl = (id: string, a: number) => `${base}/v1/calls/${id}/gather?node=g1&attempt=${a}&dtmf=9&token=${HOOK}`;
  // A decided attempt for the repeat target.
  const repeatUrl = gatherUrl(callIds[0]!, 1);
  attempt[0] = 1;
  const firstRepeat = await (await fetch(repeatUrl)).text();

  const isRetry = (res: Response, body: string) =>
    res.status === 200 && !res.headers.get("x-tactflow-fallback") && body.includes("<Gather");
  return {
    webhook: {
      next: () => webhookUrl,
      check: (res, body) => res.status === 200 && !res.headers.get("x-tactflow-fallback") && body.length === plainBody.length,
    },
    gather: {
      next: async (conn) => {
        if (attempt[conn]! >= MENU_ATTEMPTS - 1) {
          callIds[conn] = await startMenuCall(conn);
          attempt[conn] = 0;
        }
        return gatherUrl(callIds[conn]!, ++attempt[conn]!);
      },
      check: (res, body) => isRetry(res, body) && !(res.headers.get("x-tactflow-gather") ?? "").includes("duplicate"),
    },
    repeat: { next: () => repeatUrl, check: (res, body) => isRetry(res, body) && body === firstRepeat },
  };
}

try {
  const base = (await servers.memory.ready).origin.replace(/\/$/, "");
  const diskBase = (await servers.disk.ready).origin.replace(/\/$/, "");
  const onMemory = await prepare(base);
  const onDisk = await prepare(diskBase);

  // ---- 1. round trips ----

  const targets = {
    webhook: onMemory.webhook,
    gather: onMemory.gather,
    "gather (repeat)": onMemory.repeat,
    "webhook (disk)": onDisk.webhook,
    "gather (disk)": onDisk.gather,
  } as const;
  type Name = keyof typeof targets;
  const names = Object.keys(targets) as Name[];
  const runs = Object.fromEntries(names.map((n) => [n, [] as Run[]])) as Record<Name, Run[]>;
  log(`round trips: ${rounds} rounds × ${names.length} targets × ${duration} s at ${connections} connections (+${warmup} s warm-up each)`);
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...names].reverse() : names;
    for (const name of order) {
      const t = targets[name];
      if (warmup) await load(warmup, t.next, t.check);
      const run = await load(duration, t.next, t.check);
      runs[name].push(run);
      log(
        `round ${r + 1}/${rounds} ${name}: ${Math.round(run.rps)} req/s, p50 ${run.p50} ms, p99 ${run.p99} ms${run.errors ? `, ${run.errors} errors` : ""}`,
      );
    }
  }
  const summary = (name: Name) => ({
    rps: Math.round(median(runs[name].map((x) => x.rps))),
    p50: round2(median(runs[name].map((x) => x.p50))),
    p99: round2(median(runs[name].map((x) => x.p99))),
    errors: runs[name].reduce((n, x) => n + x.errors, 0),
  });
  const roundTrips = Object.fromEntries(names.map((n) => [n, summary(n)])) as Record<Name, ReturnType<typeof summary>>;
  const versus = (gather: Name, webhook: Name) => ({
    throughputRatio: round2(roundTrips[gather].rps / roundTrips[webhook].rps),
    p50Ratio: round2(roundTrips[gather].p50 / roundTrips[webhook].p50),
    p50DeltaMs: round2(roundTrips[gather].p50 - roundTrips[webhook].p50),
  });

  // ---- 2. a thousand concurrent calls ----

  log(`${callCount} concurrent simulated calls through the PIN menu…`);
  const timings: Record<string, number[]> = { callflow: [], gather: [], events: [], other: [] };
  const timedFetch = async (input: string, init?: RequestInit): Promise<Response> => {
    const t0 = performance.now();
    const res = await fetch(input, init);
    const body = await res.arrayBuffer();
    const kind = input.includes("/v1/callflow")
      ? "callflow"
      : input.includes("/gather")
        ? "gather"
        : input.includes("/v1/webhooks/events")
          ? "events"
          : "other";
    timings[kind]!.push(performance.now() - t0);
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
  const ids = Array.from({ length: callCount }, (_, i) => `bench-call-${i}-${crypto.randomUUID()}`);
  const started = performance.now();
  const results: CallResult[] = await Promise.all(
    ids.map((callId) =>
      placeCall(
        { from: "+12125550123", to: PIN_TN, callId, inputs: [{ digits: "2" }, { digits: "1111#" }, { digits: "4321#" }] },
        { baseUrl: base, webhookToken: HOOK, fetch: timedFetch, requestTimeoutMs: 60_000 },
      ),
    ),
  );
  const wallS = (performance.now() - started) / 1000;
  const failures: string[] = [];
  results.forEach((r, i) => {
    const heard = r.trace.flatMap((e) => (e.kind === "SAY" ? [e.detail.text] : []));
    if (r.end.cause !== "flow-hangup" || r.end.tag !== "done") failures.push(`${ids[i]}: ended ${r.end.cause} (${r.end.reason})`);
    else if (JSON.stringify(heard) !== JSON.stringify(EXPECTED_HEARD)) failures.push(`${ids[i]}: heard ${JSON.stringify(heard)}`);
    else if (r.events.failed) failures.push(`${ids[i]}: ${r.events.failed} event posts failed`);
  });
  // The server side: every call's object followed it to the end with three decisions.
  const serverStates = await Promise.all(
    ids.map(async (id) => {
      const res = await fetch(`${base}/v1/calls/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } });
      if (res.status !== 200) return `${id}: GET /v1/calls → ${res.status}`;
      const s = (await res.json()) as { state: string; gather: { history: Array<{ action: string }> } };
      const actions = s.gather.history.map((h) => h.action).join(",");
      return s.state === "destroyed" && actions === "branch,retry,branch" ? null : `${id}: server state ${s.state}, decisions ${actions}`;
    }),
  );
  failures.push(...serverStates.filter((x): x is string => x !== null));
  const requestCount = Object.values(timings).reduce((n, xs) => n + xs.length, 0);
  const perKind = Object.fromEntries(
    Object.entries(timings)
      .filter(([, xs]) => xs.length)
      .map(([k, xs]) => {
        const s = [...xs].sort((a, b) => a - b);
        return [k, { requests: s.length, p50: pct(s, 50), p99: pct(s, 99) }];
      }),
  );
  const allSorted = Object.values(timings)
    .flat()
    .sort((a, b) => a - b);
  const concurrent = {
    calls: callCount,
    ok: callCount - new Set(failures.map((f) => f.split(":")[0])).size,
    wallSeconds: round2(wallS),
    callsPerSecond: round2(callCount / wallS),
    requests: requestCount,
    rps: Math.round(requestCount / wallS),
    p50: pct(allSorted, 50),
    p99: pct(allSorted, 99),
    perKind,
  };

  const result = {
    benchmark: "calls",
    ...machine(),
    miniflare: miniflareVersion(),
    compatibilityDate,
    rounds,
    durationSeconds: duration,
    connections,
    statistic: "round trips: median over rounds of req/s, p50 and p99 (ms) from one closed-loop fetch client; concurrent calls: one run",
    storage: "round trips and concurrent calls on a RAM-backed folder; the (disk) rows on Miniflare's temporary folder on disk",
    roundTrips,
    gatherVsWebhook: versus("gather", "webhook"),
    gatherVsWebhookOnDisk: versus("gather (disk)", "webhook (disk)"),
    concurrent,
    failures: failures.slice(0, 20),
    perRound: runs,
  };

  const LABELS: Record<Name, string> = {
    webhook: "webhook alone (GET /v1/callflow, no object)",
    gather: "gather through the object (a new decision each)",
    "gather (repeat)": "gather repeat (same node+attempt: cached)",
    "webhook (disk)": "webhook alone, storage on disk",
    "gather (disk)": "gather through the object, storage on disk",
  };
  const ratioLine = (v: ReturnType<typeof versus>) =>
    `${(v.throughputRatio * 100).toFixed(0)} % of the throughput, p50 ${v.p50Ratio.toFixed(1)}× (${v.p50DeltaMs >= 0 ? "+" : ""}${v.p50DeltaMs} ms)`;

  if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const fmt = (n: number) => n.toLocaleString("en-US");
    process.stdout.write(
      [
        `stateful calls — Node ${result.node}, ${result.cpu} (${result.cores} cores), Miniflare ${result.miniflare}, production bundle`,
        "",
        `round trips: ${rounds} rounds × ${duration} s, ${connections} connections; medians`,
        table([
          ["target", "req/s", "p50 ms", "p99 ms", "errors"],
          ...names.map((n) => {
            const s = roundTrips[n];
            return [LABELS[n], fmt(s.rps), String(s.p50), String(s.p99), String(s.errors)];
          }),
        ]),
        `gather vs webhook: ${ratioLine(result.gatherVsWebhook)} (target ≥ 50 %, ≤ 2×)`,
        `on disk storage:   ${ratioLine(result.gatherVsWebhookOnDisk)} (every commit waits for this machine's disk)`,
        "",
        `${fmt(callCount)} concurrent calls through a menu and a PIN (webhook, 3 Gathers, ~15 event posts each): ${concurrent.ok}/${callCount} ended as expected in ${concurrent.wallSeconds} s (${concurrent.callsPerSecond} calls/s)`,
        table([
          ["requests", "count", "p50 ms", "p99 ms"],
          ["all", fmt(concurrent.requests), String(concurrent.p50), String(concurrent.p99)],
          ...Object.entries(perKind).map(([k, v]) => [k, fmt(v.requests), String(v.p50), String(v.p99)]),
        ]),
        `${fmt(concurrent.rps)} req/s overall`,
        ...(failures.length ? ["", `FAILED: ${failures.length} problem(s); first ones:`, ...failures.slice(0, 10)] : []),
        "",
      ].join("\n"),
    );
  }
  if (failures.length || Object.values(roundTrips).some((s) => s.errors)) process.exitCode = 1;
} finally {
  await Promise.all([servers.memory.dispose(), servers.disk.dispose()]);
}
