/**
 * What the deployed Worker bundles in place of the `is-unsafe` package (wrangler.jsonc `alias`).
 *
 * fast-xml-parser imports `is-unsafe` for one thing: screening the replacement text of the
 * entities a document's DOCTYPE declares. tactflow never lets the parser see a DOCTYPE or an
 * entity declaration (src/xml/parse.ts refuses them first, and turns entity processing off), so
 * the check never runs; yet the package's top-level code labels all nine of its pattern tables
 * (SQL, shell, NoSQL, log, …), which keeps every one of them in the bundle — about 12 KB
 * minified, 4 KB gzipped, of the Worker's size budget (docs/deploy.md).
 *
 * Should a parser change ever call it, every entity is answered "unsafe", so it is blocked:
 * the conservative answer, never a silent allow.
 */
type PatternList = Array<{ id: string; description: string; pattern: RegExp }>;

export const HTML: PatternList = [];
export const XML: PatternList = [];

export function isUnsafe(_value: string, _context: PatternList | PatternList[] | RegExp): boolean {
  return true;
}
