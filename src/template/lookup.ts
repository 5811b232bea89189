/** The raw (unescaped) values placeholders stand for in one call. */
import type { Position } from "../xml/index.ts";
import type { RenderContext } from "./context.ts";
import { type CallPlaceholder, type PlaceholderRef, splitPlaceholders, type TemplatePart } from "./placeholders.ts";

/** The raw value of a placeholder for a call. */
export function getter(ref: PlaceholderRef): (ctx: RenderContext) => string {
  switch (ref.scope) {
    case "call":
      return callGetter(ref.name);
    case "vars": {
      const name = ref.name;
      // Own properties only: `{{vars.constructor}}` must not reach Object.prototype.
      return (ctx) => (ctx.vars && Object.hasOwn(ctx.vars, name) ? str(ctx.vars[name]) : "");
    }
    case "gather": {
      const name = ref.name;
      return (ctx) => (ctx.gather && Object.hasOwn(ctx.gather, name) ? str(ctx.gather[name]) : "");
    }
    default: {
      const never: never = ref;
      throw new Error(`unhandled placeholder ${JSON.stringify(never)}`);
    }
  }
}

function callGetter(name: CallPlaceholder): (ctx: RenderContext) => string {
  switch (name) {
    case "from":
      return (ctx) => str(ctx.from);
    case "to":
      return (ctx) => str(ctx.to);
    case "tn":
      return (ctx) => str(ctx.tn);
    case "call":
      return (ctx) => str(ctx.call);
    case "sca":
      return (ctx) => str(ctx.sca);
    case "now":
      return (ctx) => (ctx.now instanceof Date && !Number.isNaN(ctx.now.getTime()) ? ctx.now.toISOString() : "");
    case "digits":
      return (ctx) => str(ctx.digits);
    default: {
      const never: never = name;
      throw new Error(`unhandled placeholder ${String(never)}`);
    }
  }
}

function str(v: unknown): string {
  return typeof v === "string" ? v : v === undefined || v === null ? "" : String(v);
}

/** A split template string with each placeholder replaced by `value(ref)`, unescaped. */
export function rawJoin(parts: readonly TemplatePart[], value: (ref: PlaceholderRef) => string): string {
  return parts.map((p) => (typeof p === "string" ? p : value(p))).join("");
}

/**
 * A template string (an attribute value as written) as a function of the call: placeholders
 * filled raw, unescaped. Malformed placeholders are reported where the attribute is compiled,
 * not here; they are left out.
 */
export function rawFiller(template: string, pos: Pick<Position, "line" | "col">): (ctx: RenderContext) => string {
  const parts = splitPlaceholders(template, { pos }).parts;
  if (parts.every((p) => typeof p === "string")) {
    const s = parts.join("");
    return () => s;
  }
  const getters = parts.map((p) => (typeof p === "string" ? () => p : getter(p)));
  return (ctx) => getters.map((g) => g(ctx)).join("");
}
