/**
 * `tactflow deploy` / `npm run deploy`: what it refuses before anything is uploaded, and the
 * bundle budget on the real build (`wrangler deploy --dry-run`, no account or network needed).
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { unstable_readConfig } from "wrangler";
import { describe, expect, it } from "vitest";
import { BUNDLE_BUDGET, checkBundle, checkConfig, checkSecrets, type DeployConfig } from "../../cli/deployChecks.ts";
import { projectRoot } from "./helpers/examples.ts";

const READY: DeployConfig = {
  kv_namespaces: [{ binding: "FLOWS", id: "0f2ac74b498b48028cb68387c421e279" }],
  vars: { PARK_TIMEOUT_MS: "30000", PUBLIC_URL: "https://flows.example.com" },
};
const codes = (findings: { code: string; level: string }[]) => findings.map((f) => `${f.level}:${f.code}`);

describe("deploy checks", () => {
  it("the repository's own wrangler.jsonc is refused: its KV id is a placeholder and PUBLIC_URL is unset", () => {
    const config = unstable_readConfig({ config: join(projectRoot, "wrangler.jsonc") }, { hideWarnings: true }) as DeployConfig;
    const findings = checkConfig(config);
    expect(codes(findings)).toEqual(["error:kv-id-placeholder", "error:public-url-unset"]);
    expect(findings[0]!.fix).toContain("wrangler kv namespace create");
  });

  it("a configured file passes", () => {
    expect(checkConfig(READY)).toEqual([]);
  });

  it("PUBLIC_URL must be an origin, and http is only a warning", () => {
    const withUrl = (PUBLIC_URL: string) => codes(checkConfig({ ...READY, vars: { PUBLIC_URL } }));
    expect(withUrl("https://flows.example.com/v1")).toEqual(["error:public-url-not-origin"]);
    expect(withUrl("flows.example.com")).toEqual(["error:public-url-invalid"]);
    expect(withUrl("http://flows.example.com")).toEqual(["warning:public-url-not-https"]);
  });

  it("a secret written as a plain variable is refused", () => {
    const findings = checkConfig({ ...READY, vars: { ...READY.vars, ADMIN_TOKEN: "hunter2" } });
    expect(codes(findings)).toEqual(["error:secret-in-vars"]);
    expect(findings[0]!.message).toContain("ADMIN_TOKEN");
  });

  it("missing required secrets are errors naming the secret; EVENTS_TOKEN is a warning", () => {
    const findings = checkSecrets(new Set(["ADMIN_TOKEN"]));
    expect(codes(findings)).toEqual(["error:secret-missing", "warning:secret-missing"]);
    expect(findings[0]!.fix).toContain("wrangler secret put WEBHOOK_TOKEN");
    expect(codes(checkSecrets(new Set(["ADMIN_TOKEN", "WEBHOOK_TOKEN", "EVENTS_TOKEN"])))).toEqual([]);
    expect(codes(checkSecrets(new Set(["ADMIN_TOKEN", "WEBHOOK_TOKEN", "EVENTS_TOKEN"]), { PLATFORM_API_URL: "https://api" }))).toEqual([
      "error:secret-missing",
    ]);
  });

  it("the budget counts raw and gzipped bytes separately", () => {
    expect(checkBundle({ raw: BUNDLE_BUDGET.raw, gzip: BUNDLE_BUDGET.gzip })).toEqual([]);
    expect(codes(checkBundle({ raw: BUNDLE_BUDGET.raw + 1, gzip: 1 }))).toEqual(["error:bundle-over-budget"]);
  });
});

describe("npm run deploy -- --dry-run", () => {
  it("on a configured copy of wrangler.jsonc: every check passes and the bundle is within budget", { timeout: 120_000 }, async () => {
    // A deployer's configuration: the repository's, with a real-looking id and PUBLIC_URL.
    const dir = join(projectRoot, "dist", "deploy-test");
    mkdirSync(dir, { recursive: true });
    const raw = unstable_readConfig({ config: join(projectRoot, "wrangler.jsonc") }, { hideWarnings: true });
    const config = {
      name: raw.name,
      main: "../../src/index.ts",
      compatibility_date: raw.compatibility_date,
      compatibility_flags: raw.compatibility_flags,
      minify: raw.minify,
      kv_namespaces: READY.kv_namespaces,
      durable_objects: raw.durable_objects,
      exports: raw.exports,
      vars: { ...raw.vars, PUBLIC_URL: "https://flows.example.com" },
    };
    writeFileSync(join(dir, "wrangler.jsonc"), JSON.stringify(config, null, 2));
    writeFileSync(join(dir, "secrets.env"), "ADMIN_TOKEN=a\nWEBHOOK_TOKEN=b\nEVENTS_TOKEN=c\n");
    // No account: the secrets come from the file, as on a first deploy.
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
    for (const k of Object.keys(env)) if (k.startsWith("CLOUDFLARE_")) delete env[k];
    const bin = join(projectRoot, "bin", "tactflow.mjs");
    const args = [
      bin,
      "deploy",
      "--dry-run",
      "--json",
      "--config",
      join(dir, "wrangler.jsonc"),
      "--secrets-file",
      join(dir, "secrets.env"),
    ];
    const run = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, args, { cwd: projectRoot, env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout }));
    });
    const report = JSON.parse(run.stdout) as { ok: boolean; findings: unknown[]; bundle: { raw: number; gzip: number } };
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
    expect(run.code).toBe(0);
    expect(report.bundle.raw).toBeLessThanOrEqual(BUNDLE_BUDGET.raw);
    expect(report.bundle.gzip).toBeLessThanOrEqual(BUNDLE_BUDGET.gzip);
  });
});
