/**
 * `tactflow insights TN`: where a number's callers went and where they hung up, from
 * `GET /v1/flows/{tn}/insights` (docs/insights.md).
 *
 *   tactflow insights 18005550100                  the current version, last 24 hours
 *   tactflow insights 18005550100 --since 7d --version 3f2a9c1e
 *   tactflow insights 18005550100 --json           the API's answer
 *
 * Exit codes: 0 shown, 1 the server refused (its problem is printed), 2 usage or local I/O,
 * 3 the server could not be reached.
 */
import type { Command } from "commander";
import { formatInsights, type InsightsView } from "./insightsView.ts";
import { action, adminRequest, type Conn, usage } from "./api.ts";

interface Options extends Conn {
  version?: string;
  since?: string;
  from?: string;
  to?: string;
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `24h`, `7d`, `90m` → ms; null when unreadable. */
export function parseSince(text: string): number | null {
  const m = /^\s*(\d+)\s*([mhd])\s*$/i.exec(text);
  return m ? Number(m[1]) * UNITS[m[2]!.toLowerCase()]! : null;
}

function isoOrUsage(flag: string, value: string): string {
  const t = Date.parse(value);
  if (!Number.isFinite(t)) throw usage(`${flag} "${value}" is not a time; use ISO 8601, e.g. 2026-11-30T00:00:00Z`);
  return new Date(t).toISOString();
}

export function insightsQuery(opts: Options, now = Date.now()): string {
  const q = new URLSearchParams();
  if (opts.version) q.set("version", opts.version);
  if (opts.since !== undefined && opts.from !== undefined) throw usage("--since and --from say the same thing; give one");
  const to = opts.to !== undefined ? isoOrUsage("--to", opts.to) : undefined;
  if (to) q.set("to", to);
  if (opts.from !== undefined) q.set("from", isoOrUsage("--from", opts.from));
  if (opts.since !== undefined) {
    const ms = parseSince(opts.since);
    if (ms === null || ms <= 0) throw usage(`--since "${opts.since}" is not a duration; write e.g. 90m, 24h or 7d`);
    q.set("from", new Date((to ? Date.parse(to) : now) - ms).toISOString());
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

export function registerInsights(program: Command): void {
  program
    .command("insights")
    .description("where TN's callers went and where they hung up: the funnel per element, how calls ended, calls per hour")
    .argument("<tn>", "the number")
    .option("--version <hash>", "a version from the number's history (default: the current one)")
    .option("--since <duration>", "the last 90m, 24h, 7d … (default: 24h)")
    .option("--from <iso>", "start of the range (ISO 8601)")
    .option("--to <iso>", "end of the range (ISO 8601; default: now)")
    .option("--url <url>", "tactflow base URL (default: $TACTFLOW_URL, else where npm start serves)")
    .option("--token <token>", "admin token or a flows:read API key (default: $TACTFLOW_ADMIN_TOKEN, else .dev.vars)")
    .option("--json", "print the API's JSON answer (a problem document on failure)")
    .action(
      action(async (tn: string, opts: Options) => {
        const path = `/v1/flows/${encodeURIComponent(tn.trim())}/insights${insightsQuery(opts)}`;
        const view = await adminRequest<InsightsView>(opts, "GET", path);
        process.stdout.write(
          opts.json ? `${JSON.stringify(view, null, 2)}\n` : formatInsights(view, { color: process.stdout.isTTY === true }),
        );
      }),
    );
}
