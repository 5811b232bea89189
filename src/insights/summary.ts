/**
 * A number's insights as the API answers them (`GET /v1/flows/{tn}/insights`): the counters of
 * one version over a time range, laid over the version's flow — every element in document order
 * with its node id, tag, line and column (what the console's graph draws), how many calls entered
 * it, how they left it, how many hung up there — plus the whole-call figures and one bucket per
 * hour for a chart. Plain TypeScript.
 */
import type { ParsedFlow } from "../call/render.ts";
import { attrValue, elementChildren, textContent, type ElementNode } from "../xml/index.ts";
import { HOUR_MS } from "./book.ts";
import { medianFromBins } from "./counts.ts";
import { END_KINDS, type EndKind } from "./path.ts";
import type { CounterRow } from "./sqlTables.ts";

export interface NodeInsight {
  /** The node id: the element's path of element-child indices (`g1_0_2`; the console's graph id is the part after `g`). */
  id: string;
  tag: string;
  line: number;
  col: number;
  depth: number;
  /** A few words saying which element it is: a Say's text, a Dial's target, a branch's keys. */
  label: string;
  entered: number;
  /** How calls left it: a Gather's branches (by the branch's node id), `ok`/`error`, `matched`/`not-matched`, … */
  left: Array<{ how: string; label: string; calls: number }>;
  /** Callers who hung up while it ran. */
  hungUp: number;
  /** …of them within a few seconds of it starting. */
  quick: number;
  /** Calls that ended here otherwise: the flow's Hangup, a Dial, the end of the document. */
  ended: Partial<Record<EndKind, number>>;
  errors: number;
  gather?: {
    attempts: number;
    silent: number;
    wrong: number;
    abandoned: number;
    decided: number;
    medianMs: number | null;
    meanMs: number | null;
  };
}

export interface HourInsight {
  hour: string;
  calls: number;
  paths: number;
  fallbacks: number;
  errors: number;
  quick: number;
  ended: Partial<Record<EndKind, number>>;
}

export interface Insights {
  version: string;
  from: string;
  to: string;
  calls: number;
  /** Calls whose path was counted (ended, and reported by their call object). */
  paths: number;
  fallbacks: Record<string, number>;
  fallbackRate: number | null;
  errors: number;
  errorRate: number | null;
  quick: number;
  quickRate: number | null;
  meanDurationMs: number | null;
  ended: Partial<Record<EndKind, number>>;
  nodes: NodeInsight[];
  hours: HourInsight[];
}

const rate = (n: number, of: number) => (of > 0 ? n / of : null);

function words(s: string, max = 48): string {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** A few words naming an element. */
export function labelOf(el: ElementNode): string {
  const attr = (...names: string[]) => attrValue(el, ...names)?.value ?? "";
  switch (el.kind) {
    case "Say":
      return words(textContent(el));
    case "Play":
      return words(attr("url") || textContent(el));
    case "Dial":
      return words(
        elementChildren(el)
          .filter((c) => c.kind === "To" || c.kind === "Sip" || c.kind === "Number")
          .map((c) => textContent(c).trim())
          .join(", "),
      );
    case "Gather": {
      const attempts = attr("attempts");
      return attempts ? `${attempts} attempts` : "";
    }
    case "Case":
    case "DTMF":
      return `keys ${attr("dtmf", "value") || textContent(el).trim()}`;
    case "Callback":
      return words(attr("url") || textContent(el));
    case "Schedule":
      return words([attr("dow"), attr("time"), attr("tz")].filter(Boolean).join(" "));
    case "Geo":
      return words(attr("states", "county"));
    case "Call":
      return words(`${attr("field")} ${attr("value")}`);
    default:
      return attr("tag");
  }
}

/** Every element of the flow, in document order, with its id and depth. */
function walk(parsed: ParsedFlow): Array<{ el: ElementNode; id: string; depth: number }> {
  const out: Array<{ el: ElementNode; id: string; depth: number }> = [];
  const visit = (el: ElementNode, depth: number) => {
    for (const child of elementChildren(el)) {
      const id = parsed.ids.get(child);
      if (id) out.push({ el: child, id, depth });
      visit(child, depth + 1);
    }
  };
  visit(parsed.root, 0);
  return out;
}

function endsOf(get: (outcome: string) => number): Partial<Record<EndKind, number>> {
  const out: Partial<Record<EndKind, number>> = {};
  for (const k of END_KINDS) {
    const n = k === "caller-hangup" ? get("hangup") || get(`end:${k}`) : get(`end:${k}`);
    if (n) out[k] = n;
  }
  return out;
}

export function buildInsights(opts: {
  version: string;
  fromHour: number;
  toHour: number;
  counters: readonly CounterRow[];
  hourly: ReadonlyArray<[number, string, number, number]>;
  flow: ParsedFlow | null;
}): Insights {
  const byNode = new Map<string, Map<string, [number, number]>>();
  for (const [node, outcome, n, ms] of opts.counters) {
    let m = byNode.get(node);
    if (!m) byNode.set(node, (m = new Map()));
    m.set(outcome, [n, ms]);
  }
  const call = byNode.get("") ?? new Map<string, [number, number]>();
  const n = (m: Map<string, [number, number]> | undefined, k: string) => m?.get(k)?.[0] ?? 0;
  const calls = n(call, "calls");
  const paths = n(call, "paths");
  const fallbacks: Record<string, number> = {};
  let fallbackTotal = 0;
  for (const [k, [v]] of call) {
    if (!k.startsWith("fallback:")) continue;
    fallbacks[k.slice(9)] = v;
    fallbackTotal += v;
  }
  const duration = call.get("duration");
  const labels = new Map<string, string>();
  const nodes: NodeInsight[] = [];
  if (opts.flow) {
    for (const { el, id } of walk(opts.flow)) labels.set(id, el.kind === "Default" || el.kind === "Error" ? el.kind : labelOf(el));
    for (const { el, id, depth } of walk(opts.flow)) {
      const m = byNode.get(id);
      const get = (k: string) => n(m, k);
      const left: NodeInsight["left"] = [];
      for (const [k, [v]] of m ?? [])
        if (k.startsWith("out:")) left.push({ how: k.slice(4), label: labels.get(k.slice(4)) ?? k.slice(4), calls: v });
      left.sort((a, b) => b.calls - a.calls);
      const ended = endsOf(get);
      delete ended["caller-hangup"];
      const node: NodeInsight = {
        id,
        tag: el.name,
        line: el.pos.line,
        col: el.pos.col,
        depth,
        label: labelOf(el),
        entered: get("entered"),
        left,
        hungUp: get("hangup"),
        quick: get("quick"),
        ended,
        errors: get("error"),
      };
      if (el.kind === "Gather") {
        const bins: Array<[number, number]> = [];
        for (const [k, [v]] of m ?? []) if (k.startsWith("t:")) bins.push([Number(k.slice(2)), v]);
        const time = m?.get("time");
        node.gather = {
          attempts: get("attempts"),
          silent: get("silent"),
          wrong: get("wrong"),
          abandoned: get("abandoned"),
          decided: time?.[0] ?? 0,
          medianMs: medianFromBins(bins),
          meanMs: time?.[0] ? Math.round(time[1] / time[0]) : null,
        };
      }
      nodes.push(node);
    }
  }
  const hours = new Map<number, Map<string, number>>();
  for (const [hour, outcome, v] of opts.hourly) {
    let h = hours.get(hour);
    if (!h) hours.set(hour, (h = new Map()));
    h.set(outcome, (h.get(outcome) ?? 0) + v);
  }
  return {
    version: opts.version,
    from: new Date(opts.fromHour * HOUR_MS).toISOString(),
    to: new Date(opts.toHour * HOUR_MS).toISOString(),
    calls,
    paths,
    fallbacks,
    fallbackRate: rate(fallbackTotal, calls),
    errors: n(call, "error"),
    errorRate: rate(n(call, "error"), paths),
    quick: n(call, "quick"),
    quickRate: rate(n(call, "quick"), paths),
    meanDurationMs: duration?.[0] ? Math.round(duration[1] / duration[0]) : null,
    ended: endsOf((k) => n(call, k)),
    nodes,
    hours: [...hours.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([hour, h]) => {
        let fb = 0;
        for (const [k, v] of h) if (k.startsWith("fallback:")) fb += v;
        return {
          hour: new Date(hour * HOUR_MS).toISOString(),
          calls: h.get("calls") ?? 0,
          paths: h.get("paths") ?? 0,
          fallbacks: fb,
          errors: h.get("error") ?? 0,
          quick: h.get("quick") ?? 0,
          ended: endsOf((k) => h.get(k) ?? 0),
        };
      }),
  };
}
