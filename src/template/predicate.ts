/**
 * Condition blocks compiled to predicates: whether a `<Call>`, `<Schedule>` or `<Geo>` block
 * holds for one call. Everything is read from the element's props; a value that held
 * placeholders is filled and parsed per render, with the same parsers that checked the literal
 * values at publish, and a filled value that does not parse is a RenderError (the caller then
 * answers the fallback document).
 */
import { type ElementNode, parseCallValue, parseDays, parseStates, parseTimeWindow, shown } from "../xml/index.ts";
import { callerState, callMatches, geoMatches, localTime, scheduleMatches } from "./conditions.ts";
import type { RenderContext } from "./context.ts";
import type { RenderState } from "./emit.ts";
import { RenderError } from "./errors.ts";
import { rawFiller } from "./lookup.ts";

export type Predicate = (ctx: RenderContext, st: RenderState) => boolean;

/** The test a condition block applies; any other element always holds. */
export function compilePredicate(el: ElementNode): Predicate {
  const at = `${el.pos.line}:${el.pos.col}`;
  const fill = (template: string | undefined) => (template === undefined ? undefined : rawFiller(template, el.pos));
  switch (el.kind) {
    case "Call": {
      const { props } = el;
      const field = fill(props.field)!;
      const dynamicValue = fill(props.valueTemplate);
      const fixed = props.value;
      return (ctx) => callMatches(ctx, field(ctx).trim(), dynamicValue ? parseCallValue(dynamicValue(ctx)) : fixed);
    }
    case "Schedule": {
      const { props } = el;
      const dow = fill(props.dowTemplate);
      const time = fill(props.timeTemplate);
      const tz = fill(props.tz);
      return (ctx, st) => {
        let days = props.days;
        if (dow) {
          const v = dow(ctx);
          days = parseDays(v);
          if (!days) throw new RenderError("bad-condition", `<${el.name} dow=${shown(v)}> at ${at} is not a list of days`);
        }
        let window = props.window;
        if (time) {
          const v = time(ctx);
          window = parseTimeWindow(v);
          if (!window) throw new RenderError("bad-condition", `<${el.name} time=${shown(v)}> at ${at} is not HH:MM:SS-HH:MM:SS`);
        }
        const zone = tz?.(ctx).trim() || ctx.timezone || "UTC";
        let local = st.local?.get(zone);
        if (!local) {
          try {
            local = localTime(ctx.now, zone);
          } catch {
            throw new RenderError("bad-condition", `<${el.name}> at ${at}: unknown time zone ${shown(zone)}`);
          }
          (st.local ??= new Map()).set(zone, local);
        }
        return scheduleMatches(days, window, local);
      };
    }
    case "Geo": {
      const { props } = el;
      const statesOf = fill(props.statesTemplate);
      return (ctx, st) => {
        let states = props.states;
        if (statesOf) {
          const v = statesOf(ctx);
          const parsed = parseStates(v);
          if (!parsed) throw new RenderError("bad-condition", `<${el.name} states=${shown(v)}> at ${at} is not a list of USPS codes`);
          states = parsed;
        }
        if (!states.length) return true;
        if (st.callerState === undefined) st.callerState = callerState(ctx);
        return geoMatches(states, st.callerState);
      };
    }
    default:
      return () => true;
  }
}
