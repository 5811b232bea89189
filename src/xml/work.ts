/**
 * A count of the steps a check takes where the cost per step is ours to bound: edit-distance
 * cells of the did-you-mean search, and findings whose message was built. Tests and
 * `bench:publish` read it to show that the work a check does stays within a fixed budget
 * whatever the document holds; time is measured in the benchmark, never asserted.
 *
 * Counting is off unless `countWork` runs a check: then each step costs one null check.
 */

export interface WorkCount {
  /** Did-you-mean searches run (a word too long for one is not searched, and not counted). */
  searches: number;
  /** Edit-distance table cells computed by the did-you-mean search. */
  cells: number;
  /** Candidate names the did-you-mean search compared a word with. */
  comparisons: number;
  /** Finding messages built (a finding past the listing cap builds none). */
  messages: number;
}

let current: WorkCount | null = null;

/** Add `n` steps of `kind` to the running count, if one is running. */
export function tally(kind: keyof WorkCount, n = 1): void {
  if (current) current[kind] += n;
}

/** Run `fn` and count the work it does. Not reentrant: a nested call counts into its own total only. */
export function countWork<T>(fn: () => T): { result: T; work: WorkCount } {
  const outer = current;
  const work: WorkCount = { searches: 0, cells: 0, comparisons: 0, messages: 0 };
  current = work;
  try {
    return { result: fn(), work };
  } finally {
    current = outer;
  }
}
