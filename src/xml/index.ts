/**
 * Opentact Call Flow XML: parse, validate, serialise. Pure TypeScript, no Workers imports,
 * so the CLI, the simulator and the Worker share it.
 */
import type { FlowDocument } from "./ast.ts";
import { finishDiagnostics, hasErrors, type Diagnostic } from "./diagnostics.ts";
import { parseXml, type ParseOptions } from "./parse.ts";
import { validateDocument } from "./validate.ts";

export * from "./ast.ts";
export * from "./diagnostics.ts";
export * from "./values.ts";
export { readProps, DEFAULTS, GATHER_DIALECT_MARKERS, type PropsInput } from "./props.ts";
export { closest, MAX_SEARCH_CELLS, MAX_SUGGESTION_INPUT } from "./suggest.ts";
export { countWork, type WorkCount } from "./work.ts";
export { decodeTemplate, type DecodeResult } from "./decode.ts";
export { LIMITS } from "./limits.ts";
export { LineIndex } from "./lines.ts";
export { parseXml, decodeEntities, type ParseOptions } from "./parse.ts";
export { validateDocument } from "./validate.ts";
export { serialize, serializeElement, escapeAttr, escapeText, stripForbidden, XML_DECLARATION } from "./serialize.ts";
export {
  TAG_SPECS,
  specForKind,
  specForName,
  attrSpecFor,
  knownTagNames,
  DAYS,
  DTMF_KEYS,
  METHODS,
  type AttrSpec,
  type AttrType,
  type Placement,
  type TagSpec,
} from "./tags.ts";
export { createElement, createText, createComment, createDocument, type AttrList } from "./build.ts";

export interface CheckResult {
  document: FlowDocument | null;
  /** The findings, sorted by position; at most MAX_DIAGNOSTICS, then one entry counting the rest. */
  diagnostics: Diagnostic[];
  ok: boolean;
}

/** Parse and validate in one go: the entry point for publishing, the CLI and tests. */
export function checkFlow(xml: string, options: ParseOptions = {}): CheckResult {
  const parsed = parseXml(xml, options);
  const { document } = parsed;
  const diagnostics = finishDiagnostics(document ? parsed.diagnostics.concat(validateDocument(document)) : parsed.diagnostics);
  return { document, diagnostics, ok: !hasErrors(diagnostics) };
}
