/**
 * Where CLI commands find the server and their tokens. Shared by every command that talks to a
 * running tactflow:
 *
 * - the URL: `--url`, else `TACTFLOW_URL`, else `http://127.0.0.1:8787` (what `npm start` serves);
 * - a token of kind `ADMIN_TOKEN` / `WEBHOOK_TOKEN` / `EVENTS_TOKEN`: the flag, else
 *   `TACTFLOW_<KIND>` in the environment, else `<KIND>` in `.dev.vars` in the current folder
 *   (the file `npm start` writes on a fresh clone).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

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

/** `.dev.vars` in `cwd` (default: the current folder), or `{}` when there is none. */
export function readDevVars(src: ConfigSource = {}): Record<string, string> {
  const read = src.readFile ?? ((p: string) => readFileSync(p, "utf8"));
  try {
    return parseDevVars(read(join(src.cwd ?? process.cwd(), ".dev.vars")));
  } catch {
    return {};
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
  return (flag || env.TACTFLOW_URL || DEFAULT_URL).replace(/\/+$/, "");
}
