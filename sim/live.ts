/**
 * A caller at a real keypad, in real time: the simulator's live side, which the console's
 * in-browser phone uses. The scripted caller knows every key before the call starts and the
 * virtual clock jumps; a live caller presses keys while prompts play, so the executor asks it
 * to let each stretch of time pass (`pass`) and to collect a Gather's keys as they come
 * (`collect`), and it answers when that happened on the call's virtual clock.
 *
 * How real time maps to the virtual clock: a stretch lasts its virtual length (a Say's length is
 * the simulator's speaking-rate estimate, whatever the speech synthesiser takes), and a key
 * pressed during it lands at the real time elapsed, capped at that length. While a Gather
 * listens after its prompts, virtual time is real time.
 *
 * {@link KeypadCaller} is the implementation: presentation (speech, audio, a countdown) is the
 * injected {@link Player}'s business; the input rules — barge-in, the Gather's timeout for the
 * first key and again after each key, the finish key, the digit limit — are here, the same as
 * `collectDigits` applies to a script, so a saved live call replays with the same decisions.
 */
import type { Collected, CollectSpec } from "./gather.ts";
import type { TraceEntry } from "./types.ts";

/** Any key ends the stretch (a Gather's prompts: barge-in). */
export const ANY_KEY = "any";

export interface PassRequest {
  /** What plays: a SAY, PLAY or PAUSE entry, a DIAL (ringing, then bridged), an ANSWER's delay; null for a plain wait. */
  entry: TraceEntry | null;
  /** Virtual length. */
  ms: number;
  /** Virtual time (ms since the call started) when it begins. */
  at: number;
  /** Keys that end it early: {@link ANY_KEY}, or the keys of a `<Pause dtmf_stop>`; none outside an input point. */
  stopKeys?: string;
}

export interface Passed {
  /** How much of `ms` passed (less when a key or a hang-up cut it short). */
  playedMs: number;
  /** Keys of the open input point pressed during it, in order. */
  keys: string;
  /** When the first of `keys` was pressed, in ms from the stretch's start. */
  firstKeyAt?: number;
  /** The first key of `stopKeys` that ended it. */
  stoppedBy?: string;
  /** The caller hung up during it. */
  hangup?: boolean;
}

export interface CollectRequest {
  spec: CollectSpec;
  /** Virtual time the input point opened (the GATHER entry). */
  start: number;
  /** Virtual length of the prompts as they played (cut short by a barge-in). */
  promptsMs: number;
}

/** The caller hung up while the Gather listened, `at` ms into the input point. */
export interface HungUp {
  hangup: true;
  at: number;
}

/** What the executor asks of a live caller. Without one, the scripted caller answers on the virtual clock alone. */
export interface LiveCaller {
  /** A Gather attempt or a `<Pause dtmf_stop>` opens an input point at virtual time `at`: keys from now on are its input. */
  openInput(at: number): void;
  /** The input point is over (a `<Pause dtmf_stop>` ended): keys reach nobody until the next one. */
  closeInput(): void;
  /** Let a stretch of the call pass in real time (or at once, when fast-forwarding). */
  pass(request: PassRequest): Promise<Passed>;
  /** After the prompts: the rest of the Gather's input, as the caller enters it. Times are from the input point's start. */
  collect(request: CollectRequest): Promise<Collected | HungUp>;
  /** The caller has hung up (between stretches: during a request, say). */
  readonly hungUp: boolean;
}

/** Presents what plays. Resolve when it is over; `signal` aborts it (a key cut it short, a hang-up, fast-forward). */
export interface Player {
  play(entry: TraceEntry | null, ms: number, signal: AbortSignal): Promise<void>;
}

/** Real time, injected so tests can run it on fake timers. */
export interface LiveTimers {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** Real time: a monotonic clock (a page that fakes `Date` for its own reasons doesn't stop a call). */
export const realTimers: LiveTimers = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const t = setTimeout(resolve, ms);
      signal.addEventListener(
        "abort",
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    }),
};

/** What the phone shows about the caller's side. */
export type KeypadState =
  | { kind: "idle" }
  /** A stretch plays; `listening` when keys count (an open input point). */
  | { kind: "playing"; entry: TraceEntry | null; ms: number; listening: boolean }
  /** A Gather waits for keys until `deadline` (on the caller's `timers.now()` clock). */
  | { kind: "waiting"; spec: CollectSpec; digits: string; deadline: number }
  | { kind: "hung-up" };

interface Key {
  key: string;
  /** Virtual ms from the input point's start. */
  at: number;
  /** Real time it was pressed. */
  real: number;
}

/** Kinds whose wait fast-forward skips: everything but speech and audio. */
const SKIPPABLE = new Set<TraceEntry["kind"]>(["PAUSE", "DIAL", "ANSWER"]);

export class KeypadCaller implements LiveCaller {
  readonly #player: Player;
  readonly #timers: LiveTimers;
  readonly #onState: (state: KeypadState) => void;
  #fastForward = false;
  #hungUp = false;
  /** The open input point: its virtual start and the keys pressed so far (not yet taken). */
  #input: { start: number; keys: Key[] } | null = null;
  /** The stretch playing now: to time keys and to be woken. */
  #current: { at: number; ms: number; real: number; entry: TraceEntry | null } | null = null;
  /** Listening after the prompts: virtual offset and real start. */
  #listening: { offset: number; real: number } | null = null;
  #silent = false;
  #wake: (() => void) | null = null;

  constructor(player: Player, options: { timers?: LiveTimers; onState?: (state: KeypadState) => void; fastForward?: boolean } = {}) {
    this.#player = player;
    this.#timers = options.timers ?? realTimers;
    this.#onState = options.onState ?? (() => {});
    this.#fastForward = options.fastForward ?? false;
  }

  get hungUp(): boolean {
    return this.#hungUp;
  }

  get fastForward(): boolean {
    return this.#fastForward;
  }

  /** Pauses, ringing and bridged time pass at once while on (speech and audio still play). */
  setFastForward(on: boolean): void {
    this.#fastForward = on;
    if (on && this.#current?.entry && SKIPPABLE.has(this.#current.entry.kind)) this.#poke();
  }

  /** A key on the keypad. Answers whether anything listened (an open input point). */
  press(key: string): boolean {
    if (this.#hungUp || !this.#input) return false;
    const real = this.#timers.now();
    let at: number;
    if (this.#listening) at = this.#listening.offset + (real - this.#listening.real);
    else if (this.#current) at = this.#current.at - this.#input.start + Math.min(real - this.#current.real, this.#current.ms);
    else at = 0;
    this.#input.keys.push({ key, at: Math.max(0, Math.round(at)), real });
    this.#poke();
    return true;
  }

  /** "Stay silent": the open input point ends as if its timeout ran out now (after the prompts). */
  staySilent(): void {
    if (!this.#input) return;
    this.#silent = true;
    this.#poke();
  }

  /** The caller hangs up: whatever plays or waits ends now. */
  hangUp(): void {
    if (this.#hungUp) return;
    this.#hungUp = true;
    this.#onState({ kind: "hung-up" });
    this.#poke();
  }

  openInput(at: number): void {
    this.#input = { start: at, keys: [] };
    this.#silent = false;
  }

  closeInput(): void {
    this.#input = null;
    this.#listening = null;
    this.#silent = false;
  }

  async pass(request: PassRequest): Promise<Passed> {
    const { entry, ms, at, stopKeys } = request;
    if (this.#hungUp) return { playedMs: 0, keys: "", hangup: true };
    const listening = !!this.#input && stopKeys !== undefined;
    const skip = () => this.#fastForward && entry !== null && SKIPPABLE.has(entry.kind);
    if (ms <= 0 || skip()) return { playedMs: Math.max(0, ms), keys: "" };
    const keysBefore = this.#input?.keys.length ?? 0;
    const stops = (k: string) => stopKeys === ANY_KEY || (!!stopKeys && stopKeys.includes(k));
    const real = this.#timers.now();
    this.#current = { at, ms, real, entry };
    this.#onState({ kind: "playing", entry, ms, listening });
    const aborter = new AbortController();
    let over = false;
    const played = this.#player.play(entry, ms, aborter.signal).then(
      () => {
        over = true;
      },
      () => {
        over = true;
      },
    );
    let stoppedBy: string | undefined;
    try {
      for (;;) {
        const heard = listening ? this.#input!.keys.slice(keysBefore) : [];
        const stop = heard.find((k) => stops(k.key));
        if (stop) {
          stoppedBy = stop.key;
          break;
        }
        if (over || this.#hungUp || skip()) break;
        await Promise.race([played, new Promise<void>((r) => (this.#wake = r))]);
        this.#wake = null;
      }
    } finally {
      aborter.abort();
      this.#current = null;
    }
    const elapsed = Math.round(Math.min(this.#timers.now() - real, ms));
    const all = listening ? this.#input!.keys.slice(keysBefore) : [];
    const stopKey = all.find((k) => stops(k.key));
    const heard = stopKey ? all.slice(0, all.indexOf(stopKey) + 1) : all;
    // Key times are from the input point's start; here they are wanted from the stretch's.
    const offset = listening ? at - this.#input!.start : 0;
    const keys = {
      keys: heard.map((k) => k.key).join(""),
      ...(heard[0] ? { firstKeyAt: Math.max(0, Math.min(ms, heard[0].at - offset)) } : {}),
    };
    if (this.#hungUp) return { playedMs: elapsed, ...keys, hangup: true };
    if (stoppedBy !== undefined && stopKey) return { playedMs: Math.max(0, Math.min(ms, stopKey.at - offset)), ...keys, stoppedBy };
    if (over || skip()) return { playedMs: ms, ...keys };
    return { playedMs: elapsed, ...keys };
  }

  async collect(request: CollectRequest): Promise<Collected | HungUp> {
    const { spec, promptsMs } = request;
    const input = this.#input ?? { start: request.start, keys: [] };
    this.#input = input;
    this.#listening = { offset: promptsMs, real: this.#timers.now() };
    let digits = "";
    let pressed = "";
    let firstKeyAt: number | undefined;
    let lastAt = promptsMs;
    let lastReal = this.#listening.real;
    let used = 0;
    const finish = (endedBy: Collected["endedBy"], endAt: number): Collected => {
      this.closeInput();
      this.#onState({ kind: "idle" });
      return { digits, pressed, ignored: "", ...(firstKeyAt !== undefined ? { firstKeyAt } : {}), endAt, endedBy };
    };
    for (;;) {
      while (used < input.keys.length) {
        const k = input.keys[used++]!;
        firstKeyAt ??= k.at;
        // A key pressed during the prompts counts from where they stopped.
        lastAt = Math.max(k.at, promptsMs);
        lastReal = Math.max(k.real, this.#listening.real);
        pressed += k.key;
        if (k.key === spec.finishKey) return finish("finish-key", lastAt);
        digits += k.key;
        if (digits.length >= spec.maxDigits) return finish("max-digits", lastAt);
      }
      if (this.#hungUp) {
        const at = promptsMs + (this.#timers.now() - this.#listening.real);
        this.closeInput();
        return { hangup: true, at: Math.round(at) };
      }
      if (this.#silent) return finish("timeout", lastAt + spec.timeoutMs);
      const deadline = lastReal + spec.timeoutMs;
      const left = deadline - this.#timers.now();
      if (left <= 0) return finish("timeout", lastAt + spec.timeoutMs);
      this.#onState({ kind: "waiting", spec, digits, deadline });
      const aborter = new AbortController();
      const woken = new Promise<void>((r) => (this.#wake = r));
      await Promise.race([this.#timers.sleep(left, aborter.signal), woken]);
      aborter.abort();
      this.#wake = null;
    }
  }

  #poke(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
