/**
 * Small text helpers for readable failures: a line diff with context (for golden transcripts)
 * and an edit distance (to point at the step nearest to what was expected).
 */

/** A unified-style diff of two texts: `-` expected, `+` actual, `context` unchanged lines around changes. */
export function lineDiff(expected: string, actual: string, context = 2): string[] {
  const a = expected.split("\n");
  const b = actual.split("\n");
  // Trim the common head and tail, then an LCS table over what is left (transcripts are short).
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  const lcs: number[][] = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = x.length - 1; i >= 0; i--)
    for (let j = y.length - 1; j >= 0; j--)
      lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const body: Array<[" " | "-" | "+", string]> = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      body.push([" ", x[i]!]);
      i++;
      j++;
    } else if (j < y.length && (i === x.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) body.push(["+", y[j++]!]);
    else body.push(["-", x[i++]!]);
  }
  const all: Array<[" " | "-" | "+", string]> = [
    ...a.slice(Math.max(0, head - context), head).map((l): [" ", string] => [" ", l]),
    ...body,
    ...a.slice(a.length - tail, a.length - tail + context).map((l): [" ", string] => [" ", l]),
  ];
  return all.map(([mark, line]) => `${mark} ${line}`);
}

/** Levenshtein distance, on at most the first 300 characters of each string. */
export function editDistance(s: string, t: string): number {
  const a = s.slice(0, 300);
  const b = t.slice(0, 300);
  let prev = Array.from({ length: b.length + 1 }, (_, k) => k);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}
