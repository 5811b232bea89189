/**
 * The web console's budgets (docs/console.md, budgets), measured in headless Chromium against
 * `wrangler dev` serving the production console build:
 *
 * - first load before the editor ≤ 100 KB gzip, and the editor chunk ≤ 200 KB gzip (the build's
 *   own accounting, dist/console/build.json: every JS and CSS file the page fetches, gzip -9);
 * - the graph of a ~300-element flow drawn in < 100 ms: the console's `tactflow:graph`
 *   performance measure, from building the graph model to the SVG being in the DOM, on a fresh
 *   page load and after an edit;
 * - diagnostics shown < 150 ms after a keystroke on that flow: from the keydown event's
 *   timestamp to the first frame after the diagnostic line appears (or goes) in the editor.
 *
 * `npm run bench:console [-- --loads 7 --keys 15 --json]`. Run it alone (it takes the shared
 * test lock in CI practice: `flock /tmp/tactflow-fulltest.lock npm run bench:console`).
 */
import { chromiumMissing, DESKTOP, launchChromium } from "../test/browser/chromium.ts";
import { startTactflow } from "../test/e2e/harness.ts";
import { buildConsole } from "../scripts/build-console.ts";
import { cli, machine, table } from "./lib/cli.ts";
import { countElements, largeConsoleFlow } from "./lib/console-flow.ts";
import { median, percentile } from "./lib/stats.ts";

const { args, num, fail, log } = cli("console", {
  loads: { type: "string", default: "7" },
  keys: { type: "string", default: "15" },
  json: { type: "boolean", default: false },
});
const loads = num("loads", 1);
const keys = num("keys", 1);

/** What the page script below keeps on the window. */
type Lat = { __lat: number[] };

const BUDGET = { initialKB: 100, editorKB: 200, graphMs: 100, diagnosticsMs: 150 };
const TN = "18005550300";

const missing = chromiumMissing();
if (missing) fail(missing);

log("building the console");
const build = await buildConsole();
log("starting wrangler dev");
const server = await startTactflow();
const xml = largeConsoleFlow();
try {
  const put = await fetch(`${server.url}/v1/flows/${TN}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ xml, description: "console benchmark: 300-element flow" }),
  });
  if (!put.ok) throw new Error(`publishing the benchmark flow: HTTP ${put.status} ${await put.text()}`);

  const browser = await launchChromium();
  const context = await browser.newContext({ viewport: DESKTOP });
  await context.addInitScript((t) => sessionStorage.setItem("tactflow.token", t), server.adminToken);
  const page = await context.newPage();

  const measures = (name: string) => page.evaluate(`performance.getEntriesByName("${name}").map((e) => e.duration)`) as Promise<number[]>;
  const graphMeasures = () => measures("tactflow:graph");

  // First draw, on fresh page loads.
  const firstDraw: number[] = [];
  let nodes = 0;
  for (let i = 0; i < loads; i++) {
    await page.goto(`${server.url}/flows/${TN}`);
    await page.locator(".cm-content").waitFor();
    await page.waitForFunction(() => performance.getEntriesByName("tactflow:graph").length > 0);
    firstDraw.push((await graphMeasures())[0]!);
    nodes = await page.locator("g.node").count();
    log(`load ${i + 1}/${loads}: graph ${firstDraw.at(-1)!.toFixed(1)} ms, ${nodes} nodes`);
  }

  // Keystrokes: one character that breaks the first <Say> tag and its Backspace, alternately;
  // each shows or clears a diagnostic line and redraws the graph once the text parses again.
  // In the page (a string: this file is type-checked without the DOM library).
  await page.evaluate(`(() => {
    window.__lat = [];
    window.__t0 = 0;
    window.__has = document.querySelector(".cm-diag-line") !== null;
    document.addEventListener("keydown", (e) => (window.__t0 = e.timeStamp), true);
    new MutationObserver(() => {
      const has = document.querySelector(".cm-diag-line") !== null;
      if (has === window.__has) return;
      window.__has = has;
      const t0 = window.__t0;
      requestAnimationFrame(() => setTimeout(() => window.__lat.push(performance.now() - t0), 0));
    }).observe(document.querySelector(".cm-editor"), { childList: true, subtree: true });
  })()`);
  const sayLine = xml.split("\n").findIndex((l) => l.includes("Welcome to the large menu")) + 1;
  await page
    .locator(".cm-line")
    .nth(sayLine - 1)
    .click();
  await page.keyboard.press("Home");
  for (let i = 0; i < "<Say".length; i++) await page.keyboard.press("ArrowRight");
  const redraws: number[] = [];
  for (let i = 0; i < keys; i++) {
    const before = (await graphMeasures()).length;
    await page.keyboard.press("x");
    await page.waitForFunction((n) => (globalThis as unknown as Lat).__lat.length >= n, 2 * i + 1);
    await page.keyboard.press("Backspace");
    await page.waitForFunction((n) => (globalThis as unknown as Lat).__lat.length >= n, 2 * i + 2);
    await page.waitForFunction((n) => performance.getEntriesByName("tactflow:graph").length > n, before);
    redraws.push((await graphMeasures()).at(-1)!);
  }
  const latencies = (await page.evaluate("window.__lat")) as number[];
  const checks = (await measures("tactflow:check")).slice(-2 * keys);
  const chromiumVersion = browser.version();
  await browser.close();

  const kb = (n: number) => n / 1024;
  const stats = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return { median: median(s), p95: percentile(s, 95), max: s.at(-1)! };
  };
  const result = {
    bench: "console",
    machine: { ...machine(), chromium: chromiumVersion },
    flow: { elements: countElements(xml), nodes },
    budgets: BUDGET,
    sizes: {
      initialKB: kb(build.initial.gzip),
      editorKB: kb(build.editor.gzip),
      initialFiles: build.initial.files,
      editorFiles: build.editor.files,
    },
    graphFirstDrawMs: stats(firstDraw),
    graphRedrawMs: stats(redraws),
    diagnosticsMs: stats(latencies),
    checkMs: stats(checks),
  };
  if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const f = (n: number) => n.toFixed(1);
    const verdict = (v: number, budget: number) => (v <= budget ? "within" : "OVER");
    process.stdout.write(
      `${table([
        ["measure", "median", "p95", "max", "budget", ""],
        [
          "first load before the editor (KB gzip)",
          f(result.sizes.initialKB),
          "",
          "",
          `${BUDGET.initialKB}`,
          verdict(result.sizes.initialKB, BUDGET.initialKB),
        ],
        ["editor chunk (KB gzip)", f(result.sizes.editorKB), "", "", `${BUDGET.editorKB}`, verdict(result.sizes.editorKB, BUDGET.editorKB)],
        [
          `graph, first draw (ms, ${result.flow.elements} elements)`,
          f(result.graphFirstDrawMs.median),
          f(result.graphFirstDrawMs.p95),
          f(result.graphFirstDrawMs.max),
          `${BUDGET.graphMs}`,
          verdict(result.graphFirstDrawMs.p95, BUDGET.graphMs),
        ],
        [
          "graph, redraw after an edit (ms)",
          f(result.graphRedrawMs.median),
          f(result.graphRedrawMs.p95),
          f(result.graphRedrawMs.max),
          `${BUDGET.graphMs}`,
          verdict(result.graphRedrawMs.p95, BUDGET.graphMs),
        ],
        [
          "keystroke → diagnostic shown (ms)",
          f(result.diagnosticsMs.median),
          f(result.diagnosticsMs.p95),
          f(result.diagnosticsMs.max),
          `${BUDGET.diagnosticsMs}`,
          verdict(result.diagnosticsMs.p95, BUDGET.diagnosticsMs),
        ],
        ["  of which the check of the text (ms)", f(result.checkMs.median), f(result.checkMs.p95), f(result.checkMs.max), "", ""],
      ])}\n\n${result.flow.nodes} graph nodes · ${loads} loads · ${latencies.length} keystrokes · Chromium ${result.machine.chromium} · ${result.machine.cpu} × ${result.machine.cores}\n`,
    );
  }
} finally {
  await server.stop();
}
