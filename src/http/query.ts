/**
 * Integer query parameters, enforced as the OpenAPI document states them: absent → the default,
 * otherwise an integer within [min, max], else a 400 problem whose `errors` names the parameter.
 */
import { ProblemError } from "./problem.ts";

export interface IntRange {
  min: number;
  max: number;
  /** Absent: the parameter is optional and comes back undefined. */
  default?: number;
}

export function intQuery(value: string | undefined, name: string, range: IntRange & { default: number }): number;
export function intQuery(value: string | undefined, name: string, range: IntRange): number | undefined;
export function intQuery(value: string | undefined, name: string, range: IntRange): number | undefined {
  if (value === undefined || value === "") return range.default;
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n < range.min || n > range.max) {
    const message = `an integer from ${range.min} to ${range.max}`;
    throw new ProblemError(400, "Invalid request", `${name} must be ${message}`, { errors: [{ path: name, message }] });
  }
  return n;
}
