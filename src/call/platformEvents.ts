/**
 * Reading the platform's call events, whichever generation sent them (docs/opentact.md §d.4, d.5, e, f.17):
 *
 * - 2024 envelope: `{uuid, created_on, type: "call_state", message, payload: {state, duration}, call: {…}}`;
 * - 2022 envelope: `{timestamp, type, message, payload: {…call fields…}}`, and for `call_flow`
 *   `{timestamp, success, message, type, command, payload: {command: {…}, call: {…}}}`;
 * - the flat call entity an SCA event webhook posts (docs/opentact.md §e): `{uuid, direction, from, to, state, …}`;
 * - the same webhook as a GET: `?state=&from=&to=` plus a call id alias (`call`, `call_uuid`, `uuid`).
 *
 * Everything is optional on the wire; what we need is a call uuid. Field spelling drift
 * (`sipcontrol_app`, `delete_on`, `timestamp` vs `created_on`) is folded here, once.
 */
import * as z from "../zod.ts";
import type { CallEntity } from "../events/shapes.ts";

export interface PlatformCommand {
  name: string;
  success: boolean;
  reason: string;
  path: string;
  tag?: string;
}

/** One platform event, normalised. */
export interface PlatformEvent {
  /** Deduplication key: the event's uuid, else one derived from its content. */
  key: string;
  type: string;
  callUuid: string;
  /** The call state it reports (`call_state`, and the call's state on others). */
  state?: string;
  /** When it happened, ISO-8601. */
  at: string;
  /** Call entity fields it carries, spelled the JSON-example way. */
  call: Partial<CallEntity>;
  /** The call entity as the platform sent it, every field (the call object bounds what it keeps). */
  entity?: Record<string, unknown>;
  /** For `call_flow`: the command it reports. */
  command?: PlatformCommand;
}

export type ReadResult = { ok: true; event: PlatformEvent } | { ok: false; reason: string };

const Obj = z.record(z.string(), z.unknown());
type Obj = z.output<typeof Obj>;

const ENVELOPE_TYPES = new Set(["call_state", "call_flow", "sms", "balance", "auth", "call_record"]);

function obj(v: unknown): Obj | undefined {
  const r = Obj.safeParse(v);
  return r.success && !Array.isArray(v) ? r.data : undefined;
}

function str(v: unknown): string | undefined {
  if (typeof v === "string" && v.trim()) return v.trim();
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return undefined;
}

function isoOf(v: unknown): string | undefined {
  const s = str(v);
  if (!s) return undefined;
  const d = new Date(/^\d+$/.test(s) ? Number(s) : s);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** Call entity fields, with the documented spelling drift folded (docs/opentact.md §d.5, f.17). */
export function callFields(raw: Obj): Partial<CallEntity> {
  const out: Partial<CallEntity> = {};
  for (const k of ["uuid", "from", "to", "state", "type", "created_on", "modified_on"] as const) {
    const v = raw[k];
    if (typeof v === "string") out[k] = v;
  }
  // Opentact sends unset timestamps as null in some events and leaves them out in others.
  for (const k of ["init_on", "ring_on", "answer_on", "hangup_on", "destroy_on", "finished_on", "q850_cause_string"] as const) {
    const v = raw[k];
    if (typeof v === "string" || v === null) out[k] = v;
  }
  if (raw.direction === "in" || raw.direction === "out") out.direction = raw.direction;
  if (typeof raw.duration === "number" && Number.isFinite(raw.duration)) out.duration = raw.duration;
  if (typeof raw.q850_cause === "number" || raw.q850_cause === null) out.q850_cause = raw.q850_cause;
  if (typeof raw.from === "number") out.from = String(raw.from);
  if (typeof raw.to === "number") out.to = String(raw.to);
  const sca = obj(raw.sip_control_app) ?? obj(raw.sipcontrol_app);
  const scaUuid = sca && str(sca.uuid);
  if (sca && scaUuid) out.sip_control_app = { uuid: scaUuid, ...(typeof sca.name === "string" ? { name: sca.name } : {}) };
  const parent = obj(raw.parent);
  const parentUuid = parent && str(parent.uuid);
  if (parentUuid) out.parent = { uuid: parentUuid };
  return out;
}

/** Read one event from a JSON body. */
export function readPlatformEvent(body: unknown): ReadResult {
  const o = obj(body);
  if (!o) return { ok: false, reason: "an event must be a JSON object" };
  const type = str(o.type);
  if (type && ENVELOPE_TYPES.has(type)) return readEnvelope(o, type);
  // No envelope type (or the entity's own `type: "CallSCA"`): the flat call entity of docs/opentact.md §e.
  if (str(o.uuid) && (str(o.state) || str(o.from) || str(o.to) || o.direction !== undefined)) return readFlat(o);
  return { ok: false, reason: `not a call event (type ${type ? `"${type}"` : "missing"}, no call uuid)` };
}

function readEnvelope(o: Obj, type: string): ReadResult {
  const payload = obj(o.payload);
  // 2024 puts the call beside the payload; 2022 call_flow puts it inside; 2022 call_state *is* it.
  const callRaw = obj(o.call) ?? (payload && obj(payload.call)) ?? (payload && str(payload.uuid) ? payload : undefined);
  const call = callRaw ? callFields(callRaw) : {};
  const callUuid = call.uuid ?? str(o.call_uuid);
  if (!callUuid) return { ok: false, reason: `${type} event without a call uuid` };
  const at = isoOf(o.created_on) ?? isoOf(o.timestamp) ?? new Date().toISOString();
  const state = (payload && str(payload.state)) ?? call.state;
  const event: PlatformEvent = { key: "", type, callUuid, at, call, ...(callRaw ? { entity: callRaw } : {}), ...(state ? { state } : {}) };
  if (type === "call_flow") {
    const cmd = (payload && obj(payload.command)) ?? obj(o.call_flow) ?? {};
    const name = str(cmd.name) ?? str(cmd.command) ?? str(o.command) ?? "command";
    const success = typeof cmd.success === "boolean" ? cmd.success : o.success !== false;
    const tag = str(cmd.tag) ?? str(o.tag);
    event.command = {
      name,
      success,
      reason: str(cmd.reason) ?? str(o.message) ?? "",
      path: str(cmd.path) ?? str(cmd.element) ?? name,
      ...(tag ? { tag } : {}),
    };
  }
  event.key = str(o.uuid) ?? `${type}|${state ?? ""}|${event.command?.path ?? ""}|${at}`;
  return { ok: true, event };
}

function readFlat(o: Obj): ReadResult {
  const call = callFields(o);
  const callUuid = call.uuid!;
  const at = isoOf(o.modified_on) ?? isoOf(o.created_on) ?? new Date().toISOString();
  const state = call.state;
  return {
    ok: true,
    event: { key: `call_state|${state ?? ""}|${at}`, type: "call_state", callUuid, at, call, entity: o, ...(state ? { state } : {}) },
  };
}

/** The GET form of the SCA event webhook: `?state=&from=&to=` and a call id (docs/opentact.md §e). */
export function readQueryEvent(q: URLSearchParams): ReadResult {
  const callUuid = q.get("call") ?? q.get("call_uuid") ?? q.get("uuid");
  const state = q.get("state") ?? undefined;
  if (!callUuid || !state) return { ok: false, reason: "a GET event needs ?state= and a call id (?call=, ?call_uuid= or ?uuid=)" };
  const call: Partial<CallEntity> = { uuid: callUuid, state };
  const from = q.get("from") ?? q.get("ani");
  const to = q.get("to") ?? q.get("dnis");
  if (from) call.from = from;
  if (to) call.to = to;
  const at = new Date().toISOString();
  return { ok: true, event: { key: `call_state|${state}|${callUuid}`, type: "call_state", callUuid, state, at, call } };
}

/** Where a state sits in a call's life; events never move a call backwards. */
export function stateRank(state: string): number {
  switch (state) {
    case "init":
      return 1;
    case "ringing":
      return 2;
    case "live":
      return 3;
    case "hangup":
      return 4;
    case "destroyed":
    case "finished":
    case "failed":
      return 5;
    default:
      return 0;
  }
}

/** States after which the call is over: no more commands, cleanup scheduled. */
export function isTerminal(state: string): boolean {
  return stateRank(state) >= 4;
}
