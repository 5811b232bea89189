/**
 * Checking a run against its scenario: the expectations in order, somewhere and never, the
 * golden transcript, and anything the scenario asked for that could not happen. Each failure
 * is a short text a person can act on: what was expected, and the transcript where it was not.
 */
import { clockLabel, durationLabel } from "../../sim/transcript.ts";
import { editDistance, lineDiff } from "./diff.ts";
import type { Expectation, TextMatch } from "./format.ts";
import type { ScenarioRun } from "./run.ts";
import type { Step } from "./steps.ts";

export interface Failure {
  /** Which check failed: `expect[2]`, `never[0]`, `transcript`, `problem`. */
  where: string;
  /** Lines to print, the first one the headline. */
  lines: string[];
}

/** `/pattern/flags`, or null for exact text. */
function patternOf(want: TextMatch): RegExp | null {
  const m = /^\/([\s\S]*)\/([dgimsuvy]*)$/.exec(want);
  if (!m) return null;
  try {
    return new RegExp(m[1]!, m[2]);
  } catch {
    return null;
  }
}

export function textMatches(want: TextMatch, got: string | undefined): boolean {
  if (got === undefined) return false;
  const re = patternOf(want);
  return re ? re.test(got) : got.trim() === want.trim();
}

function show(want: TextMatch): string {
  return patternOf(want) ? want : JSON.stringify(want);
}

type StepKind = Step["kind"];

/** What an expectation looks for among the steps: the kind, a test, and how to print it. */
function stepMatcher(e: Expectation): { kinds: StepKind[]; test: (s: Step) => boolean; text: (s: Step) => string; label: string } | null {
  if ("say" in e)
    return {
      kinds: ["SAY"],
      test: (s) => s.kind === "SAY" && textMatches(e.say, s.detail.text),
      text: (s) => (s.kind === "SAY" ? s.detail.text : ""),
      label: `SAY ${show(e.say)}`,
    };
  if ("play" in e) {
    const what = (s: Step) => (s.kind === "PLAY" ? (s.detail.url ?? s.detail.record ?? "") : "");
    return { kinds: ["PLAY"], test: (s) => s.kind === "PLAY" && textMatches(e.play, what(s)), text: what, label: `PLAY ${show(e.play)}` };
  }
  if ("dial" in e) {
    const { to, result } = e.dial;
    return {
      kinds: ["DIAL"],
      test: (s) =>
        s.kind === "DIAL" &&
        (to === undefined || s.detail.targets.some((t) => textMatches(to, t.target))) &&
        (result === undefined || s.detail.result === result),
      text: (s) => (s.kind === "DIAL" ? s.detail.targets.map((t) => t.target).join(", ") : ""),
      label: `DIAL${to !== undefined ? ` ${show(to)}` : ""}${result ? ` → ${result}` : ""}`,
    };
  }
  if ("gather" in e) {
    const g = e.gather;
    const branchOk = (s: Step): boolean => {
      if (g.branch === undefined) return true;
      const want = g.branch.trim().toLowerCase();
      if (s.kind === "DECISION") {
        const d = s.detail;
        if (["default", "error", "retry", "continue"].includes(want)) return d.action === want;
        const label = (d.branch ?? "").toLowerCase();
        return d.action === "branch" && (label === want || label.split("=")[1] === want || label.replace("=", " ") === want);
      }
      if (s.kind === "BRANCH") {
        const d = s.detail;
        const kind = d.branch.toLowerCase();
        if (want === "default" || want === "error") return kind === want;
        if (want === "retry") return kind === "none" && /replaying/.test(d.why);
        if (want === "continue") return kind === "none" && !/replaying/.test(d.why);
        return (kind === "case" || kind === "dtmf") && (d.value?.toLowerCase() === want || `${kind} ${d.value}`.toLowerCase() === want);
      }
      return false;
    };
    const test = (s: Step): boolean => {
      if (s.kind === "DECISION") {
        const d = s.detail;
        return (
          (g.node === undefined || d.node === g.node) &&
          (g.tag === undefined || d.tag === g.tag) &&
          (g.attempt === undefined || d.attempt === g.attempt) &&
          (g.digits === undefined || d.digits === g.digits) &&
          branchOk(s)
        );
      }
      if (s.kind === "BRANCH") {
        return (
          g.node === undefined &&
          g.tag === undefined &&
          g.attempt === undefined &&
          (g.digits === undefined || s.detail.digits === g.digits) &&
          branchOk(s)
        );
      }
      return false;
    };
    const parts = [
      g.node ?? "",
      g.tag !== undefined ? `[tag ${g.tag}]` : "",
      g.attempt !== undefined ? `attempt ${g.attempt}` : "",
      g.digits !== undefined ? `"${g.digits}"` : "",
      g.branch !== undefined ? `→ ${g.branch}` : "",
    ];
    return { kinds: ["DECISION", "BRANCH"], test, text: (s) => s.line ?? "", label: `DECISION ${parts.filter(Boolean).join(" ")}`.trim() };
  }
  if ("line" in e) {
    const want = e.line;
    return { kinds: [], test: (s) => s.line !== null && textMatches(want, s.line), text: (s) => s.line ?? "", label: show(want) };
  }
  return null;
}

function describe(e: Expectation): string {
  const m = stepMatcher(e);
  if (m) return m.label;
  if ("end" in e) {
    const { cause, tag, beforeMs, afterMs } = e.end;
    return `the call ends${cause ? ` by ${cause}` : ""}${tag !== undefined ? ` [tag ${tag}]` : ""}${afterMs !== undefined ? ` after ${durationLabel(afterMs)}` : ""}${beforeMs !== undefined ? ` before ${durationLabel(beforeMs)}` : ""}`;
  }
  if ("vars" in e)
    return `variables ${Object.entries(e.vars)
      .map(([k, v]) => `${k} = ${show(v)}`)
      .join(", ")}`;
  if ("event" in e) {
    const ev = e.event;
    return `an event ${[ev.type ?? "", ev.command ? `command ${ev.command}` : "", ev.tag !== undefined ? `tag ${ev.tag}` : "", ev.state ? `state ${ev.state}` : "", ev.success !== undefined ? (ev.success ? "succeeded" : "failed") : ""].filter(Boolean).join(", ")}`;
  }
  return JSON.stringify(e);
}

function endMatches(e: Extract<Expectation, { end: unknown }>, run: ScenarioRun): boolean {
  const end = run.result.end;
  const { cause, tag, beforeMs, afterMs } = e.end;
  return (
    (cause === undefined || end.cause === cause) &&
    (tag === undefined || end.tag === tag) &&
    (beforeMs === undefined || end.t < beforeMs) &&
    (afterMs === undefined || end.t > afterMs)
  );
}

function varsMismatch(e: Extract<Expectation, { vars: unknown }>, run: ScenarioRun): string[] {
  return Object.entries(e.vars)
    .filter(([k, v]) => !textMatches(v, run.variables[k.replace(/^\{\{|\}\}$/g, "")]))
    .map(
      ([k, v]) =>
        `${k}: expected ${show(v)}, got ${run.variables[k] === undefined ? "nothing (never set)" : JSON.stringify(run.variables[k])}`,
    );
}

function eventMatches(e: Extract<Expectation, { event: unknown }>, run: ScenarioRun): boolean {
  const w = e.event;
  return run.events.some(
    (ev) =>
      (w.type === undefined || ev.type === w.type) &&
      (w.command === undefined || ev.command === w.command) &&
      (w.tag === undefined || ev.tag === w.tag) &&
      (w.success === undefined || ev.success === w.success) &&
      (w.state === undefined || ev.state === w.state),
  );
}

const shown = (s: Step) => `${clockLabel(s.t)} ${s.line}`;

/** The transcript from `from` on, with the step nearest to the expectation marked. */
function around(run: ScenarioRun, from: number, m: NonNullable<ReturnType<typeof stepMatcher>>, wantText: string): string[] {
  // The call's own bookkeeping (state changes, requests) is left out: what the caller met is the point.
  const rest = run.steps.slice(from).filter((s) => s.line !== null && s.kind !== "STATE" && s.kind !== "REQUEST");
  const sameKind = m.kinds.length ? rest.filter((s) => m.kinds.includes(s.kind)) : rest;
  let nearest: Step | undefined;
  let best = Infinity;
  for (const s of sameKind) {
    const d = editDistance(wantText, m.text(s));
    if (d < best) {
      best = d;
      nearest = s;
    }
  }
  const out = [`  - ${m.label}`];
  out.push(nearest ? `  + ${shown(nearest)}   ← nearest` : `  + (no ${m.kinds[0] ?? "matching"} step${from > 0 ? " after that" : ""})`);
  const limit = 8;
  out.push("    the call went on:");
  for (const s of rest.slice(0, limit)) out.push(`      ${shown(s)}`);
  if (rest.length > limit) out.push(`      … ${rest.length - limit} more`);
  out.push(`      ${clockLabel(run.result.end.t)} (ended: ${run.result.end.reason})`);
  return out;
}

function wantText(e: Expectation): string {
  if ("say" in e) return e.say;
  if ("play" in e) return e.play;
  if ("dial" in e) return e.dial.to ?? "";
  if ("line" in e) return e.line;
  return "";
}

/** Every failure of a run, in the order a reader meets them. */
export function checkRun(run: ScenarioRun): Failure[] {
  const failures: Failure[] = [];
  const s = run.scenario;
  for (const p of run.problems) failures.push({ where: "problem", lines: [p] });
  let pos = 0;
  let lastMatch: Step | undefined;
  for (const [i, e] of (s.expect ?? []).entries()) {
    const where = `expect[${i}]`;
    const m = stepMatcher(e);
    if (m) {
      const at = run.steps.findIndex((st, k) => k >= pos && m.test(st));
      if (at >= 0) {
        pos = at + 1;
        lastMatch = run.steps[at];
        continue;
      }
      const anywhere = run.steps.findIndex((st) => m.test(st));
      const after = lastMatch ? `after ${shown(lastMatch)}` : "in the call";
      const head =
        anywhere >= 0
          ? `${m.label} happened, but before the step it must follow (${shown(run.steps[anywhere]!)}); expected ${after}`
          : `expected ${m.label} ${after}`;
      failures.push({ where, lines: [head, ...around(run, pos, m, wantText(e))] });
      continue;
    }
    if ("end" in e && !endMatches(e, run))
      failures.push({
        where,
        lines: [
          `expected ${describe(e)}`,
          `  but it ended at ${clockLabel(run.result.end.t)} by ${run.result.end.cause}${run.result.end.tag !== undefined ? ` [tag ${run.result.end.tag}]` : ""}: ${run.result.end.reason}`,
        ],
      });
    if ("vars" in e) {
      const bad = varsMismatch(e, run);
      if (bad.length) failures.push({ where, lines: ["variables differ at the end of the call:", ...bad.map((b) => `  ${b}`)] });
    }
    if ("event" in e && !eventMatches(e, run))
      failures.push({ where, lines: [`expected ${describe(e)}; none of the call's ${run.events.length} events matches`] });
  }
  for (const [i, e] of (s.somewhere ?? []).entries()) {
    const m = stepMatcher(e);
    const ok = m
      ? run.steps.some((st) => m.test(st))
      : "end" in e
        ? endMatches(e, run)
        : "vars" in e
          ? !varsMismatch(e, run).length
          : "event" in e
            ? eventMatches(e, run)
            : true;
    if (!ok)
      failures.push({
        where: `somewhere[${i}]`,
        lines: m ? [`expected ${m.label} somewhere in the call`, ...around(run, 0, m, wantText(e)).slice(1)] : [`expected ${describe(e)}`],
      });
  }
  for (const [i, e] of (s.never ?? []).entries()) {
    const m = stepMatcher(e);
    const hit = m ? run.steps.find((st) => m.test(st)) : undefined;
    const happened = m
      ? hit !== undefined
      : "end" in e
        ? endMatches(e, run)
        : "vars" in e
          ? !varsMismatch(e, run).length
          : "event" in e
            ? eventMatches(e, run)
            : false;
    if (happened)
      failures.push({ where: `never[${i}]`, lines: [`${describe(e)} must not happen, but it did${hit ? `: ${shown(hit)}` : ""}`] });
  }
  if (s.transcript !== undefined) {
    const want = s.transcript.replace(/\r\n/g, "\n").trimEnd();
    if (want !== run.transcript.trimEnd())
      failures.push({
        where: "transcript",
        lines: [
          "the transcript differs from the recorded one (- recorded, + now; `tactflow test --update` records the new one):",
          ...lineDiff(want, run.transcript).map((l) => `  ${l}`),
        ],
      });
  }
  return failures;
}
