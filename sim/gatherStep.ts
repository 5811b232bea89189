/**
 * `<Gather>` in the simulator, both dialects (docs/opentact.md §b.6): the prompts, the keys the
 * caller enters (scripted up front, or live as pressed), then a local branch (sim/gather.ts's
 * state table) or the keys sent to the Gather's URL.
 */
import type { ElementOf } from "../src/xml/index.ts";
import { collectDigits, pickBranch, type Collected } from "./gather.ts";
import { redactUrl } from "./http.ts";
import type { LiveCaller } from "./live.ts";
import type { Playback } from "./playback.ts";
import { indexed, NEXT, resolveUrl, tagOf, type Flow, type Indexed, type Runtime } from "./runtime.ts";
import type { CallerInput } from "./types.ts";

const PROMPT_KINDS: ReadonlySet<string> = new Set(["Say", "Play", "Pause"]);

type Prompted = Flow & { playedMs?: number; interrupted?: boolean; keyed?: boolean };

/** What a Gather needs from the executor running it. */
export interface GatherHost {
  readonly rt: Runtime;
  readonly play: Playback;
  prompt(el: ElementOf<"Say" | "Play" | "Pause">, path: string, base: string, gather?: { cutAt?: number }): Promise<Prompted>;
  runBlock(commands: Indexed[], base: string): Promise<Flow>;
  runError(
    parent: ElementOf<"Gather">,
    parentPath: string,
    base: string,
    reason: string,
    handler?: Indexed,
    announced?: boolean,
  ): Promise<Flow>;
  remoteGather(
    el: ElementOf<"Gather">,
    path: string,
    base: string,
    digits: string,
    attempt: number,
    error: Indexed | undefined,
  ): Promise<Flow>;
}

/**
 * docs/opentact.md §b.6 in both dialects: play the prompts, collect keys, then branch locally
 * (gather.ts's state table) or send the keys to the Gather's URL and run its reply.
 */
export async function runGather(ex: GatherHost, el: ElementOf<"Gather">, path: string, base: string): Promise<Flow> {
  const rt = ex.rt;
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
    const heard = rt.live ? await liveAttempt(ex, rt.live, prompts, base, p, start) : null;
    if (heard && "kind" in heard) return heard;
    const input: CallerInput = heard ? { digits: "" } : rt.caller.takeInput();
    if (input.hangup && input.afterMs !== undefined) ex.play.callerHangsUp(start + input.afterMs, false);
    // Only an explicit early key interrupts the prompts; by default the caller lets them finish.
    const bargeAt = input.digits && input.afterMs !== undefined ? input.afterMs : Infinity;
    let promptsMs = 0;
    for (const pr of heard ? [] : prompts) {
      const cut = bargeAt - promptsMs;
      const flow = await ex.prompt(pr.el, pr.path, base, Number.isFinite(cut) ? { cutAt: Math.max(0, cut) } : {});
      if (flow.kind !== "next") return flow;
      promptsMs += flow.playedMs ?? 0;
      if (flow.interrupted) break;
    }
    if (input.hangup) ex.play.callerHangsUp(rt.clock.now + rt.timing.reactionMs);
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

    if (p.remoteUrl) return ex.remoteGather(el, path, base, got.digits, attempt, error);

    const decision = pickBranch({
      digits: got.digits,
      attempt,
      attempts: p.attempts,
      values: branches.map((b) => b.el.props.value),
      hasDefault: fallback !== undefined,
      hasError: error !== undefined,
    });
    await ex.play.done(el, path, got.digits !== "", decision.why);
    switch (decision.kind) {
      case "branch": {
        const chosen = branches[decision.index]!;
        rt.trace("BRANCH", { branch: chosen.el.kind, digits: got.digits, value: decision.value, why: decision.why }, chosen.path);
        return ex.runBlock(indexed(chosen.el, chosen.path), base);
      }
      case "default":
        rt.trace("BRANCH", { branch: "Default", digits: got.digits, why: decision.why }, fallback!.path);
        return ex.runBlock(indexed(fallback!.el, fallback!.path), base);
      case "error":
        rt.trace("BRANCH", { branch: "Error", digits: got.digits, why: decision.why }, error!.path);
        return ex.runError(el, path, base, decision.why, error, true);
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
async function liveAttempt(
  ex: GatherHost,
  live: LiveCaller,
  prompts: Indexed<ElementOf<"Say" | "Play" | "Pause">>[],
  base: string,
  p: ElementOf<"Gather">["props"],
  start: number,
): Promise<Collected | Flow> {
  live.openInput(start);
  let promptsMs = 0;
  for (const pr of prompts) {
    const flow = await ex.prompt(pr.el, pr.path, base, {});
    if (flow.kind !== "next") {
      live.closeInput();
      return flow;
    }
    promptsMs += flow.playedMs ?? 0;
    if (flow.keyed) break;
  }
  const got = await live.collect({ spec: { maxDigits: p.maxDigits, finishKey: p.finishKey, timeoutMs: p.timeoutMs }, start, promptsMs });
  if ("hangup" in got) {
    ex.rt.clock.advanceTo(start + got.at);
    ex.play.liveHangup();
  }
  return got;
}
