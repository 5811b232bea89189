/**
 * What the phone's caller hears: `<Say>` through the browser's speech synthesis, `<Play>` through
 * an audio element, everything else (a pause, ringing, a bridge) as a wait. When speech is
 * muted or the browser has none, the text is shown for as long as the simulator says it takes.
 */
import type { Player } from "../../../sim/live.ts";
import type { TraceEntry } from "../../../sim/types.ts";

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

/** Names that say a voice's gender where the platform's voices would (browsers don't expose it). */
const FEMALE =
  /female|woman|zira|samantha|victoria|karen|moira|tessa|fiona|susan|hazel|heather|aria|jenny|libby|sonia|amelie|anna|helena|monica|paulina|luciana|joana|alice|sara|nora|ellen|kyoko|ting|mei|yuna|heami/i;
const MALE =
  /\bmale\b|\bman\b|david|mark|daniel|alex|fred|george|guy|ryan|thomas|jorge|diego|juan|luca|yannick|ralf|otto|kenji|rishi|aaron|arthur|james/i;

/** The voice closest to the platform's `lang` and `gender`: same language and region, else same language; gender by name. */
export function pickVoice(voices: readonly SpeechSynthesisVoice[], lang: string, gender: string): SpeechSynthesisVoice | null {
  const want = lang.toLowerCase().replace("_", "-");
  const base = want.split("-")[0]!;
  const norm = (v: SpeechSynthesisVoice) => v.lang.toLowerCase().replace("_", "-");
  const exact = voices.filter((v) => norm(v) === want);
  const sameLanguage = exact.length ? exact : voices.filter((v) => norm(v).split("-")[0] === base);
  if (!sameLanguage.length) return null;
  const wantsMale = /^m/i.test(gender);
  const byGender = sameLanguage.filter((v) => (wantsMale ? MALE.test(v.name) && !FEMALE.test(v.name) : FEMALE.test(v.name)));
  return byGender.find((v) => v.localService) ?? byGender[0] ?? sameLanguage.find((v) => v.default) ?? sameLanguage[0] ?? null;
}

export interface Speech {
  /** The browser has speech synthesis with at least one voice. */
  available: boolean;
  voices: SpeechSynthesisVoice[];
}

/** The browser's speech synthesis, and its voices once they have loaded. */
export function speechSupport(): Speech {
  const synth = typeof speechSynthesis === "undefined" ? null : speechSynthesis;
  const voices = synth?.getVoices() ?? [];
  return { available: !!synth && voices.length > 0, voices };
}

export class BrowserPlayer implements Player {
  muted = false;
  /** Told what is being presented, and whether it is heard or only shown. */
  private readonly onShow: (entry: TraceEntry | null, heard: boolean) => void;

  constructor(onShow: (entry: TraceEntry | null, heard: boolean) => void) {
    this.onShow = onShow;
  }

  async play(entry: TraceEntry | null, ms: number, signal: AbortSignal): Promise<void> {
    if (entry?.kind === "SAY" && !this.muted && speechSupport().available) {
      this.onShow(entry, true);
      return this.speak(entry, ms, signal);
    }
    if (entry?.kind === "PLAY" && !this.muted && entry.detail.url) {
      this.onShow(entry, true);
      return this.audio(entry, entry.detail.url, ms, signal);
    }
    this.onShow(entry, false);
    return sleep(ms, signal);
  }

  private async speak(entry: Extract<TraceEntry, { kind: "SAY" }>, ms: number, signal: AbortSignal): Promise<void> {
    const d = entry.detail;
    const synth = speechSynthesis;
    const voice = pickVoice(synth.getVoices(), d.lang, d.gender);
    const began = performance.now();
    for (let i = 0; i < d.loop && !signal.aborted; i++) {
      const u = new SpeechSynthesisUtterance(d.text);
      u.lang = d.lang;
      if (voice) u.voice = voice;
      let started = false;
      const spoken = new Promise<void>((resolve) => {
        u.onstart = () => {
          started = true;
        };
        u.onend = () => resolve();
        u.onerror = () => resolve();
      });
      synth.speak(u);
      // A synthesiser that never starts (no audio device, a blocked autoplay) must not hang the call.
      const stalled = sleep(1500, signal).then(async (): Promise<"stalled" | undefined> => {
        if (!started && !signal.aborted) return "stalled";
        await spoken;
        return undefined;
      });
      const onAbort = () => synth.cancel();
      signal.addEventListener("abort", onAbort, { once: true });
      const how = await Promise.race([stalled, spoken.then(() => undefined), sleep(Math.max(ms, 2000) * 3, signal).then(() => undefined)]);
      signal.removeEventListener("abort", onAbort);
      if (how === "stalled") {
        synth.cancel();
        this.onShow(entry, false);
        return sleep(ms - (performance.now() - began), signal);
      }
    }
    if (signal.aborted) synth.cancel();
    // Muted halfway: the text stays on screen for the rest of its time.
    else if (this.muted) {
      this.onShow(entry, false);
      await sleep(ms - (performance.now() - began), signal);
    }
  }

  private async audio(entry: Extract<TraceEntry, { kind: "PLAY" }>, url: string, ms: number, signal: AbortSignal): Promise<void> {
    const loop = entry.detail.loop;
    const began = performance.now();
    const el = new Audio();
    el.preload = "auto";
    const stop = () => el.pause();
    signal.addEventListener("abort", stop, { once: true });
    try {
      for (let i = 0; i < loop && !signal.aborted; i++) {
        el.src = url;
        const ended = new Promise<boolean>((resolve) => {
          el.onended = () => resolve(true);
          el.onerror = () => resolve(false);
        });
        const ok = await el.play().then(
          () => ended,
          () => false,
        );
        if (!ok) {
          // Not playable here (CORS, a format, the page's policy): show it for the simulator's time.
          this.onShow(entry, false);
          return sleep(ms - (performance.now() - began), signal);
        }
      }
    } finally {
      signal.removeEventListener("abort", stop);
      el.pause();
    }
  }
}
