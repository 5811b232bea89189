/**
 * Marking a flow for coverage: each element whose outcome coverage counts (`<Dial>`,
 * `<Callback>`, a url `<Gather>`, and `<Call>`, `<Geo>`, `<Schedule>` left to the platform) gets
 * a `tf="line:col"` attribute naming where it was written (a short name: validating a served
 * document looks for a near miss of every unknown attribute, at a cost that grows with its length). Templates pass unknown
 * attributes through, so the documents a test call is served carry the marks, and the run can
 * say which element of the flow each Dial, request and condition in its transcript came from.
 * The platform ignores an attribute it does not know; nothing else about the flow changes.
 */
import { parseXml, type ElementNode } from "../xml/index.ts";

/** The attribute that carries the marks. */
export const MARK_ATTR = "tf";

const MARKED = new Set(["Dial", "Callback", "Gather", "Call", "Geo", "Schedule"]);

/** The flow's XML with the coverage marks added (unchanged if it does not parse). */
export function instrumentFlow(xml: string): string {
  const doc = parseXml(xml).document;
  if (!doc) return xml;
  const inserts: Array<{ at: number; text: string }> = [];
  const walk = (el: ElementNode) => {
    if (MARKED.has(el.kind) && xml[el.pos.offset] === "<")
      inserts.push({ at: el.pos.offset + 1 + el.name.length, text: ` ${MARK_ATTR}="${el.pos.line}:${el.pos.col}"` });
    for (const c of el.children) if (c.type === "element") walk(c);
  };
  walk(doc.root);
  let out = xml;
  for (const ins of inserts.sort((a, b) => b.at - a.at)) out = out.slice(0, ins.at) + ins.text + out.slice(ins.at);
  return out;
}
