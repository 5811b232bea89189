/**
 * Structural validation: which tag may stand where, unknown tags, and the constructs that are
 * legal but suspicious. Attribute values are checked while props are read (props.ts); this
 * file adds what needs the tree.
 */
import { elementChildren, type ElementNode, type FlowDocument, type TagKind } from "./ast.ts";
import { clip, report, shown, type Diagnostic } from "./diagnostics.ts";
import { closest } from "./suggest.ts";
import { knownTagNames, specForKind, TAG_SPECS, type TagSpec } from "./tags.ts";

const PROMPTS: ReadonlySet<TagKind> = new Set(["Say", "Play", "Pause"]);

/**
 * Whether a parent of this content model may hold a child tag: null when it may, else a sentence
 * saying what the parent holds. The unknown-tag message lists the allowed tags from the same rule.
 */
function accepts(parentName: string, parentSpec: TagSpec | undefined, childKind: TagKind, childSpec: TagSpec | undefined): string | null {
  if (!parentSpec || parentSpec.content === "any") return null;
  const placement = childSpec?.placement ?? "command";
  const p = parentName;
  switch (parentSpec.content) {
    case "commands":
      if (placement === "command" || placement === "error") return null;
      return `<${p}> holds commands and <Error>`;
    case "dial":
      if (placement === "destination" || placement === "error") return null;
      return `<${p}> holds <To>, <Sip>, <Number> and <Error>`;
    case "gather":
      if (PROMPTS.has(childKind) || childKind === "Gather" || ["gather-branch", "switch", "default", "error"].includes(placement))
        return null;
      return `<${p}> holds prompts (<Say>, <Play>, <Pause>), <DTMF>, <Switch>, <Default>, <Error> and nested <Gather>; put other commands inside a branch or after </${p}>`;
    case "switch":
      if (placement === "switch-branch" || placement === "default" || placement === "error") return null;
      return `<${p}> holds <Case>, <Default> and <Error>`;
    case "text":
    case "empty":
      if (placement === "error") return null;
      return `<${p}> holds only <Error>`;
    default: {
      const never: never = parentSpec.content;
      throw new Error(`unhandled content ${String(never)}`);
    }
  }
}

/** The documented tags a parent may hold, by the rule in `accepts`. */
function allowedInside(parentName: string, parentSpec: TagSpec | undefined): string[] {
  return TAG_SPECS.filter((s) => !s.unspecified && s.placement !== "root" && accepts(parentName, parentSpec, s.kind, s) === null).map(
    (s) => s.names[0]!,
  );
}

/** Where a tag with a fixed home belongs, for the error message. */
const HOME: Partial<Record<TagKind, string>> = {
  Case: "<Case> belongs inside <Switch>",
  DTMF: "<DTMF> belongs inside <Gather>",
  Switch: "<Switch> belongs inside <Gather>",
  Default: "<Default> belongs inside <Gather> or <Switch>",
  To: "<To> belongs inside <Dial>",
  Sip: "<Sip> belongs inside <Dial>",
  Number: "<Number> belongs inside <Dial>",
  Response: "<Response> is only the root element",
};

export function validateDocument(doc: FlowDocument): Diagnostic[] {
  const out: Diagnostic[] = [];
  const root = doc.root;
  if (root.kind !== "Response") {
    const hint = root.kind === "Unknown" && closest(root.name, ["Response"]) ? " (did you mean <Response>?)" : "";
    report(out, "error", "bad-root", root.pos, `the root element must be <Response>, not <${clip(root.name)}>${hint}`, { tag: root.name });
  }
  walk(root, out);
  return out;
}

function walk(el: ElementNode, out: Diagnostic[]): void {
  const spec = specForKind(el.kind);
  checkSelf(el, spec, out);
  for (const child of elementChildren(el)) {
    if (child.kind === "Unknown") reportUnknown(child, el, spec, out);
    else {
      const problem = accepts(el.name, spec, child.kind, specForKind(child.kind));
      if (problem) {
        const home = HOME[child.kind];
        const message = `<${child.name}> is not allowed inside <${el.name}>: ${home ? `${home}; ` : ""}${problem}`;
        report(out, "error", "misplaced-tag", child.pos, message, { tag: child.name });
      }
    }
    walk(child, out);
  }
}

/** An unknown tag, with the nearest allowed name and the list of what may stand there. */
function reportUnknown(el: ElementNode, parent: ElementNode, parentSpec: TagSpec | undefined, out: Diagnostic[]): void {
  // The suggestion and the list are worked out only when the finding is listed.
  report(
    out,
    "error",
    "unknown-tag",
    el.pos,
    () => {
      const allowed = allowedInside(parent.name, parentSpec);
      // Prefer a suggestion that would be valid here; fall back to any known name.
      const hint = closest(el.name, allowed) ?? closest(el.name, knownTagNames());
      const where = allowed.length ? `; inside <${clip(parent.name)}> the allowed tags are ${allowed.map((n) => `<${n}>`).join(", ")}` : "";
      return `unknown tag <${clip(el.name)}>${hint ? ` (did you mean <${hint}>?)` : ""}${where}`;
    },
    { tag: el.name },
  );
}

function checkSelf(el: ElementNode, spec: TagSpec | undefined, out: Diagnostic[]): void {
  // Unknown tags are reported by their parent, which knows what would be allowed in their place;
  // an unknown root is reported as a bad root.
  if (el.kind === "Unknown") return;
  if (spec?.unspecified) {
    report(
      out,
      "warning",
      "unspecified-tag",
      el.pos,
      `<${el.name}> is named by the Opentact docs but not specified; it is kept unchanged and the platform may skip it`,
      {
        tag: el.name,
      },
    );
  }
  if (spec && spec.content !== "text" && spec.content !== "any" && el.children.some((c) => c.type === "text")) {
    report(
      out,
      "warning",
      "ignored-content",
      el.pos,
      `<${el.name}> ignores its text content: only <Say>, <Play>, <Callback> and the <Dial> destinations read text`,
      { tag: el.name },
    );
  }
  if (el.kind === "Gather") checkGather(el, out);
}

function checkGather(el: Extract<ElementNode, { kind: "Gather" }>, out: Diagnostic[]): void {
  const direct = elementChildren(el);
  const switches = direct.filter((c) => c.kind === "Switch");
  const inSwitch = switches.flatMap(elementChildren);
  const branches = [...direct, ...inSwitch].filter(
    (c): c is Extract<ElementNode, { kind: "DTMF" | "Case" }> => c.kind === "DTMF" || c.kind === "Case",
  );
  const hasDefault = [...direct, ...inSwitch].some((c) => c.kind === "Default");
  const hasError = [...direct, ...inSwitch].some((c) => c.kind === "Error");
  if (branches.length && !hasDefault && !hasError) {
    report(
      out,
      "warning",
      "no-fallback-branch",
      el.pos,
      `<${el.name}> branches on digits but has neither <Default> nor <Error>: a wrong key or silence falls through`,
      {
        tag: el.name,
      },
    );
  }
  // docs/opentact.md §b.6 lists a nested <Gather> among a Gather's children but never says when it runs;
  // the docs only show one inside a branch (f.20), and that is the only place tactflow runs it.
  for (const inner of direct.filter((c) => c.kind === "Gather")) {
    report(
      out,
      "warning",
      "unreachable-branch",
      inner.pos,
      `<${inner.name}> directly inside <${el.name}> never runs; put it inside a <Case>, <DTMF> or <Default> branch, or after </${el.name}>`,
      {
        tag: inner.name,
      },
    );
  }
  const seen = new Map<string, ElementNode>();
  for (const b of branches) {
    const v = b.props.value;
    if (!v) continue;
    if (seen.has(v)) {
      const first = seen.get(v)!;
      report(
        out,
        "warning",
        "duplicate-branch",
        b.pos,
        `<${b.name}> repeats the value ${shown(v)} of the branch at line ${first.pos.line}, which always wins; each branch needs its own digits`,
        {
          tag: b.name,
          attribute: b.attrs.find((a) => a.value.trim() === v)?.name ?? (b.kind === "DTMF" ? "value" : "dtmf"),
        },
      );
    } else seen.set(v, b);
    if (!v.includes("{{") && v.length > el.props.maxDigits) {
      report(
        out,
        "warning",
        "unreachable-branch",
        b.pos,
        `<${b.name}> expects ${v.length} digits but <${el.name}> collects at most ${el.props.maxDigits}`,
        { tag: b.name },
      );
    }
  }
  for (const kind of ["Default", "Error"] as const) {
    const extra = [...direct, ...inSwitch].filter((c) => c.kind === kind).slice(1);
    for (const c of extra) {
      report(out, "warning", "duplicate-branch", c.pos, `<${el.name}> has more than one <${kind}>; only the first runs`, { tag: c.name });
    }
  }
  if (el.props.remoteUrl && el.props.dialect === "B" && branches.length) {
    report(
      out,
      "warning",
      "unreachable-branch",
      el.pos,
      `<${el.name}> has both a url and local branches: the url's reply decides, so the branches never run`,
      { tag: el.name },
    );
  }
}
