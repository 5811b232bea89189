/**
 * The flow store's KV layout and its isolate memory: what the keys hold, the one wrapper that
 * turns a KV failure into {@link FlowStoreError}, the cache of compiled versions and the memo of
 * pointers (src/flows/store.ts reads and writes through these).
 *
 * KV layout (content-addressed values plus a small mutable pointer) — only the small pointer is ever overwritten, so KV's
 * eventual consistency can make a TN serve the previous version for a while, never a torn one:
 *
 * | key              | value                                               | written            |
 * |------------------|-----------------------------------------------------|--------------------|
 * | `ver:<sha256>`   | {@link StoredVersion}: the XML and its metadata      | once, immutable    |
 * | `tn:<tn>`        | {@link FlowPointer}: the current version, the canary rollout (+ KV metadata for listing) | publish, rollback, rollout steps |
 * | `hist:<tn>`      | `HistoryEntry`[], newest first, at most 100         | publish, rollback, rollout steps |
 *
 * `<tn>` is the canonical TN (digits; 10-digit North American numbers get their leading 1) or
 * `*` for the catch-all. Reads on the call path use `cacheTtl` (pointer 60 s, versions a day);
 * admin reads don't, so they see their own writes.
 */
import type { CompiledTemplate } from "../template/index.ts";
import type { FlowDocument } from "../xml/index.ts";
import type { Rollout, RolloutState } from "./canary.ts";
import type { FlowMeta } from "./meta.ts";

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
  /** The number's canary rollout: `version` is its stable side while it is active (src/flows/canary.ts). */
  rollout?: Rollout;
}

/** KV metadata on `tn:<tn>`, so listing needs no value reads (≤ 1 KiB). */
export interface PointerMetadata {
  version: string;
  mode: FlowMeta["mode"];
  updatedAt: string;
  size: number;
  description: string;
  rollout?: { candidate: string; percent: number; state: RolloutState };
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
export const HISTORY_LIMIT = 100;
export const POINTER_CACHE_TTL = 60;
export const VERSION_CACHE_TTL = 86_400;

export const verKey = (hash: string) => `ver:${hash}`;
export const tnKey = (tn: string) => `tn:${tn}`;
export const histKey = (tn: string) => `hist:${tn}`;

// ---- isolate-memory cache of compiled versions ---------------------------------------------

/**
 * Compiled versions by content hash. Versions are immutable, so an entry never goes stale; the
 * bound only caps memory (128 MB per isolate). Map order is insertion order: re-inserting on a
 * hit makes it an LRU.
 */
const VERSION_CACHE_LIMIT = 256;
const versionCache = new Map<string, LoadedVersion>();

export function cacheGet(hash: string): LoadedVersion | undefined {
  const hit = versionCache.get(hash);
  if (hit) {
    versionCache.delete(hash);
    versionCache.set(hash, hit);
  }
  return hit;
}

export function cachePut(v: LoadedVersion): void {
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
export interface Memoized {
  pointer: FlowPointer | null;
  until: number;
}
const pointerMemo = new WeakMap<KVNamespace, Map<string, Memoized>>();

export function memoMs(env: Env): number {
  const raw = env.FLOW_POINTER_MEMO_MS;
  if (raw === undefined || raw === "") return DEFAULT_POINTER_MEMO_MS;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : DEFAULT_POINTER_MEMO_MS;
}

export function forgetPointer(env: Env, key: string): void {
  pointerMemo.get(env.FLOWS)?.delete(key);
}

/** The pointers of `keys` (null: no flow), from the memo where fresh, else one bulk KV read. */
export async function readPointers(env: Env, keys: string[]): Promise<Map<string, FlowPointer | null>> {
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

/** A compiled version this isolate holds, without touching the LRU order (the hot path's read). */
export function cachedVersion(hash: string): LoadedVersion | undefined {
  return versionCache.get(hash);
}

/** This isolate's memo of pointers for `env`'s namespace, if it has one. */
export function pointerMemoFor(env: Env): ReadonlyMap<string, Memoized> | undefined {
  return pointerMemo.get(env.FLOWS);
}

export async function kv<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw new FlowStoreError(`KV ${what} failed: ${err instanceof Error ? err.message : String(err)}`, err);
  }
}
