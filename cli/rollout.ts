/**
 * Canary rollouts from the CLI (docs/insights.md):
 *
 *   tactflow flows push TN FILE --canary 10 [--min-calls 20] [--max-increase 15]
 *   tactflow flows rollout TN [--json]      the rollout and each side's health
 *   tactflow flows promote TN [--json]      the candidate answers every call
 *   tactflow flows abort TN [--json]        the stable version answers every call again
 *
 * Exit codes as every command: 0 done, 1 refused, 2 usage, 3 unreachable (cli/api.ts).
 */
import type { Command } from "commander";
import { action, adminRequest, type Conn, usage } from "./api.ts";

export interface RolloutView {
  id: string;
  stable: string;
  candidate: string;
  percent: number;
  minCalls: number;
  maxIncrease: number;
  startedAt: string;
  state: string;
  endedAt?: string;
  reason?: string;
}

export interface CanaryFlags {
  canary?: string;
  minCalls?: string;
  maxIncrease?: string;
}

const short = (v: string) => v.slice(0, 12);

/** The `canary` of the publish body, from `--canary`, `--min-calls`, `--max-increase` (points). */
export function canaryBody(opts: CanaryFlags): { percent: number; minCalls?: number; maxIncrease?: number } | null {
  if (opts.canary === undefined) {
    if (opts.minCalls !== undefined || opts.maxIncrease !== undefined) throw usage("--min-calls and --max-increase go with --canary");
    return null;
  }
  const percent = Number(opts.canary.replace(/%$/, ""));
  if (!Number.isFinite(percent) || percent <= 0 || percent >= 100)
    throw usage(`--canary "${opts.canary}": a share of callers above 0 and below 100, e.g. 10`);
  const out: { percent: number; minCalls?: number; maxIncrease?: number } = { percent };
  if (opts.minCalls !== undefined) {
    const n = Number(opts.minCalls);
    if (!Number.isInteger(n) || n < 1) throw usage(`--min-calls "${opts.minCalls}": a whole number of calls, at least 1`);
    out.minCalls = n;
  }
  if (opts.maxIncrease !== undefined) {
    const points = Number(opts.maxIncrease);
    if (!Number.isFinite(points) || points <= 0 || points > 100)
      throw usage(`--max-increase "${opts.maxIncrease}": points above 0, at most 100, e.g. 15`);
    out.maxIncrease = points / 100;
  }
  return out;
}

export function canaryStarted(tn: string, r: RolloutView): string {
  return [
    `${tn}: canary ${short(r.candidate)} started — ${r.percent} % of callers get it, the rest stay on ${short(r.stable)} (rollout ${r.id})`,
    `  rolled back on its own if its fallback, error or quick-hang-up rate is more than ${Math.round(r.maxIncrease * 100)} points worse (after ${r.minCalls} calls)`,
    `  watch: tactflow flows rollout ${tn} · tactflow insights ${tn} --version ${short(r.candidate)} · done: tactflow flows promote ${tn} (or abort)`,
  ].join("\n");
}

/** The ROLLOUT column of `flows list`. */
export function rolloutCell(r: { candidate: string; percent: number; state: string } | undefined): string {
  if (!r) return "-";
  return r.state === "active" ? `${r.percent} % → ${short(r.candidate)}` : `${r.state} (${short(r.candidate)})`;
}

interface Side {
  n: number;
  of: number;
  rate: number | null;
}
interface StatusView {
  tn: string;
  current: string;
  rollout: RolloutView;
  health: Record<"stable" | "candidate", { started: number; reported: number }> | null;
  verdict: {
    verdict: string;
    reason: string | null;
    metrics: Array<{ name: string; stable: Side; candidate: Side; baseline: number | null; worse: boolean }>;
  } | null;
}

const pct = (r: number | null) => (r === null ? "–" : `${(100 * r).toFixed(1)} %`);

export function formatRollout(v: StatusView): string {
  const r = v.rollout;
  const lines = [`${v.tn}: rollout ${r.id} — ${r.state}${r.endedAt ? ` at ${r.endedAt}` : ""}`];
  lines.push(`  stable    ${short(r.stable)}${v.current === r.stable ? " (current)" : ""}`);
  lines.push(
    `  candidate ${short(r.candidate)}${v.current === r.candidate ? " (current)" : ""} · ${r.percent} % of callers since ${r.startedAt}`,
  );
  if (r.reason) lines.push(`  why: ${r.reason}`);
  if (v.health && v.verdict) {
    lines.push("");
    lines.push(`  ${"".padEnd(16)}${"stable".padStart(22)}${"candidate".padStart(22)}`);
    const h = v.health;
    lines.push(`  ${"calls".padEnd(16)}${String(h.stable.started).padStart(22)}${String(h.candidate.started).padStart(22)}`);
    for (const m of v.verdict.metrics) {
      const cell = (s: Side) => `${pct(s.rate)} (${s.n}/${s.of})`;
      lines.push(`  ${m.name.padEnd(16)}${cell(m.stable).padStart(22)}${cell(m.candidate).padStart(22)}${m.worse ? "  ✗ worse" : ""}`);
    }
    const verdict: Record<string, string> = {
      waiting: `waiting for ${r.minCalls} candidate calls before comparing`,
      healthy: `healthy: no rate more than ${Math.round(r.maxIncrease * 100)} points worse`,
      worse: "worse",
    };
    lines.push("");
    lines.push(`  verdict: ${verdict[v.verdict.verdict] ?? v.verdict.verdict}${v.verdict.reason ? ` — ${v.verdict.reason}` : ""}`);
  }
  return `${lines.join("\n")}\n`;
}

const conn = (cmd: Command) =>
  cmd
    .option("--url <url>", "tactflow base URL (default: $TACTFLOW_URL, else where npm start serves)")
    .option("--token <token>", "admin token or an API key (default: $TACTFLOW_ADMIN_TOKEN, else .dev.vars)")
    .option("--json", "print JSON (a problem document on failure)");

/** `flows rollout`, `flows promote`, `flows abort`, on the `flows` command. */
export function registerRollout(flows: Command): void {
  conn(flows.command("rollout"))
    .description("TN's canary rollout: its state, and each side's fallback, error and quick-hang-up rates")
    .argument("<tn>")
    .action(
      action(async (tn: string, opts: Conn) => {
        const v = await adminRequest<StatusView>(opts, "GET", `/v1/flows/${encodeURIComponent(tn.trim())}/rollout`);
        process.stdout.write(opts.json ? `${JSON.stringify(v, null, 2)}\n` : formatRollout(v));
      }),
    );
  for (const [name, what] of [
    ["promote", "end TN's canary rollout: the candidate answers every call"],
    ["abort", "end TN's canary rollout: the stable version answers every call again"],
  ] as const) {
    conn(flows.command(name))
      .description(what)
      .argument("<tn>")
      .action(
        action(async (tn: string, opts: Conn) => {
          const v = await adminRequest<{ tn: string; current: string; rollout: RolloutView }>(
            opts,
            "POST",
            `/v1/flows/${encodeURIComponent(tn.trim())}/${name}`,
          );
          if (opts.json) return void process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
          process.stdout.write(
            name === "promote"
              ? `${v.tn}: canary ${short(v.rollout.candidate)} promoted; it now answers every call\n`
              : `${v.tn}: canary ${short(v.rollout.candidate)} aborted; ${short(v.current)} answers every call again\n`,
          );
        }),
      );
  }
}
