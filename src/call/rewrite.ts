/**
 * Turning a flow's branching Gathers into url Gathers that report to the call object.
 *
 * The platform runs `<Gather url>` by sending the digits to the URL and executing the reply
 * (docs/opentact.md §b.6, dialect B), so each branching Gather is replaced, in place, by one that keeps its
 * prompts and digit settings and points at `/v1/calls/{call}/gather?node=…&attempt=…`. The
 * object answers with the branch and the continuation; Gathers in that answer are rewritten the
 * same way, so nesting works at any depth.
 */
import { attrValue, createElement, elementChildren, type ElementNode, type XmlNode } from "../xml/index.ts";
import { gatherParts, isBranchingGather, type GatherNode } from "./flowTree.ts";

export interface RewriteOptions {
  /** Node ids by element identity, from `indexPaths` over the template tree. */
  ids: WeakMap<ElementNode, string>;
  /** The URL a Gather node's digits go to, for its next attempt. */
  urlFor: (nodeId: string) => string;
}

/** Attributes the url Gather must not inherit: we own the URL and count the attempts. */
const DROPPED_ATTRS = new Set(["url", "callback", "action", "method", "attempts"]);
const FINISH_ATTRS = ["finishOnKey", "dtmf_stop", "finish_on_key"];

/** The url Gather that stands in for a branching one. */
export function urlGather(g: GatherNode, url: string, opts: RewriteOptions): ElementNode {
  const attrs: Array<[string, string]> = g.attrs.filter((a) => !DROPPED_ATTRS.has(a.name.toLowerCase())).map((a) => [a.name, a.value]);
  // A url makes the Gather dialect B, whose default finish key is `#`; a dialect A Gather
  // (default `*`, docs/opentact.md §f.3) keeps its key by saying it out loud.
  if (g.props.dialect === "A" && !attrValue(g, ...FINISH_ATTRS)) attrs.push(["finishOnKey", g.props.finishKey]);
  attrs.push(["url", url]);
  const parts = gatherParts(g);
  const children: XmlNode[] = [...parts.prompts];
  // The author's <Error> stays as the url Gather's failure handler: if our endpoint cannot be
  // reached the platform runs it (docs/opentact.md §b.6: "for a url Gather, the remote endpoint failed").
  if (parts.error) children.push(rewriteElement(parts.error, opts));
  return createElement(g.name, attrs, children);
}

/** The element with every branching Gather inside it (or itself) rewritten; shared if unchanged. */
export function rewriteElement(el: ElementNode, opts: RewriteOptions): ElementNode {
  if (isBranchingGather(el)) {
    const id = opts.ids.get(el);
    if (id !== undefined) return urlGather(el, opts.urlFor(id), opts);
  }
  if (!elementChildren(el).length) return el;
  let changed = false;
  const children = el.children.map((child) => {
    if (child.type !== "element") return child;
    const next = rewriteElement(child, opts);
    if (next !== child) changed = true;
    return next;
  });
  return changed ? ({ ...el, children } as ElementNode) : el;
}

/** A `<Response>` holding these commands, rewritten. */
export function responseOf(commands: readonly ElementNode[], opts: RewriteOptions): ElementNode {
  return createElement(
    "Response",
    [],
    commands.map((c) => rewriteElement(c, opts)),
  );
}
