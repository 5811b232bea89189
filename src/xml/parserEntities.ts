/**
 * What the deployed Worker bundles in place of the `@nodable/entities` package (wrangler.jsonc
 * `alias`), fast-xml-parser's entity decoder and its tables of named entities.
 *
 * The parser decodes entities only with `processEntities` on, and reads entity declarations only
 * from a DOCTYPE; src/xml/parse.ts turns entity processing off and refuses DOCTYPE and ENTITY
 * declarations before the parser runs (tactflow reads `&amp;` and the other XML escapes itself).
 * So the parser only creates a decoder, resets it per document and tells it the XML version; the
 * decoder and its tables (about 6 KB minified, 2 KB gzipped of the Worker's size budget,
 * docs/deploy.md) never decode anything. This stand-in does exactly that much: decoding leaves
 * text as it is, as the parser does with processing off, and declared entities — which can't
 * arrive — are refused rather than taken.
 */
type EntityMap = Record<string, string>;

export const XML: EntityMap = {};
export const CURRENCY: EntityMap = {};
export const COMMON_HTML: EntityMap = {};
export const ENTITY_ACTION = Object.freeze({ ALLOW: "allow", BLOCK: "block", THROW: "throw" });

export class EntityDecoder {
  reset(): this {
    return this;
  }
  setXmlVersion(_version: number): void {}
  addInputEntities(_entities: unknown): void {
    throw new Error("entity declarations are refused before parsing (src/xml/parse.ts)");
  }
  decode(text: string): string {
    return text;
  }
}
