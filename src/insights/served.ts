/**
 * The documents a call was served, as template elements, and where a command the platform
 * reports sits in them.
 *
 * The platform names a command by its path in the document it was running (`Gather[1]/Say[0]`,
 * docs/opentact.md §b.0). That document is the flow version's template after three changes,
 * which this file undoes to find the template element (and so the node id the console draws):
 *
 * - condition blocks tactflow evaluated at render time leave only their children when they held
 *   and nothing when they did not (`<Geo county>` stays whole when its state matched);
 * - a branching Gather was rewritten into a url Gather holding its prompts and its `<Error>`;
 * - a Gather decision's answer holds the branch's commands and the continuation, not the whole flow.
 *
 * Plain TypeScript over the parsed template (src/call/render.ts): no Workers imports.
 */
import { gatherParts, isBranchingGather, parseNodeId } from "../call/flowTree.ts";
import type { ParsedFlow } from "../call/render.ts";
import { elementChildren, type ElementNode } from "../xml/index.ts";

/** How an evaluated condition block came out when a document was rendered. */
export type ConditionVerdict = "flatten" | "keep" | "drop";

/** The flow as insights read it: the parsed template, and how its evaluated conditions came out. */
export interface FlowView {
  parsed: ParsedFlow;
  /** Null when the platform evaluates conditions (they stay in the document as written). */
  judge: ((el: ElementNode, atMs: number) => ConditionVerdict) | null;
}

export const CONDITION_KINDS: ReadonlySet<string> = new Set(["Call", "Geo", "Schedule"]);
const PROMPT_KINDS: ReadonlySet<string> = new Set(["Say", "Play", "Pause"]);
/** Commands that can fail and then run their `<Error>` child. */
const FAILING_KINDS: ReadonlySet<string> = new Set(["Dial", "Callback", "Gather"]);

/** A condition block passed over in a list: whether it held, and how many commands came before it. */
export interface Marker {
  at: number;
  el: ElementNode;
  held: boolean;
}

/** A list of commands as the platform saw it. */
export interface Expansion {
  items: ElementNode[];
  markers: Marker[];
}

/** One step of a resolved path: the list, the position in it, the element there. */
export interface Frame {
  exp: Expansion;
  index: number;
  el: ElementNode;
}

/** A document the platform ran. */
export interface ServedDoc {
  top: Expansion;
  /** When it was rendered (epoch ms, our clock): evaluated conditions are judged at this time. */
  at: number;
  /** Not a document of the flow (a Callback's or url Gather's reply, a parked call's commands). */
  foreign: boolean;
  /** The Gather whose decision replaced this document, once one did. */
  decided: string | null;
  children: Map<ElementNode, Expansion>;
}

/** The node id of an element of the template (a continuation's copy of a `<Record>` gets the original's). */
export function nodeIdOf(parsed: ParsedFlow, el: ElementNode): string | null {
  const id = parsed.ids.get(el);
  if (id !== undefined) return id;
  const first = elementChildren(el)[0];
  const childId = first ? parsed.ids.get(first) : undefined;
  return childId ? childId.slice(0, childId.lastIndexOf("_")) : null;
}

/** The element a node id names in the template, or null. */
export function elementAt(parsed: ParsedFlow, id: string): ElementNode | null {
  const path = parseNodeId(id);
  if (!path) return null;
  let el: ElementNode | undefined = parsed.root;
  for (const i of path) {
    el = el ? elementChildren(el)[i] : undefined;
    if (!el) return null;
  }
  return el ?? null;
}

/** `list` as rendered: evaluated condition blocks replaced by what they produced. */
export function expand(view: FlowView, list: readonly ElementNode[], at: number, out: Expansion = { items: [], markers: [] }): Expansion {
  for (const el of list) {
    if (view.judge && CONDITION_KINDS.has(el.kind)) {
      const verdict = view.judge(el, at);
      out.markers.push({ at: out.items.length, el, held: verdict !== "drop" });
      if (verdict === "keep") out.items.push(el);
      // The template engine drops an evaluated block's <Error>: local evaluation cannot fail.
      else if (verdict === "flatten")
        expand(
          view,
          elementChildren(el).filter((k) => k.kind !== "Error"),
          at,
          out,
        );
    } else out.items.push(el);
  }
  return out;
}

export function servedDoc(view: FlowView, commands: readonly ElementNode[], at: number, foreign = false): ServedDoc {
  return { top: foreign ? { items: [], markers: [] } : expand(view, commands, at), at, foreign, decided: null, children: new Map() };
}

/** The children of a served element, as the platform numbers them. */
export function servedChildren(view: FlowView, doc: ServedDoc, el: ElementNode): Expansion {
  let exp = doc.children.get(el);
  if (!exp) {
    if (isBranchingGather(el)) {
      // Rewritten into a url Gather: its prompts, then its <Error> (src/call/rewrite.ts).
      const parts = gatherParts(el);
      exp = { items: [...parts.prompts, ...(parts.error ? [parts.error] : [])], markers: [] };
    } else exp = expand(view, elementChildren(el), doc.at);
    doc.children.set(el, exp);
  }
  return exp;
}

const SEGMENT = /([A-Za-z][A-Za-z0-9_-]*)\[(\d+)\]/g;

/** `Gather[1]/Say[0]` (or `.`-separated) → [["Gather", 1], ["Say", 0]]; null when it is not a command path. */
export function pathSegments(path: string): Array<[string, number]> | null {
  const out: Array<[string, number]> = [];
  for (const m of path.matchAll(SEGMENT)) out.push([m[1]!, Number(m[2])]);
  return out.length ? out : null;
}

/** The frames a platform path leads through in a document, or null when it does not fit it. */
export function resolve(view: FlowView, doc: ServedDoc, segments: ReadonlyArray<[string, number]>): Frame[] | null {
  if (doc.foreign) return null;
  const frames: Frame[] = [];
  let exp = doc.top;
  for (const [name, index] of segments) {
    const el = exp.items[index];
    if (!el || el.name.toLowerCase() !== name.toLowerCase()) return null;
    frames.push({ exp, index, el });
    exp = servedChildren(view, doc, el);
  }
  return frames;
}

/** Where the platform goes into `frames`' last element: a Gather starts with its first prompt. */
export function descend(view: FlowView, doc: ServedDoc, frames: Frame[]): Frame[] {
  const last = frames[frames.length - 1];
  if (last?.el.kind !== "Gather") return frames;
  const kids = servedChildren(view, doc, last.el);
  const first = kids.items[0];
  return first && PROMPT_KINDS.has(first.kind) ? [...frames, { exp: kids, index: 0, el: first }] : frames;
}

/**
 * What the platform runs after the command `frames` leads to completed, or null when the
 * document ran out. A prompt of a Gather is followed by the next prompt, then by the Gather
 * itself waiting for keys; a platform-side condition that held goes into its children; a command
 * that failed (`held` false for a Dial, Callback or remote Gather) goes into its `<Error>`.
 */
export function nextAfter(view: FlowView, doc: ServedDoc, frames: Frame[], held: boolean): Frame[] | null {
  const leaf = frames[frames.length - 1];
  if (!leaf) return null;
  if (!held && FAILING_KINDS.has(leaf.el.kind)) {
    // A Dial, Callback or remote Gather that failed goes into its <Error>, when it has one.
    const kids = servedChildren(view, doc, leaf.el);
    const at = kids.items.findIndex((k) => k.kind === "Error");
    const error = kids.items[at];
    const inside = error ? servedChildren(view, doc, error) : null;
    const first = inside?.items[0];
    if (error && inside && first)
      return descend(view, doc, [...frames, { exp: kids, index: at, el: error }, { exp: inside, index: 0, el: first }]);
  }
  if (CONDITION_KINDS.has(leaf.el.kind) && held) {
    const kids = servedChildren(view, doc, leaf.el);
    const first = kids.items[0];
    if (first) return descend(view, doc, [...frames, { exp: kids, index: 0, el: first }]);
  }
  for (let depth = frames.length - 1; depth >= 0; depth--) {
    const f = frames[depth]!;
    const parent = depth > 0 ? frames[depth - 1]!.el : null;
    const next = f.exp.items[f.index + 1];
    if (parent?.kind === "Gather" && PROMPT_KINDS.has(f.el.kind)) {
      return next && PROMPT_KINDS.has(next.kind)
        ? [...frames.slice(0, depth), { exp: f.exp, index: f.index + 1, el: next }]
        : frames.slice(0, depth);
    }
    if (next) return descend(view, doc, [...frames.slice(0, depth), { exp: f.exp, index: f.index + 1, el: next }]);
  }
  return null;
}
