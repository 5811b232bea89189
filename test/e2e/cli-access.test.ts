/**
 * The CLI as a script writer uses it against a running server: global --url/--token before the
 * command, --json everywhere including failures (a problem document on stdout), and one exit
 * code per cause — 1 the server refused, 2 usage or local I/O, 3 the server could not be reached.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./harness.ts";
import { tactflow } from "./tactflow.ts";

// Outside the project, so no .dev.vars or npm start address is picked up by accident.
const elsewhere = mkdtempSync(join(tmpdir(), "tactflow-cli-"));

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  for (const k of Object.keys(env)) if (k.startsWith("TACTFLOW_")) delete env[k];
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "tactflow.mjs"), ...args], { cwd: elsewhere, env, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("tactflow keys and audit, as a script runs them", () => {
  it("creates a key, uses it, is refused outside its scope, revokes it, and the audit log shows it", () => {
    const { url, adminToken } = tactflow();
    const created = cli("--url", url, "--token", adminToken, "keys", "create", "e2e-reader", "flows:read@1800555*", "--json");
    expect(created.code).toBe(0);
    const { key, secret } = JSON.parse(created.stdout) as { key: { id: string }; secret: string };

    expect(cli("--url", url, "--token", secret, "flows", "list", "--json").code).toBe(0);
    const refused = cli("--url", url, "--token", secret, "keys", "list", "--json");
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ status: 403, scope: "keys:admin" });

    expect(cli("--url", url, "--token", adminToken, "keys", "revoke", key.id).code).toBe(0);
    const revoked = cli("--url", url, "--token", secret, "flows", "list", "--json");
    expect(revoked.code).toBe(1);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ status: 401 });

    const audit = cli("--url", url, "--token", adminToken, "audit", "--limit", "2", "--json");
    expect(audit.code).toBe(0);
    const entries = (JSON.parse(audit.stdout) as { entries: Array<{ action: string; actor: string }> }).entries;
    expect(entries.map((e) => e.action)).toEqual(["key.revoke", "key.create"]);
  });

  it("exit 2 for usage (no token anywhere), exit 3 when the server can't be reached, both as JSON problems", () => {
    const usage = cli("--url", tactflow().url, "keys", "list", "--json");
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stdout)).toMatchObject({ title: "Usage" });
    const down = cli("--url", "http://127.0.0.1:9", "--token", "x", "audit", "--json");
    expect(down.code).toBe(3);
    expect(JSON.parse(down.stdout)).toMatchObject({ title: "Unreachable" });
    expect(cli("--url", "http://127.0.0.1:9", "--token", "x", "flows", "list").code).toBe(3);
  });

  it("flows delete asks first: without a terminal and without --yes it refuses (exit 2) and deletes nothing", () => {
    const { url, adminToken } = tactflow();
    const r = cli("--url", url, "--token", adminToken, "flows", "delete", "18005550999");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--yes");
  });
});
