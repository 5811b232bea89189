/**
 * The platform's HTTP side: fetch a call-flow document with a deadline and say precisely what
 * went wrong when there is no usable document (unreachable, timed out, an HTTP error, not XML).
 *
 * `fetch` and the deadline timer are injected, so tests serve documents from memory and decide
 * when a request times out without waiting for real.
 */
import { checkFlow, type Diagnostic, type FlowDocument } from "../src/xml/index.ts";
import type { RequestDetail } from "./types.ts";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Resolve after `ms` of real time, or never once `signal` aborts. */
export type WaitLike = (ms: number, signal: AbortSignal) => Promise<void>;

export const realWait: WaitLike = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
  });

/** Hide credentials in URLs that end up in transcripts, traces and logs. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|jwt|secret|key|auth|password)[^=&#]*=)[^&#]*/gi, "$1…");
}

/** Append query parameters, keeping the URL's own query (docs/opentact.md §b.6: "existing query kept"). */
export function appendQuery(url: string, params: Record<string, string>): string {
  const query = new URLSearchParams(params).toString();
  if (!query) return url;
  const hash = url.indexOf("#");
  const base = hash >= 0 ? url.slice(0, hash) : url;
  const frag = hash >= 0 ? url.slice(hash) : "";
  const sep = !base.includes("?") ? "?" : base.endsWith("?") || base.endsWith("&") ? "" : "&";
  return `${base}${sep}${query}${frag}`;
}

export type FlowFetchFailure = "unreachable" | "timeout" | "status" | "not-xml";

export type FlowFetch =
  | { ok: true; document: FlowDocument; problems: Diagnostic[]; detail: RequestDetail; url: string }
  | { ok: false; failure: FlowFetchFailure; message: string; detail: RequestDetail };

export interface FlowRequest {
  purpose: RequestDetail["purpose"];
  method: string;
  url: string;
  /** JSON body; only sent with methods that carry one. */
  body?: unknown;
  /** Give up after this long (real time); 0: wait as long as it takes. */
  timeoutMs: number;
}

const TIMED_OUT: unique symbol = Symbol("timed out");

/** An error as one line, with the network cause (`ECONNREFUSED …`) when there is one. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as Error & { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as Error & { code?: string }).code;
    return code ? `${code} (${cause.message})` : cause.message;
  }
  return err.message;
}

function excerpt(text: string): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > 160 ? `${one.slice(0, 160)}…` : one || "(empty body)";
}

/** Request a call-flow document: a 2xx answer whose body parses with a `<Response>` root. */
export async function fetchFlow(fetchImpl: FetchLike, wait: WaitLike, req: FlowRequest): Promise<FlowFetch> {
  const method = req.method.toUpperCase();
  const detail: RequestDetail = { purpose: req.purpose, method, url: redactUrl(req.url) };
  const init: RequestInit = { method, headers: { accept: "text/xml, application/xml;q=0.9, */*;q=0.1" } };
  if (req.body !== undefined && method !== "GET") {
    init.body = JSON.stringify(req.body);
    init.headers = { ...(init.headers as Record<string, string>), "content-type": "application/json" };
  }
  const aborter = new AbortController();
  const timerStop = new AbortController();
  init.signal = aborter.signal;
  const exchange = (async () => {
    const res = await fetchImpl(req.url, init);
    return { res, text: await res.text() };
  })();
  let outcome: Awaited<typeof exchange> | typeof TIMED_OUT;
  try {
    // A timeout of 0 disables it, as the platform's request timeouts do (docs/opentact.md §a.2).
    const deadline =
      req.timeoutMs > 0
        ? wait(req.timeoutMs, timerStop.signal).then((): typeof TIMED_OUT => TIMED_OUT)
        : new Promise<never>(() => undefined);
    outcome = await Promise.race([exchange, deadline]);
  } catch (err) {
    timerStop.abort();
    const message = `cannot reach ${originOf(req.url)}: ${describeError(err)}`;
    return { ok: false, failure: "unreachable", message, detail: { ...detail, error: message } };
  }
  timerStop.abort();
  if (outcome === TIMED_OUT) {
    aborter.abort();
    exchange.catch(() => undefined);
    const message = `no answer within ${req.timeoutMs} ms`;
    return { ok: false, failure: "timeout", message, detail: { ...detail, error: message } };
  }
  const { res, text } = outcome;
  const contentType = res.headers.get("content-type") ?? "";
  const got: RequestDetail = {
    ...detail,
    status: res.status,
    ...(contentType ? { contentType } : {}),
    bytes: new TextEncoder().encode(text).length,
  };
  if (res.status < 200 || res.status > 299) {
    const message = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}: ${excerpt(text)}`;
    return { ok: false, failure: "status", message, detail: { ...got, error: message } };
  }
  const { document, diagnostics } = checkFlow(text);
  if (!document) {
    const why = diagnostics[0]?.message ?? "unreadable";
    const message = `the answer is not a call-flow document (${contentType || "no content-type"}; ${why}): ${excerpt(text)}`;
    return { ok: false, failure: "not-xml", message, detail: { ...got, error: message } };
  }
  if (document.root.kind !== "Response") {
    const message = `the answer is XML but its root is <${document.root.name}>, not <Response>`;
    return { ok: false, failure: "not-xml", message, detail: { ...got, error: message } };
  }
  return { ok: true, document, problems: diagnostics, detail: got, url: req.url };
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return redactUrl(url);
  }
}
