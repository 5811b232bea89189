/**
 * The placeholder language: `{{name}}` inside text and attribute values.
 *
 * Names are a closed list, so a typo is a publish-time error instead of silence on a call:
 * `from`, `to`, `tn`, `call`, `sca`, `now`, `vars.NAME` (the flow's declared variables), and
 * the names a Gather fills during a Gather, `digits` and `gather.NODE` (empty until then).
 */
import { closest, diag, type Diagnostic, type Position } from "../xml/index.ts";

/** Caller- or platform-supplied values: never trusted, always escaped for where they land. */
export const CALL_PLACEHOLDERS = ["from", "to", "tn", "call", "sca", "now", "digits"] as const;
export type CallPlaceholder = (typeof CALL_PLACEHOLDERS)[number];

/** A parsed placeholder reference. */
export type PlaceholderRef = { scope: "call"; name: CallPlaceholder } | { scope: "vars"; name: string } | { scope: "gather"; name: string };

/** A string split into literal runs and placeholder references, in order. */
export type TemplatePart = string | PlaceholderRef;

/** What may follow `vars.` or `gather.`: an identifier, dashes allowed after the first letter. */
export const NAME_RE = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** The spelling of a reference, as an author writes it inside the braces. */
export function refName(ref: PlaceholderRef): string {
  return ref.scope === "call" ? ref.name : `${ref.scope}.${ref.name}`;
}

export interface SplitResult {
  parts: TemplatePart[];
  diagnostics: Diagnostic[];
}

export interface SplitOptions {
  /** Declared flow variables; `{{vars.X}}` for any other X is an unknown placeholder. */
  variables?: ReadonlySet<string>;
  /** Where the string sits, for diagnostics. */
  pos: Pick<Position, "line" | "col">;
  tag?: string;
  attribute?: string;
}

/**
 * Split a template string into literal text and placeholder references. Unknown names and
 * malformed braces come back as error diagnostics; the parts then hold only what was valid.
 */
export function splitPlaceholders(value: string, opts: SplitOptions): SplitResult {
  const parts: TemplatePart[] = [];
  const diagnostics: Diagnostic[] = [];
  if (!value.includes("{{")) return { parts: value ? [value] : [], diagnostics };
  const where = {
    ...(opts.tag !== undefined ? { tag: opts.tag } : {}),
    ...(opts.attribute !== undefined ? { attribute: opts.attribute } : {}),
  };
  const place = opts.attribute ? `<${opts.tag} ${opts.attribute}>` : opts.tag ? `<${opts.tag}>` : "text";
  let i = 0;
  let literal = "";
  while (i < value.length) {
    const open = value.indexOf("{{", i);
    if (open < 0) {
      literal += value.slice(i);
      break;
    }
    literal += value.slice(i, open);
    const close = value.indexOf("}}", open + 2);
    const nextOpen = value.indexOf("{{", open + 2);
    if (close < 0 || (nextOpen >= 0 && nextOpen < close)) {
      diagnostics.push(
        diag(
          "error",
          "bad-placeholder",
          opts.pos,
          `${place}: "{{" is not closed by "}}" (placeholders look like {{from}} or {{vars.NAME}})`,
          where,
        ),
      );
      // Keep going after the stray braces so later placeholders are still checked.
      i = open + 2;
      continue;
    }
    const inner = value.slice(open + 2, close).trim();
    const ref = parseRef(inner);
    if (ref.ok) {
      if (ref.ref.scope === "vars" && opts.variables && !opts.variables.has(ref.ref.name)) {
        const declared = [...opts.variables];
        const hint = closest(ref.ref.name, declared);
        diagnostics.push(
          diag(
            "error",
            "unknown-placeholder",
            opts.pos,
            `${place}: {{vars.${ref.ref.name}}} is not a declared variable${hint ? ` (did you mean {{vars.${hint}}}?)` : ""}; ${declared.length ? `declared: ${declared.join(", ")}` : "the flow declares no variables"}`,
            where,
          ),
        );
      } else {
        if (literal) parts.push(literal);
        literal = "";
        parts.push(ref.ref);
      }
    } else {
      diagnostics.push(diag("error", ref.code, opts.pos, `${place}: ${ref.message}`, where));
    }
    i = close + 2;
  }
  if (literal) parts.push(literal);
  return { parts, diagnostics };
}

type ParsedRef = { ok: true; ref: PlaceholderRef } | { ok: false; code: "unknown-placeholder" | "bad-placeholder"; message: string };

const KNOWN = [...CALL_PLACEHOLDERS, "vars.NAME", "gather.NAME"];

function parseRef(inner: string): ParsedRef {
  if (!inner) return { ok: false, code: "bad-placeholder", message: "empty placeholder {{}}" };
  if ((CALL_PLACEHOLDERS as readonly string[]).includes(inner)) return { ok: true, ref: { scope: "call", name: inner as CallPlaceholder } };
  const dot = inner.indexOf(".");
  if (dot > 0) {
    const scope = inner.slice(0, dot);
    const name = inner.slice(dot + 1);
    if (scope === "vars" || scope === "gather") {
      if (!NAME_RE.test(name)) {
        return {
          ok: false,
          code: "bad-placeholder",
          message: `{{${inner}}}: "${name}" is not a valid name (letters, digits, _ and -, starting with a letter or _)`,
        };
      }
      return { ok: true, ref: { scope, name } };
    }
  }
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(inner)) {
    return { ok: false, code: "bad-placeholder", message: `{{${inner}}} is not a placeholder: names are ${KNOWN.join(", ")}` };
  }
  const hint = closest(inner, [...CALL_PLACEHOLDERS]);
  return {
    ok: false,
    code: "unknown-placeholder",
    message: `unknown placeholder {{${inner}}}${hint ? ` (did you mean {{${hint}}}?)` : ""}; known: ${KNOWN.join(", ")}`,
  };
}
