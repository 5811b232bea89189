/**
 * The flow editor: CodeMirror 6 with XML support, loaded as its own chunk when a flow page
 * opens. It shows the diagnostics it is given (the browser's own check of the text, and the
 * server's answer to a publish) underlined, in the gutter and as a line under the line they
 * belong to; completes tags, attributes and values and explains them on hover from the tag
 * registry; and reports the text and the elements around the cursor.
 */
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { xml } from "@codemirror/lang-xml";
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting, syntaxTree } from "@codemirror/language";
import { type Diagnostic as CmDiagnostic, lintGutter, lintKeymap, setDiagnostics } from "@codemirror/lint";
import { EditorState, StateEffect, StateField, type Extension, type Text } from "@codemirror/state";
import {
  Decoration,
  type DecorationSet,
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  hoverTooltip,
  keymap,
  lineNumbers,
  WidgetType,
} from "@codemirror/view";
import type { Diagnostic } from "../../../src/xml/index.ts";
import { attrDoc, attrSpec, elementSpecs, tagDoc, tagSpec } from "./schema.ts";

export interface EditorDiagnostic extends Diagnostic {
  source: "browser" | "server";
}

export interface CursorInfo {
  /** 0-based offsets of the `<` of every element around the cursor, innermost first. */
  elements: number[];
  line: number;
  col: number;
  /** First and last line of a non-empty selection (0 when empty). */
  selFrom: number;
  selTo: number;
}

export interface EditorOptions {
  doc: string;
  label: string;
  onChange: (text: string) => void;
  onCursor: (info: CursorInfo) => void;
}

export interface EditorHandle {
  text(): string;
  /** Replace the whole text (loading a version); keeps undo history. */
  setText(text: string): void;
  setDiagnostics(list: readonly EditorDiagnostic[]): void;
  /** Select the whole lines of the element whose `<` is at `offset`, and scroll to it. */
  selectElement(offset: number, focus: boolean): void;
  /** Mark the lines of the element at `offset` (null clears) and bring them into view: the command a call is running. */
  markElement(offset: number | null): void;
  focus(): void;
  destroy(): void;
}

// ---- diagnostics under their lines ----------------------------------------------------------

class DiagnosticLine extends WidgetType {
  constructor(readonly items: readonly EditorDiagnostic[]) {
    super();
  }
  override eq(other: DiagnosticLine): boolean {
    return (
      other.items.length === this.items.length &&
      other.items.every(
        (d, i) => d.message === this.items[i]!.message && d.col === this.items[i]!.col && d.source === this.items[i]!.source,
      )
    );
  }
  toDOM(): HTMLElement {
    const box = document.createElement("div");
    box.className = "cm-diag-lines";
    for (const d of this.items) {
      const row = document.createElement("div");
      row.className = `cm-diag-line cm-diag-${d.severity}`;
      row.setAttribute("role", "note");
      const where = document.createElement("span");
      where.className = "cm-diag-where";
      where.textContent = `${d.severity === "error" ? "✖" : "▲"} ${d.line}:${d.col}${d.source === "server" ? " server" : ""}`;
      row.append(where, ` ${d.message}`);
      box.append(row);
    }
    return box;
  }
  override ignoreEvent(): boolean {
    return false;
  }
}

const setLines = StateEffect.define<DecorationSet>();
const diagnosticLines = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    let next = deco.map(tr.changes);
    for (const e of tr.effects) if (e.is(setLines)) next = e.value;
    return next;
  },
  provide: (f) => EditorView.decorations.from(f),
});

function offsetOf(doc: Text, line: number, col: number): number {
  const l = doc.line(Math.min(Math.max(1, line), doc.lines));
  return Math.min(l.from + Math.max(0, col - 1), l.to);
}

/** The span to underline: the tag name after `<`, or the word at the position. */
function spanAt(doc: Text, from: number): number {
  const line = doc.lineAt(from);
  const rest = doc.sliceString(from, line.to);
  const m = /^<\/?[\w:.-]*|^[\w:.{}-]+/.exec(rest);
  return Math.min(line.to, from + Math.max(1, m?.[0].length ?? 1));
}

/** "did you mean <Gather>?" / "did you mean "numDigits"?" → a one-click fix. */
function quickFix(view: EditorView, d: EditorDiagnostic): CmDiagnostic["actions"] {
  const tag = /\(did you mean <([\w:.-]+)>\?\)/.exec(d.message);
  const attr = /\(did you mean "([\w:.-]+)"\?\)/.exec(d.message);
  if (tag) {
    const name = tag[1]!;
    return [
      {
        name: `Use <${name}>`,
        apply(v, from) {
          const changes: { from: number; to: number; insert: string }[] = [];
          const open = syntaxTree(v.state).resolveInner(from + 1, 1);
          const nameNode = open.name === "TagName" ? open : open.getChild("TagName");
          if (nameNode) changes.push({ from: nameNode.from, to: nameNode.to, insert: name });
          const close = nameNode?.parent?.parent?.getChild("CloseTag")?.getChild("TagName");
          if (close) changes.push({ from: close.from, to: close.to, insert: name });
          if (changes.length) v.dispatch({ changes });
        },
      },
    ];
  }
  if (attr && d.attribute) {
    const name = attr[1]!;
    return [
      {
        name: `Use ${name}`,
        apply(v, from, to) {
          v.dispatch({ changes: { from, to, insert: name } });
        },
      },
    ];
  }
  void view;
  return undefined;
}

// ---- a marked element (the current command of a call) ---------------------------------------

const setMark = StateEffect.define<{ from: number; to: number } | null>();
const markedLines = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    let next = deco.map(tr.changes);
    for (const e of tr.effects) {
      if (!e.is(setMark)) continue;
      if (!e.value) next = Decoration.none;
      else {
        const ranges = [];
        const doc = tr.state.doc;
        for (let l = doc.lineAt(e.value.from).number; l <= doc.lineAt(e.value.to).number; l++) {
          ranges.push(Decoration.line({ class: "cm-marked" }).range(doc.line(l).from));
        }
        next = Decoration.set(ranges);
      }
    }
    return next;
  },
  provide: (f) => EditorView.decorations.from(f),
});

/** The range of the element whose `<` is at `offset`, from the syntax tree. */
function elementRange(state: EditorState, offset: number): { from: number; to: number } | null {
  let node = syntaxTree(state).resolveInner(Math.min(offset + 1, state.doc.length), 1);
  while (node.parent && node.name !== "Element") node = node.parent;
  return node.name === "Element" ? { from: node.from, to: node.to } : null;
}

function cursorInfo(state: EditorState): CursorInfo {
  const sel = state.selection.main;
  const elements: number[] = [];
  for (let node: ReturnType<typeof syntaxTree>["topNode"] | null = syntaxTree(state).resolveInner(sel.head, -1); node; node = node.parent) {
    if (node.name === "Element") elements.push(node.from);
  }
  const line = state.doc.lineAt(sel.head);
  const selFrom = sel.empty ? 0 : state.doc.lineAt(sel.from).number;
  const selTo = sel.empty ? 0 : state.doc.lineAt(sel.to).number;
  return { elements, line: line.number, col: sel.head - line.from + 1, selFrom, selTo };
}

// ---- hover help -----------------------------------------------------------------------------

const hover = hoverTooltip((view, pos, side) => {
  const node = syntaxTree(view.state).resolveInner(pos, side);
  if (node.name !== "TagName" && node.name !== "AttributeName") return null;
  const text = view.state.sliceDoc(node.from, node.to);
  let title: string;
  let body: string;
  if (node.name === "TagName") {
    const spec = tagSpec(text);
    if (!spec) return null;
    title = `<${spec.names[0]}>`;
    body = tagDoc(spec);
  } else {
    const tagNode = node.parent?.getChild("TagName");
    const spec = tagNode ? tagSpec(view.state.sliceDoc(tagNode.from, tagNode.to)) : undefined;
    const a = spec ? attrSpec(spec, text) : undefined;
    if (!spec || !a) return null;
    title = `${a.name} on <${spec.names[0]}>`;
    body = attrDoc(a);
  }
  return {
    pos: node.from,
    end: node.to,
    above: true,
    create() {
      const dom = document.createElement("div");
      dom.className = "cm-help";
      const h = document.createElement("strong");
      h.textContent = title;
      const p = document.createElement("div");
      p.textContent = body;
      dom.append(h, p);
      return { dom };
    },
  };
});

// ---- the editor -----------------------------------------------------------------------------

const theme = EditorView.theme({
  "&": { height: "100%", fontSize: "13px", backgroundColor: "#fff" },
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.5" },
  ".cm-gutters": { backgroundColor: "#fafbfc", borderRight: "1px solid #e3e6ea" },
  ".cm-diag-lines": { padding: "1px 0 3px 0", fontFamily: "var(--sans)", fontSize: "12.5px", lineHeight: "1.4" },
  ".cm-diag-line": { padding: "2px 8px", borderLeft: "3px solid", borderRadius: "0 4px 4px 0", whiteSpace: "pre-wrap" },
  ".cm-diag-error": { color: "#8f1d14", backgroundColor: "#fdecea", borderColor: "#b42318" },
  ".cm-diag-warning": { color: "#6b4600", backgroundColor: "#fff4d6", borderColor: "#b7791f" },
  ".cm-diag-where": { fontFamily: "var(--mono)", fontWeight: "600", marginRight: "4px" },
  ".cm-marked": { backgroundColor: "#e7f6ec" },
  ".cm-help": { padding: "6px 8px", maxWidth: "360px", fontFamily: "var(--sans)", fontSize: "12.5px" },
  ".cm-tooltip.cm-tooltip-autocomplete > ul": { fontFamily: "var(--mono)" },
});

export function createEditor(parent: HTMLElement, options: EditorOptions): EditorHandle {
  let current: readonly EditorDiagnostic[] = [];
  const extensions: Extension[] = [
    lineNumbers(),
    highlightActiveLineGutter(),
    history(),
    drawSelection(),
    indentOnInput(),
    bracketMatching(),
    closeBrackets(),
    highlightActiveLine(),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    EditorView.lineWrapping,
    xml({ elements: elementSpecs() }),
    autocompletion({ activateOnTyping: true }),
    lintGutter(),
    hover,
    diagnosticLines,
    markedLines,
    theme,
    EditorView.contentAttributes.of({ "aria-label": options.label }),
    keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap, ...lintKeymap, indentWithTab]),
    EditorView.updateListener.of((u) => {
      if (u.docChanged) options.onChange(u.state.doc.toString());
      if (u.docChanged || u.selectionSet) options.onCursor(cursorInfo(u.state));
    }),
  ];
  const view = new EditorView({ parent, state: EditorState.create({ doc: options.doc, extensions }) });

  const apply = (list: readonly EditorDiagnostic[]) => {
    current = list;
    const doc = view.state.doc;
    const cm: CmDiagnostic[] = [];
    const byLine = new Map<number, EditorDiagnostic[]>();
    for (const d of list) {
      const from = offsetOf(doc, d.line, d.col);
      const actions = quickFix(view, d);
      cm.push({
        from,
        to: spanAt(doc, from),
        severity: d.severity,
        message: d.message,
        source: d.source === "server" ? "server" : "tactflow",
        ...(actions ? { actions } : {}),
      });
      const line = Math.min(Math.max(1, d.line), doc.lines);
      byLine.set(line, [...(byLine.get(line) ?? []), d]);
    }
    const widgets = [...byLine.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([line, items]) => Decoration.widget({ widget: new DiagnosticLine(items), block: true, side: 1 }).range(doc.line(line).to));
    view.dispatch(setDiagnostics(view.state, cm), { effects: setLines.of(Decoration.set(widgets)) });
  };

  return {
    text: () => view.state.doc.toString(),
    setText(text) {
      if (text === view.state.doc.toString()) return;
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    setDiagnostics(list) {
      const same = (a: EditorDiagnostic, b: EditorDiagnostic) =>
        a.line === b.line && a.col === b.col && a.message === b.message && a.source === b.source && a.severity === b.severity;
      if (list === current || (list.length === current.length && list.every((d, i) => same(d, current[i]!)))) return;
      apply(list);
    },
    selectElement(offset, focus) {
      const range = elementRange(view.state, offset);
      const doc = view.state.doc;
      const from = doc.lineAt(range?.from ?? Math.min(offset, doc.length)).from;
      const to = doc.lineAt(range?.to ?? Math.min(offset, doc.length)).to;
      view.dispatch({ selection: { anchor: from, head: to }, effects: EditorView.scrollIntoView(from, { y: "start", yMargin: 40 }) });
      if (focus) view.focus();
    },
    markElement(offset) {
      const range = offset === null ? null : elementRange(view.state, offset);
      view.dispatch({ effects: setMark.of(range) });
      if (!range) return;
      // The marked element comes into view (a call moving through the flow) by scrolling the
      // editor alone: the page stays where the reader has it (on a phone, at the keypad).
      const line = view.lineBlockAt(range.from);
      const box = view.scrollDOM;
      if (line.top < box.scrollTop || line.bottom > box.scrollTop + box.clientHeight)
        box.scrollTop = Math.max(0, line.top - box.clientHeight / 3);
    },
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}
