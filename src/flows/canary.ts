/**
 * Canary publishing: a number keeps its current version as the **stable** one and sends a share
 * of new calls to a **candidate**. The rollout lives on the number's pointer (src/flows/store.ts),
 * so the webhook learns of it with the pointer it already reads.
 *
 * A caller is assigned by a hash of (rollout id, caller id), so the same caller hears the same
 * version on every call during a rollout, and a new rollout deals callers out afresh. A call
 * stays on the version it started with: a stateless call is one document, a stateful one is
 * pinned by its call object.
 */
import * as z from "../zod.ts";
import { normalizeTn } from "../tn.ts";

export const ROLLOUT_STATES = ["active", "promoted", "aborted", "auto-aborted"] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

/** When a candidate counts as worse than the stable version (src/insights/health.ts). */
export interface RolloutPolicy {
  /** Calls each side needs before its rates are compared. */
  minCalls: number;
  /** How much higher (0–1, e.g. 0.15 = 15 points) a candidate's rate may be before it is rolled back. */
  maxIncrease: number;
}

export const DEFAULT_POLICY: RolloutPolicy = { minCalls: 20, maxIncrease: 0.15 };

export interface Rollout extends RolloutPolicy {
  id: string;
  stable: string;
  candidate: string;
  /** Share of callers sent to the candidate, 0 < percent < 100. */
  percent: number;
  startedAt: string;
  state: RolloutState;
  endedAt?: string;
  /** Why it ended (an automatic rollback says what was worse). */
  reason?: string;
}

/** The `canary` of a publish: a percentage, or the percentage and the policy. */
const percent = z
  .number()
  .check(z.gt(0, { message: "a canary percentage is above 0" }), z.lt(100, { message: "a canary percentage is below 100" }));
export const CanarySchema = z.union([
  percent,
  z.strictObject({
    percent,
    minCalls: z.optional(z.int().check(z.minimum(1), z.maximum(1_000_000))),
    maxIncrease: z.optional(z.number().check(z.gt(0), z.maximum(1))),
  }),
]);
export type CanaryInput = z.infer<typeof CanarySchema>;

export function canaryOptions(input: CanaryInput): { percent: number } & RolloutPolicy {
  const o = typeof input === "number" ? { percent: input } : input;
  return { percent: o.percent, minCalls: o.minCalls ?? DEFAULT_POLICY.minCalls, maxIncrease: o.maxIncrease ?? DEFAULT_POLICY.maxIncrease };
}

/** A new rollout id: short, random, safe in URLs and logs. */
export function newRolloutId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return `r${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

// ---- assignment (on the webhook's hot path: no I/O, a few dozen integer operations) --------

/** Rollouts this isolate heard have ended (from the insights object), before the pointer says so. */
const ended = new Set<string>();

export function rolloutEnded(id: string): void {
  if (ended.size > 1000) ended.clear();
  ended.add(id);
}

export function isActive(r: Rollout | undefined): r is Rollout {
  return r !== undefined && r.state === "active" && !ended.has(r.id);
}

/** 32-bit FNV-1a of `s`, finished with murmur3's mix so nearby inputs spread. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Who the caller is, for assignment: the caller id's digits (so `+1 201…` and `1201…` are one
 * caller); a caller without a number (anonymous) is dealt by the call instead.
 */
export function callerKey(from: string, call: string): string {
  return normalizeTn(from) ?? (from.trim() || call);
}

/** Which side of a rollout a caller is on. */
export function sideOf(rollout: Pick<Rollout, "id" | "percent">, caller: string): "stable" | "candidate" {
  return hash32(`${rollout.id}|${caller}`) % 10_000 < Math.round(rollout.percent * 100) ? "candidate" : "stable";
}
