/**
 * The compiled form of a template: static string runs interleaved with small functions for what
 * varies per call, and the helpers that fold a list of them into one render function.
 */
import type { RenderContext } from "./context.ts";
import type { LocalTime } from "./conditions.ts";

/** Per-render memo: each distinct escaped value and each condition input computed at most once. */
export interface RenderState {
  /** Escaped placeholder values by slot (one slot per distinct placeholder and context). */
  v: Array<string | undefined>;
  local?: Map<string, LocalTime>;
  callerState?: string | null;
}

export type Emit = (ctx: RenderContext, st: RenderState) => string;
export type Item = string | Emit;

/** Merge adjacent strings; a list of only strings collapses to one constant. */
function merge(items: Item[]): Item[] {
  const out: Item[] = [];
  for (const it of items) {
    const last = out[out.length - 1];
    if (typeof it === "string") {
      if (it === "") continue;
      if (typeof last === "string") out[out.length - 1] = last + it;
      else out.push(it);
    } else out.push(it);
  }
  return out;
}

/** Items → one constant string, or one emit function alternating constants and emits. */
export function seq(items: Item[]): string | Emit {
  const merged = merge(items);
  if (merged.every((it) => typeof it === "string")) return merged.join("");
  // statics[i] precedes emits[i]; statics has one more entry than emits.
  const statics: string[] = [];
  const emits: Emit[] = [];
  let pending = "";
  for (const it of merged) {
    if (typeof it === "string") pending += it;
    else {
      statics.push(pending);
      emits.push(it);
      pending = "";
    }
  }
  statics.push(pending);
  const n = emits.length;
  if (n === 1) {
    const [s0, s1] = statics as [string, string];
    const e0 = emits[0]!;
    return (ctx, st) => s0 + e0(ctx, st) + s1;
  }
  return (ctx, st) => {
    let out = statics[0]!;
    for (let i = 0; i < n; i++) out += emits[i]!(ctx, st) + statics[i + 1]!;
    return out;
  };
}

export function seqEmit(items: Item[]): Emit {
  const s = seq(items);
  return typeof s === "string" ? () => s : s;
}
