/**
 * How time passes in a simulated call and what the caller hears meanwhile: the length of each
 * prompt, its trace entry, time elapsing on the virtual clock (or in real time for a live
 * caller, until a key or a hang-up), `<Pause dtmf_stop>`, and the call ending because the caller
 * hung up. The executor (sim/executor.ts) decides what runs; this part plays it.
 */
import type { ElementNode, ElementOf } from "../src/xml/index.ts";
import { CallInterrupted } from "./clock.ts";
import type { LiveCaller, Passed } from "./live.ts";
import { NEXT, tagOf, type Flow, type Runtime } from "./runtime.ts";
import type { TraceEntry } from "./types.ts";

function roundTo100(ms: number): number {
  return Math.round(ms / 100) * 100;
}

/** A prompt a key stopped `after` ms in: the entry says so (a live call learns it after recording the entry). */
export function markCut(entry: TraceEntry, after: number): void {
  if (entry.kind === "SAY" || entry.kind === "PLAY") entry.detail.interrupted = true;
  else if (entry.kind === "PAUSE") entry.detail.stoppedAfterMs = after;
}

export class Playback {
  private readonly rt: Runtime;

  constructor(runtime: Runtime) {
    this.rt = runtime;
  }

  /** Durations of speech: a rough speaking rate, so transcripts show believable times. */
  sayMs(text: string): number {
    return roundTo100(Math.max(this.rt.timing.sayMinMs, text.length * this.rt.timing.sayPerCharMs));
  }

  async done(el: ElementNode, path: string, success: boolean, reason: string): Promise<void> {
    const tag = "tag" in el.props && typeof el.props.tag === "string" ? el.props.tag : undefined;
    await this.rt.flowEvent({ name: el.name, success, reason, path, tag });
  }

  /** How long a prompt plays on the virtual clock, and why it cannot play (Play record=x). */
  promptLength(el: ElementOf<"Say" | "Play" | "Pause">): { ms: number; failure?: string } {
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

  /** The SAY, PLAY or PAUSE entry of a prompt `ms` long; `cutAfter` when a key stopped it there. */
  tracePrompt(el: ElementOf<"Say" | "Play" | "Pause">, path: string, ms: number, cutAfter: number | undefined): TraceEntry {
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
  async elapse(ms: number, entry: TraceEntry | null, stopKeys?: string): Promise<Passed> {
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
  liveHangup(): never {
    const deadline = { at: this.rt.clock.now, cause: "caller-hangup" as const, reason: "the caller hung up" };
    this.rt.clock.addDeadline(deadline);
    throw new CallInterrupted(deadline);
  }

  /**
   * A scripted hang-up at an input point: the call ends at virtual time `at` (now, if that has
   * passed). With `now` false the deadline is only set, so the prompts playing until then still run.
   */
  callerHangsUp(at: number, now = true): void {
    const deadline = { at: Math.max(at, this.rt.clock.now), cause: "caller-hangup" as const, reason: "the caller hung up" };
    this.rt.clock.addDeadline(deadline);
    if (now) {
      this.rt.clock.advanceTo(deadline.at);
      this.rt.clock.check();
    }
  }

  /** `<Pause dtmf_stop>`: the next scripted entry may end it early (docs/opentact.md §b.10). */
  async stoppablePause(el: ElementOf<"Pause">, path: string): Promise<Flow> {
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

  /** `<Pause dtmf_stop>` with a live caller: it waits in real time until one of its keys is pressed. */
  async liveStoppablePause(el: ElementOf<"Pause">, path: string, live: LiveCaller): Promise<Flow> {
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
}
