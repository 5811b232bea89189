/**
 * Publish cost of hostile templates: the CPU time of everything a publish does with a template
 * before it touches storage (decode the bytes, parse, validate, compile) for the worst inputs
 * we could think of (bench/lib/hostile.ts), each filling a size budget (default 1 MiB).
 *
 *   npm run bench:publish                        table: per case, the slowest of the runs
 *   npm run -s bench:publish -- --json           machine-readable figures
 *   npm run bench:publish -- --size 262144       another budget (bytes)
 *   npm run bench:publish -- --case "long tag"   only the cases whose name contains this
 *
 * Method: each case runs in a fresh worker thread (a cold start, as a new isolate would see
 * it), once cold and then `--runs` more times; the figure is the worker thread's own CPU time
 * (`process.threadCpuUsage`), so garbage-collector helper threads and other processes on the
 * machine don't count. A case that runs past `--timeout` seconds is stopped and reported as such.
 * The target: no case above 50 ms.
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { cli, machine, table } from "./lib/cli.ts";
import { HOSTILE_CASES } from "./lib/hostile.ts";
import type { PublishOutcome } from "./lib/publish.ts";

interface Job {
  index: number;
  bytes: number;
  runs: number;
}

interface Outcome {
  name: string;
  bytes: number;
  /** CPU ms of the first (cold) run, then of each further run. */
  coldMs: number;
  warmMs: number[];
  ok: boolean;
  diagnostics: number;
  /** Did-you-mean searches, their distance-table cells and the finding messages built (src/xml/work.ts). */
  work?: PublishOutcome["work"];
  error?: string;
}

async function runJob(job: Job): Promise<Outcome> {
  const c = HOSTILE_CASES[job.index]!;
  const { publishCheck } = await import("./lib/publish.ts");
  const xml = c.build(job.bytes);
  const bytes = new TextEncoder().encode(xml);
  const times: number[] = [];
  let last: PublishOutcome | undefined;
  for (let i = 0; i <= job.runs; i++) {
    const before = process.threadCpuUsage();
    last = publishCheck(bytes, c.variables ?? { x: "1" });
    const used = process.threadCpuUsage(before);
    times.push((used.user + used.system) / 1000);
  }
  return {
    name: c.name,
    bytes: bytes.length,
    coldMs: times[0]!,
    warmMs: times.slice(1),
    ok: last!.ok,
    diagnostics: last!.diagnostics,
    work: last!.work,
  };
}

if (!isMainThread) {
  const job = workerData as Job;
  runJob(job).then(
    (o) => parentPort!.postMessage(o),
    (err: unknown) =>
      parentPort!.postMessage({
        name: HOSTILE_CASES[job.index]!.name,
        bytes: job.bytes,
        coldMs: Number.NaN,
        warmMs: [],
        ok: false,
        diagnostics: 0,
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      } satisfies Outcome),
  );
} else {
  const { args, num, log } = cli(
    "publish",
    {
      json: { type: "boolean", default: false },
      size: { type: "string", default: String(1 << 20) },
      runs: { type: "string", default: "3" },
      timeout: { type: "string", default: "30" },
      case: { type: "string" },
    },
    { echo: true },
  );
  const size = num("size", 64);
  const runs = num("runs", 0);
  const timeoutMs = num("timeout", 1) * 1000;
  const wanted = args.case?.toLowerCase();
  const outcomes: Array<Outcome | { name: string; bytes: number; timedOut: true }> = [];
  for (const [index, c] of HOSTILE_CASES.entries()) {
    if (wanted && !c.name.toLowerCase().includes(wanted)) continue;
    log(`${c.name}…`);
    const worker = new Worker(import.meta.filename, { workerData: { index, bytes: size, runs } satisfies Job });
    const result = await new Promise<Outcome | null>((resolve, reject) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      worker.once("message", (o: Outcome) => {
        clearTimeout(timer);
        resolve(o);
      });
      worker.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    await worker.terminate();
    outcomes.push(result ?? { name: c.name, bytes: size, timedOut: true });
  }
  const worst = (o: Outcome) => Math.max(o.coldMs, ...o.warmMs);
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ machine: machine(), size, runs, outcomes }, null, 2)}\n`);
  } else {
    const rows = [["case", "bytes", "cold ms", "worst warm ms", "searches", "cells", "messages", "result"]];
    for (const o of outcomes) {
      if ("timedOut" in o) rows.push([o.name, String(o.bytes), `> ${timeoutMs / 1000} s`, "", "", "", "", "stopped"]);
      else
        rows.push([
          o.name,
          String(o.bytes),
          o.coldMs.toFixed(1),
          o.warmMs.length ? Math.max(...o.warmMs).toFixed(1) : "",
          String(o.work?.searches ?? ""),
          String(o.work?.cells ?? ""),
          String(o.work?.messages ?? ""),
          o.error ?? `${o.ok ? "publishes" : "refused"}, ${o.diagnostics} finding${o.diagnostics === 1 ? "" : "s"}`,
        ]);
    }
    const m = machine();
    process.stdout.write(`${table(rows)}\n\nnode ${m.node}, ${m.cpu} (${m.cores} cores)\n`);
    const slowest = outcomes.filter((o): o is Outcome => !("timedOut" in o)).reduce((a, o) => Math.max(a, worst(o)), 0);
    const stopped = outcomes.filter((o) => "timedOut" in o).length;
    process.stdout.write(`slowest case: ${slowest.toFixed(1)} ms CPU${stopped ? `; ${stopped} stopped at the timeout` : ""}\n`);
  }
}
