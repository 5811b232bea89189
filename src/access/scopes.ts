/**
 * Who may do what: scopes, grants limited to TN patterns, and the principal a request acts as.
 * Pure: the key store (src/access/AccessStore.ts) keeps grants, the middleware
 * (src/http/access.ts) checks them.
 *
 * A grant is written `scope` or `scope@pattern,pattern`, e.g. `flows:read@1800555*`: the scope,
 * only for TNs matching one of the patterns (digits, `*` for any run of digits; matched against
 * the TN's stored form, so `1800555*` covers `+1 800 555 0100` and `8005550100` alike).
 */
import { canonicalTn, normalizeTn } from "../tn.ts";

export const SCOPES = ["flows:read", "flows:write", "calls:control", "events:read", "audit:read", "keys:admin"] as const;
export type Scope = (typeof SCOPES)[number];

export interface Grant {
  scope: Scope;
  /** TN patterns; absent: every TN. */
  tns?: string[];
}

/** The identity a request acts as: the bootstrap root (ADMIN_TOKEN) or a scoped API key. */
export type Principal = { kind: "root"; id: "root" } | { kind: "key"; id: string; grants: Grant[] };

export const ROOT: Principal = { kind: "root", id: "root" };

const PATTERN = /^[0-9*]{1,16}$/;

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** `scope[@pattern,…]` → a grant, or the reason it is not one. */
export function parseGrant(text: string): Grant | { error: string } {
  const [scope = "", patterns] = text.trim().split("@", 2);
  if (!isScope(scope)) return { error: `unknown scope "${scope.slice(0, 40)}"; known: ${SCOPES.join(", ")}` };
  if (patterns === undefined) return { scope };
  const tns = patterns
    .split(",")
    .map((p) => p.trim().replace(/[\s+().-]/g, ""))
    .filter(Boolean);
  if (tns.length === 0) return { error: `"${text.slice(0, 60)}": no TN pattern after @` };
  const bad = tns.find((p) => !PATTERN.test(p));
  if (bad) return { error: `TN pattern "${bad.slice(0, 40)}" may hold only digits and *` };
  return { scope, tns };
}

export function formatGrant(g: Grant): string {
  return g.tns ? `${g.scope}@${g.tns.join(",")}` : g.scope;
}

/** A pattern against a TN's stored form; a North American number also matches without its leading 1. */
function patternMatches(pattern: string, stored: string): boolean {
  const re = new RegExp(`^${pattern.replace(/\*/g, "\\d*")}$`);
  return re.test(stored) || (stored.length === 11 && stored.startsWith("1") && re.test(stored.slice(1)));
}

/** Whether `tn` (any spelling) matches one of `patterns`. The catch-all `*` flow matches only the pattern `*`. */
export function tnMatches(patterns: readonly string[], tn: string): boolean {
  if (tn === "*") return patterns.includes("*");
  const n = normalizeTn(tn);
  if (!n) return false;
  const stored = canonicalTn(n);
  return patterns.some((p) => patternMatches(p, stored));
}

/**
 * Whether `who` may use `scope`; with `tn`, for that number. Without `tn` on a TN-limited
 * grant the answer is "partly": the caller must filter what it returns with {@link allowsTn}.
 */
export function allows(who: Principal, scope: Scope, tn?: string): boolean {
  if (who.kind === "root") return true;
  return who.grants.some((g) => g.scope === scope && (tn === undefined || !g.tns || tnMatches(g.tns, tn)));
}

/** Whether `who` holds `scope` for every TN (no pattern limits it). */
export function allowsEveryTn(who: Principal, scope: Scope): boolean {
  if (who.kind === "root") return true;
  return who.grants.some((g) => g.scope === scope && !g.tns);
}

/** A filter for list results: whether `who` may see `tn` under `scope`. */
export function allowsTn(who: Principal, scope: Scope): (tn: string) => boolean {
  if (allowsEveryTn(who, scope)) return () => true;
  return (tn) => allows(who, scope, tn);
}
