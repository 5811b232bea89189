/**
 * Serialising is total: whatever strings a tree holds — quotes, `<>&`, `]]>`, control
 * characters, lone surrogates — the output is well-formed XML that reads back as the same tree,
 * minus the characters XML cannot carry at all.
 */
import fc from "fast-check";
import { XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import {
  checkFlow,
  createComment,
  createDocument,
  createElement,
  createText,
  serialize,
  stripForbidden,
  TAG_SPECS,
  type ElementNode,
  type XmlNode,
} from "../../src/xml/index.ts";
import { meaning, shape } from "./helpers/tree.ts";

// ---- arbitraries -------------------------------------------------------------------------

/** Pieces that are hard to carry through XML, mixed with any code point and plain ASCII. */
const tricky = fc.constantFrom(
  '"',
  "'",
  "<",
  ">",
  "&",
  "]]>",
  "&amp;",
  "&#0;",
  "\u0000",
  "\u0008",
  "\u001F",
  "\uFFFE",
  "\uFFFF",
  "\uD800",
  "\uDFFF",
  "\r",
  "\n",
  "\r\n",
  "\t",
  " ",
  "\u00A0",
  "--",
  "{{x}}",
  "😀",
);
const unit = fc.oneof(fc.string({ unit: "binary", minLength: 1, maxLength: 1 }), tricky, fc.string({ minLength: 1, maxLength: 4 }));
const anyString = fc.string({ unit, maxLength: 12 });

/** Digits and URLs too, so typed attributes are sometimes valid and props get exercised. */
const attrValue = fc.oneof(
  anyString,
  fc.constantFrom(
    "1",
    "0",
    "5000",
    "true",
    "FALSE",
    "#",
    "*",
    "male",
    "post",
    "mon-fri",
    "09:00-17:00",
    "NJ,ca",
    "https://x.example/a?b=1&c=2",
  ),
);

// Tag names: every documented spelling in any letter case, plus names tactflow does not know,
// including JavaScript's own property names. (`__proto__`, `constructor` and `prototype` are
// legal XML names the parser refuses on purpose — see xml-diagnostics — so they are left out.)
const knownNames = TAG_SPECS.flatMap((s) => [...s.names]);
const tagName = fc.oneof(
  fc.constantFrom(...knownNames),
  fc.constantFrom(...knownNames).chain((n) => fc.constantFrom(n.toLowerCase(), n.toUpperCase())),
  fc.constantFrom("Foo", "x-y.z", "_u", "a:b", "Ünïcode", "toString", "valueOf"),
);
const knownAttrNames = [...new Set(TAG_SPECS.flatMap((s) => s.attrs.flatMap((a) => [a.name, ...(a.aliases ?? [])])))];
const attrName = fc.oneof(
  fc.constantFrom(...knownAttrNames),
  fc.constantFrom("Text", "URL", "data-x", "_y", "a.b", "hasOwnProperty", "__lookupGetter__"),
);

/** Plain trees (no props yet) so shrinking stays cheap; `build` turns them into elements. */
interface Plain {
  name: string;
  attrs: Array<[string, string]>;
  children: Array<Plain | { text: string } | { comment: string }>;
}

const plainTree = fc.letrec<{ el: Plain; child: Plain | { text: string } | { comment: string } }>((tie) => ({
  el: fc.record({
    name: tagName,
    attrs: fc.array(fc.tuple(attrName, attrValue), { maxLength: 4 }),
    children: fc.array(tie("child"), { maxLength: 4 }),
  }),
  child: fc.oneof({ depthSize: "small", withCrossShrink: true }, fc.record({ text: anyString }), tie("el"), fc.record({ text: anyString })),
})).el;

const withComments = fc.letrec<{ el: Plain; child: Plain | { text: string } | { comment: string } }>((tie) => ({
  el: fc.record({ name: tagName, attrs: fc.constant([]), children: fc.array(tie("child"), { maxLength: 3 }) }),
  child: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.record({ comment: anyString }),
    fc.record({ text: anyString }),
    tie("el"),
  ),
})).el;

function build(p: Plain): ElementNode {
  const children: XmlNode[] = p.children.map((c) => ("name" in c ? build(c) : "text" in c ? createText(c.text) : createComment(c.comment)));
  return createElement(p.name, p.attrs, children);
}

// ---- what the tree should read back as ---------------------------------------------------

const XML_BLANK = /^[ \t\r\n]*$/;

/**
 * The tree a reader sees: characters XML cannot carry are gone; a repeated attribute name keeps
 * its first value (as when reading); adjacent text merges and whitespace-only text is layout.
 */
function expected(p: Plain): ElementNode {
  const seen = new Set<string>();
  const attrs: Array<[string, string]> = [];
  for (const [n, v] of p.attrs) {
    if (seen.has(n)) continue;
    seen.add(n);
    attrs.push([n, stripForbidden(v)]);
  }
  const children: XmlNode[] = [];
  let run: string | null = null;
  const flush = () => {
    if (run !== null && !XML_BLANK.test(run)) children.push(createText(run));
    run = null;
  };
  for (const c of p.children) {
    if ("text" in c) run = (run ?? "") + stripForbidden(c.text);
    else if ("name" in c) {
      flush();
      children.push(expected(c));
    }
  }
  flush();
  return createElement(p.name, attrs, children);
}

function readBack(xml: string): ElementNode {
  // Independent of our own checks: fast-xml-parser's validator must accept the text too.
  expect(XMLValidator.validate(xml)).toBe(true);
  const result = checkFlow(xml);
  const broken = result.diagnostics.filter((d) => d.code === "not-well-formed" || d.code === "doctype-forbidden");
  expect(broken, xml).toEqual([]);
  expect(result.document, xml).not.toBeNull();
  return result.document!.root;
}

// ---- properties --------------------------------------------------------------------------

// FC_RUNS=5000 for a deeper search locally; the default keeps the unit suite fast.
const runs = { numRuns: Number(process.env.FC_RUNS ?? 300) };

describe("serialising any tree", () => {
  it.each([
    ["indented", "  "],
    ["on one line", ""],
  ])("gives well-formed XML that reads back as the same tree (%s)", (_how, indent) => {
    fc.assert(
      fc.property(plainTree, fc.boolean(), (plain, declaration) => {
        const xml = serialize(createDocument(build(plain), declaration), { indent });
        expect(shape(readBack(xml))).toEqual(shape(expected(plain)));
      }),
      runs,
    );
  });

  it("never writes a character XML forbids", () => {
    fc.assert(
      fc.property(plainTree, (plain) => {
        const xml = serialize(createDocument(build(plain)));
        expect(stripForbidden(xml)).toBe(xml);
      }),
      runs,
    );
  });

  it("canonical serialisation reads back with the same meaning as the author's spelling", () => {
    fc.assert(
      fc.property(plainTree, (plain) => {
        const doc = createDocument(build(plain));
        const asWritten = readBack(serialize(doc));
        const canonical = readBack(serialize(doc, { canonical: true }));
        expect(meaning(canonical)).toEqual(meaning(asWritten));
      }),
      runs,
    );
  });

  it("is a fixed point after one round: serialise → parse → serialise gives the same text", () => {
    fc.assert(
      fc.property(withComments, (plain) => {
        const once = serialize(createDocument(build(plain)));
        expect(serialize(createDocument(readBack(once)))).toBe(once);
      }),
      runs,
    );
  });

  it("keeps comments that XML can hold as they were", () => {
    // A comment cannot carry `--`, a final `-` or a CR (readers turn CRs into LFs).
    const safeComment = anyString.map(stripForbidden).filter((s) => !s.includes("--") && !s.endsWith("-") && !s.includes("\r"));
    fc.assert(
      fc.property(safeComment, (comment) => {
        const root = readBack(serialize(createDocument(createElement("Response", [], [createComment(comment)]))));
        expect(root.children).toMatchObject([{ type: "comment", value: comment }]);
      }),
      runs,
    );
  });

  it("refuses a name XML cannot hold instead of writing a broken document", () => {
    expect(() => serialize(createDocument(createElement("Say now")))).toThrow(/not an XML name/);
    expect(() => serialize(createDocument(createElement("Say", [["on click", "x"]])))).toThrow(/not an XML name/);
  });
});
