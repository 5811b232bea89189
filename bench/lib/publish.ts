/** What a publish does with a template before storage: read the bytes as text, then check and compile. */
import { checkTemplate } from "../../src/template/index.ts";

export function publishCheck(bytes: Uint8Array, variables: Record<string, string>): { ok: boolean; diagnostics: number } {
  const checked = checkTemplate(new TextDecoder().decode(bytes), { variables });
  return { ok: checked.ok, diagnostics: checked.diagnostics.length };
}
