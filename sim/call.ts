/**
 * One simulated inbound call, from the platform's side: it rings, requests the call-flow
 * webhook (docs/opentact.md §a.2), runs what comes back, posts its lifecycle events (d.4) and hangs up.
 *
 * `run()` does all of that. The steps are public too (`start`, `execute`, `hangup`), so a
 * parked call (docs/opentact.md §c) can be driven by command fragments arriving over time: start the
 * call, execute its first document, and while `execute` answers "idle" keep feeding it.
 */
import type { CallEntity } from "../src/events/shapes.ts";
import { stateForNumber } from "../src/template/areacodes.ts";
import { parseXml, type ElementNode, type FlowDocument } from "../src/xml/index.ts";
import { ScriptedCaller } from "./caller.ts";
import { CallInterrupted, VirtualClock } from "./clock.ts";
import { EventPoster, type FlowCommandResult, type StateDetail } from "./events.ts";
import { Executor } from "./executor.ts";
import type { Recording, Runtime } from "./runtime.ts";
import { appendQuery, fetchFlow, realWait, type FetchLike, type WaitLike } from "./http.ts";
import type { LiveCaller } from "./live.ts";
import {
  DEFAULT_TIMING,
  type CallEnd,
  type CallerLocation,
  type CallResult,
  type EndCause,
  type Scenario,
  type Timing,
  type TraceDetails,
  type TraceEntry,
  type TraceKind,
} from "./types.ts";

export interface SimOptions {
  /** Where tactflow runs, e.g. `http://127.0.0.1:8787`. */
  baseUrl: string;
  /** Default: the global fetch. */
  fetch?: FetchLike;
  /** The real-time wait behind request timeouts; default setTimeout. */
  wait?: WaitLike;
  /** The real clock (epoch ms), for a scenario without `at`; default Date.now. */
  now?: () => number;
  /** Ids for calls and events; default crypto.randomUUID. */
  newId?: () => string;
  /** Sent as `?token=` to the call-flow webhook and the events webhook. */
  webhookToken?: string;
  /** How the platform requests the call-flow webhook (docs/opentact.md §a.2): GET, or POST with the call entity. Default POST. */
  method?: "GET" | "POST";
  /** Post lifecycle and command events to `/v1/webhooks/events`; default true. */
  events?: boolean;
  timing?: Partial<Timing>;
  /** Zone for `<Schedule>` blocks without `tz`; default UTC (docs/opentact.md §f.12). */
  timezone?: string;
  /** Commands executed before the call is stopped as a probable loop; default 1000. */
  maxSteps?: number;
  /** Longest call on the virtual clock; default 4 hours. */
  maxCallMs?: number;
  /** Timeout of the call-flow webhook and `<Gather url>` requests; default 10 000 ms. */
  requestTimeoutMs?: number;
  /** Answer as soon as the flow arrives (the SCA's `auto_answer`); default true. */
  autoAnswer?: boolean;
  /** Where a caller number is, for `<Geo>` when the scenario gives no location; default: its area code's state. */
  locate?: (from: string) => CallerLocation | undefined;
  /** Told about each document the call is about to run (the call flow, then every replacement), as parsed. */
  onDocument?: (document: FlowDocument) => void;
  /**
   * A caller at a real keypad (sim/live.ts, the console's phone): the call runs in real time and
   * its keys come as pressed; the scenario's `inputs` are then unused. Default: the scripted caller.
   */
  live?: LiveCaller;
  /** Told about each trace entry as it is recorded (a live call's transcript follows the call). */
  onTrace?: (entry: TraceEntry) => void;
}

/** What `execute` left the call as: over, or idle and waiting for more commands. */
export type ExecuteState = "ended" | "idle";

/** The state a North American caller's area code was issued to (no county: that needs LERG data). */
function locateByAreaCode(from: string): CallerLocation | undefined {
  const state = stateForNumber(from);
  return state ? { state } : undefined;
}

const SIM_SCA_UUID = "5a1d0000-0000-4000-8000-00000000ca11";

const Q850: Record<EndCause, [number, string]> = {
  "flow-hangup": [16, "NORMAL_CLEARING"],
  "end-of-flow": [16, "NORMAL_CLEARING"],
  "caller-hangup": [16, "NORMAL_CLEARING"],
  "platform-hangup": [16, "NORMAL_CLEARING"],
  "webhook-failed": [41, "NORMAL_TEMPORARY_FAILURE"],
  "step-limit": [41, "NORMAL_TEMPORARY_FAILURE"],
  "max-duration": [102, "RECOVERY_ON_TIMER_EXPIRE"],
};

/** freeswitch_call_state / channel_state per state, as the docs/opentact.md §d.4 examples show them. */
const FREESWITCH: Record<string, [string, string]> = {
  init: ["DOWN", "CS_INIT"],
  ringing: ["RINGING", "CS_ROUTING"],
  live: ["EARLY", "CS_EXECUTE"],
  hangup: ["HANGUP", "CS_HANGUP"],
  destroyed: ["HANGUP", "CS_REPORTING"],
};

function startTime(at: Scenario["at"], now: () => number): number {
  if (at === undefined) return now();
  const ms = at instanceof Date ? at.getTime() : typeof at === "number" ? at : Date.parse(at);
  if (!Number.isFinite(ms)) throw new Error(`the call start time "${String(at)}" is not a date; use ISO 8601, e.g. 2026-11-23T22:30:00Z`);
  return ms;
}

export class SimulatedCall {
  readonly scenario: Scenario;
  readonly clock: VirtualClock;
  readonly call: CallEntity;
  readonly trace: TraceEntry[] = [];
  private readonly options: SimOptions;
  private readonly fetchImpl: FetchLike;
  private readonly caller: ScriptedCaller;
  private readonly events: EventPoster;
  private readonly executor: Executor;
  private readonly recordings = new Map<string, Recording>();
  private readonly results: FlowCommandResult[] = [];
  private readonly newId: () => string;
  private readonly timing: Timing;
  private steps = 0;
  private ending: CallEnd | null = null;
  /** Serialises `execute` calls: fragments for a parked call run one after another. */
  private queue: Promise<unknown> = Promise.resolve();
  private started = false;
  private readonly endedSignal: { promise: Promise<void>; resolve: () => void };

  constructor(scenario: Scenario, options: SimOptions) {
    this.scenario = scenario;
    this.options = options;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.timing = { ...DEFAULT_TIMING, ...options.timing };
    this.newId = options.newId ?? (() => crypto.randomUUID());
    this.clock = new VirtualClock(startTime(scenario.at, options.now ?? Date.now));
    this.caller = new ScriptedCaller(scenario);
    if (scenario.hangupAfterMs !== undefined) {
      this.clock.addDeadline({ at: scenario.hangupAfterMs, cause: "caller-hangup", reason: "the caller hung up" });
    }
    this.clock.addDeadline({ at: options.maxCallMs ?? 4 * 3600_000, cause: "max-duration", reason: "the call reached its maximum length" });
    const iso = this.clock.date().toISOString();
    const to = scenario.to;
    const tnDigits = to.replace(/\D/g, "");
    this.call = {
      uuid: scenario.callId ?? this.newId(),
      direction: "in",
      from: scenario.from,
      to,
      state: "init",
      duration: 0,
      type: "CallSCA",
      created_on: iso,
      modified_on: iso,
      init_on: iso,
      ring_on: null,
      answer_on: null,
      hangup_on: null,
      destroy_on: null,
      q850_cause: null,
      q850_cause_string: null,
      freeswitch_call_state: "DOWN",
      freeswitch_channel_state: "CS_INIT",
      ...(tnDigits ? { tn: { tn: Number(tnDigits) } } : {}),
      sip_control_app: { uuid: scenario.scaId ?? SIM_SCA_UUID, name: "tactflow simulator" },
    };
    // Extra fields never replace the ones the simulator keeps up to date.
    for (const [k, v] of Object.entries(scenario.fields ?? {})) if (!(k in this.call)) this.call[k] = v;
    const base = options.baseUrl.replace(/\/+$/, "");
    const eventsUrl =
      options.events === false
        ? null
        : appendQuery(`${base}/v1/webhooks/events`, options.webhookToken ? { token: options.webhookToken } : {});
    this.events = new EventPoster(
      eventsUrl,
      this.fetchImpl,
      (detail) => this.record("EVENT", detail),
      (message) => this.record("NOTE", { message }),
    );
    this.executor = new Executor(this.runtime());
    let resolve = () => {};
    const promise = new Promise<void>((r) => (resolve = r));
    this.endedSignal = { promise, resolve };
  }

  /**
   * Resolves with the result once the call has ended, however that happens: a `<Hangup>` in a
   * fragment, the caller, or `hangup()` (for a parked call, the server's deadline).
   */
  async whenEnded(): Promise<CallResult> {
    await this.endedSignal.promise;
    return this.result();
  }

  /** How the call ended, once it has. */
  get end(): CallEnd | null {
    return this.ending;
  }

  private record<K extends TraceKind>(kind: K, detail: TraceDetails[K], path?: string): TraceEntry {
    const entry = { t: this.clock.now, kind, detail, ...(path ? { path } : {}) } as TraceEntry;
    this.trace.push(entry);
    this.options.onTrace?.(entry);
    return entry;
  }

  private runtime(): Runtime {
    const timing = this.timing;
    const maxSteps = this.options.maxSteps ?? 1000;
    return {
      clock: this.clock,
      caller: this.caller,
      timing,
      call: this.call,
      fetch: this.fetchImpl,
      wait: this.options.wait ?? realWait,
      timezone: this.options.timezone ?? "UTC",
      requestTimeoutMs: this.options.requestTimeoutMs ?? 10_000,
      talkMs: this.scenario.talkMs ?? timing.talkMs,
      recordings: this.recordings,
      ...(this.options.live ? { live: this.options.live } : {}),
      location: () => this.scenario.location ?? (this.options.locate ?? locateByAreaCode)(this.scenario.from),
      trace: (kind, detail, path) => this.record(kind, detail, path),
      note: (message, path) => this.record("NOTE", { message }, path),
      step: () => {
        this.steps += 1;
        if (this.steps > maxSteps) {
          throw new CallInterrupted({
            at: this.clock.now,
            cause: "step-limit",
            reason: `the flow ran ${maxSteps} commands without ending; it probably loops`,
          });
        }
      },
      goLive: () => this.goLive(),
      flowEvent: async (result) => {
        this.results.push(result);
        await this.events.flow(this.call, result, this.clock.date());
      },
      history: () =>
        this.results.map((r) => ({
          success: r.success,
          payload: {
            success: r.success,
            command: { command: r.name },
            error: { error: r.success ? null : r.reason },
            message: { message: r.reason },
          },
        })),
    };
  }

  private async setState(state: string, stamp: keyof CallEntity | null, detail: StateDetail = {}): Promise<void> {
    const iso = this.clock.date().toISOString();
    this.call.state = state;
    this.call.modified_on = iso;
    this.call.duration = Math.floor(this.clock.now / 1000);
    if (stamp) (this.call as Record<string, unknown>)[stamp] = iso;
    const fs = FREESWITCH[state];
    if (fs) [this.call.freeswitch_call_state, this.call.freeswitch_channel_state] = fs;
    this.record("STATE", { state });
    await this.events.state(this.call, state, this.clock.date(), detail);
  }

  private async goLive(): Promise<void> {
    if (this.call.state === "live") return;
    await this.setState("live", "answer_on");
  }

  /** The call-flow webhook URL for this call: `from` and `to` in the query (docs/opentact.md §a.2). */
  webhookUrl(): string {
    const base = this.options.baseUrl.replace(/\/+$/, "");
    return appendQuery(`${base}/v1/callflow`, {
      from: this.call.from,
      to: this.call.to,
      ...(this.options.webhookToken ? { token: this.options.webhookToken } : {}),
    });
  }

  /**
   * The call arrives: init and ringing, then the call-flow webhook. Answers the document to run,
   * or null when the webhook gave none (the call has then ended with `webhook-failed`).
   */
  async start(): Promise<{ document: FlowDocument; url: string } | null> {
    if (this.started) throw new Error("this call has already started");
    this.started = true;
    await this.setState("init", "init_on");
    await this.setState("ringing", "ring_on");
    try {
      this.clock.advance(this.timing.inboundRingMs);
    } catch (err) {
      if (!(err instanceof CallInterrupted)) throw err;
      await this.finish(err.deadline.cause, err.deadline.reason);
      return null;
    }
    const url = this.webhookUrl();
    const method = this.options.method ?? "POST";
    const got = await fetchFlow(this.fetchImpl, this.options.wait ?? realWait, {
      purpose: "callflow",
      method,
      url,
      ...(method === "POST" ? { body: this.call } : {}),
      timeoutMs: this.options.requestTimeoutMs ?? 10_000,
    });
    this.record("REQUEST", got.detail);
    if (!got.ok) {
      await this.finish("webhook-failed", got.message);
      return null;
    }
    for (const d of got.problems.filter((x) => x.severity === "error").slice(0, 5)) {
      this.record("NOTE", { message: `the call-flow document has a problem at ${d.line}:${d.col}: ${d.message}` });
    }
    this.options.onDocument?.(got.document);
    if (this.options.autoAnswer ?? true) await this.goLive();
    return { document: got.document, url: got.url };
  }

  /**
   * Run a document, or a fragment of commands, on this call. Replies of url Gathers and
   * Callbacks replace the rest as they come. `idleMs` first moves the virtual clock on by the
   * time the call sat waiting (a parked call between two fragments). Calls queue up: a fragment
   * delivered while another runs waits its turn.
   */
  execute(what: FlowDocument | ElementNode[], options: { url?: string; idleMs?: number } = {}): Promise<ExecuteState> {
    const run = this.queue.then(() => this.executeNow(what, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async executeNow(what: FlowDocument | ElementNode[], options: { url?: string; idleMs?: number }): Promise<ExecuteState> {
    if (this.ending) return "ended";
    let base = options.url ?? this.webhookUrl();
    try {
      if (options.idleMs) this.clock.advance(options.idleMs);
      let flow = Array.isArray(what) ? await this.executor.runCommands(what, base) : await this.executor.runDocument(what, base);
      while (flow.kind === "replace") {
        this.options.onDocument?.(flow.document);
        base = flow.url;
        flow = await this.executor.runDocument(flow.document, base);
      }
      if (flow.kind === "hangup") {
        await this.finish("flow-hangup", flow.tag ? `the flow hung up (${flow.tag})` : "the flow hung up", flow.tag);
        return "ended";
      }
      return "idle";
    } catch (err) {
      if (!(err instanceof CallInterrupted)) throw err;
      await this.finish(err.deadline.cause, err.deadline.reason);
      return "ended";
    }
  }

  /**
   * End the call from outside the flow (a parked call's deadline, an operator). `q850` is the
   * cause the hang-up request named, e.g. 102 RECOVERY_ON_TIMER_EXPIRE for a park timeout.
   */
  async hangup(
    reason: string,
    cause: EndCause = "platform-hangup",
    q850?: { q850_cause: number; q850_cause_string: string },
  ): Promise<void> {
    await this.queue;
    await this.finish(cause, reason, undefined, q850);
  }

  private async finish(
    cause: EndCause,
    reason: string,
    tag?: string,
    given?: { q850_cause: number; q850_cause_string: string },
  ): Promise<void> {
    if (this.ending) return;
    const [q850, q850String] = given ? [given.q850_cause, given.q850_cause_string] : Q850[cause];
    this.ending = {
      t: this.clock.now,
      cause,
      reason,
      ...(tag !== undefined ? { tag } : {}),
      q850_cause: q850,
      q850_cause_string: q850String,
    };
    this.executor.stopRecordings();
    const by = cause === "flow-hangup" ? "flow" : cause === "caller-hangup" ? "caller" : "platform";
    this.record("HANGUP", { by, reason, ...(tag !== undefined ? { tag } : {}) });
    this.call.q850_cause = q850;
    this.call.q850_cause_string = q850String;
    const detail = { reason, q850_cause: q850, q850_cause_string: q850String };
    await this.setState("hangup", "hangup_on", detail);
    await this.setState("destroyed", "destroy_on", detail);
    const unused = this.caller.unused;
    if (unused > 0 && cause !== "webhook-failed")
      this.record("NOTE", { message: `${unused} scripted input${unused === 1 ? " was" : "s were"} never asked for` });
    this.endedSignal.resolve();
  }

  /** The whole call: ring, fetch the flow, run it, hang up when it runs out. */
  async run(): Promise<CallResult> {
    const first = await this.start();
    if (first) {
      const state = await this.execute(first.document, { url: first.url });
      if (state === "idle") await this.finish("end-of-flow", "the flow ran out of commands");
    }
    return this.result();
  }

  result(): CallResult {
    if (!this.ending) throw new Error("the call has not ended yet");
    return {
      call: structuredClone(this.call),
      startedAt: new Date(this.clock.startMs).toISOString(),
      trace: [...this.trace],
      end: { ...this.ending },
      events: { posted: this.events.posted, failed: this.events.failed },
    };
  }
}

/** Place one call and run it to the end. */
export function placeCall(scenario: Scenario, options: SimOptions): Promise<CallResult> {
  return new SimulatedCall(scenario, options).run();
}

/**
 * Parse commands for a parked call: a whole `<Response>` document, or bare commands, which are
 * read as if wrapped in one. Throws with the first problem when the text is not usable.
 */
export function parseCommands(xml: string): ElementNode[] {
  const trimmed = xml.replace(/^\s*<\?xml[^>]*\?>/, "").trim();
  const wrapped = /^<response[\s>/]/i.test(trimmed) ? trimmed : `<Response>${trimmed}</Response>`;
  const { document, diagnostics } = parseXml(wrapped);
  if (!document) throw new Error(diagnostics[0]?.message ?? "not XML");
  return document.root.children.filter((c): c is ElementNode => c.type === "element");
}
