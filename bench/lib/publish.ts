/** What a publish does with a template before storage: decode the bytes, then check and compile. */
import { checkTemplate } from "../../src/template/index.ts";
import { countWork, decodeTemplate, type WorkCount } from "../../src/xml/index.ts";

export interface PublishOutcome {
  ok: boolean;
  diagnostics: number;
  /** The counted steps (src/xml/work.ts): the same on every run of one input. */
  work: WorkCount;
}

export function publishCheck(bytes: Uint8Array, variables: Record<string, string>): PublishOutcome {
  const { result, work } = countWork(() => {
    const decoded = decodeTemplate(bytes);
    if (!decoded.ok) return { ok: false, diagnostics: decoded.diagnostics.length };
    const checked = checkTemplate(decoded.text, { variables });
    return { ok: checked.ok, diagnostics: checked.diagnostics.length };
  });
  return { ...result, work };
}
