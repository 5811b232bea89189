/**
 * What one call adds to a number's counters: rows of (node, outcome) → (n, ms), kept per
 * (version, hour) by the insights object. Node `""` is the call as a whole.
 *
 * | node | outcome           | n                       | ms               |
 * |------|-------------------|-------------------------|------------------|
 * | ""   | `calls`           | calls started           |                  |
 * | ""   | `fallback:<cause>`| fallback documents      |                  |
 * | ""   | `paths`           | calls whose path counted | summed duration |
 * | ""   | `end:<kind>`      | calls that ended so     |                  |
 * | ""   | `error`, `quick`  | calls with an error / a quick hang-up |    |
 * | id   | `entered`         | calls that entered it   |                  |
 * | id   | `out:<how>`       | calls that left it so (a branch's node id, `ok`, `error`, …) | |
 * | id   | `hangup`          | callers who hung up in it |                |
 * | id   | `end:<kind>`      | calls that ended there otherwise (flow Hangup, Dial, end of flow) | |
 * | id   | `quick`, `error`  | quick hang-ups / failures there |          |
 * | id   | `attempts`, `silent`, `wrong`, `abandoned` | a Gather's attempts and how they went | |
 * | id   | `time`, `t:<bin>` | decided Gathers, and per time bin | summed time |
 *
 * Plain TypeScript.
 */
import type { CallPath } from "./path.ts";

export type Increment = [node: string, outcome: string, n: number, ms: number];

/** The start (ms) of the time bin `ms` falls in: 100 ms wide under 30 s, 1 s under 5 min, then 10 s. */
export function timeBin(ms: number): number {
  if (ms < 30_000) return Math.floor(ms / 100) * 100;
  if (ms < 300_000) return Math.floor(ms / 1000) * 1000;
  return Math.floor(ms / 10_000) * 10_000;
}

/** The increments of one call's path (its `calls` row is counted when the call is first seen). */
export function pathIncrements(p: CallPath): Increment[] {
  const out: Increment[] = [["", "paths", 1, p.durationMs ?? 0]];
  out.push(["", `end:${p.end.kind}`, 1, 0]);
  if (p.durationMs !== null) out.push(["", "duration", 1, p.durationMs]);
  if (p.errors.length) out.push(["", "error", 1, 0]);
  if (p.end.quick) out.push(["", "quick", 1, 0]);
  for (const node of p.nodes) out.push([node, "entered", 1, 0]);
  for (const [node, how] of p.left) out.push([node, `out:${how}`, 1, 0]);
  for (const node of p.errors) out.push([node, "error", 1, 0]);
  if (p.end.node !== null) {
    out.push([p.end.node, p.end.kind === "caller-hangup" ? "hangup" : `end:${p.end.kind}`, 1, 0]);
    if (p.end.quick) out.push([p.end.node, "quick", 1, 0]);
  }
  for (const g of p.gathers) {
    if (g.attempts) out.push([g.node, "attempts", g.attempts, 0]);
    if (g.silent) out.push([g.node, "silent", g.silent, 0]);
    if (g.wrong) out.push([g.node, "wrong", g.wrong, 0]);
    if (!g.decided) out.push([g.node, "abandoned", 1, 0]);
    if (g.ms !== null) {
      out.push([g.node, "time", 1, g.ms]);
      out.push([g.node, `t:${timeBin(g.ms)}`, 1, 0]);
    }
  }
  return out;
}

/** The median of the values a set of `t:<bin>` counters holds (the lower middle for an even count), or null. */
export function medianFromBins(bins: ReadonlyArray<[bin: number, n: number]>): number | null {
  const sorted = [...bins].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((s, [, n]) => s + n, 0);
  if (!total) return null;
  const want = Math.ceil(total / 2);
  let seen = 0;
  for (const [bin, n] of sorted) {
    seen += n;
    if (seen >= want) return bin;
  }
  return null;
}
