/**
 * `tactflow insights` as text: the calls and how they ended, the funnel in document order (each
 * element with its line, the calls that entered it, how they left it, who hung up there), and a
 * line of calls per hour. Pure: the command prints what this returns.
 */
import type { Insights, NodeInsight } from "../src/insights/summary.ts";

export type InsightsView = Insights & {
  tn: string;
  current: string | null;
  versions: Array<{ version: string; calls: number }>;
  rollout?: { id: string; candidate: string; percent: number; state: string; reason?: string } | null;
};

const END_WORDS: Record<string, string> = {
  "flow-hangup": "the flow hung up",
  "caller-hangup": "the caller hung up",
  dial: "in a Dial",
  "end-of-flow": "the flow ran out",
  fallback: "fallback",
  "left-flow": "handed to another document",
  parked: "parked",
  "park-timeout": "park timeout",
};

const ABANDONED = "hung up before choosing";

/** Elements that are parts of others (a Dial's destinations, a Switch around Cases): not steps. */
const PARTS = new Set(["To", "Sip", "Number", "Switch"]);

const fmt = (n: number) => n.toLocaleString("en-US");
const pct = (n: number, of: number) => (of > 0 ? `${((100 * n) / of).toFixed(1)} %` : "–");
const secs = (ms: number | null) => (ms === null ? "–" : ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);

function utc(iso: string): string {
  return iso.replace("T", " ").replace(/:\d\d(\.\d+)?Z$/, "");
}

const BARS = "▁▂▃▄▅▆▇█";

function spark(values: number[]): string {
  const max = Math.max(...values, 0);
  return values.map((v) => (v === 0 ? " " : BARS[Math.min(BARS.length - 1, Math.floor((v / max) * (BARS.length - 1)))])).join("");
}

interface Paint {
  dim: (s: string) => string;
  bold: (s: string) => string;
  red: (s: string) => string;
}

function paint(color: boolean): Paint {
  const wrap = (code: string) => (s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { dim: wrap("2"), bold: wrap("1"), red: wrap("31") };
}

function pad(s: string, width: number): string {
  return s.length >= width ? s : s + " ".repeat(width - s.length);
}

function padStart(s: string, width: number): string {
  return s.length >= width ? s : " ".repeat(width - s.length) + s;
}

/** One element's lines: itself, then how calls left it. */
function nodeLines(n: NodeInsight, calls: number, p: Paint, labelWidth: number): string[] {
  const where = padStart(`${n.line}:${n.col}`, 6);
  const what = fitTo(`${"  ".repeat(n.depth)}${n.tag}${n.label ? `  ${n.label}` : ""}`, labelWidth);
  const entered = `${padStart(fmt(n.entered), 7)} ${padStart(pct(n.entered, calls), 7)}`;
  const hung = n.hungUp ? `${padStart(fmt(n.hungUp), 6)} ${padStart(pct(n.hungUp, n.entered), 7)}` : " ".repeat(14);
  const notes: string[] = [];
  if (n.quick) notes.push(`${fmt(n.quick)} within 5 s`);
  for (const [k, v] of Object.entries(n.ended)) if (v) notes.push(`${fmt(v)} ended: ${END_WORDS[k] ?? k}`);
  if (n.errors) notes.push(p.red(`${fmt(n.errors)} failed`));
  const line = `${where}  ${what} ${entered}  ${hung}${notes.length ? `  ${notes.join(" · ")}` : ""}`.trimEnd();
  const out = [n.entered ? line : p.dim(line)];
  const indent = `${" ".repeat(8)}${"  ".repeat(n.depth)}  `;
  if (n.gather && n.entered) {
    const g = n.gather;
    const bits = [
      `${fmt(g.attempts)} attempts`,
      `${fmt(g.silent)} silent`,
      `${fmt(g.wrong)} wrong keys`,
      `median ${secs(g.medianMs)} to decide`,
    ];
    out.push(p.dim(`${indent}${bits.join(" · ")}`));
  }
  const left = [...n.left];
  if (n.gather?.abandoned) left.push({ how: "abandoned", label: ABANDONED, calls: n.gather.abandoned });
  // How calls left, as shares of those that entered, under the entered column.
  for (const l of left)
    out.push(
      `${" ".repeat(8)}${fitTo(`${"  ".repeat(n.depth)}  → ${l.label}`, labelWidth)} ${padStart(fmt(l.calls), 7)} ${padStart(pct(l.calls, n.entered), 7)}`,
    );
  return out;
}

/** `s` in exactly `width` characters: padded, or cut with an ellipsis. */
function fitTo(s: string, width: number): string {
  return s.length > width ? `${s.slice(0, width - 1)}…` : pad(s, width);
}

export function formatInsights(v: InsightsView, opts: { color?: boolean } = {}): string {
  const p = paint(opts.color ?? false);
  const out: string[] = [];
  const which = v.version === v.current ? "current" : "not current";
  out.push(p.bold(`${v.tn} · version ${v.version.slice(0, 12)} (${which}) · ${utc(v.from)} → ${utc(v.to)} UTC`));
  if (v.rollout?.state === "active")
    out.push(
      `canary: ${v.rollout.percent} % of callers get ${v.rollout.candidate.slice(0, 12)} (rollout ${v.rollout.id}); see tactflow flows rollout ${v.tn}`,
    );
  out.push("");
  if (!v.calls) {
    out.push("No calls in this range yet.");
    const others = v.versions.filter((x) => x.version !== v.version);
    if (others.length)
      out.push(`Other versions had calls: ${others.map((x) => `${x.version.slice(0, 12)} (${fmt(x.calls)})`).join(", ")} — try --version.`);
    return `${out.join("\n")}\n`;
  }
  out.push(
    `${fmt(v.calls)} calls · ${fmt(v.paths)} with their path${v.meanDurationMs !== null ? ` · ${secs(v.meanDurationMs)} on average` : ""}`,
  );
  const ended = Object.entries(v.ended)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .map(([k, n]) => `${END_WORDS[k] ?? k} ${fmt(n ?? 0)} (${pct(n ?? 0, v.paths)})`);
  if (ended.length) out.push(`ended: ${ended.join(" · ")}`);
  const fallbacks = Object.values(v.fallbacks).reduce((s, n) => s + n, 0);
  const health = [`fallbacks ${pct(fallbacks, v.calls)}`, `errors ${pct(v.errors, v.paths)}`, `quick hang-ups ${pct(v.quick, v.paths)}`];
  out.push(`health: ${health.join(" · ")}`);
  out.push("");
  const nodes = v.nodes.filter((n) => !PARTS.has(n.tag));
  const widths = nodes.flatMap((n) => [
    2 * n.depth + n.tag.length + (n.label ? n.label.length + 2 : 0),
    ...(n.entered
      ? [...n.left.map((l) => l.label), ...(n.gather?.abandoned ? [ABANDONED] : [])].map((l) => 2 * n.depth + 4 + l.length)
      : []),
  ]);
  const labelWidth = Math.min(52, Math.max(24, ...widths));
  out.push(p.dim(`${padStart("line", 6)}  ${pad("element", labelWidth)} ${padStart("entered", 15)}  ${padStart("hung up here", 14)}`));
  for (const n of nodes) out.push(...nodeLines(n, v.calls, p, labelWidth));
  if (v.hours.length > 1) {
    out.push("");
    const peak = v.hours.reduce((a, b) => (b.calls > a.calls ? b : a));
    out.push(
      `calls per hour  ${spark(v.hours.map((h) => h.calls))}  (${v.hours.length} hours, peak ${fmt(peak.calls)} at ${utc(peak.hour)} UTC)`,
    );
  }
  return `${out.join("\n")}\n`;
}
