/**
 * Compile an element subtree into a render function.
 *
 * Compilation walks the tree once and turns it into static string runs (tags, attribute names,
 * literal text, indentation — escaped once, here) interleaved with small closures for what
 * varies per call: placeholder values (escaped for their context) and condition blocks. A render
 * is then string concatenation. The output is byte-identical to the XML core's `serialize` for
 * the same tree when nothing varies (comments are dropped: they are notes for authors, not for
 * the platform).
 *
 * The tree may be any subtree, not only a whole document, so the CallSession can render
 * "a Gather branch followed by its continuation" from a synthetic `<Response>`.
 */
import {
  XML_DECLARATION,
  escapeAttr,
  escapeText,
  specForKind,
  type Diagnostic,
  type ElementNode,
  type TagKind,
  type XmlAttribute,
} from "../xml/index.ts";
import { diag, hasErrors, sortDiagnostics } from "../xml/diagnostics.ts";
import { attrSpecFor } from "../xml/tags.ts";
import { parseCallValue, parseDays, parseStates, parseTimeWindow, readProps, type CallValue } from "../xml/props.ts";
import { conditionObservers } from "./probe.ts";
import { callMatches, callerState, geoMatches, localTime, scheduleMatches, type LocalTime } from "./conditions.ts";
import type { RenderContext } from "./context.ts";
import { attrEscaper, escaperFor, textEscaper, type EscapeContext, type Escaper } from "./escape.ts";
import { refName, splitPlaceholders, type CallPlaceholder, type PlaceholderRef, type TemplatePart } from "./placeholders.ts";

/** Who evaluates `<Call>`, `<Schedule>` and `<Geo>`: tactflow at render time, or the platform. */
export type ConditionMode = "evaluate" | "platform";

export interface CompileOptions {
  /**
   * The flow's declared variables. Names not listed here are unknown placeholders; values are
   * used to check `{{vars.X}}` in typed attributes at publish time. Omit to accept any name.
   */
  variables?: Readonly<Record<string, string>>;
  /** Default `evaluate`. */
  conditions?: ConditionMode;
  /** Indent unit; `""` writes one line. Default two spaces, like `serialize`. */
  indent?: string;
  /** Prefix the XML declaration. Default: when the root is `<Response>`. */
  declaration?: boolean;
  /** A render longer than this (UTF-16 units) fails with a RenderError. Default 1 MiB. */
  maxOutputChars?: number;
}

export interface CompiledTemplate {
  /** False when the template has errors; `render` then throws. */
  readonly ok: boolean;
  /** Template findings (placeholders), sorted by position. */
  readonly diagnostics: readonly Diagnostic[];
  /** Every placeholder name used, e.g. `from`, `vars.greeting`, sorted. */
  readonly placeholders: readonly string[];
  /** Whether any condition block is evaluated at render time. */
  readonly evaluatesConditions: boolean;
  /** Render for one call. Throws RenderError when a value can't be rendered safely. */
  render(ctx: RenderContext): string;
}

export type RenderErrorCode = "template-invalid" | "bad-condition" | "output-too-large";

/** A render that must not be served: the caller answers the fallback document instead. */
export class RenderError extends Error {
  readonly code: RenderErrorCode;
  constructor(code: RenderErrorCode, message: string) {
    super(message);
    this.name = "RenderError";
    this.code = code;
  }
}

/** Per-render memo: each distinct escaped value and each condition input computed at most once. */
interface RenderState {
  /** Escaped placeholder values by slot (one slot per distinct placeholder and context). */
  v: Array<string | undefined>;
  local?: Map<string, LocalTime>;
  callerState?: string | null;
}

type Emit = (ctx: RenderContext, st: RenderState) => string;
type Item = string | Emit;

const CONDITION_KINDS: ReadonlySet<TagKind> = new Set(["Call", "Geo", "Schedule"]);
/** Tags whose text content is a URL (docs/opentact.md §b.5, b.13). */
const URL_TEXT_KINDS: ReadonlySet<TagKind> = new Set(["Play", "Callback"]);
/** Tags whose text is a dial destination (docs/opentact.md §b.12): caller values there are confined to a user part. */
const DEST_TEXT_KINDS: ReadonlySet<TagKind> = new Set(["To", "Sip", "Number"]);
/** Attribute types a caller-supplied value may fill; the rest take only `{{vars.X}}`. */
const FREE_TYPES = new Set(["string", "value", "url"]);

const DEFAULT_MAX_OUTPUT = 1 << 20;

/** Compile `root` (any element subtree). Never throws: problems are in `diagnostics`. */
export function compileTemplate(root: ElementNode, options: CompileOptions = {}): CompiledTemplate {
  const c = new Compiler(options);
  const items: Item[] = [];
  const declaration = options.declaration ?? root.kind === "Response";
  if (declaration) items.push(XML_DECLARATION + (c.indent ? "\n" : ""));
  // The root is always written, even a condition block: conditions apply to what is inside it.
  c.element(root, 0, items);
  if (c.indent) items.push("\n");
  const body = seq(items);
  const diagnostics = sortDiagnostics(c.diagnostics);
  const ok = !hasErrors(diagnostics);
  const max = options.maxOutputChars ?? DEFAULT_MAX_OUTPUT;
  let render: (ctx: RenderContext) => string;
  if (!ok) {
    render = () => {
      throw new RenderError(
        "template-invalid",
        `template has errors: ${diagnostics
          .filter((d) => d.severity === "error")
          .map((d) => `${d.line}:${d.col} ${d.message}`)
          .join("; ")}`,
      );
    };
  } else if (typeof body === "string") {
    render = () => body;
  } else {
    render = (ctx) => {
      const out = body(ctx, { v: [] });
      if (out.length > max)
        throw new RenderError("output-too-large", `rendered document is ${out.length} characters, over the ${max} budget`);
      return out;
    };
  }
  return { ok, diagnostics, placeholders: [...c.used].sort(), evaluatesConditions: c.evaluated, render };
}

class Compiler {
  readonly indent: string;
  readonly mode: ConditionMode;
  readonly variables: Readonly<Record<string, string>> | undefined;
  readonly varNames: ReadonlySet<string> | undefined;
  readonly diagnostics: Diagnostic[] = [];
  readonly used = new Set<string>();
  /** Slot per distinct (placeholder, escaping): `{{from}}` used ten times in text is escaped once per render. */
  readonly slots = new Map<string, number>();
  evaluated = false;

  constructor(options: CompileOptions) {
    this.indent = options.indent ?? "  ";
    this.mode = options.conditions ?? "evaluate";
    this.variables = options.variables;
    this.varNames = options.variables ? new Set(Object.keys(options.variables)) : undefined;
  }

  /** Append an element (and its subtree) written at `depth`. */
  element(el: ElementNode, depth: number, out: Item[]): void {
    const open: Item[] = ["<" + el.name];
    this.attributes(el, open);
    const body = this.body(el, depth);
    if (body.length === 0) {
      out.push(...open, "/>");
      return;
    }
    const inline = !this.indent || el.children.some((ch) => ch.type === "text");
    const close = (inline ? "" : "\n" + this.indent.repeat(depth)) + "</" + el.name + ">";
    if (body.some((it) => typeof it === "string" && it !== "")) {
      out.push(...open, ">", ...body, close);
      return;
    }
    // Every child is conditional or a bare placeholder: the body may render empty, and then
    // the element is written self-closing, as `serialize` would write a childless element.
    const bodyEmit = seqEmit(body);
    out.push(...open, (ctx, st) => {
      const b = bodyEmit(ctx, st);
      return b === "" ? "/>" : ">" + b + close;
    });
  }

  /** The element's children, each preceded by its newline and indentation when not inline. */
  private body(el: ElementNode, depth: number): Item[] {
    const items: Item[] = [];
    const inline = !this.indent || el.children.some((ch) => ch.type === "text");
    this.children(el, el.children, depth + 1, inline, items);
    return items;
  }

  private children(el: ElementNode, children: ElementNode["children"], depth: number, inline: boolean, out: Item[]): void {
    const lead = inline ? "" : "\n" + this.indent.repeat(depth);
    for (const child of children) {
      switch (child.type) {
        case "comment":
          break;
        case "text":
          this.text(el, child.value, child.pos, out);
          break;
        case "element": {
          // A condition block evaluated here leaves only its children, which carry their own leads.
          if (this.mode === "evaluate" && CONDITION_KINDS.has(child.kind)) {
            this.condition(child, depth, out, inline);
          } else {
            if (lead) out.push(lead);
            this.element(child, depth, out);
          }
          break;
        }
        default: {
          const never: never = child;
          throw new Error(`unhandled node ${JSON.stringify(never)}`);
        }
      }
    }
  }

  private text(el: ElementNode, value: string, pos: { line: number; col: number }, out: Item[]): void {
    const parts = this.split(value, pos, el.name);
    const context: EscapeContext = URL_TEXT_KINDS.has(el.kind) ? "url-text" : DEST_TEXT_KINDS.has(el.kind) ? "dest-text" : "text";
    for (const part of parts) {
      if (typeof part === "string") out.push(escapeText(part));
      else out.push(this.valueEmit(part, context));
    }
  }

  private attributes(el: ElementNode, out: Item[]): void {
    const spec = specForKind(el.kind);
    let typedVars: Map<string, TemplatePart[]> | undefined;
    for (const a of el.attrs) {
      const type = spec && !spec.unspecified ? attrSpecFor(spec, a.name)?.type.t : undefined;
      const parts = this.split(a.value, a.pos, el.name, a.name);
      const isUrl = type === "url";
      const free = type === undefined || FREE_TYPES.has(type);
      let onlyVars = true;
      out.push(" " + a.name + '="');
      for (const part of parts) {
        if (typeof part === "string") {
          out.push(escapeAttr(part));
          continue;
        }
        if (!free && part.scope !== "vars") {
          onlyVars = false;
          this.diagnostics.push(
            diag(
              "error",
              "bad-placeholder",
              a.pos,
              `<${el.name} ${a.name}>: {{${refName(part)}}} can't fill a ${type} attribute; only {{vars.NAME}} can, because a caller-supplied value could make the document invalid`,
              { tag: el.name, attribute: a.name },
            ),
          );
          continue;
        }
        out.push(this.valueEmit(part, isUrl ? "url-attr" : "attr"));
      }
      out.push('"');
      if (!free && onlyVars && parts.some((p) => typeof p !== "string")) (typedVars ??= new Map()).set(a.name, parts);
    }
    if (typedVars) this.checkTypedVars(el, typedVars);
  }

  /**
   * `{{vars.X}}` in a typed attribute (numbers, keys, days, zones…): check the declared value
   * now, with the same reader that checks literal values, so publish catches `timeout="{{vars.t}}"`
   * with `t = "soon"`.
   */
  private checkTypedVars(el: ElementNode, typed: Map<string, TemplatePart[]>): void {
    if (!this.variables) return;
    const vars = this.variables;
    const attrs: XmlAttribute[] = el.attrs.map((a) => {
      const parts = typed.get(a.name);
      return parts
        ? { ...a, value: rawJoin(parts, (ref) => (ref.scope === "vars" && Object.hasOwn(vars, ref.name) ? (vars[ref.name] ?? "") : "")) }
        : a;
    });
    const found: Diagnostic[] = [];
    readProps({ kind: el.kind, name: el.name, attrs, text: "", pos: el.pos, childKinds: [] }, found);
    for (const d of found) {
      if (d.code === "bad-attribute" && d.attribute !== undefined && typed.has(d.attribute)) {
        this.diagnostics.push({ ...d, message: `${d.message} (after substituting the declared variables)` });
      }
    }
  }

  private split(value: string, pos: { line: number; col: number }, tag: string, attribute?: string): TemplatePart[] {
    const { parts, diagnostics } = splitPlaceholders(value, {
      pos,
      tag,
      ...(attribute !== undefined ? { attribute } : {}),
      ...(this.varNames ? { variables: this.varNames } : {}),
    });
    this.diagnostics.push(...diagnostics);
    for (const p of parts) if (typeof p !== "string") this.used.add(refName(p));
    return parts;
  }

  /** A placeholder's value, escaped for its context. `vars` in URLs are the author's: not percent-encoded. */
  private valueEmit(ref: PlaceholderRef, context: EscapeContext): Emit {
    // The flow's own variables may hold a whole base URL or SIP URI; only caller values are confined.
    const trusted = ref.scope === "vars" && (context === "url-attr" || context === "url-text" || context === "dest-text");
    const escapeValue: Escaper = trusted ? (context === "url-attr" ? attrEscaper : textEscaper) : escaperFor(context);
    const get = getter(ref);
    const key = `${refName(ref)}\u0000${trusted ? `trusted-${context}` : context}`;
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.slots.size;
      this.slots.set(key, slot);
    }
    const i = slot;
    return (ctx, st) => {
      let v = st.v[i];
      if (v === undefined) {
        v = escapeValue(get(ctx));
        st.v[i] = v;
      }
      return v;
    };
  }

  /** A condition block evaluated at render time: its children (or, for `<Geo county>`, itself) when it holds. */
  private condition(el: ElementNode, depth: number, out: Item[], parentInline: boolean): void {
    this.evaluated = true;
    const test = this.predicate(el);
    const inner: Item[] = [];
    if (el.kind === "Geo" && el.props.county) {
      // County needs the platform's lookup (docs/opentact.md §b.15): we drop the block when the state already
      // rules it out, and otherwise pass the whole <Geo> through so the platform narrows by county.
      if (!parentInline) inner.push("\n" + this.indent.repeat(depth));
      this.element(el, depth, inner);
    } else {
      // The block's own attributes are not written, but their placeholders are still checked.
      this.attributes(el, []);
      // Local evaluation can't fail, so an <Error> child of a condition block never runs; text is ignored (validate warns).
      const kids = el.children.filter((ch) => ch.type === "element" && ch.kind !== "Error");
      this.children(el, kids, depth, parentInline, inner);
    }
    const body = seqEmit(inner);
    out.push((ctx, st) => {
      const held = test(ctx, st);
      if (conditionObservers.size) conditionObservers.get(ctx.call)?.(el, held);
      return held ? body(ctx, st) : "";
    });
  }

  private predicate(el: ElementNode): (ctx: RenderContext, st: RenderState) => boolean {
    const rawAttr = (name: string): ((ctx: RenderContext) => string) | undefined => {
      const a = el.attrs.find((x) => x.name.toLowerCase() === name);
      if (!a) return undefined;
      const parts = splitPlaceholders(a.value, { pos: a.pos, tag: el.name, attribute: a.name }).parts;
      if (parts.every((p) => typeof p === "string")) {
        const s = parts.join("");
        return () => s;
      }
      const getters = parts.map((p) => (typeof p === "string" ? () => p : getter(p)));
      return (ctx) => getters.map((g) => g(ctx)).join("");
    };
    switch (el.kind) {
      case "Call": {
        const field = rawAttr("field");
        const valueAttr = el.attrs.find((x) => x.name.toLowerCase() === "value");
        const dynamicValue = valueAttr?.value.includes("{{") ? rawAttr("value") : undefined;
        const fixed: CallValue = el.props.value;
        return (ctx) => callMatches(ctx, (field?.(ctx) ?? "").trim(), dynamicValue ? parseCallValue(dynamicValue(ctx)) : fixed);
      }
      case "Schedule": {
        const dow = rawAttr("dow");
        const time = rawAttr("time");
        const tzAttr = rawAttr("tz");
        const dynamic = (a: string) => el.attrs.some((x) => x.name.toLowerCase() === a && x.value.includes("{{"));
        const staticDays = el.props.days;
        const staticWindow = el.props.window;
        return (ctx, st) => {
          let days = staticDays;
          if (dow && dynamic("dow")) {
            const v = dow(ctx);
            days = parseDays(v);
            if (!days)
              throw new RenderError("bad-condition", `<${el.name} dow="${v}"> at ${el.pos.line}:${el.pos.col} is not a list of days`);
          }
          let window = staticWindow;
          if (time && dynamic("time")) {
            const v = time(ctx);
            window = parseTimeWindow(v);
            if (!window)
              throw new RenderError("bad-condition", `<${el.name} time="${v}"> at ${el.pos.line}:${el.pos.col} is not HH:MM:SS-HH:MM:SS`);
          }
          const tz = tzAttr?.(ctx).trim() || ctx.timezone || "UTC";
          let local = st.local?.get(tz);
          if (!local) {
            try {
              local = localTime(ctx.now, tz);
            } catch {
              throw new RenderError("bad-condition", `<${el.name}> at ${el.pos.line}:${el.pos.col}: unknown time zone "${tz}"`);
            }
            (st.local ??= new Map()).set(tz, local);
          }
          return scheduleMatches(days, window, local);
        };
      }
      case "Geo": {
        const statesAttr = rawAttr("states");
        const dynamicStates = el.attrs.some((x) => x.name.toLowerCase() === "states" && x.value.includes("{{"));
        const fixed = el.props.states;
        return (ctx, st) => {
          let states = fixed;
          if (statesAttr && dynamicStates) {
            const v = statesAttr(ctx);
            const parsed = parseStates(v);
            if (!parsed)
              throw new RenderError(
                "bad-condition",
                `<${el.name} states="${v}"> at ${el.pos.line}:${el.pos.col} is not a list of USPS codes`,
              );
            states = parsed;
          }
          if (!states.length) return true;
          if (st.callerState === undefined) st.callerState = callerState(ctx);
          return geoMatches(states, st.callerState);
        };
      }
      default:
        return () => true;
    }
  }
}

/** The raw (unescaped) value of a placeholder for a call. */
function getter(ref: PlaceholderRef): (ctx: RenderContext) => string {
  switch (ref.scope) {
    case "call":
      return callGetter(ref.name);
    case "vars": {
      const name = ref.name;
      // Own properties only: `{{vars.constructor}}` must not reach Object.prototype.
      return (ctx) => (ctx.vars && Object.hasOwn(ctx.vars, name) ? str(ctx.vars[name]) : "");
    }
    case "gather": {
      const name = ref.name;
      return (ctx) => (ctx.gather && Object.hasOwn(ctx.gather, name) ? str(ctx.gather[name]) : "");
    }
    default: {
      const never: never = ref;
      throw new Error(`unhandled placeholder ${JSON.stringify(never)}`);
    }
  }
}

function callGetter(name: CallPlaceholder): (ctx: RenderContext) => string {
  switch (name) {
    case "from":
      return (ctx) => str(ctx.from);
    case "to":
      return (ctx) => str(ctx.to);
    case "tn":
      return (ctx) => str(ctx.tn);
    case "call":
      return (ctx) => str(ctx.call);
    case "sca":
      return (ctx) => str(ctx.sca);
    case "now":
      return (ctx) => (ctx.now instanceof Date && !Number.isNaN(ctx.now.getTime()) ? ctx.now.toISOString() : "");
    case "digits":
      return (ctx) => str(ctx.digits);
    default: {
      const never: never = name;
      throw new Error(`unhandled placeholder ${String(never)}`);
    }
  }
}

function str(v: unknown): string {
  return typeof v === "string" ? v : v === undefined || v === null ? "" : String(v);
}

function rawJoin(parts: TemplatePart[], value: (ref: PlaceholderRef) => string): string {
  return parts.map((p) => (typeof p === "string" ? p : value(p))).join("");
}

/** Merge adjacent strings; a list of only strings collapses to one constant. */
function merge(items: Item[]): Item[] {
  const out: Item[] = [];
  for (const it of items) {
    const last = out[out.length - 1];
    if (typeof it === "string") {
      if (it === "") continue;
      if (typeof last === "string") out[out.length - 1] = last + it;
      else out.push(it);
    } else out.push(it);
  }
  return out;
}

/** Items → one constant string, or one emit function alternating constants and emits. */
function seq(items: Item[]): string | Emit {
  const merged = merge(items);
  if (merged.every((it) => typeof it === "string")) return merged.join("");
  // statics[i] precedes emits[i]; statics has one more entry than emits.
  const statics: string[] = [];
  const emits: Emit[] = [];
  let pending = "";
  for (const it of merged) {
    if (typeof it === "string") pending += it;
    else {
      statics.push(pending);
      emits.push(it);
      pending = "";
    }
  }
  statics.push(pending);
  const n = emits.length;
  if (n === 1) {
    const [s0, s1] = statics as [string, string];
    const e0 = emits[0]!;
    return (ctx, st) => s0 + e0(ctx, st) + s1;
  }
  return (ctx, st) => {
    let out = statics[0]!;
    for (let i = 0; i < n; i++) out += emits[i]!(ctx, st) + statics[i + 1]!;
    return out;
  };
}

function seqEmit(items: Item[]): Emit {
  const s = seq(items);
  return typeof s === "string" ? () => s : s;
}
