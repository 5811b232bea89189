/**
 * One `wrangler dev` for the whole e2e project: started before the first file, stopped after
 * the last, shared through `inject("tactflow")`. Each file seeds its own TNs.
 */
import type { TestProject } from "vitest/node";
import { startTactflow, type TactflowInfo } from "./harness.ts";

/** Served for numbers without a flow, so the unknown-TN scenario can recognise it. */
export const E2E_FALLBACK_XML =
  '<Response><Say>This number is not in service. This is the end to end fallback.</Say><Hangup tag="fallback"/></Response>';

declare module "vitest" {
  export interface ProvidedContext {
    tactflow: TactflowInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startTactflow({ vars: { FALLBACK_XML: E2E_FALLBACK_XML } });
  const { output: _output, stop, ...info } = server;
  project.provide("tactflow", info);
  return stop;
}
