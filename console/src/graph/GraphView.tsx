/**
 * The flow graph in SVG: drawn from the current XML, zoomable (buttons, Ctrl+wheel, + and −),
 * pannable (drag, scroll, or the keyboard), with collapsible branches. Clicking a node (or Enter
 * on it) asks the editor to select its lines; the editor's cursor marks the node it is in.
 *
 * `marks` lets other panels colour nodes (part two's live calls: the path a call took), and
 * `badges` lets them write a small figure beside a node (the insights' share of calls).
 */
import { Component, type ComponentChildren } from "preact";
import { memo } from "preact/compat";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { layoutGraph, type PlacedNode } from "./layout.ts";
import { buildGraph, type FlowGraph, type GraphNode } from "./model.ts";
import type { ElementNode } from "../../../src/xml/index.ts";

const START = "tactflow:graph-start";

/**
 * The graph of a parsed flow, timed: the `tactflow:graph` performance measure runs from here to
 * the moment the SVG is in the DOM (bench/console.bench.ts reads it).
 */
export function graphOf(root: ElementNode): FlowGraph {
  performance.clearMarks(START);
  performance.mark(START);
  return buildGraph(root);
}

export interface GraphProps {
  /** The graph of the flow ({@link graphOf}); null while nothing has parsed yet. */
  graph: FlowGraph | null;
  /** The text no longer parses: the graph shows the last version that did. */
  stale: boolean;
  /** The node the editor's cursor is in. */
  activeId: string | null;
  /** Severity per node id, from the diagnostics. */
  problems: ReadonlyMap<string, "error" | "warning">;
  /** Extra classes per node id (e.g. `visited`, `current`) for other panels. */
  marks?: ReadonlyMap<string, string>;
  /** A small figure beside a node (console/src/insights: the share of calls that reached it). */
  badges?: ReadonlyMap<string, GraphBadge>;
  onSelect: (node: GraphNode) => void;
}

export interface GraphBadge {
  text: string;
  title: string;
  /** Drawn as a warning (many callers hung up there). */
  drop?: boolean;
}

const ZOOMS = [0.25, 0.35, 0.5, 0.65, 0.8, 1, 1.25, 1.5, 2];

function clip(label: string, width: number): string {
  const max = Math.floor((width - 18) / 6.6);
  return label.length > max ? `${label.slice(0, max - 1)}…` : label;
}

export const GraphView = memo(function GraphView(props: GraphProps) {
  const { graph } = props;
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const layout = useMemo(() => (graph ? layoutGraph(graph.root, collapsed) : null), [graph, collapsed]);
  const [zoom, setZoom] = useState(1);
  const [focusId, setFocusId] = useState<string | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const tip = useRef<HTMLDivElement>(null);
  const hideTip = () => {
    if (tip.current) tip.current.hidden = true;
  };
  const drag = useRef<{ x: number; y: number; left: number; top: number; moved: boolean } | null>(null);

  useLayoutEffect(() => {
    if (graph && performance.getEntriesByName(START, "mark").length) {
      performance.measure("tactflow:graph", START);
      performance.clearMarks(START);
    }
  }, [graph]);

  // First view: as much of the width as stays readable, the top of the flow in the middle.
  const placedOnce = useRef(false);
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el || !layout || placedOnce.current || !el.clientWidth) return;
    placedOnce.current = true;
    const z = Math.max(0.75, Math.min(1, (el.clientWidth - 8) / layout.width));
    setZoom(z);
    const start = layout.nodes[0];
    if (start) el.scrollLeft = (start.x + start.w / 2) * z - el.clientWidth / 2;
  }, [layout]);

  // Keep the node the cursor is in on screen.
  useEffect(() => {
    const el = scroller.current;
    const placed = props.activeId ? layout?.nodes.find((n) => n.node.id === props.activeId) : undefined;
    if (!el || !placed) return;
    const x = placed.x * zoom;
    const y = placed.y * zoom;
    const w = placed.w * zoom;
    const h = placed.h * zoom;
    if (x < el.scrollLeft || x + w > el.scrollLeft + el.clientWidth) el.scrollLeft = x + w / 2 - el.clientWidth / 2;
    if (y < el.scrollTop || y + h > el.scrollTop + el.clientHeight) el.scrollTop = y + h / 2 - el.clientHeight / 2;
  }, [props.activeId, layout, zoom]);

  if (!graph || !layout) {
    return (
      <div class="graph-empty muted" role="status">
        The graph appears when the flow parses.
      </div>
    );
  }

  const order = layout.nodes;
  const focusedId = focusId && order.some((n) => n.node.id === focusId) ? focusId : (order[0]?.node.id ?? null);

  const setZoomAt = (next: number, cx?: number, cy?: number) => {
    const el = scroller.current;
    const z = Math.min(2, Math.max(0.2, next));
    if (el) {
      const px = cx ?? el.clientWidth / 2;
      const py = cy ?? el.clientHeight / 2;
      const gx = (el.scrollLeft + px) / zoom;
      const gy = (el.scrollTop + py) / zoom;
      requestAnimationFrame(() => {
        el.scrollLeft = gx * z - px;
        el.scrollTop = gy * z - py;
      });
    }
    setZoom(z);
  };
  const step = (dir: 1 | -1) => {
    const i = ZOOMS.findIndex((z) => z >= zoom - 1e-6);
    const base = i < 0 ? ZOOMS.length - 1 : i;
    setZoomAt(ZOOMS[Math.min(ZOOMS.length - 1, Math.max(0, ZOOMS[base]! > zoom + 1e-6 && dir < 0 ? base - 1 : base + dir))]!);
  };
  const fit = () => {
    const el = scroller.current;
    if (el) setZoom(Math.min(1, Math.max(0.2, (el.clientWidth - 8) / layout.width)));
  };
  const toggle = (id: string) => {
    setCollapsed((c) => {
      const next = new Set(c);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  };
  const collapseAll = () => setCollapsed(new Set(order.filter((n) => n.branches > 0 && n.node.shape === "decision").map((n) => n.node.id)));

  const focusNode = (id: string) => {
    setFocusId(id);
    requestAnimationFrame(() => scroller.current?.querySelector<SVGGElement>(`[data-id="${CSS.escape(id)}"]`)?.focus());
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const i = order.findIndex((n) => n.node.id === focusedId);
    const current = order[i];
    switch (e.key) {
      case "ArrowDown":
      case "ArrowRight":
        if (order[i + 1]) focusNode(order[i + 1]!.node.id);
        break;
      case "ArrowUp":
      case "ArrowLeft":
        if (i > 0) focusNode(order[i - 1]!.node.id);
        break;
      case "Home":
        if (order[0]) focusNode(order[0].node.id);
        break;
      case "End":
        if (order.at(-1)) focusNode(order.at(-1)!.node.id);
        break;
      case "Enter":
        if (current) props.onSelect(current.node);
        break;
      case " ":
        if (current?.branches) toggle(current.node.id);
        break;
      case "+":
      case "=":
        step(1);
        break;
      case "-":
        step(-1);
        break;
      case "0":
        setZoomAt(1);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  // One listener for every node (a flow can have hundreds): the click finds its node.
  const nodeAt = (target: EventTarget | null) => {
    const g = (target as Element | null)?.closest?.("g.node");
    const id = g?.getAttribute("data-id");
    return id ? order.find((n) => n.node.id === id) : undefined;
  };
  const onClick = (e: MouseEvent) => {
    const placed = nodeAt(e.target);
    if (!placed) return;
    if ((e.target as Element).closest(".toggle")) toggle(placed.node.id);
    else {
      setFocusId(placed.node.id);
      props.onSelect(placed.node);
    }
  };
  // One tooltip element, moved and filled by hand: hovering re-renders nothing.
  const onPointerOver = (e: PointerEvent) => {
    const tipEl = tip.current;
    const el = scroller.current;
    const placed = nodeAt(e.target);
    if (!tipEl || !el || !placed) return hideTip();
    const badge = props.badges?.get(placed.node.id);
    tipEl.textContent = `${placed.node.title} (line ${placed.node.line})${badge ? ` — ${badge.title}` : ""}`;
    tipEl.style.left = `${Math.max(4, placed.x * zoom - el.scrollLeft)}px`;
    tipEl.style.top = `${(placed.y + placed.h) * zoom - el.scrollTop + el.offsetTop + 6}px`;
    tipEl.hidden = false;
  };

  const onWheel = (e: WheelEvent) => {
    if (!e.ctrlKey && !e.metaKey) return;
    e.preventDefault();
    const rect = scroller.current!.getBoundingClientRect();
    setZoomAt(zoom * (e.deltaY < 0 ? 1.1 : 1 / 1.1), e.clientX - rect.left, e.clientY - rect.top);
  };
  const onPointerDown = (e: PointerEvent) => {
    if (e.button !== 0 || (e.target as Element).closest(".node")) return;
    const el = scroller.current!;
    drag.current = { x: e.clientX, y: e.clientY, left: el.scrollLeft, top: el.scrollTop, moved: false };
    el.setPointerCapture(e.pointerId);
  };
  const onPointerMove = (e: PointerEvent) => {
    const d = drag.current;
    if (!d) return;
    const el = scroller.current!;
    el.scrollLeft = d.left - (e.clientX - d.x);
    el.scrollTop = d.top - (e.clientY - d.y);
  };
  const onPointerUp = () => {
    drag.current = null;
  };

  return (
    <div class="graph">
      <div class="graph-tools" role="toolbar" aria-label="Graph view">
        <button type="button" class="btn btn-small" onClick={() => step(-1)} aria-label="Zoom out" title="Zoom out (−)">
          −
        </button>
        <span class="zoom" aria-live="polite">
          {Math.round(zoom * 100)}%
        </span>
        <button type="button" class="btn btn-small" onClick={() => step(1)} aria-label="Zoom in" title="Zoom in (+)">
          +
        </button>
        <button type="button" class="btn btn-small" onClick={fit}>
          Fit
        </button>
        <button type="button" class="btn btn-small" onClick={collapseAll}>
          Collapse all
        </button>
        <button type="button" class="btn btn-small" onClick={() => setCollapsed(new Set())} disabled={collapsed.size === 0}>
          Expand all
        </button>
        <span class="muted graph-count">{graph.nodes.length} nodes</span>
      </div>
      {props.stale && (
        <p class="graph-stale" role="status">
          The text has an error, so this is the last version that parsed.
        </p>
      )}
      <div
        class={`graph-scroll${props.stale ? " is-stale" : ""}`}
        ref={scroller}
        onWheel={onWheel}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
      >
        <div
          role="tree"
          aria-label="Flow graph: arrow keys move between nodes, Enter selects a node's lines in the editor, Space collapses a branch"
          onKeyDown={onKeyDown}
          onClick={onClick}
          onPointerOver={onPointerOver}
          onPointerLeave={hideTip}
        >
          <svg
            width={layout.width * zoom}
            height={layout.height * zoom}
            viewBox={`0 0 ${layout.width} ${layout.height}`}
            role="presentation"
          >
            <g class="edges">
              {layout.edges.map((e, i) => (
                <path key={i} d={e.d} class={e.dashed ? "edge dashed" : "edge"} />
              ))}
            </g>
            {layout.nodes.map((p) => (
              <NodeBox
                key={p.node.id}
                p={p}
                active={p.node.id === props.activeId}
                focusable={p.node.id === focusedId}
                problem={props.problems.get(p.node.id)}
                mark={props.marks?.get(p.node.id)}
                badge={props.badges?.get(p.node.id)}
              />
            ))}
          </svg>
        </div>
      </div>
      <div class="graph-tip" ref={tip} hidden aria-hidden="true" />
    </div>
  );
});

/** One node; memoised, so a cursor move re-renders the two nodes whose state changed. */
const NodeBox = memo(function NodeBox({
  p,
  active,
  focusable,
  problem,
  mark,
  badge,
}: {
  p: PlacedNode;
  active: boolean;
  focusable: boolean;
  problem: "error" | "warning" | undefined;
  mark: string | undefined;
  badge: GraphBadge | undefined;
}) {
  const n = p.node;
  const cls = ["node", `shape-${n.shape}`, active && "active", problem && `has-${problem}`, n.unreached && "unreached", mark]
    .filter(Boolean)
    .join(" ");
  const radius = n.shape === "branch" || n.shape === "start" || n.shape === "end" ? p.h / 2 : 6;
  const label = clip(n.label, p.w - (p.branches ? 22 : 0));
  const state = p.collapsed ? `, collapsed: ${p.hidden} nodes hidden` : p.branches ? ", expanded" : "";
  return (
    <g
      class={cls}
      transform={`translate(${p.x} ${p.y})`}
      data-id={n.id}
      role="treeitem"
      tabindex={focusable ? 0 : -1}
      aria-label={`${n.title}${state}${problem ? `; has ${problem}s` : ""}${badge ? `; ${badge.title}` : ""}; line ${n.line}`}
      aria-expanded={p.branches ? !p.collapsed : undefined}
      aria-selected={active}
    >
      <rect width={p.w} height={p.h} rx={radius} />
      {n.shape === "decision" && <path class="glyph" d={`M12 ${p.h / 2}l5 -5l5 5l-5 5z`} />}
      <text
        x={n.shape === "branch" ? p.w / 2 : n.shape === "decision" ? 28 : 10}
        y={p.h / 2 + 4}
        text-anchor={n.shape === "branch" ? "middle" : undefined}
      >
        {label}
      </text>
      {p.branches > 0 && (
        <g class="toggle" transform={`translate(${p.w - 20} ${p.h / 2 - 8})`}>
          <rect width="16" height="16" rx="3" />
          <path d={p.collapsed ? "M4 8h8M8 4v8" : "M4 8h8"} />
        </g>
      )}
      {badge && <Badge badge={badge} x={p.w / 2 + 6} />}
      {p.collapsed && (
        <text class="hidden-count" x={p.w - 26} y={p.h / 2 + 4} text-anchor="end">
          +{p.hidden}
        </text>
      )}
    </g>
  );
});

/** A figure above a node's top edge, right of where its incoming edge arrives. */
function Badge({ badge, x }: { badge: GraphBadge; x: number }) {
  const w = Math.ceil(badge.text.length * 6.4) + 10;
  return (
    <g class={badge.drop ? "badge drop" : "badge"} transform={`translate(${x} -9)`}>
      <rect width={w} height="15" rx="7.5" />
      <text x={w / 2} y="11" text-anchor="middle">
        {badge.text}
      </text>
    </g>
  );
}

/** Keeps the rest of the page working when drawing the graph fails. */
export class GraphBoundary extends Component<{ children: ComponentChildren; resetKey: unknown }, { error: Error | null; key: unknown }> {
  override state = { error: null as Error | null, key: undefined as unknown };
  static override getDerivedStateFromProps(props: { resetKey: unknown }, state: { key: unknown }) {
    return props.resetKey !== state.key ? { error: null, key: props.resetKey } : null;
  }
  override componentDidCatch(error: Error) {
    this.setState({ error });
  }
  override render() {
    if (this.state.error) {
      return (
        <div class="state state-error" role="alert">
          <p>The graph could not be drawn ({this.state.error.message}). The editor, publishing and the other panels still work.</p>
        </div>
      );
    }
    return this.props.children;
  }
}
