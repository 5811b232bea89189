/**
 * Running one scenario: the simulator places the call against a target (tactflow in process,
 * or a server), the scenario's outside world answers `<Callback>` and url-Gather requests, a
 * parked call gets the scenario's commands at their virtual times, and the run keeps what the
 * expectations and the coverage need.
 */
import type { CallEvent } from "../events/shapes.ts";
import { planCommands } from "../call/commands.ts";
import { PARK_TIMEOUT_CAUSE } from "../platform/CallControl.ts";
import { parseCommands, SimulatedCall } from "../../sim/call.ts";
import { endsOnHold } from "../../sim/control.ts";
import { realWait, type FetchLike, type WaitLike } from "../../sim/http.ts";
import type { CallResult, Scenario } from "../../sim/types.ts";
import type { ElementNode } from "../xml/index.ts";
import type { Reply, TestScenario } from "./format.ts";
import { MARK_ATTR } from "./instrument.ts";
import { buildSteps, decisionsOf, formatSteps, type Step } from "./steps.ts";

/** Where a scenario's calls go. */
export interface RunTarget {
  baseUrl: string;
  fetch: FetchLike;
  webhookToken?: string;
  /** Told about each call before it starts (the in-process server follows its virtual clock). */
  attach?(call: SimulatedCall): void;
  /** After the call: what the server logged for it and its variables (`digits`, `gather.NAME`). */
  serverView(callId: string): Promise<{ events: CallEvent[]; variables: Record<string, string> }>;
  /** The target has no use for the platform's event posts (they are still seen by expectations). */
  discardEvents?: boolean;
  /** An async call's park deadline (epoch ms on the call's clock) and timeout, when the target can say. */
  parked?(callId: string): { deadlineAt: number; timeoutMs: number } | null;
}

/** An event the call produced, as expectations see it. */
export interface SeenEvent {
  type: string;
  command?: string;
  tag?: string;
  success?: boolean;
  state?: string;
}

export interface ScenarioRun {
  scenario: TestScenario;
  result: CallResult;
  steps: Step[];
  transcript: string;
  events: SeenEvent[];
  variables: Record<string, string>;
  /** Coverage marks (src/flowtest/instrument.ts) of the flow elements steps ran, by trace index. */
  marks: Map<number, string>;
  /** Things the scenario asked for that could not happen, e.g. a request with no reply scripted. */
  problems: string[];
}

/** A fixed start, so transcripts are the same on every run: Monday 5 January 2026, 15:00 UTC. */
export const DEFAULT_AT = "2026-01-05T15:00:00.000Z";
export const DEFAULT_FROM = "+15555550100";

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 48) || "call"
  );
}

/** Call ids for a set of scenarios: stable, readable, unique (`test-sales-answers`). */
export function callIds(scenarios: readonly TestScenario[]): string[] {
  const used = new Set<string>();
  return scenarios.map((s) => {
    const base = s.callId ?? `test-${slug(s.name)}`;
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
    used.add(id);
    return id;
  });
}

function replyFor(replies: TestScenario["replies"], used: Map<string, number>, url: string): Reply | undefined {
  if (!replies) return undefined;
  const bare = url.split("?")[0]!;
  const key =
    Object.keys(replies).find((k) => k === url || k === bare) ??
    Object.keys(replies).find((k) => k.endsWith("*") && url.startsWith(k.slice(0, -1)));
  if (key === undefined) return undefined;
  const list = replies[key]!;
  const n = used.get(key) ?? 0;
  used.set(key, n + 1);
  return list[Math.min(n, list.length - 1)];
}

/** The element a simulator path (`Gather[1]/Switch[0]/Case[2]`) names in a document. */
function resolvePath(root: ElementNode, path: string): ElementNode | null {
  let el: ElementNode | undefined = root;
  for (const part of path.split("/")) {
    const m = /\[(\d+)\]$/.exec(part);
    if (!m || !el) return null;
    el = el.children.filter((c): c is ElementNode => c.type === "element")[Number(m[1])];
  }
  return el ?? null;
}

function markOf(root: ElementNode | null, path: string | undefined): string | undefined {
  if (!root || !path) return undefined;
  return resolvePath(root, path)?.attrs.find((a) => a.name === MARK_ATTR)?.value;
}

/** Place one scenario's call against `target` and collect everything about it. */
export async function runScenario(scenario: TestScenario, target: RunTarget, callId: string): Promise<ScenarioRun> {
  const problems: string[] = [];
  const events: SeenEvent[] = [];
  const used = new Map<string, number>();
  let hanging = false;
  const origin = target.baseUrl.replace(/\/+$/, "");
  const fetch: FetchLike = async (input, init) => {
    if (input.startsWith(`${origin}/v1/webhooks/events`)) {
      try {
        const e = JSON.parse(String(init?.body ?? "{}")) as Record<string, unknown>;
        const payload = (e["payload"] ?? {}) as Record<string, unknown>;
        events.push({
          type: String(e["type"]),
          ...(typeof e["command"] === "string" ? { command: e["command"] } : {}),
          ...(typeof e["tag"] === "string" ? { tag: e["tag"] } : {}),
          ...(typeof e["success"] === "boolean" ? { success: e["success"] } : {}),
          ...(typeof payload["state"] === "string" ? { state: payload["state"] } : {}),
        });
      } catch {
        // not JSON: nothing to expect on
      }
      return target.discardEvents ? new Response(null, { status: 202 }) : target.fetch(input, init);
    }
    if (input.startsWith(`${origin}/`)) return target.fetch(input, init);
    const reply = replyFor(scenario.replies, used, input);
    if (!reply) {
      const bare = input.split("?")[0];
      problems.push(`no reply scripted for ${bare}: add it under replies (a document, {status: 503} or timeout)`);
      throw new TypeError("fetch failed", { cause: new Error(`no reply scripted for ${bare}`) });
    }
    if (reply.timeout) {
      hanging = true;
      return new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
      });
    }
    const body = reply.xml ?? reply.body ?? "";
    return new Response(body, {
      status: reply.status ?? 200,
      headers: { "content-type": reply.xml !== undefined ? "text/xml" : "text/plain" },
    });
  };
  // A scripted time-out fires at once (the virtual clock charges its length); real requests keep a real deadline.
  const wait: WaitLike = (ms, signal) => {
    if (hanging) {
      hanging = false;
      return Promise.resolve();
    }
    return realWait(ms, signal);
  };
  const sim: Scenario = {
    from: scenario.from ?? DEFAULT_FROM,
    to: scenario.to ?? "",
    callId,
    at: scenario.at ?? DEFAULT_AT,
    ...(scenario.scaId !== undefined ? { scaId: scenario.scaId } : {}),
    ...(scenario.inputs ? { inputs: scenario.inputs } : {}),
    ...(scenario.dial ? { dial: scenario.dial } : {}),
    ...(scenario.talkMs !== undefined ? { talkMs: scenario.talkMs } : {}),
    ...(scenario.hangupAfterMs !== undefined ? { hangupAfterMs: scenario.hangupAfterMs } : {}),
    ...(scenario.location ? { location: scenario.location } : {}),
    ...(scenario.fields ? { fields: scenario.fields } : {}),
  };
  let ids = 0;
  // Each document the call runs, by the trace position it starts at, to trace steps back to the flow.
  const documents = new Map<number, ElementNode>();
  const call: SimulatedCall = new SimulatedCall(sim, {
    onDocument: (doc) => documents.set(call.trace.length, doc.root),
    baseUrl: origin,
    fetch,
    wait,
    newId: () => `${callId}-${++ids}`,
    ...(target.webhookToken ? { webhookToken: target.webhookToken } : {}),
    ...(scenario.method ? { method: scenario.method } : {}),
    ...(scenario.timezone ? { timezone: scenario.timezone } : {}),
  });
  target.attach?.(call);
  const fragments = new Set<number>();
  const first = await call.start();
  if (first) {
    const state = await call.execute(first.document, { url: first.url });
    const parked = state === "idle" && endsOnHold(call) ? (target.parked?.(callId) ?? null) : null;
    if (parked) await driveParked(call, scenario, parked, fragments, problems);
    else if (state === "idle") await call.hangup("the flow ran out of commands", "end-of-flow");
  }
  if (scenario.commands?.length && !fragments.size && !call.trace.some((e) => e.kind === "HOLD"))
    problems.push("the scenario has commands, but the call was never parked (is the flow in async mode?)");
  const result = call.result();
  const view = await target.serverView(callId);
  for (const e of view.events) {
    if (e.type !== "call_flow") continue;
    events.push({ type: e.type, command: e.command, ...(e.tag !== undefined ? { tag: e.tag } : {}), success: e.success });
  }
  const steps = buildSteps(result, decisionsOf(view.events));
  // Which flow element each Dial, condition and request ran, from the documents served.
  const marks = new Map<number, string>();
  let current: ElementNode | null = null;
  for (const [i, e] of result.trace.entries()) {
    if (fragments.has(i)) current = null;
    if (e.kind === "REQUEST" || e.kind === "DIAL" || e.kind === "CONDITION") {
      const mark = markOf(current, e.path);
      if (mark) marks.set(i, mark);
    }
    // A document replaces the current one right after the request that fetched it.
    current = documents.get(i + 1) ?? current;
  }
  return { scenario, result, steps, transcript: formatSteps(result, steps), events, variables: view.variables, marks, problems };
}

/**
 * A parked call: the scenario's commands at their times, each delivery spaced by its Pauses as
 * the call object spaces them (src/call/commands.ts), the deadline re-armed by each command;
 * without one in time, the call is hung up with the park-timeout cause (docs/opentact.md §c).
 */
async function driveParked(
  call: SimulatedCall,
  scenario: TestScenario,
  parked: { deadlineAt: number; timeoutMs: number },
  fragments: Set<number>,
  problems: string[],
): Promise<void> {
  let deadline = parked.deadlineAt - call.clock.startMs;
  const commands = [...(scenario.commands ?? [])].sort((a, b) => a.atMs - b.atMs);
  for (const cmd of commands) {
    if (call.end || cmd.atMs >= deadline) break;
    const plan = planCommands(cmd.xml);
    if (!plan.ok) {
      const d = plan.diagnostics[0];
      problems.push(`the commands at ${cmd.atMs} ms are refused: ${d ? `${d.line}:${d.col}: ${d.message}` : "not valid"}`);
      continue;
    }
    let at = cmd.atMs;
    for (const delivery of plan.deliveries) {
      at += delivery.gapMs;
      fragments.add(call.trace.length);
      const state = await call.execute(parseCommands(delivery.xml), { idleMs: Math.max(0, at - call.clock.now) });
      if (state === "ended") return;
      at = call.clock.now;
    }
    deadline = cmd.atMs + plan.totalGapMs + parked.timeoutMs;
  }
  if (call.end) return;
  await call.execute([], { idleMs: Math.max(0, deadline - call.clock.now) });
  if (!call.end) await call.hangup(`park timeout: no command within ${parked.timeoutMs} ms`, "platform-hangup", PARK_TIMEOUT_CAUSE);
}
