/**
 * Completion and hover for the editor, generated from the tag registry (src/xml/tags.ts): tag
 * names where they may stand, attribute names with their documentation, enum values. The same
 * table drives validation, so what is offered is what validates.
 */
import type { ElementSpec, AttrSpec as CmAttrSpec } from "@codemirror/lang-xml";
import { specForName, TAG_SPECS } from "../../../src/xml/index.ts";

export type TagSpec = (typeof TAG_SPECS)[number];
export type AttrSpec = TagSpec["attrs"][number];

const canonical = (placement: TagSpec["placement"]) =>
  TAG_SPECS.filter((s) => s.placement === placement && !s.unspecified).map((s) => s.names[0]!);

/** What a tag's content model admits, by placement (the validator's rule, for suggesting). */
function childrenOf(spec: TagSpec): readonly string[] | undefined {
  const commands = canonical("command");
  switch (spec.content) {
    case "commands":
      return [...commands, "Error"];
    case "dial":
      return [...canonical("destination"), "Error"];
    case "gather":
      return ["Say", "Play", "Pause", "DTMF", "Switch", "Default", "Error"];
    case "switch":
      return ["Case", "Default", "Error"];
    case "text":
    case "empty":
      return ["Error"];
    case "any":
      return undefined;
    default: {
      const never: never = spec.content;
      throw new Error(`unhandled content ${String(never)}`);
    }
  }
}

function valuesOf(a: AttrSpec): string[] | undefined {
  const t = a.type;
  switch (t.t) {
    case "enum":
      return [...t.values];
    case "bool":
      return ["true", "false"];
    case "key":
      return [..."0123456789*#"];
    case "tz":
      return typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : undefined;
    case "dow":
      return ["mon-fri", "sat,sun", "mon,tue,wed,thu,fri"];
    default:
      return undefined;
  }
}

export function attrDoc(a: AttrSpec): string {
  const also = a.aliases?.length ? ` Also spelled ${a.aliases.join(", ")}.` : "";
  return `${a.doc}${a.default ? ` (default ${a.default})` : ""}.${also}`;
}

export function tagDoc(spec: TagSpec): string {
  const names = spec.names.length > 1 ? ` Also spelled <${spec.names.slice(1).join(">, <")}>.` : "";
  return `${spec.doc}.${names}${spec.unspecified ? " Named by the Opentact docs without a specification; kept unchanged." : ""}`;
}

export function elementSpecs(): ElementSpec[] {
  return TAG_SPECS.filter((s) => !s.unspecified).map((spec) => {
    const children = childrenOf(spec);
    return {
      name: spec.names[0]!,
      top: spec.placement === "root",
      ...(children ? { children } : {}),
      attributes: spec.attrs.map((a): CmAttrSpec => {
        const values = valuesOf(a);
        return { name: a.name, ...(values ? { values } : {}), completion: { info: attrDoc(a), detail: a.type.t } };
      }),
      completion: { info: tagDoc(spec), detail: spec.placement },
    };
  });
}

/** The spec of a tag name as written (any accepted spelling, any case). */
export function tagSpec(name: string): TagSpec | undefined {
  return specForName(name);
}

export function attrSpec(tag: TagSpec, name: string): AttrSpec | undefined {
  const lower = name.toLowerCase();
  return tag.attrs.find((a) => a.name.toLowerCase() === lower || a.aliases?.some((x) => x.toLowerCase() === lower));
}
