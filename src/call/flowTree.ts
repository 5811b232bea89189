/**
 * Where things are in a flow: stable ids for Gather nodes, the branches a Gather holds, and the
 * continuation that follows a Gather once its branch has run.
 *
 * Pure functions over the XML tree (no Workers imports), so the Node unit tests and the call
 * object share them. Ids and continuations are computed on the *template* tree of the pinned
 * flow version, so they stay the same however the render of a given call turns out.
 */
import { elementChildren, type ElementNode, type ElementOf } from "../xml/index.ts";
import { specForKind } from "../xml/tags.ts";

export type GatherNode = ElementOf<"Gather">;
export type BranchNode = ElementOf<"DTMF"> | ElementOf<"Case">;

/**
 * A node id is the Gather's path of element-child indices from `<Response>`, e.g. `g1` for the
 * second top-level command, `g1_0_2` for a Gather nested inside the first branch of a Switch.
 * It is a valid `{{gather.NAME}}` name, and it is stable for a given flow version: the call is
 * pinned to its version, so the ids it was served stay meaningful until it ends.
 */
export function nodeIdFor(path: readonly number[]): string {
  return `g${path.join("_")}`;
}

const NODE_ID_RE = /^g\d{1,4}(?:_\d{1,4}){0,63}$/;

/** The path a node id names, or null when the string is not a node id. */
export function parseNodeId(id: string): number[] | null {
  if (!NODE_ID_RE.test(id)) return null;
  return id.slice(1).split("_").map(Number);
}

/** One step down the tree: `parent`'s element child at `index` is the next node on the path. */
export interface PathStep {
  parent: ElementNode;
  index: number;
}

export interface Located {
  el: ElementNode;
  /** From the root down; the last step's child is `el`. */
  steps: PathStep[];
}

/** The element a path leads to, with the chain of parents, or null when it leads nowhere. */
export function locate(root: ElementNode, path: readonly number[]): Located | null {
  const steps: PathStep[] = [];
  let el = root;
  for (const index of path) {
    const child = elementChildren(el)[index];
    if (!child) return null;
    steps.push({ parent: el, index });
    el = child;
  }
  return { el, steps };
}

/** The Gather a node id names in a flow, or null when there is none there. */
export function locateGather(root: ElementNode, nodeId: string): (Located & { el: GatherNode }) | null {
  const path = parseNodeId(nodeId);
  if (!path?.length) return null;
  const hit = locate(root, path);
  if (hit?.el.kind !== "Gather") return null;
  return hit as Located & { el: GatherNode };
}

/** The branches of a Gather: DTMF/Case (directly or inside Switch), Default, Error, prompts. */
export interface GatherParts {
  /** In document order; the first branch with a given value wins. */
  branches: BranchNode[];
  default?: ElementOf<"Default">;
  error?: ElementOf<"Error">;
  /** Say, Play and Pause children: what the caller hears while entering digits. */
  prompts: ElementNode[];
}

export function gatherParts(g: GatherNode): GatherParts {
  const parts: GatherParts = { branches: [], prompts: [] };
  const take = (el: ElementNode) => {
    switch (el.kind) {
      case "DTMF":
      case "Case":
        parts.branches.push(el);
        return;
      case "Default":
        parts.default ??= el;
        return;
      case "Error":
        parts.error ??= el;
        return;
      default:
        return;
    }
  };
  for (const child of elementChildren(g)) {
    if (child.kind === "Switch") elementChildren(child).forEach(take);
    else if (child.kind === "Say" || child.kind === "Play" || child.kind === "Pause") parts.prompts.push(child);
    else take(child);
  }
  return parts;
}

/**
 * A Gather needs the call object when it branches locally (DTMF/Case or Default) and has no URL
 * of its own: the object then counts attempts, keeps the digits and picks the branch. A Gather
 * with a `url` is the author's own remote step and is left alone; one with no branches just
 * collects digits for the platform.
 */
export function isBranchingGather(el: ElementNode): el is GatherNode {
  if (el.kind !== "Gather" || el.props.remoteUrl) return false;
  const parts = gatherParts(el);
  return parts.branches.length > 0 || parts.default !== undefined;
}

/** Every branching Gather in a flow, with its node id, in document order. */
export function branchingGathers(root: ElementNode): Array<{ id: string; el: GatherNode }> {
  const out: Array<{ id: string; el: GatherNode }> = [];
  const walk = (el: ElementNode, path: number[]) => {
    elementChildren(el).forEach((child, i) => {
      const p = [...path, i];
      if (isBranchingGather(child)) out.push({ id: nodeIdFor(p), el: child });
      walk(child, p);
    });
  };
  walk(root, []);
  return out;
}

/** Node ids of every element in a tree, by identity, for rewriting fragments of it. */
export function indexPaths(root: ElementNode): WeakMap<ElementNode, string> {
  const ids = new WeakMap<ElementNode, string>();
  const walk = (el: ElementNode, path: number[]) => {
    elementChildren(el).forEach((child, i) => {
      const p = [...path, i];
      ids.set(child, nodeIdFor(p));
      walk(child, p);
    });
  };
  walk(root, []);
  return ids;
}

/** Whether a container's element children are commands that run in order. */
function holdsCommands(el: ElementNode): boolean {
  return specForKind(el.kind)?.content === "commands";
}

/**
 * What runs after the node the steps lead to has finished: its later siblings, then its
 * parent's later siblings, and so on up to `<Response>` (docs/architecture.md §2).
 *
 * - Inside a Gather or a Switch, the siblings are other branches and prompts: skipped, because
 *   once a branch has run, execution goes on after the `</Gather>` (docs/opentact.md §b.6).
 * - Inside a Dial (a Gather in its `<Error>`), the siblings are destinations: skipped too.
 * - `<Call>`, `<Geo>` and `<Schedule>` were entered, so their condition held: their remaining
 *   children run unconditionally, not re-evaluated at a later time.
 * - Inside a `<Record>` with children the remaining children are wrapped in a copy of it, so the
 *   rest of the block is still recorded.
 */
export function continuationOf(steps: readonly PathStep[]): ElementNode[] {
  const out: ElementNode[] = [];
  for (let i = steps.length - 1; i >= 0; i--) {
    const { parent, index } = steps[i]!;
    if (!holdsCommands(parent)) continue;
    const rest = elementChildren(parent).slice(index + 1);
    if (!rest.length) continue;
    if (parent.kind === "Record") out.push({ ...parent, children: rest });
    else out.push(...rest);
  }
  return out;
}
