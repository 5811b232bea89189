/**
 * `npm run check:deploy` (part of `npm test`): `npm run deploy -- --dry-run` on a deployer's copy
 * of wrangler.jsonc — the repository's, with a real-looking KV id and PUBLIC_URL, the secrets in
 * a `--secrets-file` as on a first deploy — must pass every check, bundle budget included.
 * No account or network is needed: nothing is uploaded.
 *
 * It runs on its own before vitest: a bundle build beside the parallel test files slows them all.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { experimental_readRawConfig } from "wrangler";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, "dist", "deploy-check");
mkdirSync(dir, { recursive: true });

// The file as written (not wrangler's resolved view), so every setting carries over as it is.
const { rawConfig: repo } = experimental_readRawConfig({ config: join(root, "wrangler.jsonc") });
const { $schema: _schema, ...settings } = repo as typeof repo & { $schema?: string };
const configured = {
  ...settings,
  main: join("..", "..", repo.main ?? "src/index.ts"),
  kv_namespaces: [{ binding: "FLOWS", id: "0f2ac74b498b48028cb68387c421e279" }],
  ...(repo.assets?.directory ? { assets: { ...repo.assets, directory: join("..", "..", repo.assets.directory) } } : {}),
  // Module aliases that name files are relative to the config, which now sits two levels down.
  ...(repo.alias
    ? {
        alias: Object.fromEntries(
          Object.entries(repo.alias as Record<string, string>).map(([k, v]) => [k, v.startsWith(".") ? join("..", "..", v) : v]),
        ),
      }
    : {}),
  vars: { ...repo.vars, PUBLIC_URL: "https://flows.example.com" },
};
writeFileSync(join(dir, "wrangler.jsonc"), JSON.stringify(configured, null, 2));
writeFileSync(join(dir, "secrets.env"), "ADMIN_TOKEN=a\nWEBHOOK_TOKEN=b\nEVENTS_TOKEN=c\n");

// No account: the secrets come from the file; a logged-in machine must not change the outcome.
const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
for (const k of Object.keys(env)) if (k.startsWith("CLOUDFLARE_")) delete env[k];
const run = spawnSync(
  process.execPath,
  [
    join(root, "bin", "tactflow.mjs"),
    "deploy",
    "--dry-run",
    "--json",
    "--config",
    join(dir, "wrangler.jsonc"),
    "--secrets-file",
    join(dir, "secrets.env"),
  ],
  { cwd: root, env, encoding: "utf8" },
);

interface Report {
  ok: boolean;
  findings: Array<{ level: string; code: string; message: string }>;
  bundle?: { raw: number; gzip: number; budget: { raw: number; gzip: number } };
}
let report: Report | undefined;
try {
  report = JSON.parse(run.stdout) as Report;
} catch {
  process.stderr.write(`check:deploy: tactflow deploy printed no report (exit ${run.status}):\n${run.stdout}${run.stderr}`);
  process.exit(1);
}
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
if (report.bundle)
  process.stdout.write(
    `check:deploy: bundle ${kb(report.bundle.raw)} (budget ${kb(report.bundle.budget.raw)}), ${kb(report.bundle.gzip)} gzipped (budget ${kb(report.bundle.budget.gzip)})\n`,
  );
for (const f of report.findings) process.stdout.write(`check:deploy: ${f.level}: ${f.code}: ${f.message}\n`);
if (!report.ok || run.status !== 0 || report.findings.length > 0) {
  process.stderr.write(`check:deploy: npm run deploy -- --dry-run did not pass on a configured wrangler.jsonc (exit ${run.status})\n`);
  process.exit(1);
}
process.stdout.write("check:deploy: a configured deploy passes every check\n");
