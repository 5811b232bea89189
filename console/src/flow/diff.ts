/**
 * A line diff for comparing two versions side by side: longest common subsequence over lines
 * (flows are at most 256 KiB, a few thousand lines), with unchanged runs kept whole.
 */
export interface DiffRow {
  type: "same" | "changed" | "removed" | "added";
  left?: { n: number; text: string };
  right?: { n: number; text: string };
}

export function diffLines(a: string, b: string): DiffRow[] {
  const x = a.split("\n");
  const y = b.split("\n");
  // Trim the common head and tail: versions usually differ in a few places.
  let head = 0;
  while (head < x.length && head < y.length && x[head] === y[head]) head++;
  let tail = 0;
  while (tail < x.length - head && tail < y.length - head && x[x.length - 1 - tail] === y[y.length - 1 - tail]) tail++;
  const xs = x.slice(head, x.length - tail);
  const ys = y.slice(head, y.length - tail);
  const n = xs.length;
  const m = ys.length;
  // lcs[i][j] = LCS length of xs[i..] and ys[j..], one flat array.
  const lcs = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * (m + 1) + j] =
        xs[i] === ys[j] ? lcs[(i + 1) * (m + 1) + j + 1]! + 1 : Math.max(lcs[(i + 1) * (m + 1) + j]!, lcs[i * (m + 1) + j + 1]!);
    }
  }
  const rows: DiffRow[] = [];
  for (let k = 0; k < head; k++) rows.push({ type: "same", left: { n: k + 1, text: x[k]! }, right: { n: k + 1, text: y[k]! } });
  let i = 0;
  let j = 0;
  let removed: DiffRow[] = [];
  let added: DiffRow[] = [];
  const flush = () => {
    // Pair removals with additions as changed lines, so a edited line sits beside its new form.
    const pairs = Math.min(removed.length, added.length);
    for (let k = 0; k < pairs; k++) rows.push({ type: "changed", left: removed[k]!.left!, right: added[k]!.right! });
    rows.push(...removed.slice(pairs), ...added.slice(pairs));
    removed = [];
    added = [];
  };
  while (i < n || j < m) {
    if (i < n && j < m && xs[i] === ys[j]) {
      flush();
      rows.push({ type: "same", left: { n: head + i + 1, text: xs[i]! }, right: { n: head + j + 1, text: ys[j]! } });
      i++;
      j++;
    } else if (j < m && (i >= n || lcs[i * (m + 1) + j + 1]! >= lcs[(i + 1) * (m + 1) + j]!)) {
      added.push({ type: "added", right: { n: head + j + 1, text: ys[j]! } });
      j++;
    } else {
      removed.push({ type: "removed", left: { n: head + i + 1, text: xs[i]! } });
      i++;
    }
  }
  flush();
  for (let k = 0; k < tail; k++) {
    const li = x.length - tail + k;
    const ri = y.length - tail + k;
    rows.push({ type: "same", left: { n: li + 1, text: x[li]! }, right: { n: ri + 1, text: y[ri]! } });
  }
  return rows;
}
