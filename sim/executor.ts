/**
 * The executor: walks Opentact Call Flow XML top to bottom the way the platform does (docs/opentact.md §b.0)
 * and reports every step. It holds no call state of its own; everything lives in the `Runtime`
 * the call hands it, so it can run a whole document, a document that replaced the rest, or a
 * fragment of commands delivered later to a parked call, all against the same call.
 */
import { elementChildren, type ElementNode, type ElementOf, type FlowDocument, type TagKind } from "../src/xml/index.ts";
import { CallInterrupted } from "./clock.ts";
import { evaluateCall, evaluateGeo, evaluateSchedule, type ConditionResult } from "./conditions.ts";
import { runGather } from "./gatherStep.ts";
import { appendQuery, fetchFlow, type FlowFetch } from "./http.ts";
import { ANY_KEY } from "./live.ts";
import { markCut, Playback } from "./playback.ts";
import { childPath, indexed, NEXT, resolveUrl, tagOf, type Flow, type Indexed, type Runtime } from "./runtime.ts";
import type { DialOutcome } from "./types.ts";

export type { Flow, Recording, Runtime } from "./runtime.ts";

/** The executor runs commands; sim/playback.ts plays prompts and passes time, sim/gatherStep.ts runs a Gather. */
export class Executor {
  readonly rt: Runtime;
  readonly play: Playback;

  constructor(runtime: Runtime) {
    this.rt = runtime;
    this.play = new Playback(runtime);
  }

  /** Run the commands of a document. `base` resolves relative URLs in it. */
  runDocument(document: FlowDocument, base: string): Promise<Flow> {
    return this.runBlock(indexed(document.root, ""), base);
  }

  /** Run commands given on their own (a fragment for a parked call), paths from `prefix`. */
  runCommands(commands: ElementNode[], base: string, prefix = ""): Promise<Flow> {
    return this.runBlock(
      commands.map((el, i) => ({ el, path: childPath(prefix, el, i) })),
      base,
    );
  }

  async runBlock(commands: Indexed[], base: string): Promise<Flow> {
    for (const { el, path } of commands) {
      const flow = await this.runCommand(el, path, base);
      if (flow.kind !== "next") return flow;
    }
    return NEXT;
  }

  private async runCommand(el: ElementNode, path: string, base: string): Promise<Flow> {
    const rt = this.rt;
    if (el.kind === "Error") return NEXT; // a handler, run by its parent when the parent fails
    if (rt.live?.hungUp) this.play.liveHangup();
    rt.clock.check();
    rt.step();
    switch (el.kind) {
      case "Answer": {
        const alreadyLive = rt.call.state === "live";
        await rt.goLive();
        const entry = rt.trace("ANSWER", { delayMs: el.props.delayMs, alreadyLive, ...tagOf(el.props) }, path);
        await this.play.done(el, path, true, alreadyLive ? "Call already answered" : "Call answered");
        await this.play.elapse(el.props.delayMs, entry);
        return NEXT;
      }
      case "Hangup":
        await this.play.done(el, path, true, el.props.tag ? `Hangup: ${el.props.tag}` : "Hangup");
        return { kind: "hangup", ...tagOf(el.props) };
      case "Say":
      case "Play":
      case "Pause":
        return this.prompt(el, path, base);
      case "Record":
        return this.record(el, path, base);
      case "RecordStart":
        this.startRecording(el.props.tag ?? "", undefined, path);
        await this.play.done(el, path, true, "Recording started");
        return NEXT;
      case "RecordStop": {
        const stopped = this.stopRecordings(path);
        await this.play.done(el, path, stopped > 0, stopped > 0 ? "Recording stopped" : "No recording in progress");
        return NEXT;
      }
      case "RecordWait":
        // The sub-command's attributes were never captured (docs/opentact.md §b.11, f.15): reported, no-op.
        rt.trace("RECORD", { action: "wait", ...tagOf(el.props) }, path);
        await this.play.done(el, path, true, "RecordWait (no documented behaviour; nothing to wait for)");
        return NEXT;
      case "Dial":
        return this.dial(el, path, base);
      case "Gather":
        return runGather(this, el, path, base);
      case "Callback":
        return this.callback(el, path, base);
      case "Call":
        return this.condition(el, path, base, "Call", evaluateCall(el.props, rt.call));
      case "Geo":
        return this.condition(el, path, base, "Geo", evaluateGeo(el.props, rt.location()));
      case "Schedule":
        return this.condition(el, path, base, "Schedule", evaluateSchedule(el.props, rt.clock.date(), rt.timezone));
      case "Hold":
        rt.trace("HOLD", { timeoutMs: el.props.timeoutMs, ...tagOf(el.props) }, path);
        await this.play.done(el, path, true, "Call on hold");
        return NEXT;
      case "Unhold":
        rt.trace("UNHOLD", { ...tagOf(el.props) }, path);
        await this.play.done(el, path, true, "Call resumed");
        return NEXT;
      case "Curl":
      case "Meta":
      case "Tone":
      case "Unknown":
        // docs/opentact.md §f.16: skip with a failed call_flow event, never abort the document.
        rt.note(`skipped <${el.name}>: unsupported command`, path);
        await this.play.done(el, path, false, "unsupported command");
        return NEXT;
      case "Response":
      case "To":
      case "Sip":
      case "Number":
      case "DTMF":
      case "Case":
      case "Switch":
      case "Default":
        rt.note(`skipped <${el.name}>: it only means something inside ${placeOf(el.kind)}`, path);
        return NEXT;
      default: {
        const never: never = el;
        throw new Error(`unhandled command ${(never as ElementNode).kind}`);
      }
    }
  }

  // ---- prompts -------------------------------------------------------------------------

  /**
   * Say, Play or Pause. Inside a Gather (`gather` given), `cutAt` is when the caller's first key
   * lands, relative to now: the prompt stops there (barge-in) and the result says so. Outside a
   * Gather, a Pause with `dtmf_stop` is an input point of its own.
   */
  async prompt(
    el: ElementOf<"Say" | "Play" | "Pause">,
    path: string,
    base: string,
    gather?: { cutAt?: number },
  ): Promise<Flow & { playedMs?: number; interrupted?: boolean; keyed?: boolean }> {
    const rt = this.rt;
    const { ms, failure } = this.play.promptLength(el);
    if (failure) {
      await this.play.done(el, path, false, failure);
      return this.runError(el, path, base, failure);
    }
    if (el.kind === "Pause" && !gather && el.props.stopKeys) return this.play.stoppablePause(el, path);
    if (rt.live) {
      // Live: the prompt is on record while it plays; a key (in a Gather) may cut it short.
      const entry = this.play.tracePrompt(el, path, ms, undefined);
      const passed = await this.play.elapse(ms, entry, gather ? ANY_KEY : undefined);
      const interrupted = passed.stoppedBy !== undefined && passed.playedMs < ms;
      if (interrupted) markCut(entry, passed.playedMs);
      await this.play.done(el, path, true, interrupted ? "Interrupted by DTMF" : `${el.name} finished`);
      return { kind: "next", playedMs: passed.playedMs, interrupted, keyed: passed.stoppedBy !== undefined };
    }
    const cutAt = gather?.cutAt;
    const interrupted = cutAt !== undefined && cutAt < ms;
    const playedMs = interrupted ? cutAt : ms;
    this.play.tracePrompt(el, path, ms, interrupted ? playedMs : undefined);
    rt.clock.advance(playedMs);
    await this.play.done(el, path, true, interrupted ? "Interrupted by DTMF" : `${el.name} finished`);
    return { kind: "next", playedMs, interrupted };
  }

  // ---- Error blocks --------------------------------------------------------------------

  /** Run a failed command's `<Error>` child (docs/opentact.md §b.9); without one, carry on. */
  async runError(
    parent: ElementNode,
    parentPath: string,
    base: string,
    reason: string,
    handler?: Indexed,
    announced = false,
  ): Promise<Flow> {
    const found = handler ?? indexed(parent, parentPath).find((c) => c.el.kind === "Error");
    if (found?.el.kind !== "Error") return NEXT;
    const speak = found.el.props.speak;
    if (!announced) this.rt.trace("ERROR", { parent: parent.name, reason, speak }, found.path);
    if (speak) {
      // say="true": the platform speaks the failure reason before the block runs [R].
      const ms = this.play.sayMs(reason);
      const entry = this.rt.trace(
        "SAY",
        { text: reason, lang: "en-US", voiceType: "Standard", gender: "FEMALE", loop: 1, durationMs: ms },
        found.path,
      );
      await this.play.elapse(ms, entry);
    }
    return this.runBlock(indexed(found.el, found.path), base);
  }

  // ---- Record --------------------------------------------------------------------------

  private startRecording(tag: string, timeoutMs: number | undefined, path: string, asr?: boolean): void {
    this.rt.recordings.set(tag, { tag, startedAt: this.rt.clock.now, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
    this.rt.trace(
      "RECORD",
      { action: "start", ...(tag ? { tag } : {}), ...(asr ? { asr } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) },
      path,
    );
  }

  /** Stop every recording still running; returns how many there were. */
  stopRecordings(path?: string): number {
    let stopped = 0;
    for (const rec of this.rt.recordings.values()) {
      if (rec.durationMs !== undefined) continue;
      const ran = this.rt.clock.now - rec.startedAt;
      rec.durationMs = rec.timeoutMs !== undefined ? Math.min(ran, rec.timeoutMs) : ran;
      stopped += 1;
      this.rt.trace("RECORD", { action: "stop", ...(rec.tag ? { tag: rec.tag } : {}), durationMs: rec.durationMs }, path);
    }
    return stopped;
  }

  /**
   * docs/opentact.md §f.21: a self-closing `<Record/>` records in the background until `<RecordStop/>`, its
   * timeout or hang-up; with children it records while they run.
   */
  private async record(el: ElementOf<"Record">, path: string, base: string): Promise<Flow> {
    const body = indexed(el, path).filter((c) => c.el.kind !== "Error");
    this.startRecording(el.props.tag ?? "", el.props.timeoutMs, path, el.props.asr);
    if (!body.length) {
      await this.play.done(el, path, true, "Recording started");
      return NEXT;
    }
    const flow = await this.runBlock(body, base);
    const rec = this.rt.recordings.get(el.props.tag ?? "");
    if (rec && rec.durationMs === undefined) {
      const ran = this.rt.clock.now - rec.startedAt;
      rec.durationMs = el.props.timeoutMs !== undefined ? Math.min(ran, el.props.timeoutMs) : ran;
      this.rt.trace("RECORD", { action: "stop", ...(rec.tag ? { tag: rec.tag } : {}), durationMs: rec.durationMs }, path);
    }
    await this.play.done(el, path, true, "Recording finished");
    return flow;
  }

  // ---- Dial ----------------------------------------------------------------------------

  /** docs/opentact.md §b.12: every destination rings at once, the first answer wins; failure runs `<Error>`. */
  private async dial(el: ElementOf<"Dial">, path: string, base: string): Promise<Flow> {
    const rt = this.rt;
    const targets = elementChildren(el)
      .filter((c): c is ElementOf<"To" | "Sip" | "Number"> => c.kind === "To" || c.kind === "Sip" || c.kind === "Number")
      .map((c) => c.props.target)
      .filter(Boolean);
    const plan = targets.map((target) => ({ target, outcome: rt.caller.dialOutcome(target) }));
    const answered = plan.find((p) => p.outcome === "answer");
    if (answered) {
      const entry = rt.trace(
        "DIAL",
        { targets: plan, result: "answered", answeredBy: answered.target, talkMs: rt.talkMs, ...tagOf(el.props) },
        path,
      );
      if (rt.live) await this.play.elapse(rt.timing.dialRingMs + rt.talkMs, entry);
      else {
        rt.clock.advance(rt.timing.dialRingMs);
        rt.clock.advance(rt.talkMs);
      }
      // The dialled leg hung up; the flow continues after </Dial> (docs/opentact.md §b.12).
      await this.play.done(el, path, true, `Bridged to ${answered.target}`);
      return NEXT;
    }
    const count = (o: DialOutcome) => plan.filter((p) => p.outcome === o).length;
    const reason = plan.length
      ? `no destination accepted the call (${[count("busy") ? `busy ${count("busy")}/${plan.length}` : "", count("no-answer") ? `no answer ${count("no-answer")}/${plan.length}` : ""].filter(Boolean).join(", ")})`
      : "no destinations to dial";
    const waited = Math.max(
      0,
      ...plan.map((p) => (p.outcome === "busy" ? rt.timing.dialBusyMs : (el.props.timeoutMs ?? rt.timing.dialNoAnswerMs))),
    );
    const entry = rt.trace("DIAL", { targets: plan, result: "failed", reason, ...tagOf(el.props) }, path);
    await this.play.elapse(waited, entry);
    await this.play.done(el, path, false, reason);
    return this.runError(el, path, base, reason);
  }

  // ---- Gather --------------------------------------------------------------------------

  /** The call's parameters every remote request carries (docs/opentact.md §b.6, b.13 [R]). */
  private callParams(): Record<string, string> {
    const c = this.rt.call;
    return { from: c.from, tn: c.to, state: c.state, sca: c.sip_control_app?.uuid ?? "", call: c.uuid };
  }

  /**
   * A url Gather sends what was entered after each attempt, with both parameter families
   * (docs/opentact.md §f.4), and the reply replaces the rest of the document; a failed request runs `<Error>`.
   */
  async remoteGather(
    el: ElementOf<"Gather">,
    path: string,
    base: string,
    digits: string,
    attempt: number,
    error: Indexed | undefined,
  ): Promise<Flow> {
    const rt = this.rt;
    const p = el.props;
    const url = appendQuery(resolveUrl(p.remoteUrl!, base), {
      dtmf: digits,
      code: digits,
      success: String(digits !== ""),
      attempts: String(attempt),
      ...this.callParams(),
    });
    const body = p.method === "POST" ? { history: rt.history(), call: rt.call } : undefined;
    const got = await fetchFlow(rt.fetch, rt.wait, { purpose: "gather", method: p.method, url, body, timeoutMs: rt.requestTimeoutMs });
    return this.afterFetch(got, el, path, base, rt.requestTimeoutMs, error);
  }

  // ---- Callback ------------------------------------------------------------------------

  /** docs/opentact.md §b.13: fetch a flow; its document replaces the rest, a failure runs `<Error>`. */
  private async callback(el: ElementOf<"Callback">, path: string, base: string): Promise<Flow> {
    const rt = this.rt;
    const p = el.props;
    const params = { ...this.callParams(), to: rt.call.to, ...(p.tag !== undefined ? { tag: p.tag } : {}) };
    const url = appendQuery(resolveUrl(p.url, base), params);
    if (p.body && p.method === "GET")
      rt.note(`<${el.name} body="true" method="GET">: a GET carries no body; the call data goes in the query only`, path);
    const body = p.body ? { call: rt.call } : undefined;
    const got = await fetchFlow(rt.fetch, rt.wait, { purpose: "callback", method: p.method, url, body, timeoutMs: p.timeoutMs });
    return this.afterFetch(got, el, path, base, p.timeoutMs, undefined);
  }

  private async afterFetch(
    got: FlowFetch,
    el: ElementNode,
    path: string,
    base: string,
    timeoutMs: number,
    handler: Indexed | undefined,
  ): Promise<Flow> {
    const rt = this.rt;
    rt.trace("REQUEST", got.detail, path);
    if (got.ok) {
      for (const d of got.problems.filter((x) => x.severity === "error").slice(0, 5)) {
        rt.note(`the fetched document has a problem at ${d.line}:${d.col}: ${d.message}`, path);
      }
      await this.play.done(el, path, true, "Fetched a new call flow");
      return { kind: "replace", document: got.document, url: got.url };
    }
    // The platform waited the whole timeout before giving up.
    if (got.failure === "timeout") rt.clock.advance(timeoutMs);
    await this.play.done(el, path, false, got.message);
    return this.runError(el, path, base, got.message, handler);
  }

  // ---- conditions ----------------------------------------------------------------------

  private async condition(
    el: ElementOf<"Call" | "Geo" | "Schedule">,
    path: string,
    base: string,
    tag: "Call" | "Geo" | "Schedule",
    result: ConditionResult,
  ): Promise<Flow> {
    this.rt.trace("CONDITION", { tag, matched: result.matched, why: result.why }, path);
    await this.play.done(el, path, true, result.matched ? `Condition met: ${result.why}` : `Condition not met: ${result.why}`);
    if (!result.matched) return NEXT;
    return this.runBlock(indexed(el, path), base);
  }
}

function placeOf(kind: TagKind): string {
  switch (kind) {
    case "To":
    case "Sip":
    case "Number":
      return "<Dial>";
    case "DTMF":
    case "Switch":
      return "<Gather>";
    case "Case":
      return "<Switch>";
    case "Default":
      return "<Gather> or <Switch>";
    default:
      return "the document root";
  }
}

export { CallInterrupted };
