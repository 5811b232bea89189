/**
 * Naming a version: the one rule every route and the store use. A version is named by its full
 * content hash or by a prefix of one in the TN's history; a prefix that fits several is refused
 * rather than guessed (the API answers 409 for it, 404 for a name that fits none).
 */

/** One line of a TN's history (`hist:<tn>` in KV, newest first). */
export interface HistoryEntry {
  version: string;
  /** When the pointer moved to it (ISO 8601). */
  at: string;
  size: number;
  /**
   * How it came: a publish, a rollback, a canary started (the entry names the candidate, the
   * pointer still serves the stable version), a promote, an abort (by hand or automatic).
   */
  action: "publish" | "rollback" | "canary" | "promote" | "abort" | "auto-abort";
}

export type VersionMatch = { status: "found"; version: string } | { status: "unknown-version" | "ambiguous-version"; detail: string };

/** The version `wanted` names in `history` (the history of `key`, for the messages). */
export function matchVersion(history: readonly Pick<HistoryEntry, "version">[], key: string, wanted: string): VersionMatch {
  const matches = new Set<string>();
  for (const h of history) if (h.version.startsWith(wanted)) matches.add(h.version);
  if (matches.size > 1)
    return { status: "ambiguous-version", detail: `${wanted} matches ${matches.size} versions of ${key}; give more digits` };
  const [version] = matches;
  if (version === undefined) return { status: "unknown-version", detail: `${wanted} is not in the history of ${key}` };
  return { status: "found", version };
}
