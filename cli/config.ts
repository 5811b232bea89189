/**
 * Where CLI commands find the server and their tokens. Shared by every command that talks to a
 * running tactflow:
 *
 * - the URL: `--url`, else `TACTFLOW_URL`, else the address `npm start` last served on (it writes
 *   `.wrangler/tactflow-dev.json` beside `.dev.vars`), else `http://127.0.0.1:8787`;
 * - a token of kind `ADMIN_TOKEN` / `WEBHOOK_TOKEN` / `EVENTS_TOKEN`: the flag, else
 *   `TACTFLOW_<KIND>` in the environment, else `<KIND>` in `.dev.vars` (the file `npm start`
 *   writes on a fresh clone), looked for in the current folder and each folder above it.
 *
 * A global `tactflow --url … --token …` before the command sets `TACTFLOW_URL` and the token
 * variables for the command (cli/main.ts).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

export const DEFAULT_URL = "http://127.0.0.1:8787";

export type TokenKind = "ADMIN_TOKEN" | "WEBHOOK_TOKEN" | "EVENTS_TOKEN";

export interface ConfigSource {
  env?: Record<string, string | undefined>;
  cwd?: string;
  readFile?: (path: string) => string;
}

/** `KEY=value` lines (wrangler's `.dev.vars` format): `#` comments, optional quotes, optional `export`. */
export function parseDevVars(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line.trim().startsWith("#")) continue;
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const raw = m[2]!;
    out[m[1]!] = /^(["']).*\1$/.test(raw) ? raw.slice(1, -1) : raw;
  }
  return out;
}

/** The folders from `cwd` up to the filesystem root. */
function upwards(cwd: string): string[] {
  const out: string[] = [];
  for (let dir = cwd; ; dir = dirname(dir)) {
    out.push(dir);
    if (dirname(dir) === dir) return out;
  }
}

/** The project folder: the nearest one, from `cwd` up, holding a `.dev.vars`; undefined when none does. */
export function findProject(src: ConfigSource = {}): string | undefined {
  const read = src.readFile ?? ((p: string) => readFileSync(p, "utf8"));
  for (const dir of upwards(src.cwd ?? process.cwd())) {
    try {
      read(join(dir, ".dev.vars"));
      return dir;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `.dev.vars` of the project (the nearest from `cwd` up), or `{}` when there is none. */
export function readDevVars(src: ConfigSource = {}): Record<string, string> {
  const read = src.readFile ?? ((p: string) => readFileSync(p, "utf8"));
  const dir = findProject(src);
  if (!dir) return {};
  try {
    return parseDevVars(read(join(dir, ".dev.vars")));
  } catch {
    return {};
  }
}

/** Where `npm start` records the address it serves on, relative to the project folder. */
export const DEV_SERVER_FILE = join(".wrangler", "tactflow-dev.json");

/** The URL `npm start` last served on, from the project's DEV_SERVER_FILE. */
function devServerUrl(src: ConfigSource): string | undefined {
  const read = src.readFile ?? ((p: string) => readFileSync(p, "utf8"));
  const dir = findProject(src);
  if (!dir) return undefined;
  try {
    const url = (JSON.parse(read(join(dir, DEV_SERVER_FILE))) as { url?: unknown }).url;
    return typeof url === "string" ? url : undefined;
  } catch {
    return undefined;
  }
}

/** A token: the flag's value, else `TACTFLOW_<KIND>`, else `.dev.vars`; undefined when none is found. */
export function resolveToken(kind: TokenKind, flag: string | undefined, src: ConfigSource = {}): string | undefined {
  const env = src.env ?? process.env;
  return flag || env[`TACTFLOW_${kind}`] || readDevVars(src)[kind] || undefined;
}

/** The server's base URL, without a trailing slash. */
export function resolveUrl(flag: string | undefined, src: ConfigSource = {}): string {
  const env = src.env ?? process.env;
  return (flag || env.TACTFLOW_URL || devServerUrl(src) || DEFAULT_URL).replace(/\/+$/, "");
}
