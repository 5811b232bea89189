/**
 * The handset: what the caller hears now (or reads, when speech is off), the keypad, "stay
 * silent" and hang up. Keys work with the mouse, touch, and the keyboard's digits, `*` and `#`
 * anywhere on the page outside a text field while a call is up.
 */
import { useEffect, useState } from "preact/hooks";
import type { KeypadState } from "../../../sim/live.ts";
import { durationLabel } from "../../../sim/transcript.ts";
import type { TraceEntry } from "../../../sim/types.ts";
import type { Phase, Showing } from "./call.ts";

const KEYS: Array<[string, string]> = [
  ["1", ""],
  ["2", "ABC"],
  ["3", "DEF"],
  ["4", "GHI"],
  ["5", "JKL"],
  ["6", "MNO"],
  ["7", "PQRS"],
  ["8", "TUV"],
  ["9", "WXYZ"],
  ["*", ""],
  ["0", "+"],
  ["#", ""],
];

export interface HandsetProps {
  phase: Phase | "idle";
  keypad: KeypadState;
  showing: Showing;
  /** Keys entered at the current input point, as the caller sees them. */
  entered: string;
  ended: string | null;
  onKey: (key: string) => void;
  onSilent: () => void;
  onHangUp: () => void;
}

function isEditable(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
}

/** The words on the display for what plays. */
function nowPlaying(entry: TraceEntry | null): { head: string; text: string } | null {
  switch (entry?.kind) {
    case "SAY":
      return { head: `${entry.detail.lang} ${entry.detail.gender.toLowerCase()}`, text: entry.detail.text };
    case "PLAY":
      return { head: "Play", text: entry.detail.url ?? `recording ${entry.detail.record ?? ""}` };
    case "PAUSE":
      return { head: "Pause", text: durationLabel(entry.detail.lengthMs) };
    case "DIAL":
      return entry.detail.result === "answered"
        ? { head: "Dial", text: `Bridged to ${entry.detail.answeredBy} for ${durationLabel(entry.detail.talkMs ?? 0)}` }
        : { head: "Dial", text: `Ringing ${entry.detail.targets.map((t) => t.target).join(", ")}… ${entry.detail.reason ?? ""}` };
    case "ANSWER":
      return { head: "Answer", text: `Waiting ${durationLabel(entry.detail.delayMs)}` };
    default:
      return null;
  }
}

/** Seconds left until a real-time deadline, refreshed a few times a second. */
function useSecondsLeft(deadline: number | null): number | null {
  const [, tick] = useState(0);
  useEffect(() => {
    if (deadline === null) return;
    const t = setInterval(() => tick((n) => n + 1), 250);
    return () => clearInterval(t);
  }, [deadline]);
  // The keypad's clock is performance.now() (sim/live.ts realTimers).
  return deadline === null ? null : Math.max(0, Math.ceil((deadline - performance.now()) / 1000));
}

export function Handset(props: HandsetProps) {
  const { phase, keypad, showing } = props;
  const up = phase === "calling" || phase === "live";
  const [flash, setFlash] = useState<string | null>(null);
  const press = (key: string) => {
    setFlash(key);
    props.onKey(key);
  };
  useEffect(() => {
    if (!flash) return;
    const t = setTimeout(() => setFlash(null), 150);
    return () => clearTimeout(t);
  }, [flash]);
  useEffect(() => {
    if (!up) return;
    const onKeyDown = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isEditable(e.target) || !/^[0-9*#]$/.test(e.key)) return;
      e.preventDefault();
      press(e.key);
    };
    addEventListener("keydown", onKeyDown);
    return () => removeEventListener("keydown", onKeyDown);
  }, [up, props.onKey]);

  const waiting = keypad.kind === "waiting" ? keypad : null;
  const left = useSecondsLeft(waiting ? waiting.deadline : null);
  const playing = keypad.kind === "playing" ? nowPlaying(showing.entry ?? keypad.entry) : null;
  const listening = (keypad.kind === "playing" && keypad.listening) || !!waiting;

  let status: string;
  if (phase === "idle") status = "Ready to call";
  else if (phase === "ended") status = props.ended ?? "Call ended";
  else if (phase === "calling") status = "Calling…";
  else if (waiting) status = `Listening · up to ${waiting.spec.maxDigits} digit${waiting.spec.maxDigits === 1 ? "" : "s"} · ${left ?? 0} s`;
  else if (listening) status = "Listening: a key cuts the prompt short";
  else status = "Connected";

  return (
    <div class="handset">
      <div class={`display${up ? " is-up" : ""}`}>
        <div class="display-status" role="status">
          {status}
        </div>
        <div class="display-now" aria-live="polite">
          {playing ? (
            <span class="now-text">{playing.text}</span>
          ) : waiting ? (
            <span class="now-text">{`Enter up to ${waiting.spec.maxDigits}, or ${waiting.spec.finishKey} to finish`}</span>
          ) : null}
        </div>
        <div class="display-foot">
          <span class="now-head">
            {playing?.head}
            {playing && showing.entry?.kind === "SAY" && !showing.heard && " · text only"}
          </span>
          <span class="display-keys">
            {props.entered && <span class="visually-hidden">Keys entered: </span>}
            {props.entered}
          </span>
        </div>
      </div>
      <fieldset class="keypad">
        <legend class="visually-hidden">Keypad</legend>
        {KEYS.map(([key, letters]) => (
          <button
            key={key}
            type="button"
            class={`key${flash === key ? " is-pressed" : ""}`}
            disabled={!up}
            onClick={() => press(key)}
            aria-label={key === "*" ? "star" : key === "#" ? "pound" : key}
          >
            <span class="key-digit">{key}</span>
            <span class="key-letters">{letters}</span>
          </button>
        ))}
      </fieldset>
      <div class="handset-actions">
        <button type="button" class="btn btn-small" disabled={!listening} onClick={props.onSilent}>
          Stay silent
        </button>
        <button type="button" class="btn btn-small btn-danger" disabled={!up} onClick={props.onHangUp}>
          Hang up
        </button>
      </div>
    </div>
  );
}
