/**
 * The flow store: per-TN flows in Workers KV, and the isolate-memory cache of compiled versions.
 *
 * KV layout (content-addressed values plus a small mutable pointer) — only the small pointer is ever overwritten, so KV's
 * eventual consistency can make a TN serve the previous version for a while, never a torn one:
 *
 * | key              | value                                               | written            |
 * |------------------|-----------------------------------------------------|--------------------|
 * | `ver:<sha256>`   | {@link StoredVersion}: the XML and its metadata      | once, immutable    |
 * | `tn:<tn>`        | {@link FlowPointer}: the current version (+ KV metadata for listing) | publish, rollback |
 * | `hist:<tn>`      | {@link HistoryEntry}[], newest first, at most 100    | publish, rollback  |
 *
 * `<tn>` is the canonical TN (digits; 10-digit North American numbers get their leading 1) or
 * `*` for the catch-all. Reads on the call path use `cacheTtl` (pointer 60 s, versions a day);
 * admin reads don't, so they see their own writes.
 */
import { canonicalTn, normalizeTn, tnCandidates } from "../tn.ts";
import { checkTemplate, compileTemplate, type CompiledTemplate } from "../template/index.ts";
import { parseXml, type Diagnostic, type FlowDocument } from "../xml/index.ts";
import { contentHash, type FlowMeta } from "./meta.ts";
import { matchVersion, type HistoryEntry, type VersionMatch } from "./versions.ts";

/** What `ver:<hash>` holds. */
export interface StoredVersion {
  xml: string;
  meta: FlowMeta;
  /** When this content was first stored (ISO 8601). */
  createdAt: string;
  /** UTF-8 bytes of `xml`. */
  size: number;
}

/** What `tn:<tn>` holds. */
export interface FlowPointer {
  version: string;
  /** When the pointer last moved (ISO 8601). */
  updatedAt: string;
}

/** KV metadata on `tn:<tn>`, so listing needs no value reads (≤ 1 KiB). */
interface PointerMetadata {
  version: string;
  mode: FlowMeta["mode"];
  updatedAt: string;
  size: number;
  description: string;
}

/** A version ready to render: parsed and compiled once per isolate. */
export interface LoadedVersion {
  /** The content hash. */
  version: string;
  xml: string;
  meta: FlowMeta;
  createdAt: string;
  size: number;
  /** The parsed template (placeholders still in it). */
  document: FlowDocument;
  /** The compiled render function for the whole document. */
  compiled: CompiledTemplate;
}

/** A TN's flow as the call path sees it. */
export interface LoadedFlow extends LoadedVersion {
  /** The key the flow was found under: the canonical TN, or `*` for the catch-all. */
  tn: string;
  /** Whether the catch-all answered because the TN has no flow of its own. */
  catchAll: boolean;
}

/** KV failed (threw or timed out); the call path answers the fallback document. */
export class FlowStoreError extends Error {
  override readonly cause: unknown;
  constructor(message: string, cause?: unknown) {
    super(message);
    this.name = "FlowStoreError";
    this.cause = cause;
  }
}

export const CATCH_ALL = "*";
const HISTORY_LIMIT = 100;
const POINTER_CACHE_TTL = 60;
const VERSION_CACHE_TTL = 86_400;

const verKey = (hash: string) => `ver:${hash}`;
const tnKey = (tn: string) => `tn:${tn}`;
const histKey = (tn: string) => `hist:${tn}`;

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

// ---- isolate-memory cache of compiled versions ---------------------------------------------

/**
 * Compiled versions by content hash. Versions are immutable, so an entry never goes stale; the
 * bound only caps memory (128 MB per isolate). Map order is insertion order: re-inserting on a
 * hit makes it an LRU.
 */
const VERSION_CACHE_LIMIT = 256;
const versionCache = new Map<string, LoadedVersion>();

function cacheGet(hash: string): LoadedVersion | undefined {
  const hit = versionCache.get(hash);
  if (hit) {
    versionCache.delete(hash);
    versionCache.set(hash, hit);
  }
  return hit;
}

function cachePut(v: LoadedVersion): void {
  versionCache.set(v.version, v);
  while (versionCache.size > VERSION_CACHE_LIMIT) {
    const oldest = versionCache.keys().next().value;
    if (oldest === undefined) break;
    versionCache.delete(oldest);
  }
}

// ---- isolate-memory memo of pointers ---------------------------------------------------------

/**
 * Pointers (and "no flow here") this isolate read recently, per KV binding. A KV read is the
 * webhook's one I/O on a warm path and costs more than the render (bench:http), while KV itself
 * already lets a pointer be up to a minute stale at the edge (cacheTtl). Reusing a read for a few
 * more seconds (env `FLOW_POINTER_MEMO_MS`, default 5000; 0 turns it off) keeps that bound
 * practically the same, and writes made through this isolate clear their key at once, so a
 * publish is seen immediately where it was made.
 */
const DEFAULT_POINTER_MEMO_MS = 5000;
const POINTER_MEMO_LIMIT = 10_000;
interface Memoized {
  pointer: FlowPointer | null;
  until: number;
}
const pointerMemo = new WeakMap<KVNamespace, Map<string, Memoized>>();

function memoMs(env: Env): number {
  const raw = env.FLOW_POINTER_MEMO_MS;
  if (raw === undefined || raw === "") return DEFAULT_POINTER_MEMO_MS;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : DEFAULT_POINTER_MEMO_MS;
}

function forgetPointer(env: Env, key: string): void {
  pointerMemo.get(env.FLOWS)?.delete(key);
}

/** The pointers of `keys` (null: no flow), from the memo where fresh, else one bulk KV read. */
async function readPointers(env: Env, keys: string[]): Promise<Map<string, FlowPointer | null>> {
  const ttl = memoMs(env);
  const now = Date.now();
  let memo = pointerMemo.get(env.FLOWS);
  const out = new Map<string, FlowPointer | null>();
  const missing: string[] = [];
  for (const key of keys) {
    const hit = ttl > 0 ? memo?.get(key) : undefined;
    if (hit && hit.until > now) out.set(key, hit.pointer);
    else missing.push(key);
  }
  if (!missing.length) return out;
  const read = await kv("read", () => env.FLOWS.get<FlowPointer>(missing.map(tnKey), { type: "json", cacheTtl: POINTER_CACHE_TTL }));
  if (ttl > 0 && !memo) {
    memo = new Map();
    pointerMemo.set(env.FLOWS, memo);
  }
  if (memo && memo.size > POINTER_MEMO_LIMIT) memo.clear();
  for (const key of missing) {
    const pointer = read.get(tnKey(key)) ?? null;
    out.set(key, pointer);
    if (ttl > 0) memo?.set(key, { pointer, until: now + ttl });
  }
  return out;
}

/** Parse and compile a stored version. Throws if it no longer compiles (e.g. after a code change). */
export function loadStoredVersion(hash: string, stored: StoredVersion): LoadedVersion {
  const { document } = parseXml(stored.xml);
  if (!document) throw new Error(`version ${hash} no longer parses`);
  const compiled = compileTemplate(document.root, { variables: stored.meta.variables, conditions: stored.meta.conditions });
  if (!compiled.ok) throw new Error(`version ${hash} no longer compiles: ${compiled.diagnostics.map((d) => d.message).join("; ")}`);
  return { version: hash, xml: stored.xml, meta: stored.meta, createdAt: stored.createdAt, size: stored.size, document, compiled };
}

async function kv<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw new FlowStoreError(`KV ${what} failed: ${err instanceof Error ? err.message : String(err)}`, err);
  }
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
 * @example
 * const flow = await loadFlowForTn(env, "+18005550100");
 * if (flow) flow.compiled.render({ from, to, tn: flow.tn, call, sca, now: new Date(), vars: flow.meta.variables, timezone: flow.meta.timezone });
 */
export async function loadFlowForTn(env: Env, tn: string): Promise<LoadedFlow | null> {
  const keys = lookupKeys(tn);
  const pointers = await readPointers(env, keys);
  for (const key of keys) {
    const pointer = pointers.get(key);
    if (!pointer) continue;
    const version = await loadVersion(env, pointer.version);
    // A pointer to a missing version means a half-finished write elsewhere; try the next key.
    if (!version) continue;
    return { ...version, tn: key, catchAll: key === CATCH_ALL };
  }
  return null;
}

/**
 * What {@link loadFlowForTn} would answer, from this isolate's memory alone: the flow, null when
 * the memo says no TN key has one, or undefined when finding out needs KV. Lets the warm webhook
 * answer without I/O (and so without arming its time budget).
 */
export function peekFlowForTn(env: Env, tn: string): LoadedFlow | null | undefined {
  if (memoMs(env) <= 0) return undefined;
  const memo = pointerMemo.get(env.FLOWS);
  if (!memo) return undefined;
  const now = Date.now();
  for (const key of lookupKeys(tn)) {
    const hit = memo.get(key);
    if (!hit || hit.until <= now) return undefined;
    if (!hit.pointer) continue;
    const version = versionCache.get(hit.pointer.version);
    return version ? { ...version, tn: key, catchAll: key === CATCH_ALL } : undefined;
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
  const checked = checkTemplate(xml, { variables: meta.variables, conditions: meta.conditions });
  if (!checked.ok) return { status: "invalid", diagnostics: checked.diagnostics };
  const warnings = checked.diagnostics.filter((d) => d.severity === "warning");
  const version = await contentHash(xml, meta);
  const current = await kv("read", () => env.FLOWS.get<FlowPointer>(tnKey(key), "json"));
  let stored = await getVersion(env, version);
  if (current?.version === version && stored) return { status: "unchanged", tn: key, version, stored, warnings };
  const now = new Date().toISOString();
  if (!stored) {
    stored = { xml, meta, createdAt: now, size: new TextEncoder().encode(xml).length };
    const value = stored;
    await kv("write", () => env.FLOWS.put(verKey(version), JSON.stringify(value)));
  }
  // Seed the isolate cache: the first call after a publish needn't compile again.
  cachePut({ version, xml, meta, createdAt: stored.createdAt, size: stored.size, document: checked.document, compiled: checked.compiled });
  await movePointer(env, key, version, stored, "publish", now);
  return { status: "created", tn: key, version, stored, warnings };
}

async function movePointer(
  env: Env,
  key: string,
  version: string,
  stored: StoredVersion,
  action: HistoryEntry["action"],
  at: string,
): Promise<void> {
  const history = await getHistory(env, key);
  history.unshift({ version, at, size: stored.size, action });
  if (history.length > HISTORY_LIMIT) history.length = HISTORY_LIMIT;
  await kv("write", () => env.FLOWS.put(histKey(key), JSON.stringify(history)));
  const pointer: FlowPointer = { version, updatedAt: at };
  const metadata: PointerMetadata = {
    version,
    mode: stored.meta.mode,
    updatedAt: at,
    size: stored.size,
    // KV metadata is capped at 1 KiB; the full description is in the version.
    description: stored.meta.description.slice(0, 200),
  };
  await kv("write", () => env.FLOWS.put(tnKey(key), JSON.stringify(pointer), { metadata }));
  forgetPointer(env, key);
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
    target = history.find((h) => h.version !== pointer.version)?.version;
    if (!target) return { status: "nothing-to-roll-back-to", detail: `${key} has only ever served ${pointer.version.slice(0, 12)}` };
  }
  const stored = await getVersion(env, target);
  if (!stored) return { status: "unknown-version", detail: `version ${target} is no longer stored` };
  await movePointer(env, key, target, stored, "rollback", new Date().toISOString());
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

export interface FlowSummary {
  tn: string;
  version: string;
  mode: FlowMeta["mode"];
  updatedAt: string;
  size: number;
  description: string;
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
    };
  });
  return res.list_complete ? { flows } : { flows, cursor: res.cursor };
}
