/**
 * `tactflow validate --var/--manifest`: placeholders are checked as publishing checks them, with
 * each flow's variables; the real bin in a child process.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "./helpers/examples.ts";

const bin = join(projectRoot, "bin", "tactflow.mjs");
const run = (...args: string[]) =>
  spawnSync(process.execPath, [bin, "validate", ...args], { cwd: projectRoot, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });

describe("tactflow validate with variables", () => {
  it("--manifest checks every listed flow with its own variables", () => {
    const r = run("--manifest", "flows/demo/manifest.json");
    expect(r.stdout).toBe("3 files checked: no problems\n");
    expect(r.status).toBe(0);
  });

  it("--var: an undeclared {{vars.NAME}} is the error publishing would give", () => {
    const r = run("--var", "company=Acme", "flows/demo/ivr-menu.xml");
    expect(r.stdout).toContain("flows/demo/ivr-menu.xml:11:11: error: <To>: {{vars.sales}} is not a declared variable");
    expect(r.status).toBe(1);
  });

  it("a malformed --var or an unreadable manifest is a usage error (exit 2)", () => {
    expect(run("--var", "nope", "flows/demo/ivr-menu.xml").status).toBe(2);
    expect(run("--manifest", "no/such.json").status).toBe(2);
  });
});
