/**
 * `tactflow flows …`: publish and inspect flows on a running tactflow through the admin API.
 *
 *   tactflow flows push TN FILE [--mode async] [--tz ZONE] [--var NAME=VALUE]…
 *   tactflow flows get TN [--version V] [--json]
 *   tactflow flows list [--json]
 *   tactflow flows versions TN [--json]
 *   tactflow flows rollback TN [VERSION]
 *   tactflow flows preview TN --from N [--at ISO] [--to N] [--digits D]
 *   tactflow flows delete TN [--yes]
 *
 * Every subcommand takes `--url` and `--token` (see cli/config.ts for the defaults). Exit codes:
 * 0 done, 1 the server refused (diagnostics and problems are printed; with --json the problem
 * document on stdout), 2 usage or local I/O, 3 the server could not be reached.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { decodeTemplate } from "../src/xml/decode.ts";
import { formatDiagnostic } from "../src/xml/diagnostics.ts";
import { resolveToken, resolveUrl } from "./config.ts";
import { type CanaryFlags, canaryBody, canaryStarted, registerRollout, rolloutCell, type RolloutView } from "./rollout.ts";

interface Conn {
  url?: string;
  token?: string;
  json?: boolean;
}

interface Diagnostic {
  severity: string;
  message: string;
  line: number;
  col: number;
}

interface Problem {
  title?: string;
  status?: number;
  detail?: string;
  diagnostics?: Diagnostic[];
  errors?: Array<{ path: string; message: string }>;
}

class CliError extends Error {
  readonly exitCode: number;
  /** The server's problem document, when it refused. */
  readonly problem: Problem | undefined;
  constructor(message: string, exitCode: number, problem?: Problem) {
    super(message);
    this.exitCode = exitCode;
    this.problem = problem;
  }
}

function withConn(cmd: Command): Command {
  return cmd
    .option("--url <url>", "tactflow base URL (default: $TACTFLOW_URL, else http://127.0.0.1:8787)")
    .option("--token <token>", "admin token (default: $TACTFLOW_ADMIN_TOKEN, else ADMIN_TOKEN in ./.dev.vars)");
}

function tnPath(tn: string): string {
  return encodeURIComponent(tn.trim());
}

async function call(
  conn: Conn,
  method: string,
  path: string,
  init: { body?: string; contentType?: string; accept?: string } = {},
): Promise<Response> {
  const base = resolveUrl(conn.url);
  const token = resolveToken("ADMIN_TOKEN", conn.token);
  if (!token)
    throw new CliError(
      "no admin token: pass --token, set TACTFLOW_ADMIN_TOKEN, or run from a folder whose .dev.vars has ADMIN_TOKEN (npm start writes one)",
      2,
    );
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (init.contentType) headers["content-type"] = init.contentType;
  if (init.accept) headers["accept"] = init.accept;
  try {
    return await fetch(`${base}${path}`, { method, headers, ...(init.body !== undefined ? { body: init.body } : {}) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw new CliError(`cannot reach ${base}${cause ? ` (${cause})` : ""}: is tactflow running? (npm start)`, 3);
  }
}

/** A non-2xx answer as a readable error: diagnostics as `file:line:col: severity: message`. */
async function refused(res: Response, file = "flow"): Promise<CliError> {
  const text = await res.text();
  let p: Problem = {};
  try {
    p = JSON.parse(text) as Problem;
  } catch {
    return new CliError(`${res.status} ${res.statusText}: ${text.slice(0, 500)}`, 1, {
      title: res.statusText,
      status: res.status,
      detail: text.slice(0, 500),
    });
  }
  const lines = [`${res.status} ${p.title ?? res.statusText}${p.detail ? `: ${p.detail}` : ""}`];
  for (const d of p.diagnostics ?? []) lines.push(`${file}:${d.line}:${d.col}: ${d.severity}: ${d.message}`);
  for (const e of p.errors ?? []) lines.push(`  ${e.path}: ${e.message}`);
  return new CliError(lines.join("\n"), 1, p);
}

async function json<T>(res: Response, file?: string): Promise<T> {
  if (!res.ok) throw await refused(res, file);
  return (await res.json()) as T;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n");
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function run<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (err) {
      if (err instanceof CliError) {
        // --json: the failure as a problem document on stdout too, so scripts parse one thing.
        const json = args.some((a) => typeof a === "object" && a !== null && (a as Conn).json === true);
        if (json) {
          const title = err.exitCode === 3 ? "Unreachable" : err.exitCode === 2 ? "Usage" : "Refused";
          process.stdout.write(`${JSON.stringify(err.problem ?? { type: "about:blank", title, detail: err.message }, null, 2)}\n`);
        } else process.stderr.write(`tactflow: ${err.message}\n`);
        process.exitCode = err.exitCode;
        return;
      }
      throw err;
    }
  };
}

export function registerFlows(program: Command): void {
  const flows = program.command("flows").description("publish and inspect per-number flows on a running tactflow (admin API)");

  withConn(flows.command("push"))
    .description("validate and publish FILE as TN's flow (`-` reads stdin); TN `*` is the catch-all")
    .argument("<tn>", "telephone number, or * for the catch-all")
    .argument("<file>", "Opentact Call Flow XML template")
    .option("--mode <mode>", "sync (answer the rendered flow) or async (park the call)", "sync")
    .option("--tz <zone>", "IANA time zone for <Schedule> blocks without tz")
    .option("--description <text>", "what this flow is for")
    .option("--conditions <who>", "evaluate (tactflow renders Call/Schedule/Geo) or platform", "evaluate")
    .option("--park-timeout <ms>", "async mode: park deadline in ms")
    .option("--var <name=value>", "a {{vars.NAME}} value (repeatable)", collect, [])
    .option("--canary <percent>", "publish as a canary: this share of callers gets FILE, the current version stays (docs/insights.md)")
    .option("--min-calls <n>", "canary: calls each side needs before they are compared (default 20)")
    .option("--max-increase <points>", "canary: roll back when a rate is this many points worse than the stable one's (default 15)")
    .option("--json", "print the server's JSON answer")
    .action(
      run(
        async (
          tn: string,
          file: string,
          opts: Conn & {
            mode: string;
            tz?: string;
            description?: string;
            conditions: string;
            parkTimeout?: string;
            var: string[];
          } & CanaryFlags,
        ) => {
          let bytes: Uint8Array;
          try {
            bytes = readFileSync(file === "-" ? 0 : file);
          } catch (err) {
            throw new CliError(`cannot read ${file}: ${(err as Error).message}`, 2);
          }
          // Read as publishing reads it: bytes that are not UTF-8 are refused here, at their place,
          // rather than sent on as U+FFFD (which the server could no longer tell from the author's).
          const decoded = decodeTemplate(bytes);
          if (!decoded.ok) throw new CliError(decoded.diagnostics.map((d) => formatDiagnostic(file, d)).join("\n"), 1);
          const xml = decoded.text;
          const variables: Record<string, string> = {};
          for (const v of opts.var) {
            const eq = v.indexOf("=");
            if (eq <= 0) throw new CliError(`--var "${v}": write NAME=VALUE`, 2);
            variables[v.slice(0, eq)] = v.slice(eq + 1);
          }
          const body: Record<string, unknown> = { xml, mode: opts.mode, conditions: opts.conditions, variables };
          if (opts.tz) body.timezone = opts.tz;
          if (opts.description !== undefined) body.description = opts.description;
          if (opts.parkTimeout !== undefined) body.parkTimeoutMs = Number(opts.parkTimeout);
          const share = canaryBody(opts);
          if (share) body.canary = share;
          const res = await call(opts, "PUT", `/v1/flows/${tnPath(tn)}`, { body: JSON.stringify(body), contentType: "application/json" });
          const out = await json<{
            tn: string;
            version: string;
            size: number;
            mode: string;
            warnings: Diagnostic[];
            rollout?: RolloutView;
          }>(res, file);
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
            return;
          }
          for (const w of out.warnings) process.stderr.write(`${file}:${w.line}:${w.col}: ${w.severity}: ${w.message}\n`);
          if (out.rollout) {
            process.stdout.write(`${canaryStarted(out.tn, out.rollout)}\n`);
            return;
          }
          const what = res.status === 201 ? "published" : "unchanged (already current)";
          process.stdout.write(`${out.tn}: ${what} version ${out.version.slice(0, 12)} (${out.size} bytes, ${out.mode})\n`);
        },
      ),
    );

  withConn(flows.command("get"))
    .description("print TN's current flow XML (or a version from its history)")
    .argument("<tn>")
    .option("--version <hash>", "a version from the TN's history (hash or unique prefix)")
    .option("--json", "print the flow's JSON (metadata and XML)")
    .action(
      run(async (tn: string, opts: Conn & { version?: string }) => {
        const q = opts.version ? `?version=${encodeURIComponent(opts.version)}` : "";
        const res = await call(opts, "GET", `/v1/flows/${tnPath(tn)}${q}`, { accept: opts.json ? "application/json" : "application/xml" });
        if (!res.ok) throw await refused(res);
        const text = await res.text();
        process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
        // The XML on stdout; what the number's canary is doing, for the reader, on stderr.
        const rollout = res.headers.get("x-tactflow-rollout");
        if (rollout && !opts.json) process.stderr.write(`${tn}: ${rollout}\n`);
      }),
    );

  withConn(flows.command("list"))
    .description("list TNs with a flow")
    .option("--json", "print JSON")
    .action(
      run(async (opts: Conn) => {
        const all: Array<{
          tn: string;
          version: string;
          mode: string;
          updatedAt: string;
          size: number;
          description: string;
          rollout?: { candidate: string; percent: number; state: string };
        }> = [];
        let cursor: string | undefined;
        do {
          const out = await json<{ flows: typeof all; cursor?: string }>(
            await call(opts, "GET", `/v1/flows${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`),
          );
          all.push(...out.flows);
          cursor = out.cursor;
        } while (cursor);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
          return;
        }
        if (!all.length) {
          process.stdout.write("no flows yet: tactflow flows push TN FILE\n");
          return;
        }
        process.stdout.write(
          `${table([["TN", "VERSION", "MODE", "SIZE", "UPDATED", "ROLLOUT", "DESCRIPTION"], ...all.map((f) => [f.tn, f.version.slice(0, 12), f.mode, String(f.size), f.updatedAt, rolloutCell(f.rollout), f.description])])}\n`,
        );
      }),
    );

  withConn(flows.command("versions"))
    .description("TN's history, newest first")
    .argument("<tn>")
    .option("--json", "print JSON")
    .action(
      run(async (tn: string, opts: Conn) => {
        const out = await json<{
          tn: string;
          versions: Array<{ version: string; at: string; size: number; action: string; current: boolean }>;
        }>(await call(opts, "GET", `/v1/flows/${tnPath(tn)}/versions`));
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
          return;
        }
        process.stdout.write(
          `${table([["", "VERSION", "AT", "SIZE", "ACTION"], ...out.versions.map((v) => [v.current ? "*" : "", v.version.slice(0, 12), v.at, String(v.size), v.action])])}\n`,
        );
      }),
    );

  withConn(flows.command("rollback"))
    .description("point TN back at VERSION (hash or unique prefix), or at the version before the current one")
    .argument("<tn>")
    .argument("[version]")
    .option("--json", "print JSON")
    .action(
      run(async (tn: string, version: string | undefined, opts: Conn) => {
        const out = await json<{ tn: string; version: string; previous: string }>(
          await call(opts, "POST", `/v1/flows/${tnPath(tn)}/rollback`, {
            body: JSON.stringify(version ? { version } : {}),
            contentType: "application/json",
          }),
        );
        if (opts.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        else process.stdout.write(`${out.tn}: now ${out.version.slice(0, 12)} (was ${out.previous.slice(0, 12)})\n`);
      }),
    );

  withConn(flows.command("preview"))
    .description("render TN's flow for a caller and a time, without a call")
    .argument("<tn>")
    .requiredOption("--from <number>", "the caller's number")
    .option("--at <iso>", "render as of this time (ISO 8601), e.g. 2026-11-23T22:30:00Z")
    .option("--to <number>", "the dialled number (default: TN)")
    .option("--digits <digits>", "{{digits}}, as if a Gather had collected them")
    .option("--version <hash>", "render a version from the TN's history instead of the current one")
    .option("--var <name=value>", "override a {{vars.NAME}} value (repeatable)", collect, [])
    .option("--json", "print {tn, xml} as JSON (and failures as a problem document)")
    .action(
      run(async (tn: string, opts: Conn & { from: string; at?: string; to?: string; digits?: string; version?: string; var: string[] }) => {
        if (opts.at !== undefined && !Number.isFinite(Date.parse(opts.at)))
          throw new CliError(`--at "${opts.at}" is not a time; use ISO 8601, e.g. 2026-11-23T22:30:00Z`, 2);
        const vars: Record<string, string> = {};
        for (const v of opts.var) {
          const eq = v.indexOf("=");
          if (eq <= 0) throw new CliError(`--var "${v}": write NAME=VALUE`, 2);
          vars[v.slice(0, eq)] = v.slice(eq + 1);
        }
        const body: Record<string, unknown> = { from: opts.from };
        if (opts.at) body.at = new Date(opts.at).toISOString();
        if (opts.to) body.to = opts.to;
        if (opts.digits !== undefined) body.digits = opts.digits;
        if (opts.version) body.version = opts.version;
        if (Object.keys(vars).length) body.vars = vars;
        const res = await call(opts, "POST", `/v1/flows/${tnPath(tn)}/preview`, {
          body: JSON.stringify(body),
          contentType: "application/json",
        });
        if (!res.ok) throw await refused(res);
        const xml = await res.text();
        process.stdout.write(opts.json ? `${JSON.stringify({ tn, xml, version: res.headers.get("x-tactflow-version") }, null, 2)}\n` : xml);
      }),
    );

  withConn(flows.command("delete"))
    .description("remove TN's flow and history (calls then get the catch-all or the fallback); asks first unless --yes")
    .argument("<tn>")
    .option("-y, --yes", "don't ask")
    .option("--json", "print failures as a problem document")
    .action(
      run(async (tn: string, opts: Conn & { yes?: boolean }) => {
        if (!opts.yes) {
          if (!process.stdin.isTTY) throw new CliError(`refusing to delete ${tn} without confirmation: pass --yes`, 2);
          const { createInterface } = await import("node:readline/promises");
          const rl = createInterface({ input: process.stdin, output: process.stderr });
          const answer = await rl.question(`Delete the flow and history of ${tn}? Calls will get the catch-all or the fallback. [y/N] `);
          rl.close();
          if (!/^y(es)?$/i.test(answer.trim())) throw new CliError("not deleted", 2);
        }
        const res = await call(opts, "DELETE", `/v1/flows/${tnPath(tn)}`);
        if (!res.ok) throw await refused(res);
        process.stdout.write(`${tn}: deleted\n`);
      }),
    );

  registerRollout(flows);
}
