/**
 * The one structured logger: one JSON line per event, the shape Workers Logs indexes
 * (`level` and `msg` first, then the fields). Everything in `src/` logs through it; nothing
 * writes `console.*` directly.
 *
 * Fields that a caller controls (numbers, call ids, header values) must be bounded before they
 * get here: use `clip()`.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";

export type LogFields = Record<string, unknown>;

/** Write one log line. `undefined` fields are left out. */
export function log(level: LogLevel, msg: string, fields: LogFields = {}): void {
  const line = JSON.stringify({ level, msg, ...fields });
  switch (level) {
    case "error":
      console.error(line);
      return;
    case "warn":
      console.warn(line);
      return;
    case "info":
      console.log(line);
      return;
    case "debug":
      console.debug(line);
      return;
    default: {
      const never: never = level;
      console.log(String(never));
    }
  }
}

/** A logger that adds the same fields to every line (`logger({ call })`). */
export function logger(base: LogFields): (level: LogLevel, msg: string, fields?: LogFields) => void {
  return (level, msg, fields = {}) => log(level, msg, { ...base, ...fields });
}

/** A caller-controlled string cut to `max` characters, so one request can't flood the logs. */
export function clip(value: string | null | undefined, max = 128): string | undefined {
  if (value === null || value === undefined || value === "") return undefined;
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

/** An error as one short string: `Name: message`. */
export function describeError(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
