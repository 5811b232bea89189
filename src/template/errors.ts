/** What a render reports when its output must not be served. */

/**
 * `bad-condition`: a condition attribute filled at render time is not a list of days, a time
 * window, a list of states or a zone; `bad-value`: a `{{vars.X}}` filled a typed attribute (a
 * number, keys, a zone…) with a value outside its type or range.
 */
export type RenderErrorCode = "template-invalid" | "bad-condition" | "bad-value" | "output-too-large";

/** A render that must not be served: the caller answers the fallback document instead. */
export class RenderError extends Error {
  readonly code: RenderErrorCode;
  constructor(code: RenderErrorCode, message: string) {
    super(message);
    this.name = "RenderError";
    this.code = code;
  }
}
