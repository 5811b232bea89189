/**
 * Sign-in: the console asks for an API token (the deployment's ADMIN_TOKEN today), checks it
 * against the admin API, and keeps it for this tab only. Nothing is shown until the server has
 * accepted it.
 */
import { useState } from "preact/hooks";
import { Api, ApiError } from "../api.ts";

export function SignIn({ notice, onSignedIn }: { notice: string | null; onSignedIn: (token: string) => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const t = token.trim();
    if (!t) {
      setError("Paste the API token first.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await new Api(t).request("/v1/flows?limit=1");
      onSignedIn(t);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        setError(
          err.problem.title === "Admin API disabled"
            ? `${err.problem.detail ?? "The admin API is disabled on this server."}`
            : "The server refused this token. Check that it is this deployment's ADMIN_TOKEN (npm start writes it to .dev.vars).",
        );
      } else if (err instanceof ApiError && err.status === 403) {
        setError(
          `The server knows this key, but it may not list flows (${err.problem.detail ?? err.problem.title}). Use a key with flow access.`,
        );
      } else setError(err instanceof ApiError ? `${err.problem.title}${err.problem.detail ? `: ${err.problem.detail}` : ""}` : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="signin">
      <form class="card signin-card" onSubmit={submit} aria-describedby="signin-help">
        <h1>
          <span class="brand-mark" aria-hidden="true" /> tactflow console
        </h1>
        <p id="signin-help" class="muted">
          Sign in with this server's API token. It is kept for this browser tab only and sent as <code>Authorization: Bearer</code>.
        </p>
        {notice && (
          <p class="notice" role="status">
            {notice}
          </p>
        )}
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          aria-invalid={error ? "true" : undefined}
          aria-errormessage={error ? "token-error" : undefined}
          autofocus
        />
        {error && (
          <p id="token-error" class="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="btn btn-primary" disabled={busy}>
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
