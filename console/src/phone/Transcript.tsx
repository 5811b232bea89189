/**
 * The call's transcript as it grows, in the words of `tactflow call` (sim/transcript.ts): one
 * line per step with its time on the call's clock. It follows the newest line unless the reader
 * has scrolled up; a line whose command is in the flow selects it in the editor when clicked.
 */
import { useLayoutEffect, useRef } from "preact/hooks";
import { clockLabel, describeEntry, durationLabel } from "../../../sim/transcript.ts";
import type { CallEnd, TraceEntry } from "../../../sim/types.ts";

export interface TranscriptProps {
  trace: readonly TraceEntry[];
  offsets: readonly (number | null)[];
  /** Bumped when the trace changed (the array is the simulator's own and grows in place). */
  version: number;
  /** The server's origin: its URLs print as paths. */
  origin: string;
  end: CallEnd | null;
  onSelect: (offset: number) => void;
}

/** tactflow's own Gather URL (src/call/render.ts `gatherUrl`): which node and attempt it decides. */
const OWN_GATHER = /\/v1\/calls\/[^/?]+\/gather\?node=([\w-]+)&attempt=(\d+)/;

/** A line as the phone shows it: `tactflow call`'s words, with tactflow's own Gather URLs said in words. */
function lineOf(entry: TraceEntry, origin: string): string | null {
  if (entry.kind === "GATHER" && entry.detail.remoteUrl) {
    const own = OWN_GATHER.exec(entry.detail.remoteUrl);
    if (own) {
      const d = entry.detail;
      return `GATHER up to ${d.maxDigits} digit${d.maxDigits === 1 ? "" : "s"}, finish key ${d.finishKey}, timeout ${durationLabel(d.timeoutMs)}; tactflow decides (${own[1]}, attempt ${own[2]})`;
    }
  }
  return describeEntry(entry, false, origin);
}

const SHOWN = new Set<TraceEntry["kind"]>([
  "SAY",
  "PLAY",
  "PAUSE",
  "GATHER",
  "DTMF",
  "TIMEOUT",
  "BRANCH",
  "DIAL",
  "HANGUP",
  "ERROR",
  "CONDITION",
]);

export function Transcript(props: TranscriptProps) {
  const list = useRef<HTMLOListElement>(null);
  const pinned = useRef(true);
  useLayoutEffect(() => {
    const el = list.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [props.version, props.end]);
  const onScroll = () => {
    const el = list.current;
    if (el) pinned.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 8;
  };
  const lines: Array<{ i: number; entry: TraceEntry; text: string }> = [];
  props.trace.forEach((entry, i) => {
    const text = lineOf(entry, props.origin);
    // What the caller hears and does, and what went wrong; a request that worked is the platform's business.
    const shown = SHOWN.has(entry.kind) || entry.kind === "NOTE" || (entry.kind === "REQUEST" && !!entry.detail.error);
    if (text !== null && shown) lines.push({ i, entry, text });
  });
  const last = lines.at(-1)?.i;
  return (
    <ol class="transcript" ref={list} onScroll={onScroll} aria-label="Transcript">
      {lines.length === 0 && <li class="muted transcript-empty">The transcript of the call appears here.</li>}
      {lines.map(({ i, entry, text }) => {
        const offset = props.offsets[i] ?? null;
        return (
          <li key={i} class={`line kind-${entry.kind.toLowerCase()}${i === last && !props.end ? " is-now" : ""}`}>
            <span class="line-time">{clockLabel(entry.t)}</span>{" "}
            {offset !== null ? (
              <button type="button" class="line-text linkish" onClick={() => props.onSelect(offset)} title="Show it in the editor">
                {text}
              </button>
            ) : (
              <span class="line-text">{text}</span>
            )}
          </li>
        );
      })}
      {props.end && (
        <li class="line kind-end">
          <span class="line-time">{clockLabel(props.end.t)}</span> <span class="line-text">Call ended: {props.end.reason}.</span>
        </li>
      )}
    </ol>
  );
}
