/**
 * Did-you-mean. The search is bounded whatever the input: a word longer than
 * `MAX_SUGGESTION_INPUT` gets no search at all (no known tag, attribute or placeholder is that
 * long), and each comparison stops as soon as the distance exceeds what would still be a hint.
 */

/** Words longer than this get no suggestion: every known name is far shorter. */
export const MAX_SUGGESTION_INPUT = 64;

/** The candidate nearest to `word` by edit distance, when it is near enough. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  if (word.length > MAX_SUGGESTION_INPUT) return undefined;
  const w = word.toLowerCase();
  // Allow roughly one typo per three letters, at least one, so `Gahter` → `Gather` but `Foo` → nothing.
  const limit = Math.max(1, Math.floor(w.length / 3));
  let best: string | undefined;
  let bestDist = limit + 1;
  for (const c of candidates) {
    // The distance is at least the difference in length: skip what can't beat the best so far.
    if (Math.abs(c.length - w.length) >= bestDist) continue;
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
