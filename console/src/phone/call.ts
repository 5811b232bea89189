/**
 * One call from the phone: the simulator (sim/) playing the platform, with a live keypad caller
 * (sim/live.ts) and the browser's player, against a target (the draft in the browser, or the
 * published number on the server). It keeps what the page shows — the transcript as it grows,
 * where in the flow's text each step is, what the caller hears now — and tells the page when
 * any of it changed.
 */
import { KeypadCaller, type KeypadState } from "../../../sim/live.ts";
import { SimulatedCall } from "../../../sim/call.ts";
import type { CallResult, DialOutcome, Scenario, TraceEntry } from "../../../sim/types.ts";
import type { FlowDocument } from "../../../src/xml/index.ts";
import { BrowserPlayer } from "./player.ts";
import { markedOffset, type PhoneTarget } from "./target.ts";

export interface CallSetup {
  target: PhoneTarget;
  /** The call's uuid (a phone token names it). */
  callId?: string;
  from: string;
  to: string;
  /** Dial outcomes by destination, `*` for the rest (as in a scenario file). */
  dial: Record<string, DialOutcome>;
  talkMs: number;
  muted: boolean;
  fastForward: boolean;
}

export type Phase = "calling" | "live" | "ended";

export interface Showing {
  entry: TraceEntry | null;
  /** Heard (speech or audio), or only shown. */
  heard: boolean;
}

export class PhoneCall {
  readonly setup: CallSetup;
  readonly keypad: KeypadCaller;
  readonly sim: SimulatedCall;
  readonly player: BrowserPlayer;
  /** Where each trace entry's command is in the flow's text (null: not a command of the flow, or unknown). */
  readonly offsets: (number | null)[] = [];
  phase: Phase = "calling";
  keypadState: KeypadState = { kind: "idle" };
  showing: Showing = { entry: null, heard: false };
  result: CallResult | null = null;
  error: string | null = null;
  /** Bumped on every change, for the page's render. */
  version = 0;
  /** The documents the call ran, marked (null: one the marks could not follow). */
  #docs: (FlowDocument | null)[] = [];
  readonly #onChange: () => void;

  constructor(setup: CallSetup, onChange: () => void) {
    this.setup = setup;
    this.#onChange = onChange;
    this.player = new BrowserPlayer((entry, heard) => {
      this.showing = { entry, heard };
      this.#changed();
    });
    this.player.muted = setup.muted;
    this.keypad = new KeypadCaller(this.player, {
      fastForward: setup.fastForward,
      onState: (s) => {
        this.keypadState = s;
        this.#changed();
      },
    });
    const scenario: Scenario = {
      from: setup.from,
      to: setup.to,
      dial: setup.dial,
      talkMs: setup.talkMs,
      ...(setup.callId ? { callId: setup.callId } : {}),
    };
    const t = setup.target;
    this.sim = new SimulatedCall(scenario, {
      baseUrl: t.baseUrl,
      fetch: t.fetch,
      ...(t.webhookToken ? { webhookToken: t.webhookToken } : {}),
      events: t.events,
      live: this.keypad,
      // The published number's documents are found again in the mirror's marked copy.
      onDocument: (doc) => this.#docs.push(t.marked ? t.marked() : doc),
      onTrace: (entry) => {
        const doc = this.#docs.at(-1);
        this.offsets.push(doc && entry.path ? markedOffset(doc, entry.path) : null);
        if (entry.kind === "STATE" && entry.detail.state === "live") this.phase = "live";
        this.#changed();
      },
    });
  }

  get trace(): readonly TraceEntry[] {
    return this.sim.trace;
  }

  get callId(): string {
    return this.sim.call.uuid;
  }

  async run(): Promise<void> {
    try {
      this.result = await this.sim.run();
    } catch (err) {
      this.error = (err as Error).message;
    } finally {
      this.phase = "ended";
      this.showing = { entry: null, heard: false };
      this.#changed();
    }
  }

  press(key: string): boolean {
    return this.keypad.press(key);
  }

  staySilent(): void {
    this.keypad.staySilent();
  }

  hangUp(): void {
    this.keypad.hangUp();
  }

  setMuted(on: boolean): void {
    this.player.muted = on;
    if (on && typeof speechSynthesis !== "undefined") speechSynthesis.cancel();
  }

  setFastForward(on: boolean): void {
    this.keypad.setFastForward(on);
  }

  #changed(): void {
    this.version += 1;
    this.#onChange();
  }
}
