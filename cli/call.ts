/**
 * `tactflow call`: place a simulated call against a running tactflow and print what the caller
 * would hear and do, with virtual timestamps (or, with `--json`, the machine trace).
 *
 * Exit codes: 0 the call ran (however the flow ended it), 1 no usable call-flow document (the
 * server is down, refused the token, or answered something that is not a call flow), 2 usage.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { DEFAULT_URL, readDevVars, resolveToken, resolveUrl } from "./config.ts";
import {
  DIAL_OUTCOMES,
  formatTranscript,
  parseDigitList,
  parseDuration,
  parseScript,
  placeCall,
  ScriptError,
  type CallResult,
  type DialOutcome,
  type FetchLike,
  type Scenario,
  type ScriptFile,
} from "../sim/index.ts";
import { CallControlPlatform, placeParkedCall } from "../sim/control.ts";
import { serveCallControl, type ControlServer } from "../sim/controlServer.ts";

export interface CallOptions {
  to?: string;
  from?: string;
  digits?: string;
  silence?: boolean;
  at?: string;
  tz?: string;
  dialOutcome?: string[];
  talk?: string;
  hangupAfter?: string;
  callId?: string;
  url?: string;
  method?: string;
  json?: boolean;
  script?: string;
  events?: boolean;
  webhookToken?: string;
  verbose?: boolean;
  /** Where tactflow sends parked-call commands; the CLI serves it when it is local. */
  platformUrl?: string;
  parkWait?: string;
}

/** What the command touches outside itself, so tests can hand in their own. */
export interface CallDeps {
  fetch?: FetchLike;
  env: Record<string, string | undefined>;
  cwd: string;
  readFile: (path: string) => string;
  out: (text: string) => void;
  err: (text: string) => void;
}

class UsageError extends Error {}

/** `--webhook-token`, else `TACTFLOW_WEBHOOK_TOKEN`, else `WEBHOOK_TOKEN` in `.dev.vars` (cli/config.ts). */
export function webhookToken(
  opts: Pick<CallOptions, "webhookToken">,
  deps: Pick<CallDeps, "env" | "cwd" | "readFile">,
): string | undefined {
  return resolveToken("WEBHOOK_TOKEN", opts.webhookToken, deps);
}

function isOutcome(s: string): s is DialOutcome {
  return (DIAL_OUTCOMES as readonly string[]).includes(s);
}

/** `busy` (every destination) or `sip:desk@x=busy` (one), repeatable. */
function dialOutcomes(values: string[]): Record<string, DialOutcome> {
  const out: Record<string, DialOutcome> = {};
  for (const v of values) {
    const eq = v.lastIndexOf("=");
    const target = eq >= 0 ? v.slice(0, eq) : "*";
    const outcome = (eq >= 0 ? v.slice(eq + 1) : v).trim().toLowerCase();
    if (!isOutcome(outcome)) throw new UsageError(`--dial-outcome "${v}": the outcome must be one of ${DIAL_OUTCOMES.join(", ")}`);
    out[target.trim() || "*"] = outcome;
  }
  return out;
}

function duration(flag: string, value: string): number {
  const ms = parseDuration(value);
  if (ms === null) throw new UsageError(`${flag} "${value}" is not a duration; write e.g. 45s, 800ms or 2m`);
  return ms;
}

/** The scenario from a script file (if any) with the command-line flags on top. */
export function buildScenario(opts: CallOptions, script: ScriptFile): Scenario & { timezone?: string } {
  const to = opts.to ?? script.to;
  const from = opts.from ?? script.from;
  if (!to) throw new UsageError("say which number to call: --to TN (or `to` in the script)");
  if (from === undefined) throw new UsageError("say who is calling: --from NUMBER (or `from` in the script)");
  if (opts.digits !== undefined && opts.silence) throw new UsageError("--digits and --silence contradict each other; use one");
  let inputs = script.inputs;
  try {
    if (opts.digits !== undefined) inputs = parseDigitList(opts.digits);
  } catch (err) {
    throw new UsageError(`--digits: ${(err as Error).message}`);
  }
  if (opts.silence) inputs = [];
  if (opts.at !== undefined && !Number.isFinite(Date.parse(opts.at)))
    throw new UsageError(`--at "${opts.at}" is not a date; use ISO 8601, e.g. 2026-11-23T22:30:00Z`);
  const dial = { ...script.dial, ...dialOutcomes(opts.dialOutcome ?? []) };
  const scenario: Scenario & { timezone?: string } = { ...script, to, from };
  if (inputs) scenario.inputs = inputs;
  if (Object.keys(dial).length) scenario.dial = dial;
  if (opts.at !== undefined) scenario.at = opts.at;
  if (opts.callId !== undefined) scenario.callId = opts.callId;
  if (opts.talk !== undefined) scenario.talkMs = duration("--talk", opts.talk);
  if (opts.hangupAfter !== undefined) scenario.hangupAfterMs = duration("--hangup-after", opts.hangupAfter);
  if (opts.tz !== undefined) scenario.timezone = opts.tz;
  return scenario;
}

/** A hint for the failures people hit first. */
function hintFor(result: CallResult, url: string): string {
  const request = result.trace.find((e) => e.kind === "REQUEST");
  const status = request?.kind === "REQUEST" ? request.detail.status : undefined;
  if (status === 401)
    return " The webhook token was refused: pass --webhook-token, set TACTFLOW_WEBHOOK_TOKEN, or run from the project folder so .dev.vars is read.";
  if (/cannot reach/.test(result.end.reason)) return ` Is tactflow running at ${url}? Start it with \`npm start\`, or point --url at it.`;
  return "";
}

/** Run the command; resolves to the exit code. */
export async function runCall(opts: CallOptions, deps: CallDeps): Promise<number> {
  let scenario: Scenario & { timezone?: string };
  try {
    let script: ScriptFile = {};
    if (opts.script) {
      let text: string;
      try {
        text = deps.readFile(opts.script);
      } catch (err) {
        throw new UsageError(`cannot read the script ${opts.script}: ${(err as Error).message}`);
      }
      script = parseScript(text);
    }
    scenario = buildScenario(opts, script);
  } catch (err) {
    if (err instanceof UsageError || err instanceof ScriptError) {
      deps.err(`tactflow call: ${err.message}${err instanceof ScriptError ? ` (in ${opts.script})` : ""}`);
      return 2;
    }
    throw err;
  }
  if (scenario.at !== undefined && Math.abs(new Date(scenario.at).getTime() - Date.now()) > 60_000) {
    // The simulator's clock is virtual; the server's is not (docs/simulator.md, "What the simulator does").
    deps.err(
      "tactflow call: note: --at moves the simulator's clock; <Schedule> blocks tactflow evaluates itself use the server's clock (publish with conditions: platform, or try `tactflow flows preview --at`)",
    );
  }
  const url = resolveUrl(opts.url, deps);
  const method = (opts.method ?? "POST").toUpperCase();
  if (method !== "GET" && method !== "POST") {
    deps.err(`tactflow call: --method must be GET or POST, not ${opts.method}`);
    return 2;
  }
  const events = opts.events !== false;
  const token = webhookToken(opts, deps);
  const { timezone, ...callScenario } = scenario;
  let result: CallResult;
  const simOptions = {
    baseUrl: url,
    method: method as "GET" | "POST",
    events,
    ...(token ? { webhookToken: token } : {}),
    ...(timezone ? { timezone } : {}),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  };
  let parkWaitMs = 120_000;
  try {
    if (opts.parkWait !== undefined) parkWaitMs = duration("--park-wait", opts.parkWait);
  } catch (err) {
    deps.err(`tactflow call: ${(err as Error).message}`);
    return 2;
  }
  try {
    const control = deps.fetch ? null : await startCallControl(opts, deps);
    try {
      result = control
        ? await placeParkedCall(callScenario, simOptions, control.platform, parkWaitMs, (uuid) =>
            deps.err(
              `parked: call ${uuid} is on hold for ${parkWaitMs / 1000} s at most; drive it with\n  curl -X POST '${url}/v1/calls/${uuid}/commands' -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/xml' --data '<Say>Hello</Say><Hangup/>'`,
            ),
          )
        : await placeCall(callScenario, simOptions);
    } finally {
      await control?.server.close();
    }
  } catch (err) {
    deps.err(`tactflow call: ${(err as Error).message}`);
    return 2;
  }
  if (opts.json) deps.out(JSON.stringify(result, null, 2));
  else deps.out(formatTranscript(result, { verbose: opts.verbose ?? false, eventsEnabled: events }));
  if (result.end.cause === "webhook-failed") {
    deps.err(`tactflow call: no call flow from ${url}: ${result.end.reason}.${hintFor(result, url)}`);
    // One exit code per cause across commands: 3 the server could not be reached, 1 it refused.
    return /cannot reach/.test(result.end.reason) ? 3 : 1;
  }
  return 0;
}

/**
 * Serve the Call Control API that tactflow's PLATFORM_API_URL names (`--platform-url`,
 * else `TACTFLOW_PLATFORM_API_URL`, else `.dev.vars`), when it is on this machine, so a parked
 * call can be driven by commands or time out. Null when there is none or its port is taken.
 */
async function startCallControl(
  opts: CallOptions,
  deps: CallDeps,
): Promise<{ platform: CallControlPlatform; server: ControlServer } | null> {
  const devVars = readDevVars(deps);
  // Last, what `npm start` gives wrangler dev when .dev.vars says nothing (scripts/dev.ts).
  const local = /^https?:\/\/(127\.0\.0\.1|localhost)(:|\/|$)/.test(resolveUrl(opts.url, deps));
  const raw =
    opts.platformUrl || deps.env.TACTFLOW_PLATFORM_API_URL || devVars.PLATFORM_API_URL || (local ? DEV_PLATFORM_API_URL : undefined);
  if (!raw) return null;
  let where: URL;
  try {
    where = new URL(raw);
  } catch {
    return null;
  }
  if (!["127.0.0.1", "localhost", "[::1]"].includes(where.hostname) || where.protocol !== "http:") return null;
  const token = deps.env.TACTFLOW_PLATFORM_API_TOKEN || devVars.PLATFORM_API_TOKEN || undefined;
  const platform = new CallControlPlatform(token ? { token } : {});
  try {
    const server = await serveCallControl(platform, Number(where.port || 80));
    return { platform, server };
  } catch (err) {
    deps.err(
      `tactflow call: can't serve the Call Control API at ${where.origin} (${(err as Error).message}); a parked call will only time out`,
    );
    return null;
  }
}

/** Where `npm start` points PLATFORM_API_URL by default (scripts/dev.ts). */
export const DEV_PLATFORM_API_URL = "http://127.0.0.1:8789";

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerCall(program: Command): void {
  program
    .command("call")
    .description("place a simulated call against a running tactflow and print the transcript")
    .option("--to <tn>", "the number called (a TN with a flow)")
    .option("--from <number>", "the caller id, sent exactly as given")
    .option(
      "--digits <list>",
      'keys per input point (each Gather attempt, each Pause with dtmf_stop): "1,1234#"; empty entry = silence; "9@2.5s" presses 2.5 s in',
    )
    .option("--silence", "the caller never presses a key")
    .option(
      "--at <iso>",
      "when the call happens on the simulator's clock (decides <Schedule> blocks left to the platform), e.g. 2026-11-23T22:30:00Z; default now",
    )
    .option("--tz <zone>", "zone for <Schedule> blocks without tz (default UTC)")
    .option(
      "--dial-outcome <outcome>",
      `what Dial destinations do: ${DIAL_OUTCOMES.join("|")}, or TARGET=OUTCOME for one; repeatable`,
      collect,
    )
    .option("--talk <duration>", "how long an answered Dial stays bridged, e.g. 45s")
    .option("--hangup-after <duration>", "the caller hangs up after this long, e.g. 90s")
    .option("--call-id <id>", "the call uuid (default a fresh one)")
    .option("--url <url>", `where tactflow runs (default $TACTFLOW_URL or ${DEFAULT_URL})`)
    .option("--method <method>", "how the platform requests the webhook: GET, or POST with the call entity", "POST")
    .option("--script <file>", "read the scenario from a file (JSON or the line format in docs/simulator.md)")
    .option("--json", "print the machine-readable trace instead of the transcript")
    .option("--verbose", "also show every state change and event post")
    .option("--no-events", "do not post call events to /v1/webhooks/events")
    .option("--webhook-token <token>", "webhook token (default $TACTFLOW_WEBHOOK_TOKEN, else WEBHOOK_TOKEN in .dev.vars)")
    .option(
      "--platform-url <url>",
      "serve the Call Control API for parked calls here (default $TACTFLOW_PLATFORM_API_URL, else PLATFORM_API_URL in .dev.vars)",
    )
    .option("--park-wait <duration>", "how long a parked call waits for commands before the simulator gives up, e.g. 2m", "2m")
    .action(async (opts: CallOptions) => {
      process.exitCode = await runCall(opts, {
        env: process.env,
        cwd: process.cwd(),
        readFile: (path) => readFileSync(path, "utf8"),
        out: (text) => process.stdout.write(`${text}\n`),
        err: (text) => process.stderr.write(`${text}\n`),
      });
    });
}
