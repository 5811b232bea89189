/**
 * The flow store: per-TN flows in Workers KV (the layout and the isolate caches are in
 * src/flows/kv.ts): loading a TN's flow for a call, publishing, rollback, history, listing.
 */
import { canonicalTn, normalizeTn, tnCandidates } from "../tn.ts";
import { checkTemplate, compileTemplate } from "../template/index.ts";
import { parseXml, type Diagnostic } from "../xml/index.ts";
import { isActive, type Rollout, sideOf } from "./canary.ts";
import {
  CATCH_ALL,
  cacheGet,
  cachePut,
  cachedVersion,
  FlowStoreError,
  type FlowPointer,
  forgetPointer,
  HISTORY_LIMIT,
  histKey,
  kv,
  type LoadedVersion,
  memoMs,
  pointerMemoFor,
  type PointerMetadata,
  readPointers,
  type StoredVersion,
  tnKey,
  VERSION_CACHE_TTL,
  verKey,
} from "./kv.ts";
import { contentHash, type FlowMeta } from "./meta.ts";
import { matchVersion, type HistoryEntry, type VersionMatch } from "./versions.ts";

export { CATCH_ALL, FlowStoreError, type FlowPointer, type LoadedVersion, type StoredVersion };

/** A TN's flow as the call path sees it. */
export interface LoadedFlow extends LoadedVersion {
  /** The key the flow was found under: the canonical TN, or `*` for the catch-all. */
  tn: string;
  /** Whether the catch-all answered because the TN has no flow of its own. */
  catchAll: boolean;
  /** The canary rollout the caller was dealt into, and its side. */
  rollout?: { id: string; role: "stable" | "candidate" };
}

/** The version a caller gets from a pointer: the stable one, or during a rollout the caller's side. */
function pick(pointer: FlowPointer, caller: (() => string) | undefined): { version: string; rollout?: LoadedFlow["rollout"] } {
  const r = pointer.rollout;
  if (caller === undefined || !isActive(r)) return { version: pointer.version };
  const role = sideOf(r, caller());
  return { version: role === "candidate" ? r.candidate : pointer.version, rollout: { id: r.id, role } };
}

/**
 * The stored form of a TN given by a user: canonical digits, or `*`. Null when it can't be a
 * phone number.
 */
export function flowKeyFor(input: string): string | null {
  const s = input.trim();
  if (s === CATCH_ALL) return CATCH_ALL;
  // Allow the usual human spellings (+1 800 555-0100, (800) 555-0100) but nothing else.
  if (!/^\+?[\d\s().-]+$/.test(s)) return null;
  const digits = normalizeTn(s);
  return digits ? canonicalTn(digits) : null;
}

/** Parse and compile a stored version. Throws if it no longer compiles (e.g. after a code change). */
export function loadStoredVersion(hash: string, stored: StoredVersion): LoadedVersion {
  const { document } = parseXml(stored.xml);
  if (!document) throw new Error(`version ${hash} no longer parses`);
  const compiled = compileTemplate(document.root, { variables: stored.meta.variables, conditions: stored.meta.conditions });
  if (!compiled.ok) throw new Error(`version ${hash} no longer compiles: ${compiled.diagnostics.map((d) => d.message).join("; ")}`);
  return { version: hash, xml: stored.xml, meta: stored.meta, createdAt: stored.createdAt, size: stored.size, document, compiled };
}

// ---- the call path --------------------------------------------------------------------------

/**
 * A pinned version by its hash, parsed and compiled (served from the isolate cache when it can
 * be), or null when no such version is stored. Throws {@link FlowStoreError} when KV fails.
 *
 * The CallSession uses this to keep rendering the version a call started with.
 */
export async function loadVersion(env: Env, hash: string, opts: { cacheTtl?: number } = {}): Promise<LoadedVersion | null> {
  const hit = cacheGet(hash);
  if (hit) return hit;
  const stored = await kv("read", () =>
    env.FLOWS.get<StoredVersion>(verKey(hash), { type: "json", cacheTtl: opts.cacheTtl ?? VERSION_CACHE_TTL }),
  );
  if (!stored) return null;
  const loaded = loadStoredVersion(hash, stored);
  cachePut(loaded);
  return loaded;
}

/**
 * The flow that answers calls to `tn`: the TN's own flow (tried with and without the North
 * American leading 1, docs/opentact.md §a.2), else the catch-all `*`, else null. `tn` may be written any way
 * a caller might (`+1 800…`, `800…`); an empty or unusable TN goes straight to the catch-all.
 *
 * One KV operation reads every candidate pointer (bulk get, cacheTtl 60 s) unless this isolate
 * read them in the last few seconds; the version comes from the isolate cache or one more read.
 * Throws {@link FlowStoreError} when KV fails.
 *
 * During a canary rollout `caller` (the caller's key, src/flows/canary.ts `callerKey`) picks
 * the side; without it the stable version answers.
 *
 * @example
 * const flow = await loadFlowForTn(env, "+18005550100");
 * if (flow) flow.compiled.render({ from, to, tn: flow.tn, call, sca, now: new Date(), vars: flow.meta.variables, timezone: flow.meta.timezone });
 */
export async function loadFlowForTn(env: Env, tn: string, caller?: () => string): Promise<LoadedFlow | null> {
  const keys = lookupKeys(tn);
  const pointers = await readPointers(env, keys);
  for (const key of keys) {
    const pointer = pointers.get(key);
    if (!pointer) continue;
    const chosen = pick(pointer, caller);
    let version = await loadVersion(env, chosen.version);
    // A candidate that can't be read leaves the caller on the stable version.
    if (!version && chosen.rollout) version = await loadVersion(env, pointer.version);
    // A pointer to a missing version means a half-finished write elsewhere; try the next key.
    if (!version) continue;
    const rollout = version.version === chosen.version ? chosen.rollout : undefined;
    return { ...version, tn: key, catchAll: key === CATCH_ALL, ...(rollout ? { rollout } : {}) };
  }
  return null;
}

/**
 * What {@link loadFlowForTn} would answer, from this isolate's memory alone: the flow, null when
 * the memo says no TN key has one, or undefined when finding out needs KV. Lets the warm webhook
 * answer without I/O (and so without arming its time budget).
 */
export function peekFlowForTn(env: Env, tn: string, caller?: () => string): LoadedFlow | null | undefined {
  if (memoMs(env) <= 0) return undefined;
  const memo = pointerMemoFor(env);
  if (!memo) return undefined;
  const now = Date.now();
  for (const key of lookupKeys(tn)) {
    const hit = memo.get(key);
    if (!hit || hit.until <= now) return undefined;
    if (!hit.pointer) continue;
    if (hit.pointer.rollout === undefined) {
      // The common case, without a rollout: nothing to pick (and nothing allocated to pick it).
      const version = cachedVersion(hit.pointer.version);
      return version ? { ...version, tn: key, catchAll: key === CATCH_ALL } : undefined;
    }
    const chosen = pick(hit.pointer, caller);
    const version = cachedVersion(chosen.version);
    if (!version) return undefined;
    return chosen.rollout
      ? { ...version, tn: key, catchAll: key === CATCH_ALL, rollout: chosen.rollout }
      : { ...version, tn: key, catchAll: key === CATCH_ALL };
  }
  return null;
}

/** The pointer keys to try for a dialled number, most specific first, the catch-all last. */
function lookupKeys(tn: string): string[] {
  const digits = normalizeTn(tn);
  const keys: string[] = [];
  if (digits) {
    for (const k of [canonicalTn(digits), ...tnCandidates(digits)]) if (!keys.includes(k)) keys.push(k);
  }
  keys.push(CATCH_ALL);
  return keys;
}

// ---- the admin side ------------------------------------------------------------------------

export interface CurrentFlow {
  tn: string;
  pointer: FlowPointer;
  stored: StoredVersion;
}

/** The TN's pointer and current version, read fresh (no cacheTtl). Null when the TN has no flow. */
export async function getFlow(env: Env, key: string): Promise<CurrentFlow | null> {
  const pointer = await kv("read", () => env.FLOWS.get<FlowPointer>(tnKey(key), "json"));
  if (!pointer) return null;
  const stored = await kv("read", () => env.FLOWS.get<StoredVersion>(verKey(pointer.version), "json"));
  if (!stored) return null;
  return { tn: key, pointer, stored };
}

/** A stored version by hash, read fresh. */
export async function getVersion(env: Env, hash: string): Promise<StoredVersion | null> {
  return kv("read", () => env.FLOWS.get<StoredVersion>(verKey(hash), "json"));
}

export async function getHistory(env: Env, key: string): Promise<HistoryEntry[]> {
  return (await kv("read", () => env.FLOWS.get<HistoryEntry[]>(histKey(key), "json"))) ?? [];
}

/** The version `wanted` (a hash or a unique prefix) names in the TN's history, read fresh. */
export async function resolveVersion(env: Env, key: string, wanted: string): Promise<VersionMatch> {
  return matchVersion(await getHistory(env, key), key, wanted);
}

export type PublishResult =
  | { status: "invalid"; diagnostics: Diagnostic[] }
  | { status: "created" | "unchanged"; tn: string; version: string; stored: StoredVersion; warnings: Diagnostic[] };

/**
 * Validate and publish: store the immutable version (if new) and move the TN's pointer to it.
 * `created` when the pointer moved, `unchanged` when this exact content was already current.
 */
export async function publishFlow(env: Env, key: string, xml: string, meta: FlowMeta): Promise<PublishResult> {
  const checked = await storeVersion(env, xml, meta);
  if (checked.status === "invalid") return checked;
  const { version, stored, warnings } = checked;
  const current = await kv("read", () => env.FLOWS.get<FlowPointer>(tnKey(key), "json"));
  if (current?.version === version) return { status: "unchanged", tn: key, version, stored, warnings };
  const now = new Date().toISOString();
  await movePointer(env, key, version, stored, "publish", now, superseded(current, "publish", now));
  return { status: "created", tn: key, version, stored, warnings };
}

export type StoreResult =
  | { status: "invalid"; diagnostics: Diagnostic[] }
  | { status: "stored"; version: string; stored: StoredVersion; warnings: Diagnostic[] };

/**
 * Validate a flow and store it as an immutable version (unless that content is stored already),
 * with its compiled form in this isolate's cache. Points nothing at it.
 */
export async function storeVersion(env: Env, xml: string, meta: FlowMeta): Promise<StoreResult> {
  const checked = checkTemplate(xml, { variables: meta.variables, conditions: meta.conditions });
  if (!checked.ok) return { status: "invalid", diagnostics: checked.diagnostics };
  const warnings = checked.diagnostics.filter((d) => d.severity === "warning");
  const version = await contentHash(xml, meta);
  let stored = await getVersion(env, version);
  if (!stored) {
    stored = { xml, meta, createdAt: new Date().toISOString(), size: new TextEncoder().encode(xml).length };
    const value = stored;
    await kv("write", () => env.FLOWS.put(verKey(version), JSON.stringify(value)));
  }
  // Seed the isolate cache: the first call after a publish needn't compile again.
  cachePut({ version, xml, meta, createdAt: stored.createdAt, size: stored.size, document: checked.document, compiled: checked.compiled });
  return { status: "stored", version, stored, warnings };
}

/**
 * Point the TN at `version` and add `action` to its history; `rollout` is what the pointer says
 * of a canary (src/flows/rollouts.ts). Used by publish, rollback and the rollout steps.
 */
export async function movePointer(
  env: Env,
  key: string,
  version: string,
  stored: StoredVersion,
  action: HistoryEntry["action"],
  at: string,
  rollout?: Rollout,
  historyVersion: string = version,
): Promise<void> {
  const history = await getHistory(env, key);
  history.unshift({ version: historyVersion, at, size: stored.size, action });
  if (history.length > HISTORY_LIMIT) history.length = HISTORY_LIMIT;
  await kv("write", () => env.FLOWS.put(histKey(key), JSON.stringify(history)));
  const pointer: FlowPointer = { version, updatedAt: at, ...(rollout ? { rollout } : {}) };
  const metadata: PointerMetadata = {
    version,
    mode: stored.meta.mode,
    updatedAt: at,
    size: stored.size,
    // KV metadata is capped at 1 KiB; the full description is in the version.
    description: stored.meta.description.slice(0, 200),
    ...(rollout ? { rollout: { candidate: rollout.candidate, percent: rollout.percent, state: rollout.state } } : {}),
  };
  await kv("write", () => env.FLOWS.put(tnKey(key), JSON.stringify(pointer), { metadata }));
  forgetPointer(env, key);
}

/** A rollout a publish or rollback cuts short: kept on the pointer, ended, for `flows get` to show. */
export function superseded(pointer: FlowPointer | null, by: string, at: string): Rollout | undefined {
  const r = pointer?.rollout;
  return r?.state === "active" ? { ...r, state: "aborted", endedAt: at, reason: `superseded by a ${by}` } : undefined;
}

export type RollbackResult =
  | { status: "rolled-back"; tn: string; version: string; previous: string; stored: StoredVersion }
  | { status: "no-flow" | "nothing-to-roll-back-to"; detail: string }
  | Exclude<VersionMatch, { status: "found" }>;

/**
 * Move the TN's pointer back: to `version` (a hash or a unique prefix from its history), or by
 * default to the newest history entry that differs from the current version.
 */
export async function rollbackFlow(env: Env, key: string, version?: string): Promise<RollbackResult> {
  const pointer = await kv("read", () => env.FLOWS.get<FlowPointer>(tnKey(key), "json"));
  if (!pointer) return { status: "no-flow", detail: `${key} has no flow to roll back` };
  const history = await getHistory(env, key);
  let target: string | undefined;
  if (version) {
    const match = matchVersion(history, key, version);
    if (match.status !== "found") return match;
    target = match.version;
  } else {
    // Canary and abort entries name a candidate that never became current: not a version to go back to.
    target = history.find(
      (h) => h.version !== pointer.version && (h.action === "publish" || h.action === "rollback" || h.action === "promote"),
    )?.version;
    if (!target) return { status: "nothing-to-roll-back-to", detail: `${key} has only ever served ${pointer.version.slice(0, 12)}` };
  }
  const stored = await getVersion(env, target);
  if (!stored) return { status: "unknown-version", detail: `version ${target} is no longer stored` };
  const at = new Date().toISOString();
  await movePointer(env, key, target, stored, "rollback", at, superseded(pointer, "rollback", at));
  return { status: "rolled-back", tn: key, version: target, previous: pointer.version, stored };
}

/** Remove the TN's flow and history. Versions stay: they are content-addressed and may be shared. */
export async function deleteFlow(env: Env, key: string): Promise<boolean> {
  const pointer = await kv("read", () => env.FLOWS.get(tnKey(key)));
  if (pointer === null) return false;
  await kv("write", () => env.FLOWS.delete(tnKey(key)));
  forgetPointer(env, key);
  await kv("write", () => env.FLOWS.delete(histKey(key)));
  return true;
}

/** A listed number: its pointer's metadata (`rollout`: the canary, when it has had one since its last publish). */
export interface FlowSummary extends PointerMetadata {
  tn: string;
}

/** Every TN with a flow, from the pointers' KV metadata (no value reads). */
export async function listFlows(
  env: Env,
  opts: { cursor?: string; limit?: number } = {},
): Promise<{ flows: FlowSummary[]; cursor?: string }> {
  const res = await kv("list", () =>
    env.FLOWS.list<PointerMetadata>({
      prefix: "tn:",
      limit: Math.min(opts.limit ?? 1000, 1000),
      ...(opts.cursor ? { cursor: opts.cursor } : {}),
    }),
  );
  const flows = res.keys.map((k) => {
    const m = k.metadata;
    return {
      tn: k.name.slice(3),
      version: m?.version ?? "",
      mode: m?.mode ?? "sync",
      updatedAt: m?.updatedAt ?? "",
      size: m?.size ?? 0,
      description: m?.description ?? "",
      ...(m?.rollout ? { rollout: m.rollout } : {}),
    };
  });
  return res.list_complete ? { flows } : { flows, cursor: res.cursor };
}
