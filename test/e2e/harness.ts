/**
 * The e2e harness: a real `wrangler dev` on a free port with its own tokens and an empty,
 * temporary persistence directory, so every suite run starts from nothing and leaves nothing.
 *
 * One server serves the whole e2e project (see global-setup.ts); tests reach it through
 * `inject("tactflow")` and the helpers in tactflow.ts.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");

/** What a test needs to talk to the running server. */
export interface TactflowInfo {
  url: string;
  adminToken: string;
  webhookToken: string;
  /** Where the Worker sends parked-call commands (nothing listens unless a test starts it). */
  platformApiUrl: string;
  platformApiToken: string;
}

export interface RunningTactflow extends TactflowInfo {
  /** The last part of wrangler's output, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** A port nobody is listening on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no port"))));
    });
  });
}

function randomToken(label: string): string {
  return `e2e-${label}-${crypto.randomUUID()}`;
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
    return res.ok && ((await res.json()) as { ok?: unknown }).ok === true;
  } catch {
    return false;
  }
}

/** End the whole process group: wrangler runs esbuild and workerd as children. */
function killGroup(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return done();
    const pid = child.pid;
    const hard = setTimeout(() => {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // already gone
      }
    }, 5000);
    child.once("exit", () => {
      clearTimeout(hard);
      done();
    });
    try {
      process.kill(-pid, "SIGTERM");
    } catch {
      clearTimeout(hard);
      done();
    }
  });
}

export interface StartOptions {
  /** Extra `--var`s (e.g. FALLBACK_XML). */
  vars?: Record<string, string>;
  /** How long wrangler may take to answer /healthz. */
  readyTimeoutMs?: number;
}

/** Start `wrangler dev` and resolve once `/healthz` answers. */
export async function startTactflow(options: StartOptions = {}): Promise<RunningTactflow> {
  const [port, inspectorPort, platformPort] = [await freePort(), await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const info: TactflowInfo = {
    url,
    adminToken: randomToken("admin"),
    webhookToken: randomToken("webhook"),
    platformApiUrl: `http://127.0.0.1:${platformPort}`,
    platformApiToken: randomToken("platform"),
  };
  const persist = mkdtempSync(join(tmpdir(), "tactflow-e2e-"));
  const vars: Record<string, string> = {
    ADMIN_TOKEN: info.adminToken,
    WEBHOOK_TOKEN: info.webhookToken,
    PLATFORM_API_URL: info.platformApiUrl,
    PLATFORM_API_TOKEN: info.platformApiToken,
    PUBLIC_URL: url,
    ...options.vars,
  };
  const bin = join(ROOT, "node_modules", ".bin");
  const args = [
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    persist,
    "--show-interactive-dev-session=false",
  ];
  // `--var` wins over a developer's .dev.vars, so the suite's tokens are the ones in force.
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  const child = spawn(join(bin, "wrangler"), args, {
    cwd: ROOT,
    // The project's Node 24 first (wrangler needs ≥ 22.12); its own group, so stop() ends every child.
    env: {
      ...process.env,
      PATH: `${bin}${delimiter}${process.env.PATH ?? ""}`,
      WRANGLER_SEND_METRICS: "false",
      NO_COLOR: "1",
      FORCE_COLOR: "0",
    },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let exited: string | null = null;
  child.once("exit", (code, signal) => {
    exited = `wrangler exited (${signal ?? `code ${code}`})`;
  });
  const stop = async () => {
    await killGroup(child);
    rmSync(persist, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  while (!(await healthy(url))) {
    if (exited !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`${exited ?? "wrangler dev did not answer /healthz in time"}; its output:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { ...info, output: () => log, stop };
}
