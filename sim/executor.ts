/**
 * The executor: walks Opentact Call Flow XML top to bottom the way the platform does (docs/opentact.md §b.0)
 * and reports every step. It holds no call state of its own; everything lives in the `Runtime`
 * the call hands it, so it can run a whole document, a document that replaced the rest, or a
 * fragment of commands delivered later to a parked call, all against the same call.
 */
import type { CallEntity } from "../src/events/shapes.ts";
import { elementChildren, type ElementNode, type ElementOf, type FlowDocument, type TagKind } from "../src/xml/index.ts";
import { CallInterrupted, type VirtualClock } from "./clock.ts";
import type { ScriptedCaller } from "./caller.ts";
import { evaluateCall, evaluateGeo, evaluateSchedule, type ConditionResult } from "./conditions.ts";
import type { FlowCommandResult } from "./events.ts";
import { collectDigits, pickBranch, type Collected } from "./gather.ts";
import { appendQuery, fetchFlow, redactUrl, type FetchLike, type FlowFetch, type WaitLike } from "./http.ts";
import { ANY_KEY, type LiveCaller, type Passed } from "./live.ts";
import type { CallerInput, CallerLocation, DialOutcome, Timing, TraceDetails, TraceEntry, TraceKind } from "./types.ts";

/** What running a command (or a block of them) leaves the call to do next. */
export type Flow =
  | { kind: "next" }
  /** A fetched document replaces the rest of the current one (docs/opentact.md §a.3 [R]). */
  | { kind: "replace"; document: FlowDocument; url: string }
  /** `<Hangup/>` ran. */
  | { kind: "hangup"; tag?: string };

const NEXT: Flow = { kind: "next" };

/** A recording started by `<Record>` / `<RecordStart>`, kept so `<Play record>` can play it. */
export interface Recording {
  tag: string;
  startedAt: number;
  timeoutMs?: number;
  durationMs?: number;
}

/** Everything the executor needs from the call it runs in. */
export interface Runtime {
  readonly clock: VirtualClock;
  readonly caller: ScriptedCaller;
  readonly timing: Timing;
  /** The live call entity; read for conditions and request parameters. */
  readonly call: CallEntity;
  readonly fetch: FetchLike;
  readonly wait: WaitLike;
  /** Zone for `<Schedule>` blocks without `tz`. */
  readonly timezone: string;
  /** Timeout for `<Gather url>` requests (the platform's own request timeout). */
  readonly requestTimeoutMs: number;
  /** How long an answered Dial stays bridged. */
  readonly talkMs: number;
  readonly recordings: Map<string, Recording>;
  location(): CallerLocation | undefined;
  /** Record a step; answers the entry as recorded (a live call fills in what it learns later, e.g. that a key cut a prompt short). */
  trace<K extends TraceKind>(kind: K, detail: TraceDetails[K], path?: string): TraceEntry;
  note(message: string, path?: string): void;
  /** Count a command against the step limit; throws `CallInterrupted` past it. */
  step(): void;
  /** Answer the call if it is not live yet. */
  goLive(): Promise<void>;
  flowEvent(result: FlowCommandResult): Promise<void>;
  /** Per-command results so far, for the POST body of a dialect-A Gather callback (docs/opentact.md §b.6). */
  history(): unknown[];
  /** A caller at a real keypad (sim/live.ts): time passes for real and keys come as pressed. Absent: the scripted caller. */
  readonly live?: LiveCaller;
}

const PROMPT_KINDS: ReadonlySet<TagKind> = new Set(["Say", "Play", "Pause"]);
/** Tags that only mean something inside a particular parent. */
const _PLACED_KINDS: ReadonlySet<TagKind> = new Set(["To", "Sip", "Number", "DTMF", "Case", "Switch", "Default", "Response"]);

type Indexed<T extends ElementNode = ElementNode> = { el: T; path: string };

function childPath(parent: string, el: ElementNode, index: number): string {
  const own = `${el.name}[${index}]`;
  return parent ? `${parent}/${own}` : own;
}

/** Element children with their command paths (`Gather[1]/Switch[0]/Case[2]`). */
function indexed(el: ElementNode, parentPath: string): Indexed[] {
  return elementChildren(el).map((child, i) => ({ el: child, path: childPath(parentPath, child, i) }));
}

function roundTo100(ms: number): number {
  return Math.round(ms / 100) * 100;
}

function resolveUrl(url: string, base: string): string {
  try {
    return new URL(url, base).toString();
  } catch {
    return url;
  }
}

export class Executor {
  private readonly rt: Runtime;

  constructor(runtime: Runtime) {
    this.rt = runtime;
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

  private async runBlock(commands: Indexed[], base: string): Promise<Flow> {
    for (const { el, path } of commands) {
      const flow = await this.runCommand(el, path, base);
      if (flow.kind !== "next") return flow;
    }
    return NEXT;
  }

  /** Durations of speech: a rough speaking rate, so transcripts show believable times. */
  sayMs(text: string): number {
    return roundTo100(Math.max(this.rt.timing.sayMinMs, text.length * this.rt.timing.sayPerCharMs));
  }

  private async done(el: ElementNode, path: string, success: boolean, reason: string): Promise<void> {
    const tag = "tag" in el.props && typeof el.props.tag === "string" ? el.props.tag : undefined;
    await this.rt.flowEvent({ name: el.name, success, reason, path, tag });
  }

  private async runCommand(el: ElementNode, path: string, base: string): Promise<Flow> {
    const rt = this.rt;
    if (el.kind === "Error") return NEXT; // a handler, run by its parent when the parent fails
    if (rt.live?.hungUp) this.liveHangup();
    rt.clock.check();
    rt.step();
    switch (el.kind) {
      case "Answer": {
        const alreadyLive = rt.call.state === "live";
        await rt.goLive();
        const entry = rt.trace("ANSWER", { delayMs: el.props.delayMs, alreadyLive, ...tagOf(el.props) }, path);
        await this.done(el, path, true, alreadyLive ? "Call already answered" : "Call answered");
        await this.elapse(el.props.delayMs, entry);
        return NEXT;
      }
      case "Hangup":
        await this.done(el, path, true, el.props.tag ? `Hangup: ${el.props.tag}` : "Hangup");
        return { kind: "hangup", ...tagOf(el.props) };
      case "Say":
      case "Play":
      case "Pause":
        return this.prompt(el, path, base);
      case "Record":
        return this.record(el, path, base);
      case "RecordStart":
        this.startRecording(el.props.tag ?? "", undefined, path);
        await this.done(el, path, true, "Recording started");
        return NEXT;
      case "RecordStop": {
        const stopped = this.stopRecordings(path);
        await this.done(el, path, stopped > 0, stopped > 0 ? "Recording stopped" : "No recording in progress");
        return NEXT;
      }
      case "RecordWait":
        // The sub-command's attributes were never captured (docs/opentact.md §b.11, f.15): reported, no-op.
        rt.trace("RECORD", { action: "wait", ...tagOf(el.props) }, path);
        await this.done(el, path, true, "RecordWait (no documented behaviour; nothing to wait for)");
        return NEXT;
      case "Dial":
        return this.dial(el, path, base);
      case "Gather":
        return this.gather(el, path, base);
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
        await this.done(el, path, true, "Call on hold");
        return NEXT;
      case "Unhold":
        rt.trace("UNHOLD", { ...tagOf(el.props) }, path);
        await this.done(el, path, true, "Call resumed");
        return NEXT;
      case "Curl":
      case "Meta":
      case "Tone":
      case "Unknown":
        // docs/opentact.md §f.16: skip with a failed call_flow event, never abort the document.
        rt.note(`skipped <${el.name}>: unsupported command`, path);
        await this.done(el, path, false, "unsupported command");
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

  /** How long a prompt plays on the virtual clock, and why it cannot play (Play record=x). */
  private promptLength(el: ElementOf<"Say" | "Play" | "Pause">): { ms: number; failure?: string } {
    switch (el.kind) {
      case "Say":
        return { ms: this.sayMs(el.props.text) * el.props.loop };
      case "Play": {
        if (el.props.record !== undefined) {
          const rec = this.rt.recordings.get(el.props.record);
          if (!rec) return { ms: 0, failure: `no recording tagged "${el.props.record}"` };
          const length = rec.durationMs ?? this.rt.clock.now - rec.startedAt;
          return { ms: length * el.props.loop };
        }
        return { ms: this.rt.timing.playMs * el.props.loop };
      }
      case "Pause":
        return { ms: el.props.lengthMs };
      default: {
        const never: never = el;
        throw new Error(`not a prompt: ${(never as ElementNode).kind}`);
      }
    }
  }

  /**
   * Say, Play or Pause. Inside a Gather (`gather` given), `cutAt` is when the caller's first key
   * lands, relative to now: the prompt stops there (barge-in) and the result says so. Outside a
   * Gather, a Pause with `dtmf_stop` is an input point of its own.
   */
  private async prompt(
    el: ElementOf<"Say" | "Play" | "Pause">,
    path: string,
    base: string,
    gather?: { cutAt?: number },
  ): Promise<Flow & { playedMs?: number; interrupted?: boolean; keyed?: boolean }> {
    const rt = this.rt;
    const { ms, failure } = this.promptLength(el);
    if (failure) {
      await this.done(el, path, false, failure);
      return this.runError(el, path, base, failure);
    }
    if (el.kind === "Pause" && !gather && el.props.stopKeys) return this.stoppablePause(el, path);
    if (rt.live) {
      // Live: the prompt is on record while it plays; a key (in a Gather) may cut it short.
      const entry = this.tracePrompt(el, path, ms, undefined);
      const passed = await this.elapse(ms, entry, gather ? ANY_KEY : undefined);
      const interrupted = passed.stoppedBy !== undefined && passed.playedMs < ms;
      if (interrupted) markCut(entry, passed.playedMs);
      await this.done(el, path, true, interrupted ? "Interrupted by DTMF" : `${el.name} finished`);
      return { kind: "next", playedMs: passed.playedMs, interrupted, keyed: passed.stoppedBy !== undefined };
    }
    const cutAt = gather?.cutAt;
    const interrupted = cutAt !== undefined && cutAt < ms;
    const playedMs = interrupted ? cutAt : ms;
    this.tracePrompt(el, path, ms, interrupted ? playedMs : undefined);
    rt.clock.advance(playedMs);
    await this.done(el, path, true, interrupted ? "Interrupted by DTMF" : `${el.name} finished`);
    return { kind: "next", playedMs, interrupted };
  }

  /** The SAY, PLAY or PAUSE entry of a prompt `ms` long; `cutAfter` when a key stopped it there. */
  private tracePrompt(el: ElementOf<"Say" | "Play" | "Pause">, path: string, ms: number, cutAfter: number | undefined): TraceEntry {
    const rt = this.rt;
    const interrupted = cutAfter !== undefined;
    switch (el.kind) {
      case "Say": {
        const p = el.props;
        return rt.trace(
          "SAY",
          {
            text: p.text,
            lang: p.lang,
            voiceType: p.voiceType,
            gender: p.gender,
            ...(p.code !== undefined ? { code: p.code } : {}),
            loop: p.loop,
            durationMs: ms,
            ...(interrupted ? { interrupted } : {}),
            ...tagOf(p),
          },
          path,
        );
      }
      case "Play": {
        const p = el.props;
        return rt.trace(
          "PLAY",
          {
            ...(p.url !== undefined && p.record === undefined ? { url: p.url } : {}),
            ...(p.record !== undefined ? { record: p.record } : {}),
            loop: p.loop,
            durationMs: ms,
            ...(interrupted ? { interrupted } : {}),
            ...tagOf(p),
          },
          path,
        );
      }
      case "Pause":
        return rt.trace(
          "PAUSE",
          { lengthMs: ms, stopKeys: el.props.stopKeys, ...(interrupted ? { stoppedAfterMs: cutAfter } : {}), ...tagOf(el.props) },
          path,
        );
      default: {
        const never: never = el;
        throw new Error(`not a prompt: ${(never as ElementNode).kind}`);
      }
    }
  }

  /**
   * `ms` of the call pass on the virtual clock — for a live caller in real time too, ended early
   * by one of `stopKeys` or by the caller hanging up. `entry` is what plays meanwhile.
   */
  private async elapse(ms: number, entry: TraceEntry | null, stopKeys?: string): Promise<Passed> {
    const live = this.rt.live;
    if (!live) {
      this.rt.clock.advance(ms);
      return { playedMs: ms, keys: "" };
    }
    const passed = await live.pass({ entry, ms, at: this.rt.clock.now, ...(stopKeys !== undefined ? { stopKeys } : {}) });
    this.rt.clock.advance(passed.playedMs);
    if (passed.hangup) this.liveHangup();
    return passed;
  }

  /** The live caller hung up: the call ends now. */
  private liveHangup(): never {
    const deadline = { at: this.rt.clock.now, cause: "caller-hangup" as const, reason: "the caller hung up" };
    this.rt.clock.addDeadline(deadline);
    throw new CallInterrupted(deadline);
  }

  /** `<Pause dtmf_stop>`: the next scripted entry may end it early (docs/opentact.md §b.10). */
  private async stoppablePause(el: ElementOf<"Pause">, path: string): Promise<Flow> {
    const rt = this.rt;
    const { lengthMs, stopKeys } = el.props;
    if (rt.live) return this.liveStoppablePause(el, path, rt.live);
    const input = rt.caller.takeInput();
    const start = rt.clock.now;
    if (input.hangup) this.callerHangsUp(start + (input.afterMs ?? rt.timing.reactionMs));
    let stopAt: number | undefined;
    let pressed = "";
    if (input.digits) {
      const pressAt = input.afterMs ?? rt.timing.reactionMs;
      for (let i = 0; i < input.digits.length; i++) {
        const at = pressAt + i * rt.timing.interDigitMs;
        if (at >= lengthMs) break;
        pressed += input.digits[i];
        if (stopKeys.includes(input.digits[i]!)) {
          stopAt = at;
          break;
        }
      }
      const late = input.digits.slice(pressed.length);
      rt.trace("PAUSE", { lengthMs, stopKeys, ...(stopAt !== undefined ? { stoppedAfterMs: stopAt } : {}), ...tagOf(el.props) }, path);
      if (pressed) {
        rt.clock.advanceTo(start + pressAt);
        rt.trace("DTMF", { keys: pressed, ...(stopAt === undefined && late ? { ignored: late } : {}) }, path);
      }
      if (stopAt === undefined && late && !pressed) rt.note(`caller pressed ${late} only after the pause had ended`, path);
    } else {
      rt.trace("PAUSE", { lengthMs, stopKeys, ...tagOf(el.props) }, path);
    }
    rt.clock.advanceTo(start + (stopAt ?? lengthMs));
    await this.done(el, path, true, stopAt !== undefined ? `Stopped by DTMF ${pressed.slice(-1)}` : "Pause finished");
    return NEXT;
  }

  /**
   * A scripted hang-up at an input point: the call ends at virtual time `at` (now, if that has
   * passed). With `now` false the deadline is only set, so the prompts playing until then still run.
   */
  private callerHangsUp(at: number, now = true): void {
    const deadline = { at: Math.max(at, this.rt.clock.now), cause: "caller-hangup" as const, reason: "the caller hung up" };
    this.rt.clock.addDeadline(deadline);
    if (now) {
      this.rt.clock.advanceTo(deadline.at);
      this.rt.clock.check();
    }
  }

  /** `<Pause dtmf_stop>` with a live caller: it waits in real time until one of its keys is pressed. */
  private async liveStoppablePause(el: ElementOf<"Pause">, path: string, live: LiveCaller): Promise<Flow> {
    const rt = this.rt;
    const { lengthMs, stopKeys } = el.props;
    const start = rt.clock.now;
    live.openInput(start);
    const entry = rt.trace("PAUSE", { lengthMs, stopKeys, ...tagOf(el.props) }, path);
    let passed: Passed;
    try {
      passed = await live.pass({ entry, ms: lengthMs, at: start, stopKeys });
    } finally {
      live.closeInput();
    }
    if (passed.keys) {
      rt.clock.advanceTo(start + (passed.firstKeyAt ?? passed.playedMs));
      rt.trace("DTMF", { keys: passed.keys }, path);
    }
    rt.clock.advanceTo(start + passed.playedMs);
    if (passed.hangup) this.liveHangup();
    const stopped = passed.stoppedBy !== undefined && passed.playedMs < lengthMs;
    if (stopped) markCut(entry, passed.playedMs);
    await this.done(el, path, true, stopped ? `Stopped by DTMF ${passed.stoppedBy}` : "Pause finished");
    return NEXT;
  }

  // ---- Error blocks --------------------------------------------------------------------

  /** Run a failed command's `<Error>` child (docs/opentact.md §b.9); without one, carry on. */
  private async runError(
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
      const ms = this.sayMs(reason);
      const entry = this.rt.trace(
        "SAY",
        { text: reason, lang: "en-US", voiceType: "Standard", gender: "FEMALE", loop: 1, durationMs: ms },
        found.path,
      );
      await this.elapse(ms, entry);
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
      await this.done(el, path, true, "Recording started");
      return NEXT;
    }
    const flow = await this.runBlock(body, base);
    const rec = this.rt.recordings.get(el.props.tag ?? "");
    if (rec && rec.durationMs === undefined) {
      const ran = this.rt.clock.now - rec.startedAt;
      rec.durationMs = el.props.timeoutMs !== undefined ? Math.min(ran, el.props.timeoutMs) : ran;
      this.rt.trace("RECORD", { action: "stop", ...(rec.tag ? { tag: rec.tag } : {}), durationMs: rec.durationMs }, path);
    }
    await this.done(el, path, true, "Recording finished");
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
      if (rt.live) await this.elapse(rt.timing.dialRingMs + rt.talkMs, entry);
      else {
        rt.clock.advance(rt.timing.dialRingMs);
        rt.clock.advance(rt.talkMs);
      }
      // The dialled leg hung up; the flow continues after </Dial> (docs/opentact.md §b.12).
      await this.done(el, path, true, `Bridged to ${answered.target}`);
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
    await this.elapse(waited, entry);
    await this.done(el, path, false, reason);
    return this.runError(el, path, base, reason);
  }

  // ---- Gather --------------------------------------------------------------------------

  /**
   * docs/opentact.md §b.6 in both dialects: play the prompts, collect keys, then branch locally
   * (gather.ts's state table) or send the keys to the Gather's URL and run its reply.
   */
  private async gather(el: ElementOf<"Gather">, path: string, base: string): Promise<Flow> {
    const rt = this.rt;
    const p = el.props;
    const direct = indexed(el, path);
    const inSwitch = direct.filter((c) => c.el.kind === "Switch").flatMap((c) => indexed(c.el, c.path));
    const all = [...direct, ...inSwitch];
    const prompts = direct.filter((c): c is Indexed<ElementOf<"Say" | "Play" | "Pause">> => PROMPT_KINDS.has(c.el.kind));
    const branches = all.filter((c): c is Indexed<ElementOf<"DTMF" | "Case">> => c.el.kind === "DTMF" || c.el.kind === "Case");
    const fallback = all.find((c) => c.el.kind === "Default");
    const error = all.find((c) => c.el.kind === "Error");
    for (const nested of direct.filter((c) => c.el.kind === "Gather")) {
      rt.note(`skipped <${nested.el.name}> placed directly inside <${el.name}>; nest it in a branch to run it`, nested.path);
    }
    for (let attempt = 1; attempt <= p.attempts; attempt++) {
      rt.clock.check();
      if (attempt > 1) rt.step();
      rt.trace(
        "GATHER",
        {
          attempt,
          attempts: p.attempts,
          maxDigits: p.maxDigits,
          finishKey: p.finishKey,
          timeoutMs: p.timeoutMs,
          dialect: p.dialect,
          ...(p.remoteUrl ? { remoteUrl: redactUrl(resolveUrl(p.remoteUrl, base)) } : {}),
          ...tagOf(p),
        },
        path,
      );
      const start = rt.clock.now;
      // A live caller plays the prompts and enters keys in real time; a script knows its keys up front.
      const heard = rt.live ? await this.liveAttempt(rt.live, prompts, base, p, start) : null;
      if (heard && "kind" in heard) return heard;
      const input: CallerInput = heard ? { digits: "" } : rt.caller.takeInput();
      if (input.hangup && input.afterMs !== undefined) this.callerHangsUp(start + input.afterMs, false);
      // Only an explicit early key interrupts the prompts; by default the caller lets them finish.
      const bargeAt = input.digits && input.afterMs !== undefined ? input.afterMs : Infinity;
      let promptsMs = 0;
      for (const pr of heard ? [] : prompts) {
        const cut = bargeAt - promptsMs;
        const flow = await this.prompt(pr.el, pr.path, base, Number.isFinite(cut) ? { cutAt: Math.max(0, cut) } : {});
        if (flow.kind !== "next") return flow;
        promptsMs += flow.playedMs ?? 0;
        if (flow.interrupted) break;
      }
      if (input.hangup) this.callerHangsUp(rt.clock.now + rt.timing.reactionMs);
      const got =
        heard ?? collectDigits({ maxDigits: p.maxDigits, finishKey: p.finishKey, timeoutMs: p.timeoutMs }, input, promptsMs, rt.timing);
      if (got.firstKeyAt !== undefined) {
        rt.clock.advanceTo(start + got.firstKeyAt);
        rt.trace("DTMF", { keys: got.pressed, ...(got.ignored ? { ignored: got.ignored } : {}) }, path);
      }
      rt.clock.advanceTo(start + got.endAt);
      if (got.endedBy === "timeout") {
        rt.trace("TIMEOUT", { afterMs: p.timeoutMs, digits: got.digits }, path);
      }
      if (got.late) rt.note(`caller pressed ${got.late} only after the Gather had stopped listening`, path);

      if (p.remoteUrl) return this.remoteGather(el, path, base, got.digits, attempt, error);

      const decision = pickBranch({
        digits: got.digits,
        attempt,
        attempts: p.attempts,
        values: branches.map((b) => b.el.props.value),
        hasDefault: fallback !== undefined,
        hasError: error !== undefined,
      });
      await this.done(el, path, got.digits !== "", decision.why);
      switch (decision.kind) {
        case "branch": {
          const chosen = branches[decision.index]!;
          rt.trace("BRANCH", { branch: chosen.el.kind, digits: got.digits, value: decision.value, why: decision.why }, chosen.path);
          return this.runBlock(indexed(chosen.el, chosen.path), base);
        }
        case "default":
          rt.trace("BRANCH", { branch: "Default", digits: got.digits, why: decision.why }, fallback!.path);
          return this.runBlock(indexed(fallback!.el, fallback!.path), base);
        case "error":
          rt.trace("BRANCH", { branch: "Error", digits: got.digits, why: decision.why }, error!.path);
          return this.runError(el, path, base, decision.why, error, true);
        case "reprompt":
          rt.trace("BRANCH", { branch: "none", digits: got.digits, why: `${decision.why}: replaying the prompts` }, path);
          continue;
        case "fallthrough":
          rt.trace("BRANCH", { branch: "none", digits: got.digits, why: decision.why }, path);
          return NEXT;
        default: {
          const never: never = decision;
          throw new Error(`unhandled decision ${JSON.stringify(never)}`);
        }
      }
    }
    return NEXT;
  }

  /**
   * One Gather attempt with a live caller: the prompts play until a key cuts them short, then the
   * keys are collected as they come. Answers what was entered (times from `start`), or how the
   * call went on when a prompt failed or the caller hung up.
   */
  private async liveAttempt(
    live: LiveCaller,
    prompts: Indexed<ElementOf<"Say" | "Play" | "Pause">>[],
    base: string,
    p: ElementOf<"Gather">["props"],
    start: number,
  ): Promise<Collected | Flow> {
    live.openInput(start);
    let promptsMs = 0;
    for (const pr of prompts) {
      const flow = await this.prompt(pr.el, pr.path, base, {});
      if (flow.kind !== "next") {
        live.closeInput();
        return flow;
      }
      promptsMs += flow.playedMs ?? 0;
      if (flow.keyed) break;
    }
    const got = await live.collect({ spec: { maxDigits: p.maxDigits, finishKey: p.finishKey, timeoutMs: p.timeoutMs }, start, promptsMs });
    if ("hangup" in got) {
      this.rt.clock.advanceTo(start + got.at);
      this.liveHangup();
    }
    return got;
  }

  /** The call's parameters every remote request carries (docs/opentact.md §b.6, b.13 [R]). */
  private callParams(): Record<string, string> {
    const c = this.rt.call;
    return { from: c.from, tn: c.to, state: c.state, sca: c.sip_control_app?.uuid ?? "", call: c.uuid };
  }

  /**
   * A url Gather sends what was entered after each attempt, with both parameter families
   * (docs/opentact.md §f.4), and the reply replaces the rest of the document; a failed request runs `<Error>`.
   */
  private async remoteGather(
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
      await this.done(el, path, true, "Fetched a new call flow");
      return { kind: "replace", document: got.document, url: got.url };
    }
    // The platform waited the whole timeout before giving up.
    if (got.failure === "timeout") rt.clock.advance(timeoutMs);
    await this.done(el, path, false, got.message);
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
    await this.done(el, path, true, result.matched ? `Condition met: ${result.why}` : `Condition not met: ${result.why}`);
    if (!result.matched) return NEXT;
    return this.runBlock(indexed(el, path), base);
  }
}

/** A prompt a key stopped `after` ms in: the entry says so (a live call learns it after recording the entry). */
function markCut(entry: TraceEntry, after: number): void {
  if (entry.kind === "SAY" || entry.kind === "PLAY") entry.detail.interrupted = true;
  else if (entry.kind === "PAUSE") entry.detail.stoppedAfterMs = after;
}

function tagOf(props: { tag?: string }): { tag?: string } {
  return props.tag !== undefined ? { tag: props.tag } : {};
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
