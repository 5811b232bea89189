/**
 * The production bundle in Miniflare (docs/benchmarks.md, method): `wrangler deploy --dry-run` builds
 * exactly what `wrangler deploy` would upload, and Miniflare serves it on 127.0.0.1 — never
 * `wrangler dev`, whose proxy Durable Object serialises every request.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import type { WorkerOptions } from "miniflare";
import { unstable_readConfig } from "wrangler";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

// Read the way wrangler reads it (JSONC), so the bench runs on the deployed date and flags.
const wranglerConfig = unstable_readConfig({ config: join(root, "wrangler.jsonc") }, { hideWarnings: true });
export const compatibilityDate = wranglerConfig.compatibility_date ?? "2026-11-01";
const compatibilityFlags = wranglerConfig.compatibility_flags;

/** The installed Miniflare's version. */
export function miniflareVersion(): string {
  return (JSON.parse(readFileSync(join(root, "node_modules", "miniflare", "package.json"), "utf8")) as { version: string }).version;
}

type Binding = { type: "kv" } | { type: "text"; value: string } | { type: "durable-object"; worker: string; exportName: string };

/**
 * One Worker for Miniflare 5, in the shape wrangler's config resolves to: `source` as its main
 * module, bindings by type, Durable Object classes as SQLite-backed exports; the compatibility
 * date and flags from wrangler.jsonc.
 */
export function worker(
  name: string,
  source: string,
  env: Record<string, Binding>,
  exports?: Record<string, { type: "durable-object"; storage: "sqlite" }>,
): WorkerOptions {
  return {
    config: {
      name,
      compatibilityDate,
      compatibilityFlags,
      manifest: { mainModule: "index.js", modules: { "index.js": { type: "esm", contents: source } } },
      env,
      ...(exports ? { exports } : {}),
    },
  };
}

/**
 * Where Miniflare keeps the Durable Objects' SQLite files:
 * - `disk`: Miniflare's own temporary folder on the machine's disk (its default);
 * - `memory`: a fresh folder on a RAM-backed file system (`/dev/shm`), removed on exit.
 *
 * It is the same workerd and the same SQLite either way. Locally, every storage transaction is
 * written to those files (a write per page and a sync per commit) before the object's answer goes
 * out; how long that takes is the machine's disk, not the code under test (docs/benchmarks.md,
 * "Storage").
 */
export type Storage = "disk" | "memory";

/** Miniflare's options for `storage`: a fresh RAM-backed folder for `memory`, its default for `disk`. */
export function storageOptions(storage: Storage = "disk"): { resourcePersistencePath?: string } {
  return storage === "memory" ? { resourcePersistencePath: memoryFolder() } : {};
}

/** A fresh folder for `memory` storage: on `/dev/shm` where there is one, else in the temporary folder (said on stderr). */
function memoryFolder(): string {
  const shm = "/dev/shm";
  const base = existsSync(shm) ? shm : tmpdir();
  if (base !== shm) process.stderr.write(`no ${shm} here: "memory" storage is in ${base}, which may be a disk\n`);
  const dir = mkdtempSync(join(base, "tactflow-bench-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Miniflare serving `workers` on 127.0.0.1:`port` (await `.ready` for the origin; `.dispose()` when done). */
export function serve(port: number, workers: WorkerOptions[], opts: { quiet?: boolean; storage?: Storage } = {}): Miniflare {
  // quiet: the Worker's info lines (one request log line per request) are dropped, warnings and
  // errors still shown, so printing them doesn't compete with the load for the CPU.
  const quiet = (l: { level: string; message: string }) => {
    if (l.level === "warn" || l.level === "error") process.stderr.write(`${l.message}\n`);
  };
  return new Miniflare({
    host: "127.0.0.1",
    port,
    workers,
    ...(opts.quiet ? { handleStructuredLogs: quiet } : {}),
    ...storageOptions(opts.storage),
  });
}

/**
 * Build the production bundle into `dist/<bench>-bench` and serve it as `tactflow`: KV `FLOWS`,
 * `CALL` (CallSession), `EVENT_HUB` (EventHub), `ACCESS` (AccessStore) and `INSIGHTS` (FlowInsights) on SQLite, and
 * `vars` as text bindings.
 * Throws, after printing wrangler's output, when the build fails.
 */
export function startTactflow(
  bench: string,
  port: number,
  vars: Record<string, string>,
  log: (message: string) => void,
  opts: { quiet?: boolean; storage?: Storage } = {},
): { mf: Miniflare; bundleBytes: number } {
  log("building the production bundle (wrangler deploy --dry-run)…");
  const outdir = join(root, "dist", `${bench}-bench`);
  // wrangler refuses a config whose assets folder (the built console) is missing; the Worker
  // benchmarks don't need the console, only the folder.
  mkdirSync(join(root, "dist", "console"), { recursive: true });
  const build = spawnSync(join(root, "node_modules", ".bin", "wrangler"), ["deploy", "--dry-run", "--outdir", outdir], {
    cwd: root,
    encoding: "utf8",
  });
  if (build.status !== 0) {
    process.stderr.write(build.stdout + build.stderr);
    throw new Error("wrangler deploy --dry-run failed");
  }
  const bundle = readFileSync(join(outdir, "index.js"));
  const env: Record<string, Binding> = {
    FLOWS: { type: "kv" },
    CALL: { type: "durable-object", worker: "tactflow", exportName: "CallSession" },
    EVENT_HUB: { type: "durable-object", worker: "tactflow", exportName: "EventHub" },
    // API keys and the audit log: publishing through the admin API writes an audit entry.
    ACCESS: { type: "durable-object", worker: "tactflow", exportName: "AccessStore" },
    INSIGHTS: { type: "durable-object", worker: "tactflow", exportName: "FlowInsights" },
  };
  for (const [name, value] of Object.entries(vars)) env[name] = { type: "text", value };
  const mf = serve(
    port,
    [
      worker("tactflow", bundle.toString("utf8"), env, {
        CallSession: { type: "durable-object", storage: "sqlite" },
        EventHub: { type: "durable-object", storage: "sqlite" },
        AccessStore: { type: "durable-object", storage: "sqlite" },
        FlowInsights: { type: "durable-object", storage: "sqlite" },
      }),
    ],
    opts,
  );
  return { mf, bundleBytes: bundle.length };
}
