/**
 * The placeholder language: `{{name}}` inside text and attribute values.
 *
 * Names are a closed list, so a typo is a publish-time error instead of silence on a call:
 * `from`, `to`, `tn`, `call`, `sca`, `now`, `vars.NAME` (the flow's declared variables), and
 * the names a Gather fills during a Gather, `digits` and `gather.NODE` (empty until then).
 */
import { clip, closest, report, type Diagnostic, type Position } from "../xml/index.ts";

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
  /** Where findings go (capped, see `report`); a new list when absent. */
  diagnostics?: Diagnostic[];
}

/**
 * Split a template string into literal text and placeholder references. Unknown names and
 * malformed braces come back as error diagnostics; the parts then hold only what was valid.
 */
export function splitPlaceholders(value: string, opts: SplitOptions): SplitResult {
  const parts: TemplatePart[] = [];
  const diagnostics = opts.diagnostics ?? [];
  if (!value.includes("{{")) return { parts: value ? [value] : [], diagnostics };
  const where = {
    ...(opts.tag !== undefined ? { tag: opts.tag } : {}),
    ...(opts.attribute !== undefined ? { attribute: opts.attribute } : {}),
  };
  const place = opts.attribute ? `<${clip(opts.tag ?? "")} ${clip(opts.attribute)}>` : opts.tag ? `<${clip(opts.tag)}>` : "text";
  let i = 0;
  let literal = "";
  // Each search starts past the last one, so a run of "{{" with no "}}" is read once, not once per "{{".
  let close = -1;
  while (i < value.length) {
    const open = value.indexOf("{{", i);
    if (open < 0) {
      literal += value.slice(i);
      break;
    }
    literal += value.slice(i, open);
    if (close < open + 2) close = value.indexOf("}}", open + 2);
    if (close < 0) {
      // No "}}" anywhere after: every "{{" from here on is unclosed; one finding says so.
      report(
        diagnostics,
        "error",
        "bad-placeholder",
        opts.pos,
        `${place}: "{{" is not closed by "}}" (placeholders look like {{from}} or {{vars.NAME}})`,
        where,
      );
      break;
    }
    const nextOpen = value.indexOf("{{", open + 2);
    if (nextOpen >= 0 && nextOpen < close) {
      const message = `${place}: "{{" is not closed by "}}" (placeholders look like {{from}} or {{vars.NAME}})`;
      report(diagnostics, "error", "bad-placeholder", opts.pos, message, where);
      // Keep going after the stray braces so later placeholders are still checked.
      i = nextOpen;
      continue;
    }
    const inner = value.slice(open + 2, close).trim();
    const ref = parseRef(inner);
    if (ref.ok) {
      const name = ref.ref.name;
      if (ref.ref.scope === "vars" && opts.variables && !opts.variables.has(name)) {
        const declared = opts.variables;
        report(
          diagnostics,
          "error",
          "unknown-placeholder",
          opts.pos,
          () => {
            const names = [...declared];
            const hint = closest(name, names);
            const list = names.length ? `declared: ${listed(names)}` : "the flow declares no variables";
            return `${place}: {{vars.${clip(name)}}} is not a declared variable${hint ? ` (did you mean {{vars.${hint}}}?)` : ""}; ${list}`;
          },
          where,
        );
      } else {
        if (literal) parts.push(literal);
        literal = "";
        parts.push(ref.ref);
      }
    } else {
      report(diagnostics, "error", ref.code, opts.pos, () => `${place}: ${ref.message()}`, where);
    }
    i = close + 2;
  }
  if (literal) parts.push(literal);
  return { parts, diagnostics };
}

/** A reference, or why not: `message` is a function so a finding past the cap costs no suggestion search. */
/** Up to ten names, cut to a readable length, then how many more. */
function listed(names: readonly string[], max = 10): string {
  const shownNames = names.slice(0, max).map((n) => clip(n, 32));
  return names.length > max ? `${shownNames.join(", ")} and ${names.length - max} more` : shownNames.join(", ");
}

type ParsedRef = { ok: true; ref: PlaceholderRef } | { ok: false; code: "unknown-placeholder" | "bad-placeholder"; message: () => string };

const KNOWN = [...CALL_PLACEHOLDERS, "vars.NAME", "gather.NAME"];

function parseRef(inner: string): ParsedRef {
  if (!inner) return { ok: false, code: "bad-placeholder", message: () => "empty placeholder {{}}" };
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
          message: () => `{{${clip(inner)}}}: "${clip(name)}" is not a valid name (letters, digits, _ and -, starting with a letter or _)`,
        };
      }
      return { ok: true, ref: { scope, name } };
    }
  }
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(inner)) {
    return { ok: false, code: "bad-placeholder", message: () => `{{${clip(inner)}}} is not a placeholder: names are ${KNOWN.join(", ")}` };
  }
  return {
    ok: false,
    code: "unknown-placeholder",
    message: () => {
      const hint = closest(inner, CALL_PLACEHOLDERS);
      return `unknown placeholder {{${clip(inner)}}}${hint ? ` (did you mean {{${hint}}}?)` : ""}; known: ${KNOWN.join(", ")}`;
    },
  };
}
