/**
 * A call's path through its flow version, from its trace (src/call/trace.ts): the nodes it
 * entered, how it left each (a Gather's branch, a Dial or Callback that worked or failed, a
 * condition that held or not), the Gathers' attempts and times, the errors, and how and where it
 * ended. Plain TypeScript: the insights object and the in-process simulation run the same code.
 *
 * The platform reports a command when it has run, so the command in progress when the call ended
 * is the one after the last reported (src/insights/served.ts `nextAfter`). Times in a path are
 * the platform's (its events' timestamps); only differences between them are used.
 */
import { isBranchingGather } from "../call/flowTree.ts";
import { gatherSite } from "../call/render.ts";
import { answerCommands } from "../call/ivr.ts";
import type { CallTrace, TraceStep } from "../call/trace.ts";
import { elementChildren, type ElementNode } from "../xml/index.ts";
import {
  CONDITION_KINDS,
  descend,
  elementAt,
  type Expansion,
  type FlowView,
  type Frame,
  nextAfter,
  nodeIdOf,
  pathSegments,
  resolve,
  type ServedDoc,
  servedDoc,
} from "./served.ts";

export type EndKind =
  /** The flow's `<Hangup>` ran. */
  | "flow-hangup"
  /** The caller hung up while a command was in progress (the end's node). */
  | "caller-hangup"
  /** The call ended in a `<Dial>`: ringing or bridged. */
  | "dial"
  /** The document ran out and the platform hung up. */
  | "end-of-flow"
  /** The call got the fallback document. */
  | "fallback"
  /** A `<Callback>` or url `<Gather>` handed the call to another document. */
  | "left-flow"
  /** A parked call ended while waiting for, or running, its commands. */
  | "parked"
  /** A parked call got no command in time. */
  | "park-timeout";

export const END_KINDS: readonly EndKind[] = [
  "flow-hangup",
  "caller-hangup",
  "dial",
  "end-of-flow",
  "fallback",
  "left-flow",
  "parked",
  "park-timeout",
];

export interface GatherPath {
  node: string;
  attempts: number;
  silent: number;
  wrong: number;
  /** From entering the Gather to leaving it decided (platform clock); null when unknown or abandoned. */
  ms: number | null;
  decided: boolean;
}

export interface CallPath {
  /** Nodes entered, in the order first entered. */
  nodes: string[];
  /** How the call left a node: a branch's node id, `continue`, `ok`/`error`, `matched`/`not-matched`, `input`/`no-input`. */
  left: Map<string, string>;
  gathers: GatherPath[];
  /** Nodes whose Callback, Dial or remote Gather failed. */
  errors: string[];
  end: { kind: EndKind; node: string | null; quick: boolean };
  durationMs: number | null;
}

export interface PathOptions {
  /** The call got the fallback document (the webhook said so). */
  fallback: boolean;
  /** When the webhook rendered a call it answered alone (epoch ms, our clock). */
  renderedAt: number | null;
  /** A caller hang-up this soon after a command started is a quick hang-up. */
  quickMs: number;
}

const TERMINAL = new Set(["hangup", "destroyed", "finished", "failed"]);

/** The path of a call that got the fallback, or whose version is unknown: only how it ended. */
export function bareEnd(trace: CallTrace, kind: EndKind): CallPath {
  return {
    nodes: [],
    left: new Map(),
    gathers: [],
    errors: [],
    end: { kind, node: null, quick: false },
    durationMs: durationOf(trace.steps),
  };
}

function durationOf(steps: readonly TraceStep[]): number | null {
  let start: number | null = null;
  let end: number | null = null;
  for (const s of steps) {
    if (s.k !== "state") continue;
    if (start === null && !TERMINAL.has(s.state)) start = s.at;
    if (end === null && TERMINAL.has(s.state)) end = s.at;
  }
  return start !== null && end !== null ? Math.max(0, end - start) : null;
}

export function assemblePath(view: FlowView, trace: CallTrace, opts: PathOptions): CallPath {
  if (opts.fallback) return bareEnd(trace, "fallback");
  const a = new Assembly(view, trace, opts);
  for (const step of trace.steps) a.step(step);
  return a.finish();
}

class Assembly {
  readonly view: FlowView;
  readonly trace: CallTrace;
  readonly opts: PathOptions;
  readonly docs: ServedDoc[];
  current = 0;
  entered = new Map<string, number | null>();
  left = new Map<string, string>();
  errors = new Set<string>();
  gathers = new Map<string, GatherPath & { leftAt: number | null }>();
  /** The last command the platform reported from the current document, and whether it held (conditions). */
  lastDone: { frames: Frame[]; held: boolean } | null = null;
  lastPlatformAt: number | null = null;
  hangupAt: number | null = null;
  flowHangup: string | null = null;
  handedOff: string | null = null;
  delivered = false;

  constructor(view: FlowView, trace: CallTrace, opts: PathOptions) {
    this.view = view;
    this.trace = trace;
    this.opts = opts;
    const first = trace.steps[0]?.at ?? 0;
    this.docs = [servedDoc(view, elementChildren(view.parsed.root), trace.begunAt ?? opts.renderedAt ?? first)];
  }

  enter(el: ElementNode): string | null {
    const id = nodeIdOf(this.view.parsed, el);
    if (id && !this.entered.has(id)) {
      this.entered.set(id, this.lastPlatformAt);
      // A Gather entered is one to decide, or to abandon.
      if (el.kind === "Gather") this.gather(id);
    }
    return id;
  }

  /** Every element along `frames`, and the condition blocks passed over to reach them. */
  enterFrames(frames: readonly Frame[]): void {
    for (const f of frames) {
      this.passMarkers(f.exp, f.index);
      this.enter(f.el);
    }
  }

  passMarkers(exp: Expansion, upTo: number): void {
    for (const m of exp.markers) {
      if (m.at > upTo) break;
      const id = this.enter(m.el);
      if (id && !this.left.has(id)) this.left.set(id, m.held ? "matched" : "not-matched");
    }
  }

  gather(node: string): GatherPath & { leftAt: number | null } {
    let g = this.gathers.get(node);
    if (!g) {
      g = { node, attempts: 0, silent: 0, wrong: 0, ms: null, decided: false, leftAt: null };
      this.gathers.set(node, g);
    }
    return g;
  }

  step(s: TraceStep): void {
    switch (s.k) {
      case "state":
        if (TERMINAL.has(s.state)) this.hangupAt ??= s.at;
        else this.lastPlatformAt = s.at;
        return;
      case "gather":
        this.decision(s);
        return;
      case "deliver":
        this.delivered = true;
        this.switchTo(servedDoc(this.view, [], s.at, true));
        return;
      case "cmd":
        this.command(s);
        this.lastPlatformAt = s.at;
        return;
      default: {
        const never: never = s;
        throw new Error(`unhandled trace step ${JSON.stringify(never)}`);
      }
    }
  }

  switchTo(doc: ServedDoc): void {
    this.docs.push(doc);
    this.current = this.docs.length - 1;
    this.lastDone = null;
  }

  decision(s: Extract<TraceStep, { k: "gather" }>): void {
    const parsed = this.view.parsed;
    const site = gatherSite(parsed, s.node);
    const gatherEl = elementAt(parsed, s.node);
    if (!site || !gatherEl) return;
    this.enter(gatherEl);
    const g = this.gather(s.node);
    g.attempts = Math.max(g.attempts, s.attempt);
    if (s.input === "none") g.silent += 1;
    if (s.input === "wrong") g.wrong += 1;
    const body = s.body ? elementAt(parsed, s.body) : null;
    if (s.action !== "retry") {
      g.decided = true;
      this.left.set(s.node, s.action === "continue" ? "continue" : (s.body ?? s.action));
      if (body) this.enter(body);
    }
    this.docs[this.current]!.decided = s.node;
    const commands = answerCommands(site, { action: s.action, ...(body ? { body } : {}) });
    this.switchTo(servedDoc(this.view, commands, s.at));
  }

  /** The document and frames a reported command belongs to: the newest that fits, but a Gather's own report goes to the document it left. */
  locate(s: Extract<TraceStep, { k: "cmd" }>): { doc: number; frames: Frame[] } | null {
    const segments = pathSegments(s.path);
    if (!segments) return null;
    if (s.name.toLowerCase() === "gather") {
      for (let i = this.current - 1; i >= 0; i--) {
        const doc = this.docs[i]!;
        const frames = doc.decided ? resolve(this.view, doc, segments) : null;
        const leaf = frames?.[frames.length - 1];
        if (leaf && nodeIdOf(this.view.parsed, leaf.el) === doc.decided) return { doc: i, frames: frames! };
      }
    }
    for (let i = this.current; i >= 0; i--) {
      const frames = resolve(this.view, this.docs[i]!, segments);
      if (frames) return { doc: i, frames };
    }
    return null;
  }

  command(s: Extract<TraceStep, { k: "cmd" }>): void {
    const found = this.locate(s);
    if (!found) return;
    this.enterFrames(found.frames);
    const leaf = found.frames[found.frames.length - 1]!.el;
    const id = nodeIdOf(this.view.parsed, leaf);
    let held = true;
    if (id) {
      switch (leaf.kind) {
        case "Hangup":
          this.flowHangup ??= id;
          break;
        case "Dial":
          this.outcome(id, s.ok);
          held = s.ok;
          break;
        case "Callback":
          this.outcome(id, s.ok);
          held = s.ok;
          if (s.ok) this.handOff(id, s.at);
          break;
        case "Gather":
          // A url Gather that failed runs its <Error>; a local one without keys just goes on.
          held = this.gatherReport(leaf, id, s) || s.ok;
          break;
        default:
          if (CONDITION_KINDS.has(leaf.kind)) {
            held = s.ok && !/not met/i.test(s.reason ?? "");
            this.left.set(id, held ? "matched" : "not-matched");
          }
      }
    }
    if (found.doc === this.current && !this.docs[this.current]!.foreign) this.lastDone = { frames: found.frames, held };
  }

  outcome(id: string, ok: boolean): void {
    this.left.set(id, ok ? "ok" : "error");
    if (!ok) this.errors.add(id);
  }

  handOff(id: string, at: number): void {
    this.handedOff = id;
    this.switchTo(servedDoc(this.view, [], at, true));
  }

  /** Records a Gather's own report; true when it is a platform-side Gather (no url to fail). */
  gatherReport(el: ElementNode, id: string, s: Extract<TraceStep, { k: "cmd" }>): boolean {
    if (el.kind !== "Gather") return true;
    const rewritten: boolean = isBranchingGather(el);
    if (rewritten) {
      // Our own url Gather: it failed only if our endpoint could not be reached.
      if (!s.ok) {
        this.errors.add(id);
        this.left.set(id, "error");
      }
      this.gather(id).leftAt = s.at;
      return false;
    }
    if (el.props.remoteUrl) {
      const g = this.gather(id);
      g.decided = true;
      g.leftAt = s.at;
      this.outcome(id, s.ok);
      if (s.ok) this.handOff(id, s.at);
      return false;
    }
    // A Gather the platform decides alone: it collects keys and the flow goes on.
    const g = this.gather(id);
    g.attempts = Math.max(g.attempts, 1);
    g.decided = true;
    g.leftAt = s.at;
    this.left.set(id, s.ok ? "input" : "no-input");
    if (!s.ok) g.silent += 1;
    return true;
  }

  finish(): CallPath {
    const end = this.end();
    const gathers = [...this.gathers.values()].map(({ leftAt, ...g }) => {
      const from = this.entered.get(g.node);
      const ms = g.decided && leftAt !== null && from !== null && from !== undefined ? Math.max(0, leftAt - from) : null;
      return { ...g, ms };
    });
    return {
      nodes: [...this.entered.keys()],
      left: this.left,
      gathers,
      errors: [...this.errors],
      end,
      durationMs: durationOf(this.trace.steps),
    };
  }

  end(): CallPath["end"] {
    const none = (kind: EndKind, node: string | null = null) => ({ kind, node, quick: false });
    if (this.flowHangup) return none("flow-hangup", this.flowHangup);
    if (this.trace.endReason === "park timeout") return none("park-timeout");
    if (this.delivered) return none("parked");
    const doc = this.docs[this.current]!;
    if (doc.foreign) return none("left-flow", this.handedOff);
    const first = doc.top.items[0];
    const inProgress = this.lastDone
      ? nextAfter(this.view, doc, this.lastDone.frames, this.lastDone.held)
      : first
        ? descend(this.view, doc, [{ exp: doc.top, index: 0, el: first }])
        : null;
    if (!inProgress) {
      this.passMarkers(doc.top, doc.top.items.length);
      if (this.trace.mode === "async") return none("parked");
      const last = this.lastDone?.frames[this.lastDone.frames.length - 1]?.el;
      return none("end-of-flow", last ? nodeIdOf(this.view.parsed, last) : null);
    }
    this.enterFrames(inProgress);
    const leaf = inProgress[inProgress.length - 1]!.el;
    const node = nodeIdOf(this.view.parsed, leaf);
    if (leaf.kind === "Dial") return none("dial", node);
    const since = this.lastPlatformAt;
    const quick = this.hangupAt !== null && since !== null && this.hangupAt - since < this.opts.quickMs;
    return { kind: "caller-hangup", node, quick };
  }
}
