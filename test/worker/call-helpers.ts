/**
 * Helpers for the CallSession tests: pin a flow for a fresh call, answer Gathers through the
 * real route, read documents back as trees, and move a call's clock forward by shifting its
 * timers (the alarm scheduler itself can't be faked; the vitest plugin runs alarms only on request).
 */
import { env, exports } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import type { CallSession } from "../../src/call/CallSession.ts";
import type { BeginResult } from "../../src/call/api.ts";
import type { PinnedFlow, PinnedFlowMeta } from "../../src/call/render.ts";
import { elementChildren, parseXml, textContent, type ElementNode } from "../../src/xml/index.ts";

export const ORIGIN = "https://tf.test";
export const ADMIN = { authorization: "Bearer test-admin-token" };

const used = new Set<string>();

/** A call id no other test uses; remembered so `clearAlarms` can tidy up. */
export function newCall(label = "call"): string {
  const id = `${label}-${crypto.randomUUID()}`;
  used.add(id);
  return id;
}

/** Delete the alarm of every call this file used (workers-sdk #5388: alarms outlive tests). */
export async function clearAlarms(): Promise<void> {
  const ids = [...used];
  used.clear();
  await Promise.all(ids.map((id) => runInDurableObject(env.CALL.getByName(id), (_i, state) => state.storage.deleteAlarm())));
}

async function sha256(s: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function pinned(xml: string, meta: Partial<PinnedFlowMeta> = {}): Promise<PinnedFlow> {
  const full: PinnedFlowMeta = { mode: "sync", timezone: "UTC", variables: {}, conditions: "evaluate", ...meta };
  return { version: await sha256(JSON.stringify({ xml, full })), tn: "18005550100", xml, meta: full };
}

export async function begin(call: string, xml: string, meta: Partial<PinnedFlowMeta> = {}): Promise<Extract<BeginResult, { ok: true }>> {
  const flow = await pinned(xml, meta);
  const r = await env.CALL.getByName(call).begin({
    call,
    flow,
    facts: { from: "+12015550123", to: "18005550100", sca: "sca-1", state: "live" },
    origin: ORIGIN,
  });
  if (!r.ok) throw new Error(`begin failed: ${r.error}`);
  return r;
}

export interface Answer {
  status: number;
  xml: string;
  headers: Headers;
  root: ElementNode;
}

/** A Gather callback through the real route, as the platform makes it (dialect B parameters). */
export async function gather(call: string, node: string, attempt: number | null, digits: string | null, extra = ""): Promise<Answer> {
  const q = new URLSearchParams({ node });
  if (attempt !== null) q.set("attempt", String(attempt));
  if (digits !== null) q.set("dtmf", digits);
  const res = await exports.default.fetch(`${ORIGIN}/v1/calls/${encodeURIComponent(call)}/gather?${q}${extra}`);
  const xml = await res.text();
  return { status: res.status, xml, headers: res.headers, root: rootOf(xml) };
}

export function rootOf(xml: string): ElementNode {
  const { document, diagnostics } = parseXml(xml);
  if (!document) throw new Error(`not XML: ${diagnostics.map((d) => d.message).join("; ")}\n${xml}`);
  return document.root;
}

/** A compact reading of a document's top level: `Say:text`, `Gather@node#attempt`, `Hangup`. */
export function outline(root: ElementNode): string[] {
  return elementChildren(root).map(describe);
}

function describe(el: ElementNode): string {
  switch (el.kind) {
    case "Say":
      return `Say:${el.props.text}`;
    case "Gather": {
      const url = el.props.remoteUrl;
      if (!url) return "Gather";
      const u = new URL(url);
      return `Gather@${u.searchParams.get("node")}#${u.searchParams.get("attempt")}`;
    }
    case "Pause":
      return `Pause:${el.props.lengthMs}`;
    default:
      return textContent(el).trim() ? `${el.name}:${textContent(el).trim()}` : el.name;
  }
}

/** The url Gathers anywhere in a document. */
export function urlGathers(root: ElementNode): Array<{ el: ElementNode; url: URL }> {
  const out: Array<{ el: ElementNode; url: URL }> = [];
  const walk = (el: ElementNode) => {
    if (el.kind === "Gather" && el.props.remoteUrl) out.push({ el, url: new URL(el.props.remoteUrl) });
    elementChildren(el).forEach(walk);
  };
  walk(root);
  return out;
}

export async function snapshot(call: string): Promise<{
  status: number;
  body: Record<string, unknown> & {
    gather: { attempts: Record<string, number>; digits: Record<string, string>; history: Array<Record<string, unknown>> };
    events: Array<Record<string, unknown> & { type: string; payload: Record<string, unknown> }>;
  };
}> {
  const res = await exports.default.fetch(`${ORIGIN}/v1/calls/${encodeURIComponent(call)}`, { headers: ADMIN });
  return { status: res.status, body: (await res.json()) as never };
}

export async function commands(
  call: string,
  xml: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await exports.default.fetch(`${ORIGIN}/v1/calls/${encodeURIComponent(call)}/commands`, {
    method: "POST",
    headers: { ...ADMIN, "content-type": "application/xml", ...headers },
    body: xml,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export interface Sent {
  action: "commands" | "hangup";
  body: string;
  token: string | null;
  idempotencyKey: string | null;
  contentType: string | null;
  at: number;
}

/** What the stand-in platform received for a call. */
export async function sentTo(call: string): Promise<Sent[]> {
  const res = await fetch(`http://platform.test/__sent/${encodeURIComponent(call)}`);
  return (await res.json()) as Sent[];
}

export async function timers(call: string): Promise<Array<{ id: string; kind: string; due_at: number }>> {
  return runInDurableObject(env.CALL.getByName(call), (_i: CallSession, state) =>
    state.storage.sql.exec<{ id: string; kind: string; due_at: number }>("SELECT id, kind, due_at FROM timers ORDER BY due_at").toArray(),
  );
}

/**
 * Let `ms` pass for the call: every timer comes `ms` closer, then the alarm runs (as the
 * runtime would once the earliest is due). Returns whether an alarm was scheduled.
 */
export async function advance(call: string, ms: number): Promise<boolean> {
  const stub = env.CALL.getByName(call);
  await runInDurableObject(stub, (_i: CallSession, state) => {
    state.storage.sql.exec("UPDATE timers SET due_at = due_at - ?", ms);
  });
  return runDurableObjectAlarm(stub);
}
