/** The statistics the benchmarks report. */

/** The median of `xs` (any order; the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The nearest-rank `p`th percentile of ascending `sorted`; `empty` when there is nothing to rank. */
export function percentile(sorted: number[], p: number, empty = Number.NaN): number {
  if (sorted.length === 0) return empty;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
