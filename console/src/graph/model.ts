/**
 * The flow as a graph, derived from the XML tree on every change: nothing about the drawing is
 * stored in the flow, so the XML stays the one source of truth and diffs stay about behaviour.
 *
 * A flow is a structured program — sequences, branches, no jumps — so the graph is a tree of
 * {@link Block}s: a sequence of {@link Step}s, where a step may branch (a Gather's digits, a
 * condition's match/else, a command's `<Error>`) into sub-sequences that join again below it.
 *
 * Node ids are the element's path of element-child indices from `<Response>` joined by `_`
 * (`1_0_2`), the same paths the call engine names Gather nodes by (`g1_0_2`), so a live call's
 * position can be shown on this graph.
 */
import { attrValue, elementChildren, textContent, type ElementNode, type TagKind } from "../../../src/xml/index.ts";

export type Shape =
  /** The call arriving: the top of the graph. */
  | "start"
  /** A command that runs and moves on. */
  | "command"
  /** A choice: Gather digits, Schedule/Geo/Call conditions. */
  | "decision"
  /** The call leaves this flow: Dial bridges it, Callback hands it to another flow. */
  | "exit"
  /** The call ends: Hangup, or the end of the document. */
  | "end"
  /** A branch head: the digits, Default, Error, match/else. */
  | "branch"
  /** A tag tactflow doesn't know. */
  | "unknown";

export interface GraphNode {
  id: string;
  kind: TagKind | "Start" | "End";
  shape: Shape;
  /** One line shown in the node. */
  label: string;
  /** Everything worth knowing, for the tooltip and screen readers. */
  title: string;
  /** Offset of the element's `<` in the text (-1 for nodes without an element). */
  offset: number;
  line: number;
  /** Set on steps whose commands follow a Hangup or Callback on the same path. */
  unreached?: boolean;
}

export interface Branch {
  head: GraphNode;
  body: Block;
}

export interface Step {
  node: GraphNode;
  branches: Branch[];
}

export interface Block {
  steps: Step[];
}

export interface FlowGraph {
  root: Block;
  /** Every node in document order (start first), for keyboard navigation and lookups. */
  nodes: GraphNode[];
  byId: Map<string, GraphNode>;
}

const PROMPTS = new Set<TagKind>(["Say", "Play", "Pause"]);
const CONDITIONS = new Set<TagKind>(["Schedule", "Geo", "Call"]);

function clip(s: string, n: number): string {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

function attr(el: ElementNode, ...names: string[]): string | undefined {
  return attrValue(el, ...names)?.value;
}

function ms(v: string | undefined, fallback: string): string {
  if (!v) return fallback;
  const n = Number(v);
  return Number.isFinite(n) ? (n >= 1000 && n % 100 === 0 ? `${n / 1000} s` : `${n} ms`) : v;
}

/** The text a person would want to see on the node. */
function describe(el: ElementNode): { label: string; title: string } {
  const text = textContent(el).trim();
  const name = el.name;
  switch (el.kind) {
    case "Say": {
      const said = attr(el, "text") ?? text;
      return { label: `Say “${clip(said, 60)}”`, title: `<${name}> says: ${said}` };
    }
    case "Play": {
      const url = attr(el, "url") ?? text;
      const rec = attr(el, "record");
      const what = rec ? `recording ${rec}` : url.split("/").pop() || url;
      return { label: `Play ${clip(what, 40)}`, title: `<${name}> plays ${rec ? `the recording tagged ${rec}` : url}` };
    }
    case "Pause":
      return { label: `Pause ${ms(attr(el, "length"), "1 s")}`, title: `<${name}> waits ${ms(attr(el, "length"), "1 s")}` };
    case "Gather": {
      const digits = el.kind === "Gather" ? el.props.maxDigits : 1;
      const attempts = el.kind === "Gather" ? el.props.attempts : 1;
      const url = el.kind === "Gather" ? el.props.remoteUrl : undefined;
      const label = `Gather ${digits} digit${digits === 1 ? "" : "s"}${attempts > 1 ? ` · ${attempts} tries` : ""}`;
      return { label, title: `<${name}> collects up to ${digits} digit(s), ${attempts} attempt(s)${url ? `, asks ${url}` : ""}` };
    }
    case "Dial": {
      const to = elementChildren(el)
        .filter((c) => c.kind === "To" || c.kind === "Sip" || c.kind === "Number")
        .map((c) => textContent(c).trim());
      return {
        label: `Dial ${clip(to.join(", ") || "(no destination)", 48)}`,
        title: `<${name}> bridges the call to ${to.join(", ") || "nobody"}`,
      };
    }
    case "Callback": {
      const url = attr(el, "url") ?? text;
      return { label: `Callback ${clip(url, 44)}`, title: `<${name}> fetches the next flow from ${url}` };
    }
    case "Hangup":
      return { label: "Hang up", title: `<${name}> ends the call${attr(el, "tag") ? ` (tag ${attr(el, "tag")})` : ""}` };
    case "Schedule": {
      const parts = [attr(el, "dow"), attr(el, "time"), attr(el, "tz")].filter(Boolean);
      return {
        label: `Schedule ${clip(parts.join(" ") || "always", 48)}`,
        title: `<${name}> runs its commands when the time matches ${parts.join(" ")}`,
      };
    }
    case "Geo": {
      const parts = [attr(el, "states"), attr(el, "county")].filter(Boolean);
      return {
        label: `Geo ${clip(parts.join(" · ") || "anywhere", 48)}`,
        title: `<${name}> runs its commands for callers in ${parts.join(", ")}`,
      };
    }
    case "Call": {
      const cond = `${attr(el, "field") ?? "?"} = ${attr(el, "value") ?? "?"}`;
      return { label: `Call ${clip(cond, 48)}`, title: `<${name}> runs its commands when ${cond}` };
    }
    case "Answer":
      return { label: "Answer", title: `<${name}> answers the call` };
    case "Record":
      return { label: "Record", title: `<${name}> records the call` };
    case "Hold":
      return { label: `Hold ${ms(attr(el, "timeout"), "")}`.trim(), title: `<${name}> puts the call on hold` };
    case "Unknown":
      return { label: `<${clip(name, 40)}>`, title: `<${name}> is not a tag tactflow knows` };
    default:
      return { label: name, title: `<${name}>` };
  }
}

function shapeOf(kind: TagKind): Shape {
  switch (kind) {
    case "Dial":
    case "Callback":
      return "exit";
    case "Hangup":
      return "end";
    case "Unknown":
      return "unknown";
    default:
      return CONDITIONS.has(kind) ? "decision" : "command";
  }
}

class Builder {
  readonly nodes: GraphNode[] = [];

  node(el: ElementNode, id: string, over: Partial<GraphNode> = {}): GraphNode {
    const { label, title } = describe(el);
    const n: GraphNode = { id, kind: el.kind, shape: shapeOf(el.kind), label, title, offset: el.pos.offset, line: el.pos.line, ...over };
    this.nodes.push(n);
    return n;
  }

  head(el: ElementNode | null, id: string, label: string, title: string, parent: GraphNode): GraphNode {
    const n: GraphNode = {
      id,
      kind: el?.kind ?? parent.kind,
      shape: "branch",
      label,
      title,
      offset: el?.pos.offset ?? parent.offset,
      line: el?.pos.line ?? parent.line,
    };
    this.nodes.push(n);
    return n;
  }

  /** A sequence of commands (the children of Response, a branch, a condition). */
  block(children: { el: ElementNode; index: number }[], path: string): Block {
    const steps: Step[] = [];
    let ended = false;
    for (const { el, index } of children) {
      const id = path ? `${path}_${index}` : String(index);
      if (el.kind === "Error") continue; // drawn as its parent's branch
      for (const step of this.steps(el, id)) {
        if (ended) step.node.unreached = true;
        steps.push(step);
      }
      if (el.kind === "Hangup" || el.kind === "Callback") ended = true;
    }
    return { steps };
  }

  /** The step(s) one element draws as: a Gather is its prompts followed by the decision. */
  steps(el: ElementNode, id: string): Step[] {
    const kids = elementChildren(el).map((c, i) => ({ el: c, index: i }));
    const errorBranch = (parent: GraphNode, kidsOf: { el: ElementNode; index: number }[], parentId: string): Branch[] => {
      const err = kidsOf.find((k) => k.el.kind === "Error");
      if (!err) return [];
      const errId = `${parentId}_${err.index}`;
      return [
        {
          head: this.head(err.el, errId, "error", `<${err.el.name}>: runs when ${parent.label} fails`, parent),
          body: this.block(
            elementChildren(err.el).map((c, i) => ({ el: c, index: i })),
            errId,
          ),
        },
      ];
    };

    if (el.kind === "Gather") {
      const prompts: Step[] = [];
      const branchKids: { el: ElementNode; index: number; path: string }[] = [];
      for (const k of kids) {
        if (PROMPTS.has(k.el.kind)) prompts.push({ node: this.node(k.el, `${id}_${k.index}`), branches: [] });
        else if (k.el.kind === "Switch") {
          elementChildren(k.el).forEach((c, i) => {
            branchKids.push({ el: c, index: i, path: `${id}_${k.index}` });
          });
        } else branchKids.push({ ...k, path: id });
      }
      const node = this.node(el, id, { shape: "decision" });
      const branches: Branch[] = [];
      for (const b of branchKids) {
        const bid = `${b.path}_${b.index}`;
        const body = () =>
          this.block(
            elementChildren(b.el).map((c, i) => ({ el: c, index: i })),
            bid,
          );
        if (b.el.kind === "Case" || b.el.kind === "DTMF") {
          const v = b.el.props.value || attr(b.el, "dtmf", "value") || "?";
          branches.push({
            head: this.head(b.el, bid, `press ${clip(v, 12)}`, `<${b.el.name}> runs when the caller presses ${v}`, node),
            body: body(),
          });
        } else if (b.el.kind === "Default") {
          branches.push({ head: this.head(b.el, bid, "other key", `<${b.el.name}>: digits that match no branch`, node), body: body() });
        } else if (b.el.kind === "Error") {
          branches.push({ head: this.head(b.el, bid, "no input", `<${b.el.name}>: no digits, or the Gather failed`, node), body: body() });
        } else if (b.el.kind === "Gather") {
          // A Gather directly in a Gather never runs (validation warns); show it where it is.
          prompts.push(...this.steps(b.el, bid));
        } else {
          prompts.push({ node: this.node(b.el, bid), branches: [] });
        }
      }
      if (el.props.remoteUrl && !branches.length) {
        branches.push({
          head: this.head(null, `${id}~url`, "ask URL", `The digits go to ${el.props.remoteUrl}; its reply runs next`, node),
          body: { steps: [] },
        });
      }
      return [...prompts, { node, branches }];
    }

    const node = this.node(el, id);
    if (CONDITIONS.has(el.kind)) {
      const yes = this.head(el, `${id}~yes`, "matches", `${node.label}: the commands inside run`, node);
      const body = this.block(
        kids.filter((k) => k.el.kind !== "Error"),
        id,
      );
      const no = this.head(el, `${id}~no`, "else", `${node.label}: skipped, the flow goes on`, node);
      return [
        {
          node,
          branches: [
            { head: yes, body },
            { head: no, body: { steps: [] } },
          ],
        },
      ];
    }
    const commands = kids.filter((k) => k.el.kind !== "Error" && !["To", "Sip", "Number"].includes(k.el.kind));
    const branches: Branch[] = [];
    if (commands.length) {
      // Record (or an unspecified tag) holding commands: they run inside it.
      const head = this.head(el, `${id}~in`, "inside", `${node.label}: the commands inside`, node);
      branches.push({ head, body: this.block(commands, id) });
    } else if (kids.some((k) => k.el.kind === "Error")) {
      branches.push({ head: this.head(el, `${id}~ok`, "ok", `${node.label} succeeded`, node), body: { steps: [] } });
    }
    branches.push(...errorBranch(node, kids, id));
    return [{ node, branches }];
  }
}

/** The graph of a parsed flow. Throws only on a bug; callers show the editor regardless. */
export function buildGraph(root: ElementNode): FlowGraph {
  const b = new Builder();
  const start: GraphNode = {
    id: "start",
    kind: "Start",
    shape: "start",
    label: "Call arrives",
    title: "The platform asks for this number's flow",
    offset: root.pos.offset,
    line: root.pos.line,
  };
  b.nodes.push(start);
  const block = b.block(
    elementChildren(root).map((el, index) => ({ el, index })),
    "",
  );
  const last = block.steps.at(-1)?.node;
  const steps: Step[] = [{ node: start, branches: [] }, ...block.steps];
  if (!last || (last.kind !== "Hangup" && last.kind !== "Callback")) {
    const end: GraphNode = {
      id: "end",
      kind: "End",
      shape: "end",
      label: "End of flow",
      title: "No more commands: the platform ends the call",
      offset: root.pos.offset,
      line: root.pos.line,
    };
    b.nodes.push(end);
    steps.push({ node: end, branches: [] });
  }
  return { root: { steps }, nodes: b.nodes, byId: new Map(b.nodes.map((n) => [n.id, n])) };
}
