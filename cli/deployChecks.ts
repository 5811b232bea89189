/**
 * What `tactflow deploy` (`npm run deploy`) checks before anything is uploaded: the Worker
 * configuration, the secrets the account holds, and the size of the bundle. Pure functions over
 * plain data, so they are tested without wrangler or an account; cli/deploy.ts gathers the data.
 */

/** The parts of wrangler's resolved configuration the checks read. */
export interface DeployConfig {
  name?: string;
  kv_namespaces?: Array<{ binding: string; id?: string }>;
  vars?: Record<string, unknown>;
}

export interface Finding {
  level: "error" | "warning";
  /** Stable, for scripts (`--json`). */
  code: string;
  message: string;
  /** What to do about it. */
  fix?: string;
}

/** Secrets without which a deployed tactflow refuses what they guard (docs/deploy.md, secrets). */
export const REQUIRED_SECRETS = ["ADMIN_TOKEN", "WEBHOOK_TOKEN"] as const;

/** Secrets the Worker reads; none of them may be a plain `vars` entry, where anyone with read access to the config sees it. */
export const SECRET_NAMES = [
  ...REQUIRED_SECRETS,
  "EVENTS_TOKEN",
  "PLATFORM_API_TOKEN",
  "WEBHOOK_SIGNING_SECRET",
  "WEBHOOK_SIGNING_KEY",
] as const;

/** The bundle budget: the minified script wrangler would upload (bytes, 1 KB = 1024 bytes). */
export const BUNDLE_BUDGET = { raw: 400 * 1024, gzip: 120 * 1024 } as const;

/** A KV namespace id as Cloudflare issues them: 32 hexadecimal digits. */
const KV_ID = /^[0-9a-f]{32}$/i;

export function checkConfig(config: DeployConfig): Finding[] {
  const findings: Finding[] = [];
  const flows = config.kv_namespaces?.find((ns) => ns.binding === "FLOWS");
  if (!flows) {
    findings.push({
      level: "error",
      code: "kv-binding-missing",
      message: "wrangler.jsonc has no FLOWS KV namespace binding; the flows live there",
      fix: 'add { "binding": "FLOWS", "id": "<id>" } to kv_namespaces',
    });
  } else if (!flows.id || !KV_ID.test(flows.id)) {
    findings.push({
      level: "error",
      code: "kv-id-placeholder",
      message: `the FLOWS KV namespace id ${JSON.stringify(flows.id ?? "")} is a placeholder, not a namespace of your account`,
      fix: "run `npx wrangler kv namespace create tactflow-flows` and put the id it prints into wrangler.jsonc (kv_namespaces → FLOWS → id)",
    });
  }

  const vars = config.vars ?? {};
  const publicUrl = typeof vars.PUBLIC_URL === "string" ? vars.PUBLIC_URL.trim() : "";
  if (!publicUrl) {
    findings.push({
      level: "error",
      code: "public-url-unset",
      message: "PUBLIC_URL is not set: the Gather URLs tactflow writes into call-flow documents need the origin Opentact reaches it at",
      fix: 'add "PUBLIC_URL": "https://flows.example.com" to vars in wrangler.jsonc (your custom domain, or https://tactflow.<subdomain>.workers.dev)',
    });
  } else {
    let url: URL | undefined;
    try {
      url = new URL(publicUrl);
    } catch {
      // reported below
    }
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
      findings.push({
        level: "error",
        code: "public-url-invalid",
        message: `PUBLIC_URL ${JSON.stringify(publicUrl)} is not an http(s) URL`,
      });
    } else {
      if (url.protocol !== "https:")
        findings.push({
          level: "warning",
          code: "public-url-not-https",
          message: `PUBLIC_URL ${publicUrl} is not https: WEBHOOK_TOKEN travels in its query string`,
        });
      if (url.search || url.hash || (url.pathname !== "/" && url.pathname !== ""))
        findings.push({
          level: "error",
          code: "public-url-not-origin",
          message: `PUBLIC_URL ${publicUrl} must be an origin (scheme, host, optional port), without a path or query`,
        });
    }
  }

  if (vars.INSECURE_DEV_MODE !== undefined && vars.INSECURE_DEV_MODE !== "" && vars.INSECURE_DEV_MODE !== "0")
    findings.push({
      level: "error",
      code: "insecure-dev-mode",
      message: "INSECURE_DEV_MODE is set in wrangler.jsonc: the platform-facing routes would run open without WEBHOOK_TOKEN",
      fix: "remove it from vars; it belongs in .dev.vars on a development machine, if anywhere",
    });
  for (const name of SECRET_NAMES) {
    if (name in vars)
      findings.push({
        level: "error",
        code: "secret-in-vars",
        message: `${name} is a plain variable in wrangler.jsonc; it is a secret`,
        fix: `remove it from vars and run \`npx wrangler secret put ${name}\``,
      });
  }
  return findings;
}

/**
 * The secrets check. `present` is what the account holds (`wrangler secret list`) plus what a
 * `--secrets-file` would upload; undefined when the list could not be read.
 */
export function checkSecrets(present: ReadonlySet<string> | undefined, vars: Record<string, unknown> = {}): Finding[] {
  if (!present) return [];
  const findings: Finding[] = [];
  for (const name of REQUIRED_SECRETS) {
    if (!present.has(name))
      findings.push({
        level: "error",
        code: "secret-missing",
        message: `the secret ${name} is not set; without it a deployed tactflow refuses the routes it guards`,
        fix: `run \`npx wrangler secret put ${name}\` (a long random value, e.g. \`openssl rand -base64 32\`)`,
      });
  }
  if (typeof vars.PLATFORM_API_URL === "string" && vars.PLATFORM_API_URL && !present.has("PLATFORM_API_TOKEN"))
    findings.push({
      level: "error",
      code: "secret-missing",
      message: "PLATFORM_API_URL is set but the secret PLATFORM_API_TOKEN is not: parked calls' commands would be refused by the platform",
      fix: "run `npx wrangler secret put PLATFORM_API_TOKEN`",
    });
  if (!present.has("EVENTS_TOKEN"))
    findings.push({
      level: "warning",
      code: "secret-missing",
      message: "EVENTS_TOKEN is not set: WebSocket event subscribers need it (or the admin token)",
      fix: "run `npx wrangler secret put EVENTS_TOKEN` if anything subscribes to call events",
    });
  return findings;
}

export interface BundleSize {
  raw: number;
  gzip: number;
}

export function checkBundle(size: BundleSize, budget: BundleSize = BUNDLE_BUDGET): Finding[] {
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  const findings: Finding[] = [];
  if (size.raw > budget.raw)
    findings.push({
      level: "error",
      code: "bundle-over-budget",
      message: `the bundle is ${kib(size.raw)}, over the ${kib(budget.raw)} budget`,
      fix: "look for a dependency pulled in whole (`npx wrangler deploy --dry-run --metafile meta.json`)",
    });
  if (size.gzip > budget.gzip)
    findings.push({
      level: "error",
      code: "bundle-over-budget",
      message: `the bundle is ${kib(size.gzip)} gzipped, over the ${kib(budget.gzip)} budget`,
      fix: "look for a dependency pulled in whole (`npx wrangler deploy --dry-run --metafile meta.json`)",
    });
  return findings;
}
