/**
 * How a condition block tactflow evaluated at render time came out for a call, worked out again
 * after the call: the block alone (its attributes, one marker child) is compiled by the template
 * engine and rendered with the call's values at the render's time, so the rule is the engine's
 * own (src/template), not a copy. Compiled once per (version, node) per isolate.
 */
import { type RenderContext, compileTemplate, type CompiledTemplate } from "../template/index.ts";
import { createElement, type ElementNode } from "../xml/index.ts";
import type { ParsedFlow, PinnedFlowMeta } from "../call/render.ts";
import type { ConditionVerdict, FlowView } from "./served.ts";

const LIMIT = 512;
const compiled = new Map<string, CompiledTemplate | null>();

function probeFor(version: string, id: string, el: ElementNode, meta: PinnedFlowMeta): CompiledTemplate | null {
  const key = `${version}|${id}`;
  const hit = compiled.get(key);
  if (hit !== undefined) return hit;
  const block = createElement(
    el.name,
    el.attrs.map((a) => [a.name, a.value] as const),
    [createElement("Hangup")],
  );
  const c = compileTemplate(createElement("Response", [], [block]), { variables: meta.variables, conditions: "evaluate" });
  const value = c.ok ? c : null;
  compiled.set(key, value);
  if (compiled.size > LIMIT) compiled.delete(compiled.keys().next().value as string);
  return value;
}

export interface CallValues {
  from: string;
  to: string;
  tn: string;
  call: string;
  sca: string;
  state: string;
}

/** The view of a flow version for one call: its template, and its conditions judged with the call's values. */
export function flowView(version: string, parsed: ParsedFlow, meta: PinnedFlowMeta, values: CallValues): FlowView {
  if (meta.conditions !== "evaluate") return { parsed, judge: null };
  const judge = (el: ElementNode, at: number): ConditionVerdict => {
    const id = parsed.ids.get(el);
    const probe = id ? probeFor(version, id, el, meta) : null;
    if (!probe) return "flatten";
    const ctx: RenderContext = { ...values, now: new Date(at), vars: meta.variables, timezone: meta.timezone };
    let out: string;
    try {
      out = probe.render(ctx);
    } catch {
      // The call's own render failed the same way, and it got the fallback document.
      return "drop";
    }
    if (!out.includes("<Hangup")) return "drop";
    return /<Geo[\s>]/.test(out) ? "keep" : "flatten";
  };
  return { parsed, judge };
}
