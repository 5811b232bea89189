/** What a publish does with a template before storage: decode the bytes, then check and compile. */
import { checkTemplate } from "../../src/template/index.ts";
import { decodeTemplate } from "../../src/xml/index.ts";

export function publishCheck(bytes: Uint8Array, variables: Record<string, string>): { ok: boolean; diagnostics: number } {
  const decoded = decodeTemplate(bytes);
  if (!decoded.ok) return { ok: false, diagnostics: decoded.diagnostics.length };
  const checked = checkTemplate(decoded.text, { variables });
  return { ok: checked.ok, diagnostics: checked.diagnostics.length };
}
