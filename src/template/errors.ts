/** What a render reports when its output must not be served. */

export type RenderErrorCode = "template-invalid" | "bad-condition" | "output-too-large";

/** A render that must not be served: the caller answers the fallback document instead. */
export class RenderError extends Error {
  readonly code: RenderErrorCode;
  constructor(code: RenderErrorCode, message: string) {
    super(message);
    this.name = "RenderError";
    this.code = code;
  }
}
