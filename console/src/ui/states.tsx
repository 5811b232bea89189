/** The loading and error states every request shows. */
import type { ComponentChildren } from "preact";
import { ApiError } from "../api.ts";

export function Loading({ what }: { what: string }) {
  return (
    <p class="state state-loading" role="status">
      <span class="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export function errorText(error: Error): string {
  if (error instanceof ApiError) return error.problem.detail ? `${error.problem.title}: ${error.problem.detail}` : error.problem.title;
  return error.message;
}

export function ErrorState({ error, retry, children }: { error: Error; retry?: () => void; children?: ComponentChildren }) {
  return (
    <div class="state state-error" role="alert">
      <p>{errorText(error)}</p>
      {children}
      {retry && (
        <button type="button" class="btn" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}
