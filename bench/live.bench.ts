/**
 * The console's live calls list under load (docs/console.md, budgets): N simulated calls placed
 * at once against `wrangler dev` (the IVR demo: a menu, a key, a Dial, goodbye — about 14 events
 * each), while headless Chromium shows `/calls` following `/v1/events`.
 *
 * - **events shown vs sent**: every event of every call (as the calls' own logs hold them,
 *   `GET /v1/calls/{call}`) must reach the page once: the page's stream counts what it took in,
 *   and each row counts what it applied;
 * - **frame time**: the page's animation frames during the burst, from a requestAnimationFrame
 *   loop (an interval above 50 ms is a frame the person sees as a stutter), and the longest;
 * - how many calls the list showed in progress at once.
 *
 * Half a second into each burst the page's connection is dropped once, as a deploy would drop
 * it: the counts above then also say that resuming with `since` lost and repeated nothing.
 *
 * `npm run bench:live [-- --calls 100 --rounds 3 --json]`. It takes a core or two for a minute:
 * `flock /tmp/tactflow-fulltest.lock npm run bench:live`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildConsole } from "../scripts/build-console.ts";
import { placeCall } from "../sim/index.ts";
import { chromiumMissing, DESKTOP, launchChromium } from "../test/browser/chromium.ts";
import { ROOT, startTactflow } from "../test/e2e/harness.ts";
import { cli, machine, table } from "./lib/cli.ts";
import { median, percentile } from "./lib/stats.ts";

const { args, num, fail, log } = cli("live", {
  calls: { type: "string", default: "100" },
  rounds: { type: "string", default: "3" },
  json: { type: "boolean", default: false },
});
const calls = num("calls", 1);
const rounds = num("rounds", 1);

const BUDGET = { dropped: 0, frameP95Ms: 50, frameMaxMs: 250 };
const TN = "18005550100";

const missing = chromiumMissing();
if (missing) fail(missing);

/** What the page keeps on the window while a round runs (a string below: no DOM types here). */
type Sample = { frames: number[]; tasks: number[]; peak: number; received: number };

log("building the console");
await buildConsole();
log("starting wrangler dev");
const server = await startTactflow();
try {
  const ivr = readFileSync(join(ROOT, "flows", "demo", "ivr-menu.xml"), "utf8");
  const put = await fetch(`${server.url}/v1/flows/${TN}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ xml: ivr, variables: { company: "Acme", sales: "sip:sales@example.org", support: "sip:support@example.org" } }),
  });
  if (!put.ok) throw new Error(`publishing the IVR: HTTP ${put.status} ${await put.text()}`);

  const browser = await launchChromium();
  const context = await browser.newContext({ viewport: DESKTOP });
  await context.addInitScript((t) => sessionStorage.setItem("tactflow.token", t), server.adminToken);
  const page = await context.newPage();
  await page.goto(`${server.url}/calls`);
  await page.getByRole("status").getByText("Live", { exact: true }).waitFor();
  const chromiumVersion = browser.version();

  const perRound: Array<{
    sent: number;
    shown: number;
    applied: number;
    frames: number[];
    tasks: number[];
    peak: number;
    wallS: number;
    connections: number;
  }> = [];
  for (let round = 0; round < rounds; round++) {
    await page.evaluate(`(() => {
      const s = { frames: [], tasks: [], peak: 0, on: true, last: performance.now() };
      window.__live = s;
      // Long tasks (> 50 ms) on the page's main thread: the page's own work, as opposed to a
      // frame late because the machine's two cores were busy with wrangler and the calls.
      new PerformanceObserver((l) => { if (s.on) for (const e of l.getEntries()) s.tasks.push(e.duration); }).observe({ type: "longtask" });
      const tick = (t) => {
        if (!s.on) return;
        s.frames.push(t - s.last);
        s.last = t;
        const n = Number(document.querySelector("#in-progress .count")?.textContent ?? 0);
        if (n > s.peak) s.peak = n;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame((t) => { s.last = t; requestAnimationFrame(tick); });
    })()`);
    const before = (await page.evaluate("window.tactflowLive.received")) as number;
    const ids = Array.from({ length: calls }, (_, i) => `live-bench-${round}-${i}`);
    const t0 = performance.now();
    // Half a second in, the page's connection drops once (as a deploy would): it must resume with `since`.
    const dropped = new Promise<void>((resolve) =>
      setTimeout(
        () =>
          void page.evaluate("window.tactflowLive.drop()").then(
            () => resolve(),
            () => resolve(),
          ),
        500,
      ),
    );
    const results = await Promise.all(
      ids.map((callId, i) =>
        placeCall(
          { from: `+1212555${String(1000 + i).slice(-4)}`, to: TN, callId, inputs: [{ digits: String((i % 3) + 1) }] },
          { baseUrl: server.url, webhookToken: server.webhookToken, requestTimeoutMs: 60_000 },
        ),
      ),
    );
    const wallS = (performance.now() - t0) / 1000;
    await dropped;
    const failed = results.filter((r) => r.end.cause !== "flow-hangup");
    if (failed.length) throw new Error(`${failed.length} calls did not end as the flow says: ${failed[0]!.end.reason}`);
    // What the calls' own logs hold: the events the page must show.
    // One at a time, waiting out the admin API's rate limit (429 with Retry-After) when it answers so.
    const logged: number[] = [];
    for (const id of ids) {
      for (;;) {
        const res = await fetch(`${server.url}/v1/calls/${id}?limit=10000`, { headers: { authorization: `Bearer ${server.adminToken}` } });
        if (res.status === 429) {
          await new Promise((r) => setTimeout(r, 1000 * (Number(res.headers.get("retry-after")) || 1)));
          continue;
        }
        if (!res.ok) throw new Error(`GET /v1/calls/${id}: HTTP ${res.status} ${await res.text()}`);
        logged.push(((await res.json()) as { events: unknown[] }).events.length);
        break;
      }
    }
    const sent = logged.reduce((a, b) => a + b, 0);
    // The hub forwards a busy call's events at most once a second: wait for the tail.
    const deadline = Date.now() + 30_000;
    let shown = 0;
    while (Date.now() < deadline) {
      shown = ((await page.evaluate("window.tactflowLive.received")) as number) - before;
      if (shown >= sent) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    // Events applied to the calls' rows (the page's model: the list shows the newest 50 ended calls only).
    const applied = (await page.evaluate(
      `[${ids.map((id) => JSON.stringify(id)).join(",")}].reduce((n, id) => n + (window.tactflowLiveCalls.get(id)?.events ?? 0), 0)`,
    )) as number;
    const sample = (await page.evaluate("(() => { window.__live.on = false; return window.__live; })()")) as Sample;
    const connections = (await page.evaluate("window.tactflowLive.connections")) as number;
    perRound.push({ sent, shown, applied, frames: sample.frames, tasks: sample.tasks, peak: sample.peak, wallS, connections });
    log(
      `round ${round + 1}/${rounds}: ${calls} calls in ${wallS.toFixed(1)} s, ${sent} events sent, ${shown} shown, ${applied} applied to rows; ` +
        `${connections} connections so far; frames p95 ${percentile(
          [...sample.frames].sort((a, b) => a - b),
          95,
        ).toFixed(1)} ms, max ${Math.max(...sample.frames).toFixed(1)} ms; peak ${sample.peak} in progress`,
    );
  }
  await browser.close();

  const frames = perRound.flatMap((r) => r.frames).sort((a, b) => a - b);
  const result = {
    calls,
    rounds,
    events: {
      sent: perRound.reduce((n, r) => n + r.sent, 0),
      shown: perRound.reduce((n, r) => n + r.shown, 0),
      applied: perRound.reduce((n, r) => n + r.applied, 0),
    },
    frames: {
      count: frames.length,
      p50: median(frames),
      p95: percentile(frames, 95),
      p99: percentile(frames, 99),
      max: Math.max(...frames),
      over50: frames.filter((f) => f > 50).length,
    },
    longTasks: {
      count: perRound.reduce((n, r) => n + r.tasks.length, 0),
      max: Math.max(0, ...perRound.flatMap((r) => r.tasks)),
      totalMs: perRound.reduce((n, r) => n + r.tasks.reduce((a, b) => a + b, 0), 0),
    },
    peakInProgress: Math.max(...perRound.map((r) => r.peak)),
    /** Connections the page made: one, plus one resume per round's dropped connection. */
    connections: perRound.at(-1)?.connections ?? 0,
    burstSeconds: median(perRound.map((r) => r.wallS)),
    budget: BUDGET,
    machine: { ...machine(), chromium: chromiumVersion },
  };
  const dropped = result.events.sent - result.events.shown;
  const ok =
    dropped <= BUDGET.dropped &&
    result.events.applied === result.events.sent &&
    result.frames.p95 <= BUDGET.frameP95Ms &&
    result.frames.max <= BUDGET.frameMaxMs;
  if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const ms = (x: number) => `${x.toFixed(1)} ms`;
    process.stdout.write(
      `${table([
        ["measure", "budget", "measured"],
        ["events shown / sent", "all", `${result.events.shown} / ${result.events.sent}`],
        ["events applied to rows", "all, once", String(result.events.applied)],
        ["frame interval p50", "—", ms(result.frames.p50)],
        ["frame interval p95", `≤ ${BUDGET.frameP95Ms} ms`, ms(result.frames.p95)],
        ["frame interval p99", "—", ms(result.frames.p99)],
        ["longest frame", `≤ ${BUDGET.frameMaxMs} ms`, ms(result.frames.max)],
        ["frames over 50 ms", "—", `${result.frames.over50} of ${result.frames.count}`],
        ["the page's long tasks (> 50 ms): count, longest", "—", `${result.longTasks.count}, ${ms(result.longTasks.max)}`],
        ["calls in progress at once (peak)", "—", String(result.peakInProgress)],
        ["connections (1 + a drop per round)", String(1 + rounds), String(result.connections)],
      ])}\n\n${calls} calls × ${rounds} rounds, burst ${result.burstSeconds.toFixed(1)} s (median) · Chromium ${result.machine.chromium} · ${result.machine.cpu} × ${result.machine.cores}\n`,
    );
  }
  if (!ok) process.exitCode = 1;
} finally {
  await server.stop();
}
