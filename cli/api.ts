/**
 * The admin API as the CLI's newer commands use it (keys, audit): one request helper and one
 * way to fail, the same for every command:
 *
 * - exit 1: the server refused (its problem document is printed: on stdout as JSON with
 *   `--json`, else as a line on stderr);
 * - exit 2: usage or local I/O (a missing token, an unreadable file);
 * - exit 3: the server could not be reached.
 */
import { resolveToken, resolveUrl } from "./config.ts";

export interface Conn {
  url?: string;
  token?: string;
  json?: boolean;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: Array<{ path: string; message: string }>;
  [extension: string]: unknown;
}

export class CliFailure extends Error {
  readonly exitCode: 1 | 2 | 3;
  readonly problem: Problem;
  constructor(exitCode: 1 | 2 | 3, problem: Problem) {
    super(problem.detail ?? problem.title ?? "failed");
    this.exitCode = exitCode;
    this.problem = problem;
  }
}

export function usage(detail: string): CliFailure {
  return new CliFailure(2, { type: "about:blank", title: "Usage", status: 400, detail });
}

export async function adminRequest<T>(conn: Conn, method: string, path: string, body?: unknown): Promise<T> {
  const base = resolveUrl(conn.url);
  const token = resolveToken("ADMIN_TOKEN", conn.token);
  if (!token)
    throw usage(
      "no admin token: pass --token, set TACTFLOW_ADMIN_TOKEN, or run inside a project whose .dev.vars has ADMIN_TOKEN (npm start writes one)",
    );
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw new CliFailure(3, {
      type: "about:blank",
      title: "Unreachable",
      status: 503,
      detail: `cannot reach ${base}${cause ? ` (${cause})` : ""}: is tactflow running? (npm start)`,
    });
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const problem =
      parsed && typeof parsed === "object"
        ? (parsed as Problem)
        : { type: "about:blank", title: res.statusText, status: res.status, detail: text.slice(0, 500) };
    throw new CliFailure(1, problem);
  }
  return parsed as T;
}

/** Run a command's action with the shared failure handling. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const opts = args.find((a): a is Conn => typeof a === "object" && a !== null && !Array.isArray(a) && "json" in (a as object)) ?? {};
    try {
      await fn(...args);
    } catch (err) {
      const failure =
        err instanceof CliFailure ? err : new CliFailure(2, { type: "about:blank", title: "Failed", status: 500, detail: String(err) });
      if (opts.json) process.stdout.write(`${JSON.stringify(failure.problem, null, 2)}\n`);
      else {
        const p = failure.problem;
        const lines = [
          `tactflow: ${p.status && failure.exitCode === 1 ? `${p.status} ` : ""}${p.title ?? ""}${p.detail ? `: ${p.detail}` : ""}`,
        ];
        for (const e of p.errors ?? []) lines.push(`  ${e.path}: ${e.message}`);
        process.stderr.write(`${lines.join("\n")}\n`);
      }
      process.exitCode = failure.exitCode;
    }
  };
}

/** Rows as aligned columns. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n");
}
