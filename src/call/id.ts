/**
 * The one rule for call ids, wherever one comes in: a route's `{call}`, a platform event's call
 * uuid, the webhook's `call`. Call ids are the platform's uuids (docs/opentact.md §a.2, d.4);
 * anything printable and short is accepted, so ids from other sources (the simulator, tests)
 * work too. Each id names a Durable Object, so nothing else may name one.
 */

/** The longest call id accepted. */
export const MAX_CALL_ID_LENGTH = 128;

const CALL_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Whether `id` can name a call: a letter or digit, then up to 127 of `A-Z a-z 0-9 . _ : -`. */
export function isCallId(id: string): boolean {
  return CALL_ID_RE.test(id);
}

/** An id for log lines and problem details: a rejected id is caller-controlled and may be huge. */
export function quoteCallId(id: string): string {
  return `"${id.slice(0, 40)}"`;
}
