/**
 * The contract clients generate from: the OpenAPI document the running server serves lints
 * clean under Redocly's recommended rules (redocly.yaml; the findings that can't apply are
 * listed in .redocly.lint-ignore.yaml), offline. Every operation has an operationId and a
 * security requirement, and every response that has a body says what it is.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./harness.ts";
import { tactflow } from "./tactflow.ts";

type Json = Record<string, unknown>;

async function served(): Promise<Json> {
  const res = await fetch(`${tactflow().url}/v1/openapi.json`);
  expect(res.status).toBe(200);
  return (await res.json()) as Json;
}

describe("the OpenAPI document", () => {
  it("lints clean under Redocly's recommended rules", async () => {
    const doc = await served();
    mkdirSync(join(ROOT, "dist"), { recursive: true });
    writeFileSync(join(ROOT, "dist", "openapi.json"), JSON.stringify(doc, null, 2));
    const run = spawnSync(process.execPath, [join(ROOT, "node_modules", "@redocly", "cli", "bin", "cli.js"), "lint", "dist/openapi.json"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" },
    });
    const out = `${run.stdout}\n${run.stderr}`;
    expect(out).not.toMatch(/\bwarnings?\b.*\n|You have \d+ warning/);
    expect(out).toContain("Your API description is valid");
    expect(run.status).toBe(0);
  });

  it("names the server, and gives every operation an operationId, a security requirement and typed responses", async () => {
    const doc = await served();
    expect((doc.servers as Array<{ url: string }>)[0]!.url).toBe(tactflow().url);
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const [method, op] of Object.entries(item)) {
        if (method === "parameters") continue;
        const o = op as { operationId?: string; security?: unknown[]; responses: Record<string, { content?: unknown }> };
        expect(o.operationId, `${method} ${path}`).toBeTruthy();
        expect(ids.has(o.operationId!)).toBe(false);
        ids.add(o.operationId!);
        expect(Array.isArray(o.security), `${method} ${path} security`).toBe(true);
        for (const [code, r] of Object.entries(o.responses))
          if (code !== "101" && code !== "204") expect(r.content, `${method} ${path} ${code}`).toBeDefined();
      }
    }
    // Each developer route lists the scope an API key needs.
    const flows = (doc.paths as Record<string, Record<string, { security: Array<Record<string, string[]>> }>>)["/v1/flows/{tn}"]!;
    expect(flows.put!.security).toEqual([{ bearer: ["flows:write"] }]);
    expect(flows.get!.security).toEqual([{ bearer: ["flows:read"] }]);
  });
});
