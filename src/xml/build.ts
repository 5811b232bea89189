/**
 * Build tree nodes in code. The parser builds its elements through `elementFrom` too, so an
 * element made here has exactly the `kind` and `props` parsing its serialised form would give.
 */
import type { CommentNode, ElementNode, FlowDocument, Position, TagKind, TextNode, XmlAttribute, XmlNode } from "./ast.ts";
import type { Diagnostic } from "./diagnostics.ts";
import { readProps } from "./props.ts";
import { specForName } from "./tags.ts";

/** Where nodes made in code "are": nowhere in any source text. */
const BUILT: Position = { line: 0, col: 0, offset: -1 };

/**
 * The element for a tag name, attributes and children, resolving the name (case-insensitively)
 * and reading the props. Attribute problems go to `diags`.
 */
export function elementFrom(name: string, attrs: XmlAttribute[], children: XmlNode[], pos: Position, diags: Diagnostic[]): ElementNode {
  const kind: TagKind = specForName(name)?.kind ?? "Unknown";
  const childKinds: TagKind[] = [];
  let text = "";
  for (const c of children) {
    if (c.type === "element") childKinds.push(c.kind);
    else if (c.type === "text") text += c.value;
  }
  const props = readProps({ kind, name, attrs, text, pos, childKinds }, diags);
  // The cast ties `props` to `kind`, which TypeScript cannot follow through the lookup above.
  return { type: "element", kind, name, attrs, children, pos, props } as ElementNode;
}

export type AttrList = ReadonlyArray<readonly [name: string, value: string]> | Readonly<Record<string, string>>;

/**
 * An element made in code, e.g. `createElement("Say", { gender: "MALE" }, [createText("Hi")])`.
 * Props are read as the parser would read them; problems are not reported here — run
 * `validateDocument` (or serialise and `checkFlow`) to see them.
 */
export function createElement(name: string, attrs: AttrList = [], children: XmlNode[] = []): ElementNode {
  const list = Array.isArray(attrs) ? (attrs as ReadonlyArray<readonly [string, string]>) : Object.entries(attrs);
  const xmlAttrs = list.map(([n, value]) => ({ name: n, value, pos: BUILT }));
  return elementFrom(name, xmlAttrs, children, BUILT, []);
}

export function createText(value: string): TextNode {
  return { type: "text", value, pos: BUILT };
}

export function createComment(value: string): CommentNode {
  return { type: "comment", value, pos: BUILT };
}

export function createDocument(root: ElementNode, declaration = true): FlowDocument {
  return { declaration, root };
}
