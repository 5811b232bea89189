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
  attributeProblem,
  attrSpecFor,
  clip,
  finishDiagnostics,
  hasErrors,
  report,
  shown,
  specForKind,
  XML_DECLARATION,
  escapeAttr,
  escapeText,
  type AttrSpec,
  type Diagnostic,
  type ElementNode,
  type TagKind,
  type XmlAttribute,
} from "../xml/index.ts";
import type { RenderContext } from "./context.ts";
import { type Emit, type Item, seq, seqEmit } from "./emit.ts";
import { RenderError } from "./errors.ts";
import { attrEscaper, escaperFor, textEscaper, type EscapeContext, type Escaper } from "./escape.ts";
import { getter, rawJoin } from "./lookup.ts";
import { refName, splitPlaceholders, type PlaceholderRef, type TemplatePart } from "./placeholders.ts";
import { compilePredicate } from "./predicate.ts";
import { conditionObservers } from "./probe.ts";

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
  const diagnostics = finishDiagnostics(c.diagnostics);
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
    out.push("<" + el.name);
    this.attributes(el, out);
    // The body is written straight into `out` after a ">" that becomes "/>" when there is none,
    // so a subtree is never copied into its parent's list.
    out.push(">");
    const start = out.length;
    const inline = !this.indent || el.children.some((ch) => ch.type === "text");
    this.children(el, el.children, depth + 1, inline, out);
    if (out.length === start) {
      out[start - 1] = "/>";
      return;
    }
    const close = (inline ? "" : "\n" + this.indent.repeat(depth)) + "</" + el.name + ">";
    for (let k = start; k < out.length; k++) {
      const it = out[k];
      if (typeof it === "string" && it !== "") {
        out.push(close);
        return;
      }
    }
    // Every child is conditional or a bare placeholder: the body may render empty, and then
    // the element is written self-closing, as `serialize` would write a childless element.
    const bodyEmit = seqEmit(out.splice(start));
    out[start - 1] = (ctx, st) => {
      const b = bodyEmit(ctx, st);
      return b === "" ? "/>" : ">" + b + close;
    };
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
      const attrSpec = spec && !spec.unspecified ? attrSpecFor(spec, a.name) : undefined;
      const type = attrSpec?.type.t;
      const parts = this.split(a.value, a.pos, el.name, a.name);
      const free = type === undefined || FREE_TYPES.has(type);
      out.push(" " + a.name + '="');
      if (!free && attrSpec && parts.some((p) => typeof p !== "string")) {
        const filled = parts.filter((p) => typeof p === "string" || p.scope === "vars");
        for (const part of parts) {
          if (typeof part === "string" || part.scope === "vars") continue;
          const message = () =>
            `<${el.name} ${clip(a.name)}>: {{${refName(part)}}} can't fill a ${type} attribute; only {{vars.NAME}} can, because a caller-supplied value could make the document invalid`;
          report(this.diagnostics, "error", "bad-placeholder", a.pos, message, { tag: el.name, attribute: a.name });
        }
        out.push(typedEmit(el, a, attrSpec, filled));
        if (filled.length === parts.length) (typedVars ??= new Map()).set(a.name, parts);
      } else {
        for (const part of parts) {
          if (typeof part === "string") out.push(escapeAttr(part));
          else out.push(this.valueEmit(part, type === "url" ? "url-attr" : "attr"));
        }
      }
      out.push('"');
    }
    if (typedVars) this.checkTypedVars(el, typedVars);
  }

  /**
   * `{{vars.X}}` in a typed attribute (numbers, keys, days, zones…): check the declared value
   * now, with the rule that checks literal values, so publish catches `timeout="{{vars.t}}"`
   * with `t = "soon"`. Of two spellings of one attribute only the first counts, as when reading.
   */
  private checkTypedVars(el: ElementNode, typed: Map<string, TemplatePart[]>): void {
    if (!this.variables) return;
    const vars = this.variables;
    const spec = specForKind(el.kind);
    if (!spec) return;
    const seen = new Set<string>();
    for (const a of el.attrs) {
      const as = attrSpecFor(spec, a.name);
      if (!as || seen.has(as.name)) continue;
      seen.add(as.name);
      const parts = typed.get(a.name);
      if (!parts) continue;
      const value = rawJoin(parts, (ref) => (ref.scope === "vars" && Object.hasOwn(vars, ref.name) ? (vars[ref.name] ?? "") : ""));
      const problem = attributeProblem(as, value.trim());
      if (!problem) continue;
      const message = () => `<${el.name} ${a.name}=${shown(value)}>: ${problem.message} (after substituting the declared variables)`;
      report(this.diagnostics, problem.severity, "bad-attribute", a.pos, message, { tag: el.name, attribute: a.name });
    }
  }

  private split(value: string, pos: { line: number; col: number }, tag: string, attribute?: string): TemplatePart[] {
    const { parts } = splitPlaceholders(value, {
      pos,
      tag,
      ...(attribute !== undefined ? { attribute } : {}),
      ...(this.varNames ? { variables: this.varNames } : {}),
      diagnostics: this.diagnostics,
    });
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
    const test = compilePredicate(el);
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
}

/**
 * A typed attribute (a number, keys, days, a zone…) whose value holds `{{vars.X}}`: filled per
 * render and checked with the reader that checks literal values at publish, because the
 * variables a render sees may not be the declared ones (a preview can override them). A value
 * out of its type or range is a RenderError (the caller answers the fallback document), never
 * sent to the platform.
 */
function typedEmit(el: ElementNode, a: XmlAttribute, spec: AttrSpec, parts: readonly TemplatePart[]): Emit {
  const getters = parts.map((p) => (typeof p === "string" ? undefined : getter(p)));
  const literals = parts.map((p) => (typeof p === "string" ? escapeAttr(p) : ""));
  return (ctx) => {
    let raw = "";
    let written = "";
    for (let k = 0; k < parts.length; k++) {
      const get = getters[k];
      if (get === undefined) {
        raw += parts[k] as string;
        written += literals[k];
      } else {
        const v = get(ctx);
        raw += v;
        written += attrEscaper(v);
      }
    }
    const problem = attributeProblem(spec, raw.trim());
    if (problem?.severity === "error") {
      throw new RenderError("bad-value", `<${el.name} ${a.name}=${shown(raw)}> at ${a.pos.line}:${a.pos.col}: ${problem.message}`);
    }
    return written;
  };
}
