/**
 * The console's browser tests: one `wrangler dev` (the e2e harness: free port, own tokens, empty
 * persistence) serving the built console from dist/console, with the demo flows published.
 * Refuses to start — with how to fix it — when Chromium or the console build is missing.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { ROOT, startTactflow, type TactflowInfo } from "../e2e/harness.ts";
import { chromiumMissing } from "./chromium.ts";

declare module "vitest" {
  export interface ProvidedContext {
    console: TactflowInfo;
  }
}

interface DemoFlow {
  tn: string;
  file: string;
  [option: string]: unknown;
}

/** Publish flows/demo as `npm start` does, so the tests see what a new user sees. */
export async function seedDemo(url: string, adminToken: string): Promise<void> {
  const dir = join(ROOT, "flows", "demo");
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { flows: DemoFlow[] };
  for (const { tn, file, ...options } of manifest.flows) {
    const res = await fetch(`${url}/v1/flows/${tn}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ xml: readFileSync(join(dir, file), "utf8"), ...options }),
    });
    if (!res.ok) throw new Error(`seeding ${tn}: HTTP ${res.status} ${await res.text()}`);
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  if (!existsSync(join(ROOT, "dist", "console", "index.html"))) {
    throw new Error("The console is not built: run `npm run build:console` (npm test and npm run test:browser do it first).");
  }
  const server = await startTactflow();
  try {
    await seedDemo(server.url, server.adminToken);
  } catch (err) {
    await server.stop();
    throw err;
  }
  const { output: _output, stop, ...info } = server;
  project.provide("console", info);
  return stop;
}
