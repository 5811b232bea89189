/**
 * The human-readable transcript of a simulated call: one line per step with its virtual time,
 * `00:03.2 SAY "Press 1 for sales" (voice en-US FEMALE)`, ending with how the call ended.
 */
import type { CallResult, TraceEntry } from "./types.ts";

/** `mm:ss.d`, or `h:mm:ss.d` past the hour. */
export function clockLabel(ms: number): string {
  const tenths = Math.floor(ms / 100);
  const d = tenths % 10;
  const totalSec = Math.floor(tenths / 10);
  const s = totalSec % 60;
  const m = Math.floor(totalSec / 60) % 60;
  const h = Math.floor(totalSec / 3600);
  const mmss = `${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}.${d}`;
  return h ? `${h}:${mmss}` : mmss;
}

/** `5.0s`, `1m 30.0s`. */
export function durationLabel(ms: number): string {
  const sec = ms / 1000;
  if (sec < 60) return `${sec.toFixed(1)}s`;
  const m = Math.floor(sec / 60);
  return `${m}m ${(sec - m * 60).toFixed(1)}s`;
}

function quote(text: string): string {
  return JSON.stringify(text);
}

function tagged(detail: { tag?: string }): string {
  return detail.tag !== undefined ? ` [tag ${detail.tag}]` : "";
}

/** The parameters the platform appends to every Gather request besides the keys (docs/opentact.md §b.6). */
const CALL_PARAMS = new Set(["code", "from", "tn", "state", "sca", "call"]);

/**
 * A URL as the transcript shows it: relative to the server the call went to, and for Gather
 * requests without the call's own parameters (the verbose transcript and `--json` keep all).
 */
function shortUrl(url: string, origin: string | undefined, purpose?: string): string {
  let out = origin && url.startsWith(`${origin}/`) ? url.slice(origin.length) : url;
  if (purpose === "gather") {
    const q = out.indexOf("?");
    if (q >= 0) {
      const kept = out
        .slice(q + 1)
        .split("&")
        .filter((pair) => !CALL_PARAMS.has(decodeURIComponent(pair.split("=")[0] ?? "")));
      out = `${out.slice(0, q)}${kept.length ? `?${kept.join("&")}` : ""}`;
    }
  }
  return out;
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * One trace entry as words, without its time; null for entries hidden at this verbosity.
 * `origin` (the server's) lets URLs on it print as paths.
 */
export function describeEntry(entry: TraceEntry, verbose = false, origin?: string): string | null {
  const link = (url: string, purpose?: string) => (verbose ? url : shortUrl(url, origin, purpose));
  switch (entry.kind) {
    case "STATE": {
      const s = entry.detail.state;
      if (!verbose && s !== "ringing" && s !== "live") return null;
      return `STATE ${s}`;
    }
    case "REQUEST": {
      const d = entry.detail;
      const head = `REQUEST ${d.method} ${link(d.url, d.purpose)}`;
      if (d.error) return `${head} → failed: ${d.error}`;
      return `${head} → ${d.status ?? "?"}${d.contentType ? ` ${d.contentType.split(";")[0]}` : ""}`;
    }
    case "ANSWER": {
      const d = entry.detail;
      return `ANSWER${d.alreadyLive ? " (already live)" : ""}${d.delayMs ? `, then wait ${durationLabel(d.delayMs)}` : ""}${tagged(d)}`;
    }
    case "SAY": {
      const d = entry.detail;
      const voice = [d.lang, d.gender, d.voiceType !== "Standard" ? d.voiceType : "", d.code ? `code ${d.code}` : ""]
        .filter(Boolean)
        .join(" ");
      return `SAY ${quote(d.text)} (voice ${voice}${d.loop > 1 ? `, ${d.loop} times` : ""})${d.interrupted ? " — interrupted by a key" : ""}${tagged(d)}`;
    }
    case "PLAY": {
      const d = entry.detail;
      const what = d.record !== undefined ? `recording ${quote(d.record)}` : (d.url ?? "(no url)");
      return `PLAY ${what}${d.loop > 1 ? ` (${d.loop} times)` : ""}${d.interrupted ? " — interrupted by a key" : ""}${tagged(d)}`;
    }
    case "PAUSE": {
      const d = entry.detail;
      const stop = d.stopKeys ? ` (a ${d.stopKeys.split("").join(" or ")} ends it)` : "";
      return `PAUSE ${durationLabel(d.lengthMs)}${stop}${d.stoppedAfterMs !== undefined ? ` — ended after ${durationLabel(d.stoppedAfterMs)}` : ""}${tagged(d)}`;
    }
    case "GATHER": {
      const d = entry.detail;
      const digits = `up to ${d.maxDigits} digit${d.maxDigits === 1 ? "" : "s"}`;
      const head = `GATHER ${digits}, finish key ${d.finishKey}, timeout ${durationLabel(d.timeoutMs)}`;
      // A url Gather is tried once per request: the server counts the attempts (docs/opentact.md §f.2).
      if (d.remoteUrl) return `${head}, then asks ${link(d.remoteUrl)}${tagged(d)}`;
      return `${head}, attempt ${d.attempt} of ${d.attempts}${tagged(d)}`;
    }
    case "DTMF":
      return `DTMF ${entry.detail.keys}${entry.detail.ignored ? ` (then ${entry.detail.ignored}, ignored: input was complete)` : ""}`;
    case "TIMEOUT": {
      const d = entry.detail;
      return d.digits
        ? `TIMEOUT after ${durationLabel(d.afterMs)} without a finish key, input "${d.digits}"`
        : `TIMEOUT no input within ${durationLabel(d.afterMs)}`;
    }
    case "BRANCH": {
      const d = entry.detail;
      if (d.branch === "none") return `BRANCH none: ${d.why}`;
      return `BRANCH ${d.branch}${d.value !== undefined ? ` ${d.value}` : ""}: ${d.why}`;
    }
    case "DIAL": {
      const d = entry.detail;
      const plan = d.targets.map((t) => `${t.target} (${t.outcome})`).join(", ") || "(no destinations)";
      const result = d.result === "answered" ? `bridged to ${d.answeredBy} for ${durationLabel(d.talkMs ?? 0)}` : `failed: ${d.reason}`;
      return `DIAL ${plan} → ${result}${tagged(d)}`;
    }
    case "RECORD": {
      const d = entry.detail;
      const name = d.tag ? ` ${quote(d.tag)}` : "";
      if (d.action === "start") {
        const extra = [d.asr ? "with transcript" : "", d.timeoutMs !== undefined ? `at most ${durationLabel(d.timeoutMs)}` : ""]
          .filter(Boolean)
          .join(", ");
        return `RECORD start${name}${extra ? ` (${extra})` : ""}`;
      }
      if (d.action === "stop") return `RECORD stop${name} after ${durationLabel(d.durationMs ?? 0)}`;
      return `RECORD wait${name}`;
    }
    case "HOLD":
      return `HOLD (at most ${durationLabel(entry.detail.timeoutMs)})${tagged(entry.detail)}`;
    case "UNHOLD":
      return `UNHOLD${tagged(entry.detail)}`;
    case "CONDITION": {
      const d = entry.detail;
      return `${d.tag.toUpperCase()} ${d.matched ? "runs" : "skipped"}: ${d.why}`;
    }
    case "ERROR":
      return `ERROR block of <${entry.detail.parent}> runs: ${entry.detail.reason}`;
    case "HANGUP":
      return `HANGUP ${entry.detail.reason}`;
    case "EVENT": {
      if (!verbose) return null;
      const d = entry.detail;
      return `EVENT ${d.type} ${d.name} → ${d.delivered ? d.status : `not delivered (${d.status !== undefined ? `HTTP ${d.status}` : d.error})`}`;
    }
    case "NOTE":
      return `NOTE ${entry.detail.message}`;
    default: {
      const never: never = entry;
      throw new Error(`unhandled trace entry ${JSON.stringify(never)}`);
    }
  }
}

export interface TranscriptOptions {
  /** Show every state change and every event post. */
  verbose?: boolean;
  /** Whether events were meant to be posted (to word the footer). */
  eventsEnabled?: boolean;
}

/** The whole transcript, lines joined with `\n` (no trailing newline). */
export function formatTranscript(result: CallResult, options: TranscriptOptions = {}): string {
  const c = result.call;
  const lines = [`Call ${c.uuid} from ${c.from} to ${c.to}, starting ${result.startedAt}`];
  const first = result.trace.find((e) => e.kind === "REQUEST");
  const origin = first?.kind === "REQUEST" ? originOf(first.detail.url) : undefined;
  for (const entry of result.trace) {
    const text = describeEntry(entry, options.verbose, origin);
    if (text !== null) lines.push(`${clockLabel(entry.t)} ${text}`);
  }
  const ev = result.events;
  const events =
    options.eventsEnabled === false
      ? "Events were not sent."
      : `Events: ${ev.posted} posted${ev.failed ? `, ${ev.failed} not delivered` : ""}.`;
  lines.push(`Call ended at ${clockLabel(result.end.t)}: ${result.end.reason}. ${events}`);
  return lines.join("\n");
}
