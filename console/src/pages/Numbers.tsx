/** The numbers list: every TN with a flow, its published version, mode, description and last change. */
import { useMemo, useState } from "preact/hooks";
import type { FlowSummary } from "../api.ts";
import { absoluteTime, digitsOf, formatTn, relativeTime, shortVersion } from "../format.ts";
import { flowPath, onLinkClick } from "../router.ts";
import { useAsync } from "../ui/async.ts";
import { useApi } from "../ui/context.ts";
import { ErrorState, Loading } from "../ui/states.tsx";

/** A number matches when its digits contain the query's digits; words search the description. */
export function matches(flow: FlowSummary, query: string): boolean {
  const q = query.trim();
  if (!q) return true;
  const digits = digitsOf(q);
  if (digits && flow.tn.includes(digits)) return true;
  if (q === "*") return flow.tn === "*";
  return /[a-z]/i.test(q) && flow.description.toLowerCase().includes(q.toLowerCase());
}

export function Numbers() {
  const api = useApi();
  const flows = useAsync(() => api.listFlows(), [api]);
  const [query, setQuery] = useState("");
  const shown = useMemo(
    () =>
      (flows.data ?? []).filter((f) => matches(f, query)).sort((a, b) => (a.tn === "*" ? 1 : b.tn === "*" ? -1 : a.tn.localeCompare(b.tn))),
    [flows.data, query],
  );

  return (
    <main id="main" class="page page-numbers">
      <div class="page-head">
        <h1>Numbers</h1>
        <a class="btn btn-primary" href="/flows/new" onClick={onLinkClick}>
          New flow
        </a>
      </div>
      <div class="toolbar">
        <label for="search" class="visually-hidden">
          Search by number
        </label>
        <input
          id="search"
          type="search"
          placeholder="Search by number, e.g. 800 555"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
          autocomplete="off"
        />
        {flows.data && (
          <span class="muted" role="status">
            {shown.length === flows.data.length ? `${flows.data.length} numbers` : `${shown.length} of ${flows.data.length} numbers`}
          </span>
        )}
      </div>
      {flows.status === "loading" && !flows.data && <Loading what="numbers" />}
      {flows.status === "error" && <ErrorState error={flows.error} retry={flows.reload} />}
      {flows.data && flows.data.length === 0 && (
        <div class="state">
          <p>No number has a flow yet.</p>
          <p class="muted">
            Write one with <a href="/flows/new">New flow</a>, or publish from a terminal: <code>npx tactflow flows publish …</code>
          </p>
        </div>
      )}
      {flows.data && flows.data.length > 0 && (
        <div class="table-wrap">
          <table class="numbers">
            <thead>
              <tr>
                <th scope="col">Number</th>
                <th scope="col">Description</th>
                <th scope="col">Mode</th>
                <th scope="col">Version</th>
                <th scope="col">Last change</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((f) => (
                <tr key={f.tn}>
                  <th scope="row">
                    <a href={flowPath(f.tn)} onClick={onLinkClick} class="tn">
                      {formatTn(f.tn)}
                    </a>
                  </th>
                  <td class="desc">{f.description || <span class="muted">—</span>}</td>
                  <td>
                    <span class={`badge badge-${f.mode}`}>{f.mode}</span>
                  </td>
                  <td>
                    <code title={f.version}>{shortVersion(f.version)}</code>
                  </td>
                  <td>
                    <time dateTime={f.updatedAt} title={absoluteTime(f.updatedAt)}>
                      {relativeTime(f.updatedAt)}
                    </time>
                  </td>
                </tr>
              ))}
              {shown.length === 0 && (
                <tr>
                  <td colSpan={5} class="muted">
                    No number matches “{query}”.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}
