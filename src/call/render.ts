/**
 * Rendering for a stateful call: the pinned flow's template tree, with branching Gathers
 * rewritten to report to the call object, compiled by the template engine (src/template).
 *
 * The template tree of a version is parsed once per isolate (bounded cache keyed by content
 * hash). The initial document of a version is compiled once per (version, origin, token): the
 * call id goes into each Gather URL through the `{{call}}` placeholder, so one compiled render
 * serves every call of that version. Gather answers differ per call and attempt and are compiled
 * when served.
 */
import { compileTemplate, splitPlaceholders, type CompiledTemplate, type ConditionMode, type RenderContext } from "../template/index.ts";
import { createElement, elementChildren, parseXml, type ElementNode } from "../xml/index.ts";
import {
  branchingGathers,
  continuationOf,
  gatherParts,
  indexPaths,
  isBranchingGather,
  locateGather,
  type BranchNode,
  type GatherNode,
  type GatherParts,
} from "./flowTree.ts";
import { responseOf, type RewriteOptions } from "./rewrite.ts";

/** The flow options a call needs (a structural subset of the flow store's `FlowMeta`). */
export interface PinnedFlowMeta {
  mode: "sync" | "async";
  timezone: string;
  variables: Record<string, string>;
  conditions: ConditionMode;
  parkTimeoutMs?: number | undefined;
}

/** A flow version as the call object keeps it. */
export interface PinnedFlow {
  /** The content hash. */
  version: string;
  /** The TN key it was found under (`*` for the catch-all). */
  tn: string;
  xml: string;
  meta: PinnedFlowMeta;
}

export interface ParsedFlow {
  root: ElementNode;
  ids: WeakMap<ElementNode, string>;
  /** Node ids of the branching Gathers, in document order. */
  gathers: string[];
  /** `gatherSite` answers, by node id (null: no branching Gather there). */
  sites: Map<string, GatherSite | null>;
}

/** A branching Gather of a flow version, with what every decision on it needs. */
export interface GatherSite {
  el: GatherNode;
  parts: GatherParts;
  /** The commands after the Gather once its branch has run (src/call/flowTree.ts). */
  continuation: ElementNode[];
}

const PARSED_LIMIT = 128;
const parsed = new Map<string, ParsedFlow>();
const INITIAL_LIMIT = 128;
const initial = new Map<string, CompiledTemplate>();

function remember<V>(cache: Map<string, V>, limit: number, key: string, value: V): V {
  cache.set(key, value);
  while (cache.size > limit) {
    const oldest = cache.keys().next().value;
    if (oldest === undefined) break;
    cache.delete(oldest);
  }
  return value;
}

/** The pinned version's template tree, parsed once per isolate. */
export function parsedFlow(flow: Pick<PinnedFlow, "version" | "xml">): ParsedFlow {
  const hit = parsed.get(flow.version);
  if (hit) return hit;
  const { document } = parseXml(flow.xml);
  if (!document) throw new Error(`flow version ${flow.version} no longer parses`);
  const root = document.root;
  return remember(parsed, PARSED_LIMIT, flow.version, {
    root,
    ids: indexPaths(root),
    gathers: branchingGathers(root).map((g) => g.id),
    sites: new Map(),
  });
}

/** The branching Gather a node id names in a parsed flow, worked out once per (version, node). */
export function gatherSite(p: ParsedFlow, nodeId: string): GatherSite | null {
  const known = p.sites.get(nodeId);
  if (known !== undefined) return known;
  const located = locateGather(p.root, nodeId);
  const site =
    located && isBranchingGather(located.el)
      ? { el: located.el, parts: gatherParts(located.el), continuation: continuationOf(located.steps) }
      : null;
  // Bounded by the node ids the route lets through; a flow has few Gathers, so cap what strangers can add.
  if (site || p.sites.size < 256) p.sites.set(nodeId, site);
  return site;
}

/** Whether calls of this flow need a CallSession: async mode, or a Gather that branches. */
export function needsSession(flow: Pick<PinnedFlow, "version" | "xml" | "meta">): boolean {
  return flow.meta.mode === "async" || parsedFlow(flow).gathers.length > 0;
}

/** Where a Gather's digits go. `call` may be the `{{call}}` placeholder itself. */
export function gatherUrl(origin: string, call: string, nodeId: string, attempt: number, token: string | undefined): string {
  const q = `node=${nodeId}&attempt=${attempt}${token ? `&token=${encodeURIComponent(token)}` : ""}`;
  return `${origin}/v1/calls/${call}/gather?${q}`;
}

/**
 * Which call, node and attempt a Gather URL reports to (the inverse of `gatherUrl`), or null when
 * the URL is not one of ours. `attempt` is null when it is missing or not a positive number.
 */
export function readGatherUrl(url: string): { call: string; node: string; attempt: number | null } | null {
  let u: URL;
  try {
    u = new URL(url, "http://tactflow.invalid");
  } catch {
    return null;
  }
  const m = /\/v1\/calls\/([^/]+)\/gather$/.exec(u.pathname);
  const node = u.searchParams.get("node");
  if (!m?.[1] || !node) return null;
  const a = u.searchParams.get("attempt");
  return { call: decodeURIComponent(m[1]), node, attempt: a !== null && /^\d{1,9}$/.test(a) && Number(a) > 0 ? Number(a) : null };
}

function compile(root: ElementNode, meta: PinnedFlowMeta): CompiledTemplate {
  const compiled = compileTemplate(root, { variables: meta.variables, conditions: meta.conditions });
  if (!compiled.ok) throw new Error(`rewritten flow does not compile: ${compiled.diagnostics.map((d) => d.message).join("; ")}`);
  return compiled;
}

/**
 * The holding command appended to an async flow's document: the call goes on hold (docs/opentact.md §b.17)
 * and waits for commands. Its timeout is longer than the deadline, so the call ends by our
 * timeout hang-up (with its cause), not by the hold running out at the same moment.
 */
export function parkHold(parkTimeoutMs: number): ElementNode {
  return createElement("Hold", [
    ["timeout", String(parkTimeoutMs + 10_000)],
    ["tag", "tactflow-park"],
  ]);
}

/**
 * The first document of a call: the whole flow with every branching Gather rewritten (attempt
 * 1), and for an async flow the holding `<Hold>`. Rendered with `ctx.call` in the Gather URLs.
 */
export function renderInitial(
  flow: PinnedFlow,
  origin: string,
  token: string | undefined,
  parkTimeoutMs: number | null,
  ctx: RenderContext,
): string {
  const key = `${flow.version}|${origin}|${token ?? ""}|${parkTimeoutMs ?? ""}`;
  let compiled = initial.get(key);
  if (!compiled) {
    const p = parsedFlow(flow);
    const opts: RewriteOptions = { ids: p.ids, urlFor: (id) => gatherUrl(origin, "{{call}}", id, 1, token) };
    const commands = elementChildren(p.root);
    const root = responseOf(parkTimeoutMs === null ? commands : [...commands, parkHold(parkTimeoutMs)], opts);
    compiled = remember(initial, INITIAL_LIMIT, key, compile(root, flow.meta));
  }
  return compiled.render(ctx);
}

const ANSWER_LIMIT = 512;
const answers = new Map<string, CompiledTemplate>();
/**
 * Stands in for a Gather's attempt number in a compiled answer, filled in after the render. A
 * private-use character, so nothing an author writes can look like it; it needs no escaping.
 */
const MARK = "\uE000";
const MARK_RE = /\uE000(g[0-9_]+)\uE000/g;

/**
 * A Gather answer: these commands, rewritten so each Gather reports its next attempt, rendered
 * for the call. The compiled form depends only on the flow version, the decision (`key`), the
 * origin and the token, so it is compiled once per isolate and shared by every call; the call
 * id comes in through `{{call}}`, each attempt number through a mark replaced after rendering.
 * `commands` is asked for only when the answer is not compiled yet.
 */
export function renderAnswer(
  flow: PinnedFlow,
  key: string,
  commands: () => readonly ElementNode[],
  origin: string,
  token: string | undefined,
  attemptFor: (nodeId: string) => number,
  ctx: RenderContext,
): string {
  const cacheKey = `${flow.version}|${key}|${origin}|${token ?? ""}`;
  let compiled = answers.get(cacheKey);
  if (!compiled) {
    const p = parsedFlow(flow);
    const urlFor = (id: string) => gatherUrl(origin, "{{call}}", id, 0, token).replace("attempt=0", `attempt=${MARK}${id}${MARK}`);
    compiled = remember(answers, ANSWER_LIMIT, cacheKey, compile(responseOf(commands(), { ids: p.ids, urlFor }), flow.meta));
  }
  return compiled.render(ctx).replace(MARK_RE, (_, id: string) => String(attemptFor(id)));
}

/**
 * The digits a branch selects, with placeholders filled (`<Case dtmf="{{vars.pin}}">`). Raw, not
 * escaped: the value is compared with what the caller typed, never written into a document.
 */
export function branchValue(branch: BranchNode, ctx: RenderContext): string {
  const value = branch.props.value;
  if (!value.includes("{{")) return value;
  const { parts } = splitPlaceholders(value, { pos: branch.pos, tag: branch.name });
  return parts
    .map((p) => {
      if (typeof p === "string") return p;
      switch (p.scope) {
        case "vars":
          return Object.hasOwn(ctx.vars, p.name) ? (ctx.vars[p.name] ?? "") : "";
        case "gather":
          return ctx.gather && Object.hasOwn(ctx.gather, p.name) ? (ctx.gather[p.name] ?? "") : "";
        case "call":
          return p.name === "now" ? ctx.now.toISOString() : (ctx[p.name] ?? "");
        default: {
          const never: never = p;
          throw new Error(`unhandled placeholder ${JSON.stringify(never)}`);
        }
      }
    })
    .join("")
    .trim();
}
