/**
 * `tactflow simulate TN --calls 1000`: many simulated calls to a running tactflow at once, each
 * with a caller who behaves a little differently — presses one of the menu's keys, a wrong key or
 * nothing, hangs up now and then, and finds the Dial's far end answering, busy or not answering —
 * then a summary of what the simulator did, to read beside `tactflow insights TN`.
 *
 * The callers are drawn from a seeded generator (`--seed`), so a run can be repeated. The menu
 * keys are the ones the number's flow branches on (its `<Case dtmf>` and `<DTMF value>`).
 *
 * Exit codes: 0 the calls ran, 1 the server refused (no flow, a token refused), 2 usage,
 * 3 unreachable.
 */
import type { Command } from "commander";
import { resolveToken, resolveUrl } from "./config.ts";
import { action, adminRequest, type Conn, usage } from "./api.ts";
import { type CallResult, type CallerInput, type DialOutcome, placeCall, type Scenario } from "../sim/index.ts";
import { elementChildren, parseXml, type ElementNode } from "../src/xml/index.ts";

interface Options extends Conn {
  calls: string;
  concurrency: string;
  seed: string;
  webhookToken?: string;
}

/** A small deterministic generator (mulberry32). */
export function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The keys a flow branches on, in document order. */
export function menuKeys(xml: string): string[] {
  const doc = parseXml(xml).document;
  const keys: string[] = [];
  const walk = (el: ElementNode) => {
    for (const child of elementChildren(el)) {
      if (child.kind === "Case" || child.kind === "DTMF") {
        const v = child.props.value;
        if (v && !v.includes("{{") && !keys.includes(v)) keys.push(v);
      }
      walk(child);
    }
  };
  if (doc) walk(doc.root);
  return keys;
}

/** One caller: mostly a menu key, sometimes a wrong one or nothing; a quarter hang up at some point. */
export function callerFor(i: number, tn: string, keys: readonly string[], r: () => number): Scenario {
  const wrong = ["0", "9", "*", "#"].find((k) => !keys.includes(k)) ?? "";
  const input = (): CallerInput => {
    const x = r();
    if (x < 0.75 && keys.length) return { digits: keys[Math.floor(r() * keys.length)]! };
    return { digits: x < 0.88 ? wrong : "" };
  };
  const dial = (): DialOutcome => {
    const x = r();
    return x < 0.7 ? "answer" : x < 0.9 ? "busy" : "no-answer";
  };
  const scenario: Scenario = {
    from: `+1201${String(5_550_000 + i).padStart(7, "0")}`,
    to: tn,
    inputs: [input(), input(), input()],
    dial: { "*": dial() },
    talkMs: 5_000 + Math.floor(r() * 55) * 1000,
  };
  if (r() < 0.25) scenario.hangupAfterMs = 500 + Math.floor(r() * 300) * 100;
  return scenario;
}

export interface SimTally {
  calls: number;
  ended: Record<string, number>;
  /** Caller hang-ups by what was going on: a prompt, a Gather waiting for keys, a Dial. */
  hungUpDuring: Record<string, number>;
  keys: Record<string, number>;
  dials: { answered: number; failed: number };
  failedWebhook: number;
}

export function tally(results: readonly CallResult[]): SimTally {
  const t: SimTally = { calls: results.length, ended: {}, hungUpDuring: {}, keys: {}, dials: { answered: 0, failed: 0 }, failedWebhook: 0 };
  for (const r of results) {
    t.ended[r.end.cause] = (t.ended[r.end.cause] ?? 0) + 1;
    if (r.end.cause === "webhook-failed") t.failedWebhook += 1;
    // What was going on when the caller hung up: the last prompt, Gather or Dial that started.
    const last = [...r.trace].reverse().find((e) => ["SAY", "PLAY", "PAUSE", "GATHER", "DIAL"].includes(e.kind));
    const interrupted = r.end.cause === "caller-hangup" ? last : undefined;
    for (const e of r.trace) {
      if (e.kind === "DTMF") t.keys[e.detail.keys] = (t.keys[e.detail.keys] ?? 0) + 1;
      if (e.kind === "TIMEOUT" && !e.detail.digits) t.keys["(nothing)"] = (t.keys["(nothing)"] ?? 0) + 1;
      // A Dial the caller hung up during never finished: it is counted where they hung up.
      if (e.kind === "DIAL" && e !== interrupted) t.dials[e.detail.result === "answered" ? "answered" : "failed"] += 1;
    }
    if (interrupted) {
      let during = "a prompt";
      if (interrupted.kind === "DIAL") during = "a Dial";
      else if (interrupted.kind === "GATHER") during = "a Gather waiting for keys";
      else if ((interrupted.kind === "SAY" || interrupted.kind === "PLAY") && interrupted.path?.includes("Gather[")) {
        // A Gather's prompt that had finished: the Gather was waiting for keys.
        if (r.end.t > interrupted.t + interrupted.detail.durationMs) during = "a Gather waiting for keys";
      }
      t.hungUpDuring[during] = (t.hungUpDuring[during] ?? 0) + 1;
    }
  }
  return t;
}

const WORDS: Record<string, string> = {
  "flow-hangup": "the flow hung up",
  "caller-hangup": "the caller hung up",
  "end-of-flow": "the flow ran out",
  "webhook-failed": "the webhook failed",
  "step-limit": "stopped (a loop?)",
  "max-duration": "maximum length",
  "platform-hangup": "the platform hung up",
};

export function formatTally(tn: string, t: SimTally, extra: { seed: number; concurrency: number; ms: number }): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const list = (o: Record<string, number>, words: Record<string, string> = {}) =>
    Object.entries(o)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${words[k] ?? k} ${n(v)}`)
      .join(" · ");
  return [
    `${n(t.calls)} simulated calls to ${tn} (seed ${extra.seed}, ${extra.concurrency} at a time) in ${(extra.ms / 1000).toFixed(1)} s`,
    `ended: ${list(t.ended, WORDS)}`,
    ...(Object.keys(t.hungUpDuring).length ? [`callers hung up during: ${list(t.hungUpDuring)}`] : []),
    `keys pressed at Gathers: ${list(t.keys) || "none"}`,
    `Dials: ${n(t.dials.answered)} answered · ${n(t.dials.failed)} busy or unanswered`,
    "",
    `where they went, as tactflow counted it: npx tactflow insights ${tn}`,
    "",
  ].join("\n");
}

export function registerSimulate(program: Command): void {
  program
    .command("simulate")
    .description("place many simulated calls to TN at once (varied callers), and say what they did; then see tactflow insights TN")
    .argument("<tn>", "the number to call")
    .option("--calls <n>", "how many calls", "100")
    .option("--concurrency <n>", "calls in flight at once", "8")
    .option("--seed <n>", "the callers' random seed (the same seed, the same callers)", "1")
    .option("--webhook-token <token>", "WEBHOOK_TOKEN (default: $TACTFLOW_WEBHOOK_TOKEN, else .dev.vars)")
    .option("--url <url>", "tactflow base URL (default: $TACTFLOW_URL, else where npm start serves)")
    .option("--token <token>", "admin token, to read the flow's menu keys (default: $TACTFLOW_ADMIN_TOKEN, else .dev.vars)")
    .option("--json", "print the tally as JSON")
    .action(
      action(async (tn: string, opts: Options) => {
        const calls = Number(opts.calls);
        const concurrency = Number(opts.concurrency);
        const seed = Number(opts.seed);
        if (!Number.isInteger(calls) || calls < 1 || calls > 100_000)
          throw usage(`--calls "${opts.calls}": a whole number from 1 to 100000`);
        if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
          throw usage(`--concurrency "${opts.concurrency}": 1 to 64`);
        if (!Number.isInteger(seed)) throw usage(`--seed "${opts.seed}": a whole number`);
        const flow = await adminRequest<{ xml: string }>(opts, "GET", `/v1/flows/${encodeURIComponent(tn.trim())}`);
        const keys = menuKeys(flow.xml);
        const webhookToken = resolveToken("WEBHOOK_TOKEN", opts.webhookToken);
        const baseUrl = resolveUrl(opts.url);
        const r = generator(seed);
        const scenarios = Array.from({ length: calls }, (_, i) => callerFor(i, tn.trim(), keys, r));
        const results: CallResult[] = [];
        const started = Date.now();
        let next = 0;
        const worker = async () => {
          while (next < scenarios.length) {
            const s = scenarios[next++]!;
            results.push(await placeCall(s, { baseUrl, ...(webhookToken ? { webhookToken } : {}) }));
            if (!opts.json && results.length % 100 === 0) process.stderr.write(`  ${results.length} calls…\n`);
          }
        };
        await Promise.all(Array.from({ length: concurrency }, worker));
        const t = tally(results);
        process.stdout.write(
          opts.json ? `${JSON.stringify(t, null, 2)}\n` : formatTally(tn.trim(), t, { seed, concurrency, ms: Date.now() - started }),
        );
      }),
    );
}
