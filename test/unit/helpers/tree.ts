/**
 * Views of the XML tree for comparisons: positions say where a node was read, not what the
 * document means, so round-trip checks compare these views instead of the raw nodes.
 */
import type { ElementNode, TagProps, XmlNode } from "../../../src/xml/index.ts";

export type NodeShape =
  | { type: "element"; name: string; kind: string; attrs: Array<[string, string]>; props: TagProps[keyof TagProps]; children: NodeShape[] }
  | { type: "text"; value: string }
  | { type: "comment"; value: string };

/** The whole tree as written and as read, without positions. */
export function shape(node: XmlNode): NodeShape {
  switch (node.type) {
    case "element":
      return {
        type: "element",
        name: node.name,
        kind: node.kind,
        attrs: node.attrs.map((a) => [a.name, a.value]),
        props: node.props,
        children: node.children.map(shape),
      };
    case "text":
      return { type: "text", value: node.value };
    case "comment":
      return { type: "comment", value: node.value };
  }
}

export type MeaningShape = { kind: string; props: unknown; text: string; children: MeaningShape[] };

/**
 * What a document means once both dialects are normalised: kinds, props and text, but not the
 * spellings the author chose. Canonical serialisation must keep this unchanged.
 */
export function meaning(el: ElementNode): MeaningShape {
  return {
    kind: el.kind,
    props: el.props,
    text: el.children.flatMap((c) => (c.type === "text" ? [c.value] : [])).join(""),
    children: el.children.flatMap((c) => (c.type === "element" ? [meaning(c)] : [])),
  };
}
