/**
 * `tactflow deploy` (also `npm run deploy`): check, then `wrangler deploy`.
 *
 *   tactflow deploy [--dry-run] [--config wrangler.jsonc] [--secrets-file FILE] [--json]
 *
 * 1. Reads the configuration the way wrangler does and checks it (cli/deployChecks.ts): a
 *    placeholder KV namespace id, an unset PUBLIC_URL, a secret written as a plain variable.
 * 2. Lists the account's secrets (`wrangler secret list`) and checks the required ones are set
 *    (a `--secrets-file` counts; it is passed on to wrangler). With `--dry-run`, a list that can't
 *    be read (no login, no network) is a warning; for a real deploy it is an error.
 * 3. Builds exactly what would be uploaded (`wrangler deploy --dry-run --outdir dist/deploy`) and
 *    checks the bundle budget.
 * 4. Only then, without `--dry-run`, runs `wrangler deploy`.
 *
 * Exit codes: 0 done, 1 a check refused (nothing was uploaded) or wrangler's deploy failed,
 * 2 usage or local I/O (no wrangler, unreadable config), 3 Cloudflare could not be reached.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { Command } from "commander";
import { parseDevVars } from "./config.ts";
import { BUNDLE_BUDGET, type BundleSize, checkBundle, checkConfig, checkSecrets, type DeployConfig, type Finding } from "./deployChecks.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

interface DeployOptions {
  dryRun?: boolean;
  config: string;
  secretsFile?: string;
  json?: boolean;
}

interface Report {
  ok: boolean;
  dryRun: boolean;
  findings: Finding[];
  bundle?: BundleSize & { budget: BundleSize };
  deployed?: boolean;
}

class DeployError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

function wranglerBin(): string {
  const bin = join(ROOT, "node_modules", ".bin", "wrangler");
  if (!existsSync(bin)) throw new DeployError("wrangler is not installed: run `npm install` in the project (it is a devDependency)", 2);
  return bin;
}

async function readConfig(path: string): Promise<DeployConfig> {
  if (!existsSync(path)) throw new DeployError(`no Worker configuration at ${path}`, 2);
  try {
    // wrangler's own reader: JSONC, environments and defaults exactly as `wrangler deploy` sees them.
    const { unstable_readConfig } = await import("wrangler");
    return unstable_readConfig({ config: path }, { hideWarnings: true }) as DeployConfig;
  } catch (err) {
    throw new DeployError(`cannot read ${path}: ${(err as Error).message}`, 2);
  }
}

/** The secret names the account holds, or why they could not be listed. */
function listSecrets(configPath: string): { names: Set<string> } | { unreachable: string } {
  const res = spawnSync(wranglerBin(), ["secret", "list", "--format", "json", "--config", configPath], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (res.status === 0) {
    try {
      const list = JSON.parse(res.stdout) as Array<{ name: string }>;
      return { names: new Set(list.map((s) => s.name)) };
    } catch {
      return { unreachable: "wrangler secret list printed something other than JSON" };
    }
  }
  // wrangler colours its errors even with NO_COLOR.
  const text = `${res.stdout}\n${res.stderr}`.replace(/\x1b\[[0-9;]*m/g, "");
  if (/does not exist|could not find|10007/i.test(text))
    return {
      unreachable:
        "the Worker does not exist yet: put its secrets first (`npx wrangler secret put ADMIN_TOKEN` creates it) or pass --secrets-file",
    };
  const first = /\[ERROR\]\s*(.+)/.exec(text)?.[1]?.trim() ?? (res.error ? res.error.message : `wrangler exited with ${res.status}`);
  return { unreachable: first.slice(0, 300) };
}

function secretsFileNames(path: string): Set<string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new DeployError(`cannot read --secrets-file ${path}: ${(err as Error).message}`, 2);
  }
  try {
    return new Set(Object.keys(JSON.parse(text) as Record<string, unknown>));
  } catch {
    return new Set(Object.keys(parseDevVars(text)));
  }
}

/**
 * The console's static assets (dist/console) are part of what `wrangler deploy` uploads, and
 * wrangler refuses a config whose `assets.directory` is missing: build them first, every time,
 * so a deploy never ships a stale console.
 */
function buildConsoleAssets(opts: DeployOptions): void {
  say(opts, "building the console …");
  const res = spawnSync(process.execPath, [join(ROOT, "scripts", "build-console.ts")], { cwd: ROOT, encoding: "utf8" });
  if (res.status !== 0) throw new DeployError(`the console build failed:\n${res.stdout}${res.stderr}`, 1);
}

/** `wrangler deploy --dry-run` into `outdir`; the size of the modules it would upload. */
export function buildBundle(configPath: string, outdir: string): BundleSize {
  const res = spawnSync(wranglerBin(), ["deploy", "--dry-run", "--outdir", outdir, "--config", configPath], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (res.status !== 0) throw new DeployError(`wrangler deploy --dry-run failed:\n${res.stdout}${res.stderr}`, 1);
  const modules = readdirSync(outdir).filter((f) => /\.(m?js|wasm)$/.test(f));
  const contents = Buffer.concat(modules.map((f) => readFileSync(join(outdir, f))));
  return { raw: contents.length, gzip: gzipSync(contents).length };
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

function say(opts: DeployOptions, line: string): void {
  if (!opts.json) process.stderr.write(`${line}\n`);
}

function printFindings(opts: DeployOptions, findings: Finding[]): void {
  for (const f of findings) say(opts, `${f.level === "error" ? "✗" : "!"} ${f.message}${f.fix ? `\n    → ${f.fix}` : ""}`);
}

export async function deploy(opts: DeployOptions): Promise<Report> {
  const configPath = resolve(opts.config);
  const config = await readConfig(configPath);
  say(opts, `checking ${configPath} …`);
  const report: Report = { ok: false, dryRun: !!opts.dryRun, findings: checkConfig(config) };

  const listed = listSecrets(configPath);
  if ("names" in listed || opts.secretsFile) {
    const names = new Set<string>("names" in listed ? listed.names : []);
    if (opts.secretsFile) for (const n of secretsFileNames(opts.secretsFile)) names.add(n);
    report.findings.push(...checkSecrets(names, config.vars));
  }
  if ("unreachable" in listed && !opts.secretsFile) {
    report.findings.push({
      level: opts.dryRun ? "warning" : "error",
      code: "secrets-unchecked",
      message: `could not list the Worker's secrets: ${listed.unreachable}`,
      fix: "log in (`npx wrangler login`, or CLOUDFLARE_API_TOKEN) so the required secrets can be checked",
    });
  }

  buildConsoleAssets(opts);
  const configErrors = report.findings.some((f) => f.level === "error");
  // The bundle is checked even when the config is not ready, so one run reports everything.
  const outdir = join(ROOT, "dist", "deploy");
  const size = buildBundle(configPath, outdir);
  report.bundle = { ...size, budget: BUNDLE_BUDGET };
  report.findings.push(...checkBundle(size));
  say(opts, `bundle: ${kb(size.raw)} (budget ${kb(BUNDLE_BUDGET.raw)}), ${kb(size.gzip)} gzipped (budget ${kb(BUNDLE_BUDGET.gzip)})`);
  printFindings(opts, report.findings);

  const errors = report.findings.filter((f) => f.level === "error");
  if (errors.length > 0) {
    say(
      opts,
      `✗ ${errors.length} problem${errors.length === 1 ? "" : "s"}; nothing was uploaded${configErrors ? " (docs/deploy.md)" : ""}`,
    );
    return report;
  }
  if (opts.dryRun) {
    say(opts, "✓ checks passed; --dry-run: nothing was uploaded (the bundle is in dist/deploy)");
    report.ok = true;
    return report;
  }
  const args = ["deploy", "--config", configPath, ...(opts.secretsFile ? ["--secrets-file", resolve(opts.secretsFile)] : [])];
  const res = spawnSync(wranglerBin(), args, { cwd: ROOT, stdio: ["inherit", opts.json ? "pipe" : "inherit", "inherit"] });
  report.deployed = res.status === 0;
  report.ok = report.deployed;
  return report;
}

export function registerDeploy(program: Command): void {
  program
    .command("deploy")
    .description("check the configuration, secrets and bundle budget, then `wrangler deploy` (docs/deploy.md)")
    .option("--dry-run", "run every check and build the bundle, upload nothing")
    .option("--config <path>", "Worker configuration", join(ROOT, "wrangler.jsonc"))
    .option("--secrets-file <path>", "secrets to upload with this deploy (KEY=value lines or JSON), passed on to wrangler")
    .option("--json", "print the report as JSON on stdout")
    .action(async (opts: DeployOptions) => {
      try {
        const report = await deploy(opts);
        if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        // Cloudflare unreachable for a real deploy is a connection failure, not a refusal.
        const unreachable = report.findings.some((f) => f.level === "error" && f.code === "secrets-unchecked");
        process.exitCode = report.ok ? 0 : unreachable ? 3 : 1;
      } catch (err) {
        const exitCode = err instanceof DeployError ? err.exitCode : 2;
        const message = (err as Error).message;
        if (opts.json)
          process.stdout.write(
            `${JSON.stringify({ type: "about:blank", title: "Deploy failed", status: exitCode === 1 ? 422 : 400, detail: message }, null, 2)}\n`,
          );
        else process.stderr.write(`tactflow: ${message}\n`);
        process.exitCode = exitCode;
      }
    });
}
