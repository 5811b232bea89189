/**
 * Branch coverage of a flow: every way each decision in it can go, where it was written, and
 * how often the test calls went that way.
 *
 * | element                         | branches                                               |
 * |---------------------------------|--------------------------------------------------------|
 * | a branching `<Gather>`          | each `<Case>`/`<DTMF>`, `<Default>`, `<Error>`, and the |
 * |                                 | path when every attempt is used without a match        |
 * | a url `<Gather>`, `<Callback>`  | the reply, and the failure (its `<Error>`)              |
 * | `<Dial>`                        | answered, failed                                       |
 * | `<Call>`, `<Geo>`, `<Schedule>` | true, false                                            |
 *
 * Gather decisions come from the call's events; conditions tactflow evaluates from the render
 * (src/template/probe.ts); everything the platform runs from the transcript, traced back to the
 * flow by the marks of src/flowtest/instrument.ts.
 */
import { branchValue } from "../call/render.ts";
import { gatherParts, indexPaths, isBranchingGather } from "../call/flowTree.ts";
import type { RenderContext } from "../template/index.ts";
import { parseXml, type ElementNode } from "../xml/index.ts";
import type { ScenarioRun } from "./run.ts";
import { decisionsOf } from "./steps.ts";
import type { CallEvent } from "../events/shapes.ts";

export interface BranchPoint {
  /** `g1|b0`, `g1|default`, `12:5|answered`, … */
  key: string;
  line: number;
  col: number;
  /** What the branch is: `<Case dtmf="1">`, `<Dial> failed`, `<Schedule> false`. */
  label: string;
  hits: number;
}

export interface FlowCoverage {
  points: BranchPoint[];
  covered: number;
  total: number;
  /** 100 for a flow without branches. */
  percent: number;
}

function valueLabel(el: ElementNode): string {
  if (el.kind === "Case" || el.kind === "DTMF") {
    const attr = el.attrs.find((a) => ["dtmf", "value"].includes(a.name.toLowerCase()));
    return `<${el.name}${attr ? ` ${attr.name}="${attr.value}"` : ""}>`;
  }
  return `<${el.name}>`;
}

/** The branches of a flow, in document order. */
export function branchPoints(xml: string): BranchPoint[] {
  const doc = parseXml(xml).document;
  if (!doc) return [];
  const ids = indexPaths(doc.root);
  const out: BranchPoint[] = [];
  const add = (key: string, el: ElementNode, label: string) => out.push({ key, line: el.pos.line, col: el.pos.col, label, hits: 0 });
  const walk = (el: ElementNode) => {
    const at = `${el.pos.line}:${el.pos.col}`;
    if (el.kind === "Gather" && isBranchingGather(el as ElementNode)) {
      const node = ids.get(el) ?? "";
      const parts = gatherParts(el);
      for (const [i, b] of parts.branches.entries()) add(`${node}|b${i}`, b, valueLabel(b));
      if (parts.default) add(`${node}|default`, parts.default, "<Default>");
      if (parts.error) add(`${node}|error`, parts.error, "<Error>");
      if (el.props.attempts > 1 || (!parts.default && !parts.error))
        add(
          `${node}|exhausted`,
          el,
          el.props.attempts > 1 ? `<${el.name}> all ${el.props.attempts} attempts used` : `<${el.name}> no branch matched`,
        );
    } else if (el.kind === "Gather" && el.props.remoteUrl !== undefined) {
      add(`${at}|reply`, el, `<${el.name} url> answered`);
      add(`${at}|failed`, el, `<${el.name} url> failed`);
    } else if (el.kind === "Callback") {
      add(`${at}|reply`, el, `<${el.name}> answered`);
      add(`${at}|failed`, el, `<${el.name}> failed`);
    } else if (el.kind === "Dial") {
      add(`${at}|answered`, el, `<${el.name}> answered`);
      add(`${at}|failed`, el, `<${el.name}> failed`);
    } else if (el.kind === "Call" || el.kind === "Geo" || el.kind === "Schedule") {
      add(`${at}|true`, el, `<${el.name}> true`);
      add(`${at}|false`, el, `<${el.name}> false`);
    }
    for (const c of el.children) if (c.type === "element") walk(c);
  };
  walk(doc.root);
  return out;
}

/** Counts branch hits over the runs of one flow. */
export class CoverageCounter {
  readonly #points: Map<string, BranchPoint>;
  readonly #root: ElementNode | null;
  readonly #ids: Map<string, ElementNode> = new Map();
  readonly #vars: Record<string, string>;

  constructor(xml: string, variables: Record<string, string>) {
    this.#points = new Map(branchPoints(xml).map((p) => [p.key, p]));
    this.#root = parseXml(xml).document?.root ?? null;
    if (this.#root) {
      const ids = indexPaths(this.#root);
      const walk = (el: ElementNode) => {
        for (const c of el.children) {
          if (c.type !== "element") continue;
          const id = ids.get(c);
          if (id && c.kind === "Gather") this.#ids.set(id, c);
          walk(c);
        }
      };
      walk(this.#root);
    }
    this.#vars = variables;
  }

  #hit(key: string): void {
    const p = this.#points.get(key);
    if (p) p.hits += 1;
  }

  /** A condition tactflow evaluated while rendering (`mark` is its `line:col`). */
  condition(mark: string, held: boolean): void {
    this.#hit(`${mark}|${held}`);
  }

  /** Everything one run shows: its Gather decisions, Dials, requests and platform-side conditions. */
  record(run: ScenarioRun, serverEvents: readonly CallEvent[]): void {
    for (const d of decisionsOf(serverEvents)) {
      const g = this.#ids.get(d.node);
      if (g?.kind !== "Gather") continue;
      if (d.action === "retry") continue;
      if (d.attempt >= d.attempts && (d.input === "none" || d.input === "wrong")) this.#hit(`${d.node}|exhausted`);
      if (d.action === "default") this.#hit(`${d.node}|default`);
      else if (d.action === "error") this.#hit(`${d.node}|error`);
      else if (d.action === "continue" && d.input === "taken") this.#hit(`${d.node}|exhausted`);
      else if (d.action === "branch") {
        const ctx: RenderContext = { from: "", to: "", tn: "", call: "", sca: "", now: new Date(0), vars: this.#vars, gather: {} };
        const i = gatherParts(g).branches.findIndex((b) => branchValue(b, ctx).toUpperCase() === d.digits);
        if (i >= 0) this.#hit(`${d.node}|b${i}`);
      }
    }
    for (const [i, mark] of run.marks) {
      const e = run.result.trace[i];
      if (!e) continue;
      if (e.kind === "DIAL") this.#hit(`${mark}|${e.detail.result}`);
      else if (e.kind === "CONDITION") this.#hit(`${mark}|${e.detail.matched}`);
      else if (e.kind === "REQUEST") this.#hit(`${mark}|${e.detail.error ? "failed" : "reply"}`);
    }
  }

  report(): FlowCoverage {
    const points = [...this.#points.values()];
    const covered = points.filter((p) => p.hits > 0).length;
    return { points, covered, total: points.length, percent: points.length ? Math.floor((covered / points.length) * 1000) / 10 : 100 };
  }
}
