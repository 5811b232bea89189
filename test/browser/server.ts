/**
 * The browser tests' server (`wrangler dev`, started once by global-setup.ts) and what several of
 * them do with it: call the admin API, and publish a copy of the IVR demo on a number of their own
 * so the seeded demo numbers stay as they are.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inject } from "vitest";
import { ROOT } from "../e2e/harness.ts";

export const server = inject("console");

/** The IVR demo's document, as flows/demo has it. */
export const IVR = readFileSync(join(ROOT, "flows", "demo", "ivr-menu.xml"), "utf8");

/** A request to the server with the admin token (JSON unless `init` says otherwise). */
export function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/json", ...init.headers },
  });
}

/** Publish the IVR demo on `tn` with the demo's variables; throws unless the server took it. */
export async function publishIvrCopy(tn: string, description?: string): Promise<void> {
  const res = await api(`/v1/flows/${tn}`, {
    method: "PUT",
    body: JSON.stringify({
      xml: IVR,
      ...(description ? { description } : {}),
      variables: { company: "Acme", sales: "sip:sales@example.org", support: "sip:support@example.org" },
    }),
  });
  if (res.status >= 300) throw new Error(`publishing the IVR copy on ${tn} failed: ${res.status} ${await res.text()}`);
}
