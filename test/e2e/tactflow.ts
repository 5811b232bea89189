/**
 * What e2e tests do with the shared server: seed flows through the admin API and place
 * simulated calls against it.
 */
import { inject } from "vitest";
import { placeCall, type CallResult, type Scenario, type SimOptions } from "../../sim/index.ts";
import type { TactflowInfo } from "./harness.ts";

export function tactflow(): TactflowInfo {
  return inject("tactflow");
}

export interface FlowBody {
  xml: string;
  mode?: "sync" | "async";
  timezone?: string;
  conditions?: "evaluate" | "platform";
  variables?: Record<string, string>;
  description?: string;
  /** Park deadline for async flows. */
  parkTimeoutMs?: number;
}

/** Publish a flow for a TN (`PUT /v1/flows/{tn}`); throws with the server's answer if refused. */
export async function publishFlow(tn: string, body: FlowBody): Promise<void> {
  const t = tactflow();
  const res = await fetch(`${t.url}/v1/flows/${encodeURIComponent(tn)}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${t.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (res.status !== 200 && res.status !== 201) throw new Error(`publishing ${tn} failed: HTTP ${res.status} ${await res.text()}`);
}

/** Place a simulated call against the shared server, as the platform would. */
export function callTn(scenario: Partial<Scenario> & Pick<Scenario, "to">, options: Partial<SimOptions> = {}): Promise<CallResult> {
  const t = tactflow();
  return placeCall({ from: "15551230000", ...scenario }, { baseUrl: t.url, webhookToken: t.webhookToken, ...options });
}

/** Everything the caller heard spoken, in order. */
export function heard(result: CallResult): string[] {
  return result.trace.flatMap((e) => (e.kind === "SAY" ? [e.detail.text] : []));
}
