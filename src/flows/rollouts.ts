/**
 * The rollout steps in the flow store (src/flows/canary.ts says what a rollout is): start a
 * canary, promote it, abort it (by hand, or automatically when insights find the candidate worse).
 * Each is one pointer write and one history entry; nothing is written per call.
 *
 * KV has no compare-and-set: a step reads the pointer fresh and writes it back, so two steps on
 * one number at the same moment can race. Ending checks the rollout id first, so a late automatic
 * abort never ends a newer rollout.
 */
import type { Diagnostic } from "../xml/index.ts";
import { canaryOptions, type CanaryInput, newRolloutId, type Rollout } from "./canary.ts";
import type { FlowPointer, StoredVersion } from "./kv.ts";
import { kv, tnKey } from "./kv.ts";
import type { FlowMeta } from "./meta.ts";
import { getVersion, movePointer, storeVersion } from "./store.ts";

export type CanaryResult =
  | { status: "invalid"; diagnostics: Diagnostic[] }
  | { status: "no-flow" | "same-version"; detail: string }
  | { status: "started"; tn: string; version: string; stored: StoredVersion; warnings: Diagnostic[]; rollout: Rollout };

async function pointerOf(env: Env, key: string): Promise<FlowPointer | null> {
  return kv("read", () => env.FLOWS.get<FlowPointer>(tnKey(key), "json"));
}

/**
 * Store `xml` as the candidate and send `percent` % of callers to it; the current version stays
 * the stable one. A new canary replaces one in progress (with a new rollout id, so callers are
 * dealt again).
 */
export async function startCanary(env: Env, key: string, xml: string, meta: FlowMeta, canary: CanaryInput): Promise<CanaryResult> {
  const checked = await storeVersion(env, xml, meta);
  if (checked.status === "invalid") return checked;
  const pointer = await pointerOf(env, key);
  if (!pointer)
    return { status: "no-flow", detail: `${key} has no flow yet: publish a first version without a canary, then canary the next one` };
  if (pointer.version === checked.version)
    return { status: "same-version", detail: `${checked.version.slice(0, 12)} is already the current version of ${key}` };
  const stable = await getVersion(env, pointer.version);
  if (!stable) return { status: "no-flow", detail: `the current version ${pointer.version.slice(0, 12)} of ${key} is no longer stored` };
  const at = new Date().toISOString();
  const rollout: Rollout = {
    id: newRolloutId(),
    stable: pointer.version,
    candidate: checked.version,
    ...canaryOptions(canary),
    startedAt: at,
    state: "active",
  };
  await movePointer(env, key, pointer.version, stable, "canary", at, rollout, checked.version);
  return { status: "started", tn: key, version: checked.version, stored: checked.stored, warnings: checked.warnings, rollout };
}

export type EndHow = "promote" | "abort" | "auto-abort";

export type EndResult =
  | { status: "ended"; tn: string; rollout: Rollout; current: string }
  | { status: "no-rollout"; detail: string }
  | { status: "unknown-version"; detail: string };

/**
 * End the number's active rollout: `promote` makes the candidate the current version, `abort`
 * and `auto-abort` keep the stable one. With `id`, only that rollout is ended.
 */
export async function endRollout(env: Env, key: string, how: EndHow, opts: { id?: string; reason?: string } = {}): Promise<EndResult> {
  const pointer = await pointerOf(env, key);
  const r = pointer?.rollout;
  if (!pointer || r?.state !== "active" || (opts.id !== undefined && r.id !== opts.id))
    return {
      status: "no-rollout",
      detail: opts.id ? `rollout ${opts.id} of ${key} is not in progress` : `${key} has no canary rollout in progress`,
    };
  const at = new Date().toISOString();
  const ended: Rollout = {
    ...r,
    state: how === "promote" ? "promoted" : how === "abort" ? "aborted" : "auto-aborted",
    endedAt: at,
    ...(opts.reason ? { reason: opts.reason } : {}),
  };
  const current = how === "promote" ? r.candidate : pointer.version;
  const stored = await getVersion(env, current);
  if (!stored) return { status: "unknown-version", detail: `version ${current.slice(0, 12)} is no longer stored` };
  await movePointer(env, key, current, stored, how, at, ended, how === "promote" ? current : r.candidate);
  return { status: "ended", tn: key, rollout: ended, current };
}
