/**
 * Positions for the flow graph: a structured-flowchart layout in two linear passes (sizes bottom
 * up, then positions top down). Sequences run downwards; a step's branches stand side by side
 * under it and join again below the longest one.
 *
 * Why no general graph-layout library: a flow has no jumps, so its nesting already says where
 * everything goes. Layered layouts (dagre) rediscover that at a cost that grows past 100 ms
 * around a few hundred nodes, and a tidy-tree layout (d3-hierarchy) has no notion of branches
 * joining again. This is O(nodes) and needs no measuring of text.
 */
import type { Block, GraphNode, Step } from "./model.ts";

export const NODE_W = 200;
export const NODE_H = 34;
export const HEAD_H = 22;
const GAP_Y = 22;
const GAP_X = 14;

/** A branch head is as wide as its label (12 px text, about 6.6 px a character). */
export function headWidth(label: string): number {
  return Math.max(40, Math.ceil(label.length * 6.6) + 20);
}
const PAD = 16;

export interface PlacedNode {
  node: GraphNode;
  /** Top-left corner. */
  x: number;
  y: number;
  w: number;
  h: number;
  /** The step has branches (it can be collapsed). */
  branches: number;
  collapsed: boolean;
  /** Nodes hidden inside a collapsed step. */
  hidden: number;
}

export interface Edge {
  d: string;
  /** Leads to commands no call reaches (after a Hangup or Callback). */
  dashed: boolean;
}

export interface Layout {
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: Edge[];
}

interface Size {
  w: number;
  h: number;
}

const isTerminal = (n: GraphNode) => n.kind === "Hangup" || n.kind === "Callback";

export function layoutGraph(root: Block, collapsed: ReadonlySet<string>): Layout {
  const sizes = new Map<Step | Block, Size>();
  const isOpen = (s: Step) => s.branches.length > 0 && !collapsed.has(s.node.id);

  const measureBlock = (b: Block): Size => {
    let w = 0;
    let h = 0;
    for (const s of b.steps) {
      const m = measureStep(s);
      w = Math.max(w, m.w);
      h += m.h;
    }
    if (b.steps.length > 1) h += GAP_Y * (b.steps.length - 1);
    const size = { w, h };
    sizes.set(b, size);
    return size;
  };

  const measureStep = (s: Step): Size => {
    let size: Size = { w: NODE_W, h: NODE_H };
    if (isOpen(s)) {
      let cols = 0;
      let tallest = 0;
      for (const br of s.branches) {
        const body = measureBlock(br.body);
        cols += Math.max(headWidth(br.head.label), body.w);
        tallest = Math.max(tallest, HEAD_H + (br.body.steps.length ? GAP_Y + body.h : 0));
      }
      cols += GAP_X * (s.branches.length - 1);
      size = { w: Math.max(NODE_W, cols), h: NODE_H + GAP_Y + tallest + GAP_Y };
    }
    sizes.set(s, size);
    return size;
  };

  const total = measureBlock(root);
  const nodes: PlacedNode[] = [];
  const edges: Edge[] = [];
  const v = (x: number, y1: number, y2: number, dashed = false) => edges.push({ d: `M${x} ${y1}V${y2}`, dashed });

  const hiddenIn = (s: Step): number => s.branches.reduce((n, br) => n + 1 + br.body.steps.reduce((m, st) => m + 1 + hiddenIn(st), 0), 0);

  /** Places a block centred on `cx` from `y`; returns the bottom of its last step and whether a call can leave it. */
  const placeBlock = (b: Block, cx: number, y: number, from: { y: number } | null): { bottom: number; open: boolean } => {
    let top = y;
    let prev = from;
    let open = true;
    for (const s of b.steps) {
      if (prev) v(cx, prev.y, top, !open || !!s.node.unreached);
      const out = placeStep(s, cx, top);
      if (isTerminal(s.node) || s.node.shape === "end") open = false;
      prev = { y: out };
      top = out + GAP_Y;
    }
    return { bottom: prev?.y ?? y, open };
  };

  /** Places one step; returns the y where the flow leaves it. */
  const placeStep = (s: Step, cx: number, y: number): number => {
    const size = sizes.get(s)!;
    const open = isOpen(s);
    nodes.push({
      node: s.node,
      x: cx - NODE_W / 2,
      y,
      w: NODE_W,
      h: NODE_H,
      branches: s.branches.length,
      collapsed: s.branches.length > 0 && !open,
      hidden: open ? 0 : hiddenIn(s),
    });
    if (!open) return y + NODE_H;
    const colW = (br: Step["branches"][number]) => Math.max(headWidth(br.head.label), sizes.get(br.body)!.w);
    const colsW = s.branches.reduce((n, br) => n + colW(br), 0) + GAP_X * (s.branches.length - 1);
    let left = cx - colsW / 2;
    const fork = y + NODE_H + GAP_Y / 2;
    const headY = y + NODE_H + GAP_Y;
    const join = y + size.h - GAP_Y / 2;
    for (const br of s.branches) {
      const w = colW(br);
      const colCx = left + w / 2;
      const hw = headWidth(br.head.label);
      edges.push({ d: `M${cx} ${y + NODE_H}V${fork}H${colCx}V${headY}`, dashed: !!s.node.unreached });
      nodes.push({ node: br.head, x: colCx - hw / 2, y: headY, w: hw, h: HEAD_H, branches: 0, collapsed: false, hidden: 0 });
      const placed = br.body.steps.length
        ? placeBlock(br.body, colCx, headY + HEAD_H + GAP_Y, { y: headY + HEAD_H })
        : { bottom: headY + HEAD_H, open: true };
      if (placed.open) edges.push({ d: `M${colCx} ${placed.bottom}V${join}H${cx}`, dashed: !!s.node.unreached });
      left += w + GAP_X;
    }
    v(cx, join, y + size.h, !!s.node.unreached);
    return y + size.h;
  };

  placeBlock(root, PAD + total.w / 2, PAD, null);
  return { width: total.w + 2 * PAD, height: total.h + 2 * PAD, nodes, edges };
}
