/**
 * `tactflow tail`: print a call's events (`--call ID`), or the whole account's, as they happen.
 *
 * It authenticates with a first frame (docs/opentact.md §d.2; the token stays out of URLs and logs),
 * acknowledges what it has printed so the server's backpressure window never fills, pings so
 * the stale sweep leaves it alone, and after a drop reconnects with `since` = the last sequence
 * number it printed, backing off, so nothing is missed and nothing is printed twice.
 *
 * Exit codes: 0 stopped (Ctrl-C, or `--until-end` saw the call end), 1 refused (bad token, unknown
 * stream), 2 usage.
 */
import type { Command } from "commander";
import WebSocket from "ws";
import * as z from "zod";
import { DEFAULT_URL, resolveToken, resolveUrl } from "./config.ts";

export interface TailOptions {
  call?: string;
  types?: string;
  since?: string;
  tn?: string;
  json?: boolean;
  url?: string;
  token?: string;
  untilEnd?: boolean;
}

export interface TailDeps {
  env: Record<string, string | undefined>;
  cwd: string;
  readFile?: (path: string) => string;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Aborting it ends the tail with exit code 0. */
  signal?: AbortSignal;
  /** First reconnect delay; doubles up to `backoffMaxMs`. */
  backoffMs?: number;
  backoffMaxMs?: number;
  /** How often to ping (the server's stale allowance is 90 s). */
  pingEveryMs?: number;
}

const EVENT_TYPES = ["call_state", "call_flow", "flow_rollout"] as const;

/** What we read from the server; anything else is reported and skipped. */
const ServerFrame = z.looseObject({
  type: z.string(),
  seq: z.number().int().optional(),
  hub_seq: z.number().int().optional(),
  call_uuid: z.string().optional(),
  success: z.boolean().optional(),
  message: z.string().optional(),
  created_on: z.string().optional(),
  timestamp: z.string().optional(),
  command: z.string().optional(),
  tag: z.string().optional(),
  payload: z.unknown().optional(),
});
type ServerFrame = z.infer<typeof ServerFrame>;

class UsageError extends Error {}

export interface TailPlan {
  /** ws:// or wss:// URL without `since`. */
  url: URL;
  stream: "call" | "hub";
  seqField: "seq" | "hub_seq";
  since: number | null;
  token: string;
}

/** Checks the options and works out where to connect. */
export function planTail(opts: TailOptions, deps: Pick<TailDeps, "env" | "cwd" | "readFile">): TailPlan {
  const base = new URL(resolveUrl(opts.url, deps));
  if (base.protocol !== "http:" && base.protocol !== "https:" && base.protocol !== "ws:" && base.protocol !== "wss:") {
    throw new UsageError(`--url must be http(s):// or ws(s)://, not ${base.protocol}`);
  }
  base.protocol = base.protocol === "https:" || base.protocol === "wss:" ? "wss:" : "ws:";
  const stream = opts.call ? "call" : "hub";
  const url = new URL(
    stream === "call"
      ? `${base.pathname.replace(/\/$/, "")}/v1/calls/${encodeURIComponent(opts.call ?? "")}/events`
      : `${base.pathname.replace(/\/$/, "")}/v1/events`,
    base,
  );
  if (opts.types !== undefined) {
    const types = opts.types
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean);
    const bad = types.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t));
    if (types.length === 0 || bad.length)
      throw new UsageError(
        `--types takes a comma-separated list of ${EVENT_TYPES.join(", ")}${bad.length ? ` (not ${bad.join(", ")})` : ""}`,
      );
    url.searchParams.set("types", types.join(","));
  }
  if (opts.tn !== undefined) {
    if (stream === "call") throw new UsageError("--tn filters the account-wide stream; leave out --call to use it");
    url.searchParams.set("tn", opts.tn);
  }
  let since: number | null = null;
  if (opts.since !== undefined) {
    if (!/^\d+$/.test(opts.since)) throw new UsageError("--since takes a sequence number (0 replays everything kept)");
    since = Number(opts.since);
  }
  if (opts.untilEnd && stream !== "call") throw new UsageError("--until-end needs --call: only a call ends");
  const token = resolveToken("EVENTS_TOKEN", opts.token, deps) ?? resolveToken("ADMIN_TOKEN", undefined, deps);
  if (!token)
    throw new UsageError("no token: pass --token, set TACTFLOW_EVENTS_TOKEN, or run where .dev.vars has EVENTS_TOKEN or ADMIN_TOKEN");
  return { url, stream, seqField: stream === "call" ? "seq" : "hub_seq", since, token };
}

function callOf(frame: ServerFrame): { direction?: string; from?: string; to?: string; type?: string } {
  const payload = (frame.payload ?? {}) as { call?: Record<string, unknown> };
  const call = (frame.type === "call_state" ? (frame as { call?: unknown }).call : payload.call) as Record<string, unknown> | undefined;
  return { direction: call?.direction as string | undefined, from: call?.from as string | undefined, to: call?.to as string | undefined };
}

/** One readable line per event: time, sequence, type, what happened. */
export function formatEvent(frame: ServerFrame, stream: "call" | "hub"): string {
  const when = (frame.created_on ?? frame.timestamp ?? "").replace(/^\d{4}-\d{2}-\d{2}T/, "").replace(/Z$/, "");
  const where =
    stream === "hub"
      ? `${String(frame.hub_seq ?? "?").padStart(5)} ${(frame.call_uuid ?? "?").slice(0, 12).padEnd(12)} #${frame.seq ?? "?"}`
      : `#${String(frame.seq ?? "?").padEnd(4)}`;
  let what: string;
  if (frame.type === "flow_rollout") {
    // A number's canary rollout (docs/insights.md): the message says what happened and why.
    what = frame.message ?? "";
  } else if (frame.type === "call_state") {
    const p = (frame.payload ?? {}) as { state?: string; reason?: string; q850_cause_string?: string | null };
    const c = callOf(frame);
    what = `${(p.state ?? "?").padEnd(9)} ${c.direction ?? "?"} ${c.from ?? "?"} > ${c.to ?? "?"}`;
    if (p.reason) what += ` (${p.reason})`;
    if (p.q850_cause_string) what += ` [${p.q850_cause_string}]`;
  } else {
    const cmd = ((frame.payload ?? {}) as { command?: { path?: string; reason?: string } }).command;
    what = `${frame.success === false ? "FAILED" : "ok"} ${cmd?.path ?? frame.command ?? "?"}: ${cmd?.reason ?? frame.message ?? ""}`;
  }
  if (frame.tag !== undefined) what += ` tag=${frame.tag}`;
  return `${when} ${where} ${frame.type.padEnd(10)} ${what}`;
}

/** Runs until aborted, refused, or (with `--until-end`) the call is destroyed. Resolves to the exit code. */
export async function runTail(opts: TailOptions, deps: TailDeps): Promise<number> {
  let plan: TailPlan;
  try {
    plan = planTail(opts, deps);
  } catch (e) {
    if (e instanceof UsageError) {
      deps.err(`tactflow tail: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const backoffBase = deps.backoffMs ?? 250;
  const backoffMax = deps.backoffMaxMs ?? 10_000;
  let last: number | null = plan.since;
  let failures = 0;
  let connected = false;
  const label = plan.stream === "call" ? `call ${opts.call}` : "all calls";

  for (;;) {
    if (deps.signal?.aborted) return 0;
    const outcome = await connectOnce(plan, last, opts, deps, (seq) => {
      last = seq;
    });
    if (outcome.kind === "done") return outcome.code;
    if (outcome.authenticated) connected = true;
    // Nothing listening on the first try is a wrong URL or a server not started, not a drop to
    // ride out: say so and exit 3, as every command does. Once connected, drops are retried.
    if (outcome.unreachable && !connected) {
      deps.err(
        `tactflow tail: cannot reach ${new URL(plan.url).origin} (${outcome.why}); is the server running (npm start)? Use --url to point elsewhere.`,
      );
      return 3;
    }
    if (outcome.authenticated) failures = 0;
    failures += 1;
    const delay = Math.min(backoffMax, backoffBase * 2 ** Math.min(failures - 1, 16)) * (0.75 + Math.random() * 0.5);
    deps.err(
      `tactflow tail: ${label}: ${outcome.why}; reconnecting in ${(delay / 1000).toFixed(1)} s${last !== null ? ` from ${plan.seqField} ${last}` : ""}`,
    );
    const aborted = await sleep(delay, deps.signal);
    if (aborted) return 0;
  }
}

type Outcome = { kind: "done"; code: number } | { kind: "retry"; why: string; authenticated: boolean; unreachable?: boolean };

/** Connection errors that mean nothing is listening there (as opposed to a dropped stream). */
const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);

function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(true);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(false);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(true);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** One connection: authenticate, print, acknowledge, until it closes. */
function connectOnce(
  plan: TailPlan,
  since: number | null,
  opts: TailOptions,
  deps: TailDeps,
  onSeq: (seq: number) => void,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const url = new URL(plan.url);
    if (since !== null) url.searchParams.set("since", String(since));
    const ws = new WebSocket(url.toString(), { handshakeTimeout: 10_000 });
    let authenticated = false;
    let last = since;
    let acked = since ?? 0;
    let settled = false;
    let ended = false;
    const finish = (o: Outcome) => {
      if (settled) return;
      settled = true;
      clearInterval(acker);
      clearInterval(pinger);
      deps.signal?.removeEventListener("abort", onAbort);
      resolve(o);
    };
    const ack = () => {
      if (last !== null && last > acked && ws.readyState === WebSocket.OPEN) {
        acked = last;
        ws.send(JSON.stringify({ type: "ack", seq: last }));
      }
    };
    // Acknowledge at least twice a second, and at once after every 32 events (the window is 1,024).
    const acker = setInterval(ack, 500);
    const pinger = setInterval(() => {
      if (ws.readyState === WebSocket.OPEN) ws.send("ping");
    }, deps.pingEveryMs ?? 20_000);
    const onAbort = () => {
      ack();
      ws.close(1000, "tail stopped");
      finish({ kind: "done", code: 0 });
    };
    deps.signal?.addEventListener("abort", onAbort, { once: true });

    ws.on("open", () => {
      ws.send(JSON.stringify({ type: "auth", token: plan.token }));
    });
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        let detail = body.slice(0, 500);
        try {
          const p = JSON.parse(body) as { title?: string; detail?: string };
          detail = [p.title, p.detail].filter(Boolean).join(": ");
        } catch {
          // not a problem document
        }
        ws.terminate();
        if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
          deps.err(`tactflow tail: the server refused the subscription (HTTP ${status}): ${detail}`);
          finish({ kind: "done", code: status === 400 ? 2 : 1 });
        } else {
          finish({ kind: "retry", why: `HTTP ${status}${detail ? ` (${detail})` : ""}`, authenticated });
        }
      });
    });
    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      const text = data.toString();
      if (text === "pong") return;
      let frame: ServerFrame;
      try {
        const parsed = ServerFrame.safeParse(JSON.parse(text));
        if (!parsed.success) throw new Error(parsed.error.message);
        frame = parsed.data;
      } catch {
        deps.err(`tactflow tail: skipped a frame that is not an event: ${text.slice(0, 200)}`);
        return;
      }
      switch (frame.type) {
        case "auth": {
          if (frame.success === false) {
            deps.err(`tactflow tail: ${frame.message ?? "authentication failed"}`);
            return; // the server closes with 4001
          }
          authenticated = true;
          const stream = ((frame.payload ?? {}) as { stream?: { last_seq?: number } }).stream;
          // Live from here: a later reconnect must replay from this point even if no event has
          // arrived yet, or whatever happens while we are away would be lost.
          if (last === null && typeof stream?.last_seq === "number") {
            last = stream.last_seq;
            onSeq(last);
          }
          deps.err(
            `tactflow tail: connected to ${plan.stream === "call" ? `call ${opts.call}` : "all calls"} (${plan.seqField} ${stream?.last_seq ?? "?"}${since !== null ? `, replaying after ${since}` : ""})`,
          );
          return;
        }
        case "gap":
        case "error":
          deps.err(`tactflow tail: ${frame.type}: ${frame.message ?? ""}`);
          return;
        case "call_state":
        case "call_flow":
        case "flow_rollout": {
          const seq = plan.seqField === "seq" ? frame.seq : frame.hub_seq;
          if (seq === undefined) return;
          // The server never repeats itself; this guards against a server that does.
          if (last !== null && seq <= last) return;
          last = seq;
          onSeq(seq);
          deps.out(opts.json ? text : formatEvent(frame, plan.stream));
          if (last - acked >= 32) ack();
          if (opts.untilEnd && frame.type === "call_state" && ((frame.payload ?? {}) as { state?: string }).state === "destroyed") {
            ended = true;
            ack();
            ws.close(1000, "call ended");
          }
          return;
        }
        default:
          return;
      }
    });
    ws.on("close", (code, reasonBuf) => {
      const reason = reasonBuf.toString();
      if (ended) return finish({ kind: "done", code: 0 });
      if (code === 4001) {
        deps.err(`tactflow tail: refused: ${reason || "authentication failed"}`);
        return finish({ kind: "done", code: 1 });
      }
      finish({ kind: "retry", why: `connection closed (${code}${reason ? ` ${reason}` : ""})`, authenticated });
    });
    ws.on("error", (err) => {
      // `close` follows; keep the reason for the message.
      if (!authenticated && ws.readyState !== WebSocket.OPEN) {
        const code = (err as NodeJS.ErrnoException).code ?? "";
        finish({ kind: "retry", why: err.message, authenticated, unreachable: UNREACHABLE.has(code) });
      }
    });
  });
}

export function registerTail(program: Command): void {
  program
    .command("tail")
    .description("print call events as they happen: one call's (--call) or the whole account's")
    .option("--call <id>", "the call uuid (default: every call, through /v1/events)")
    .option("--types <list>", "only these event types: call_state,call_flow,flow_rollout")
    .option("--since <seq>", "first replay what came after this sequence number (seq for a call, hub_seq for all calls)")
    .option("--tn <tn>", "only calls on this number (account-wide stream only)")
    .option("--json", "print each event as a JSON line, exactly as received")
    .option("--until-end", "with --call: exit once the call is destroyed")
    .option("--url <url>", `where tactflow runs (default $TACTFLOW_URL or ${DEFAULT_URL})`)
    .option("--token <token>", "events or admin token (default $TACTFLOW_EVENTS_TOKEN, else EVENTS_TOKEN or ADMIN_TOKEN in .dev.vars)")
    .action(async (opts: TailOptions) => {
      const stop = new AbortController();
      process.once("SIGINT", () => stop.abort());
      process.once("SIGTERM", () => stop.abort());
      process.exitCode = await runTail(opts, {
        env: process.env,
        cwd: process.cwd(),
        out: (line) => process.stdout.write(`${line}\n`),
        err: (line) => process.stderr.write(`${line}\n`),
        signal: stop.signal,
      });
    });
}
