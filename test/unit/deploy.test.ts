/**
 * `tactflow deploy` / `npm run deploy`: what it refuses before anything is uploaded. The real
 * build against the budget runs before vitest in `npm test` (scripts/check-deploy.ts), alone,
 * because a bundle build beside the parallel unit files slows every CLI test.
 */
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

  it("INSECURE_DEV_MODE in the deployed variables is refused", () => {
    expect(codes(checkConfig({ ...READY, vars: { ...READY.vars, INSECURE_DEV_MODE: "1" } }))).toEqual(["error:insecure-dev-mode"]);
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
