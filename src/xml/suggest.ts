/**
 * Did-you-mean. The search is bounded whatever the input: a word longer than
 * `MAX_SUGGESTION_INPUT` gets no search at all (no known tag, attribute or placeholder is that
 * long), each comparison stops as soon as the distance exceeds what would still be a hint, and
 * one search computes at most `MAX_SEARCH_CELLS` cells of the distance table over all its
 * candidates (past that it keeps the best found so far).
 */
import { tally } from "./work.ts";

/** Words longer than this get no suggestion: every known name is far shorter. */
export const MAX_SUGGESTION_INPUT = 64;

/**
 * The most distance-table cells one search may compute. A typo of a tag against every known
 * tag takes a few hundred to about 1,500; a 64-character word against 100 declared variables of
 * similar length could take over 250,000 without it. A check runs at most a few hundred
 * searches (only listed findings build their message), so a few million cells at most.
 */
export const MAX_SEARCH_CELLS = 4000;

/** The candidate nearest to `word` by edit distance, when it is near enough. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  if (word.length > MAX_SUGGESTION_INPUT) return undefined;
  tally("searches");
  const w = word.toLowerCase();
  // Allow roughly one typo per three letters, at least one, so `Gahter` → `Gather` but `Foo` → nothing.
  const limit = Math.max(1, Math.floor(w.length / 3));
  let best: string | undefined;
  let bestDist = limit + 1;
  let cells = 0;
  for (const c of candidates) {
    // The distance is at least the difference in length: skip what can't beat the best so far.
    if (Math.abs(c.length - w.length) >= bestDist) continue;
    // The most cells the banded comparison below can compute; stop before the search's share runs out.
    const most = Math.min(w.length, c.length) * (2 * bestDist - 1);
    if (cells + most > MAX_SEARCH_CELLS) break;
    cells += most;
    tally("comparisons");
    const d = editDistance(w, c.toLowerCase(), bestDist - 1);
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  return best;
}

/**
 * Damerau–Levenshtein (optimal string alignment) distance, computed only within `max` of the
 * diagonal: the answer is exact when it is ≤ `max`, and `max + 1` otherwise, found in
 * O(min(|a|, |b|) · max) steps with an early exit once a whole row is past `max`.
 */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (a.length > b.length) [a, b] = [b, a];
  const n = a.length;
  const m = b.length;
  const k = Math.min(max, m);
  if (m - n > k) return k + 1;
  const out = k + 1;
  let before = new Array<number>(m + 1).fill(out);
  let prev = new Array<number>(m + 1).fill(out);
  let cur = new Array<number>(m + 1).fill(out);
  for (let j = 0; j <= Math.min(m, k); j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    const lo = Math.max(1, i - k);
    const hi = Math.min(m, i + k);
    cur[lo - 1] = lo === 1 && i <= k ? i : out;
    let rowMin = cur[lo - 1]!;
    const ai = a.charCodeAt(i - 1);
    tally("cells", hi - lo + 1);
    for (let j = lo; j <= hi; j++) {
      const bj = b.charCodeAt(j - 1);
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (ai === bj ? 0 : 1));
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === bj) v = Math.min(v, before[j - 2]! + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (hi < m) cur[hi + 1] = out;
    if (rowMin > k) return out;
    [before, prev, cur] = [prev, cur, before];
  }
  return Math.min(prev[m]!, out);
}
