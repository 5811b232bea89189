import { exports } from "cloudflare:workers";

export const ADMIN = { authorization: "Bearer test-admin-token" };

/** A TN no other test uses: 1 + a random ten-digit NANP-shaped number. */
export function freshTn(): string {
  return `1555${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
}

export function api(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(`http://tactflow.test${path}`, {
    ...init,
    headers: { ...ADMIN, ...(init.headers as Record<string, string> | undefined) },
  });
}

export async function publish(tn: string, xml: string, options: Record<string, unknown> = {}): Promise<Response> {
  return api(`/v1/flows/${encodeURIComponent(tn)}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ xml, ...options }),
  });
}

export async function publishOk(tn: string, xml: string, options: Record<string, unknown> = {}): Promise<{ version: string }> {
  const res = await publish(tn, xml, options);
  if (res.status !== 201 && res.status !== 200) throw new Error(`publish ${tn} → ${res.status}: ${await res.text()}`);
  return (await res.json()) as { version: string };
}

export function webhook(query: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(`http://tactflow.test/v1/callflow?${query}`, init);
}

export const SIMPLE = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Say>Hello {{from}}, you called {{to}}.</Say>
  <Hangup/>
</Response>`;
