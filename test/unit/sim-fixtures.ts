/**
 * An in-memory tactflow for simulator tests: it serves call-flow documents by path, records
 * every request, collects posted events, and can leave a request hanging so a timeout fires.
 */
import {
  placeCall,
  type CallResult,
  type FetchLike,
  type Scenario,
  type SimOptions,
  type TraceDetails,
  type TraceKind,
  type WaitLike,
} from "../../sim/index.ts";

export interface SeenRequest {
  method: string;
  url: URL;
  body: string;
}

/** A document, a handler, or `"hang"`: never answer (until the request's deadline). */
export type Route = string | "hang" | ((req: SeenRequest) => Response | Promise<Response>);

export const BASE = "http://tactflow.test";

export function xmlResponse(xml: string, status = 200): Response {
  return new Response(xml, { status, headers: { "content-type": "text/xml; charset=utf-8" } });
}

export function fakeTactflow(routes: Record<string, Route>) {
  const requests: SeenRequest[] = [];
  const events: Array<Record<string, unknown>> = [];
  let hangPending = false;
  const fetchImpl: FetchLike = async (input, init) => {
    const url = new URL(input);
    const body = typeof init?.body === "string" ? init.body : "";
    const req: SeenRequest = { method: init?.method ?? "GET", url, body };
    if (url.pathname === "/v1/webhooks/events" && !("/v1/webhooks/events" in routes)) {
      events.push(JSON.parse(body) as Record<string, unknown>);
      return new Response(null, { status: 202 });
    }
    requests.push(req);
    const route = routes[url.pathname];
    if (route === undefined) return new Response("no such route", { status: 404 });
    if (route === "hang") {
      hangPending = true;
      return new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
      });
    }
    if (typeof route === "string") return xmlResponse(route);
    return route(req);
  };
  // The deadline timer fires only for a request that hangs; every other request answers first.
  const wait: WaitLike = () => {
    if (hangPending) {
      hangPending = false;
      return Promise.resolve();
    }
    return new Promise<void>(() => undefined);
  };
  return { fetch: fetchImpl, wait, requests, events };
}

export type FakeTactflow = ReturnType<typeof fakeTactflow>;

/** Easy arithmetic for timestamp tests: 100 ms of speech per character, no minimum. */
export const ROUND_TIMING = { sayPerCharMs: 100, sayMinMs: 0, playMs: 2000, reactionMs: 500, interDigitMs: 200 };

/** Place a call against `routes` (a string is the call-flow document). */
export async function call(
  routes: string | Record<string, Route>,
  scenario: Partial<Scenario> = {},
  options: Partial<SimOptions> = {},
): Promise<{ result: CallResult; server: FakeTactflow }> {
  const server = fakeTactflow(typeof routes === "string" ? { "/v1/callflow": routes } : routes);
  let ids = 0;
  const result = await placeCall(
    { from: "15551230000", to: "18005550100", at: "2026-11-23T15:00:00Z", callId: "call-1", ...scenario },
    { baseUrl: BASE, fetch: server.fetch, wait: server.wait, webhookToken: "hook-secret", newId: () => `id-${++ids}`, ...options },
  );
  return { result, server };
}

export function entries<K extends TraceKind>(result: CallResult, kind: K): Array<{ t: number; detail: TraceDetails[K]; path?: string }> {
  return result.trace.filter((e) => e.kind === kind) as unknown as Array<{ t: number; detail: TraceDetails[K]; path?: string }>;
}

/** Everything the caller heard spoken, in order. */
export function said(result: CallResult): string[] {
  return entries(result, "SAY").map((e) => e.detail.text);
}

/** Which branches the Gathers took, e.g. `["Case 1", "Default"]`. */
export function branches(result: CallResult): string[] {
  return entries(result, "BRANCH").map((e) => (e.detail.value !== undefined ? `${e.detail.branch} ${e.detail.value}` : e.detail.branch));
}

/** Inputs as the scenario wants them: `keys("1", "", "1234#")`. */
export function keys(...entries: string[]): Array<{ digits: string }> {
  return entries.map((digits) => ({ digits }));
}
