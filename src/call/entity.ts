/**
 * The call entity a call's events carry (docs/opentact.md §a.2, d.4): the entity as the platform
 * sent it — in the webhook's body or its events — with every field kept, unknown ones included
 * (`tn`, `freeswitch_*`, `stir_shaken_*`, `sip_control_app.auto_answer`, …), and our normalised
 * fields over it (`callFields`: spelling drift folded, numbers as strings, `uuid` always ours).
 *
 * Bounded: an entity whose JSON would pass `MAX_ENTITY_CHARS` loses the platform's extra fields,
 * largest first, until it fits, and says so in `_tactflow.dropped` (the normalised fields are
 * always kept). Pure functions, shared by the engine and the call object.
 */
import type { CallEntity } from "../events/shapes.ts";
import type { CallFacts } from "./api.ts";
import { callFields } from "./platformEvents.ts";

/** The largest call entity kept with a call and copied into its events, in characters of JSON. */
export const MAX_ENTITY_CHARS = 8 * 1024;

/** What we add when the platform's entity was cut to fit. */
export interface EntityNote {
  /** The platform's fields left out, largest first. */
  dropped: string[];
  limit_chars: number;
}

const NOTE = "_tactflow";

/** Fields we normalise and always keep. */
const NORMALISED = new Set<string>([
  "uuid",
  "direction",
  "from",
  "to",
  "state",
  "duration",
  "type",
  "created_on",
  "modified_on",
  "init_on",
  "ring_on",
  "answer_on",
  "hangup_on",
  "destroy_on",
  "finished_on",
  "q850_cause",
  "q850_cause_string",
  "sip_control_app",
  "parent",
]);

type Json = Record<string, unknown>;

function plain(v: unknown): Json | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

/** The entity of a call we know nothing of yet but its uuid. */
export function blankEntity(call: string): CallEntity {
  return { direction: "in", from: "", to: "", state: "", duration: 0, type: "CallSCA", uuid: call };
}

/**
 * The platform's entity with our normalised fields over it. A nested object we normalise keeps
 * the platform's other keys (`sip_control_app.auto_answer` beside our `uuid` and `name`).
 */
export function overlay(raw: Json | undefined, normalised: Partial<CallEntity>): Json {
  if (!raw) return { ...normalised };
  const out: Json = { ...raw, ...normalised };
  const sca = plain(raw.sip_control_app) ?? plain(raw.sipcontrol_app);
  if (normalised.sip_control_app && sca) out.sip_control_app = { ...sca, ...normalised.sip_control_app };
  const parent = plain(raw.parent);
  if (normalised.parent && parent) out.parent = { ...parent, ...plain(normalised.parent) };
  return out;
}

/**
 * The entity after something new was heard of the call: `prior` (what we had), then `update`
 * over it (an overlay of what the platform sent), then the call's uuid; bounded.
 */
export function mergeEntity(prior: CallEntity, update: Json, uuid: string): CallEntity {
  const { [NOTE]: note, ...before } = prior as Json;
  return settle({ ...before, ...update, uuid }, note);
}

/**
 * The entity after the webhook: what we knew before (`prior`, from earlier events) wins over the
 * webhook's body, the webhook's from/to fill what is missing.
 */
export function entityFrom(call: string, facts: CallFacts | null, prior: CallEntity | null): CallEntity {
  const body = facts?.entity ? overlay(facts.entity, callFields(facts.entity)) : {};
  const { [NOTE]: note, ...known } = (prior ?? {}) as Json;
  return settle(
    {
      ...blankEntity(call),
      ...body,
      ...known,
      ...(facts ? { from: facts.from || prior?.from || "", to: facts.to || prior?.to || "" } : {}),
      ...(facts?.sca && !prior?.sip_control_app ? { sip_control_app: { ...plain(body.sip_control_app), uuid: facts.sca } } : {}),
      ...(facts?.state && !prior?.state ? { state: facts.state } : {}),
      uuid: call,
    },
    note,
  );
}

/** Bound a merged entity; a field dropped earlier and not sent again is still missing, so it stays listed. */
function settle(merged: Json, note: unknown): CallEntity {
  const earlier = plain(note)?.dropped;
  const stillMissing = Array.isArray(earlier) ? earlier.filter((k): k is string => typeof k === "string" && !(k in merged)) : [];
  return bound(merged, stillMissing);
}

/** `entity` cut to `MAX_ENTITY_CHARS`: the platform's extra fields go, largest first. */
function bound(entity: Json, alreadyDropped: string[]): CallEntity {
  let size = JSON.stringify(entity).length;
  const dropped = [...alreadyDropped];
  if (size > MAX_ENTITY_CHARS) {
    const extras = Object.keys(entity)
      .filter((k) => !NORMALISED.has(k))
      .map((k) => [k, JSON.stringify(entity[k])?.length ?? 0] as const)
      .sort((a, b) => b[1] - a[1]);
    for (const [key, chars] of extras) {
      if (size <= MAX_ENTITY_CHARS) break;
      delete entity[key];
      dropped.push(key);
      size -= chars + key.length + 4;
    }
    // Still too big: the normalised nested objects keep only their normalised keys.
    if (JSON.stringify(entity).length > MAX_ENTITY_CHARS) {
      const norm = callFields(entity);
      for (const key of ["sip_control_app", "parent"] as const) {
        if (key in entity) {
          entity[key] = norm[key] ?? null;
          dropped.push(`${key}.*`);
        }
      }
    }
  }
  if (dropped.length) entity[NOTE] = { dropped, limit_chars: MAX_ENTITY_CHARS } satisfies EntityNote;
  return entity as CallEntity;
}
