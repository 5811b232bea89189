/**
 * `npm start`: a fresh clone answers calls at once.
 *
 * 1. Writes `.dev.vars` with random development tokens if there is none (never overwrites).
 * 2. Builds the web console into dist/console and keeps rebuilding it on change (wrangler dev
 *    serves that folder as static assets, so a reload shows the change).
 * 3. Starts `wrangler dev --ip 127.0.0.1 --port ${PORT:-8787}`; Ctrl-C (SIGINT/SIGTERM) is
 *    forwarded to it and we exit when it does.
 * 4. Waits for `/healthz`, then publishes the demo flows in `flows/demo/manifest.json` through
 *    the admin API. Publishing is content-addressed, so a second start answers 200 "unchanged".
 * 5. Prints the console's address, the webhook curl and where the tokens are.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEV_SERVER_FILE, parseDevVars } from "../cli/config.ts";
import { describe as describeBuild, watchConsole } from "./build-console.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const port = Number(process.env.PORT ?? "8787");
const base = `http://127.0.0.1:${port}`;
const devVarsPath = join(root, ".dev.vars");
/** The simulator's Call Control API for parked calls; `tactflow call` listens here. */
const DEV_PLATFORM_API_URL = "http://127.0.0.1:8789";

interface DemoFlow {
  tn: string;
  file: string;
  description?: string;
  timezone?: string;
  mode?: string;
  parkTimeoutMs?: number;
  conditions?: string;
  variables?: Record<string, string>;
}

function say(line: string): void {
  process.stdout.write(`\x1b[36m[tactflow]\x1b[0m ${line}\n`);
}

function ensureDevVars(): Record<string, string> {
  if (!existsSync(devVarsPath)) {
    const token = () => randomBytes(24).toString("base64url");
    writeFileSync(
      devVarsPath,
      [
        "# Development secrets for `wrangler dev`, written by `npm start` (never committed; see .gitignore).",
        "# Production: `wrangler secret put ADMIN_TOKEN` (and WEBHOOK_TOKEN, EVENTS_TOKEN).",
        `ADMIN_TOKEN=${token()}`,
        `WEBHOOK_TOKEN=${token()}`,
        `EVENTS_TOKEN=${token()}`,
        "# Where parked calls' commands go: `tactflow call` serves this Call Control API locally.",
        `PLATFORM_API_URL=${DEV_PLATFORM_API_URL}`,
        `PLATFORM_API_TOKEN=${token()}`,
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    say(`wrote development tokens to ${devVarsPath}`);
  }
  const vars = parseDevVars(readFileSync(devVarsPath, "utf8"));
  // A .dev.vars from an older start may lack a token; the server fails closed without it, so
  // add the missing ones (appended, nothing already there is changed).
  const missing = ["ADMIN_TOKEN", "WEBHOOK_TOKEN", "EVENTS_TOKEN"].filter((k) => !vars[k]);
  if (missing.length > 0) {
    const lines = missing.map((k) => `${k}=${randomBytes(24).toString("base64url")}`);
    appendFileSync(devVarsPath, `\n# Added by npm start: the server refuses routes whose token is not set.\n${lines.join("\n")}\n`);
    say(`added ${missing.join(", ")} to ${devVarsPath}`);
    return parseDevVars(readFileSync(devVarsPath, "utf8"));
  }
  return vars;
}

async function waitForHealth(child: ReturnType<typeof spawn>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (code ${child.exitCode}) before it was ready`);
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${base}/healthz did not answer within ${timeoutMs / 1000}s`);
}

async function seed(adminToken: string): Promise<void> {
  const dir = join(root, "flows", "demo");
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { flows: DemoFlow[] };
  for (const flow of manifest.flows) {
    const { tn, file, ...options } = flow;
    const xml = readFileSync(join(dir, file), "utf8");
    const res = await fetch(`${base}/v1/flows/${encodeURIComponent(tn)}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ xml, ...options }),
    });
    const body = (await res.json()) as { version?: string; title?: string; detail?: string };
    if (res.status === 201) say(`seeded ${tn} ← flows/demo/${file} (version ${body.version?.slice(0, 12)})`);
    else if (res.status === 200) say(`${tn} already serves flows/demo/${file} (version ${body.version?.slice(0, 12)})`);
    else throw new Error(`seeding ${tn} failed: ${res.status} ${body.title ?? ""} ${body.detail ?? ""}`);
  }
}

async function main(): Promise<void> {
  const vars = ensureDevVars();
  // The first build finishes before wrangler starts, so the console is there from the first request.
  await watchConsole((r, first) => say(first ? describeBuild(r) : `console rebuilt: ${describeBuild(r).replace("console built: ", "")}`));
  const wrangler = join(root, "node_modules", ".bin", "wrangler");
  // A .dev.vars from before parked calls existed lacks the Call Control settings: supply them.
  const extra: string[] = [];
  if (!vars.PLATFORM_API_URL) extra.push("--var", `PLATFORM_API_URL:${DEV_PLATFORM_API_URL}`);
  // A deployer's wrangler.jsonc names the production origin in PUBLIC_URL; locally the
  // Gather URLs must point here.
  if (!vars.PUBLIC_URL) extra.push("--var", `PUBLIC_URL:${base}`);
  const child = spawn(wrangler, ["dev", "--ip", "127.0.0.1", "--port", String(port), "--show-interactive-dev-session=false", ...extra], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
  });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    say("stopping wrangler dev…");
    child.kill(signal);
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 0 : 1)));

  try {
    await waitForHealth(child, 90_000);
    // Where the CLI looks for the server when neither --url nor TACTFLOW_URL says (cli/config.ts).
    mkdirSync(join(root, ".wrangler"), { recursive: true });
    writeFileSync(join(root, DEV_SERVER_FILE), `${JSON.stringify({ url: base, pid: process.pid })}\n`);
    if (!vars.ADMIN_TOKEN) throw new Error(".dev.vars has no ADMIN_TOKEN; add one or delete the file to get fresh tokens");
    await seed(vars.ADMIN_TOKEN);
  } catch (err) {
    say(`\x1b[31m${(err as Error).message}\x1b[0m`);
    stop("SIGTERM");
    process.exitCode = 1;
    return;
  }

  const token = vars.WEBHOOK_TOKEN ? `&token=${encodeURIComponent(vars.WEBHOOK_TOKEN)}` : "";
  say(`console: ${base}/ — sign in with ADMIN_TOKEN from .dev.vars`);
  say(
    `ready on ${base} (the CLI finds it there) — tokens are in .dev.vars (ADMIN_TOKEN for the admin API and CLI, WEBHOOK_TOKEN for platform webhooks)`,
  );
  say("try the webhook as Opentact would call it:");
  process.stdout.write(`\n  curl '${base}/v1/callflow?from=%2B12125550123&to=18005550100${token}'\n`);
  process.stdout.write(`  curl '${base}/v1/callflow?from=%2B12125550123&to=18005550199${token}'\n\n`);
  say("a parked call (async flow; Ctrl-C or a <Hangup/> command ends it): npx tactflow call --to 18005550177 --from +12125550123");
  say("and the CLI: npx tactflow flows list · npx tactflow flows preview 18005550199 --from +12125550123 --at 2026-11-23T15:00:00Z");
  say("Ctrl-C stops the server.");
}

await main();
