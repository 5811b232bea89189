/**
 * Live calls (`/calls`), and a number's recent calls (`/numbers/{tn}/calls`): one subscriber of
 * `/v1/events` (the hub), replaying what the hub still holds and then following it live.
 *
 * The rows come from the events alone (model.ts): no other index is kept. The hub holds the
 * newest 10,000 events (docs/events.md), which is where "recent" ends; a number's page asks the
 * hub for that number's calls only (`?tn=`), so its last 50 reach much further back than the
 * account's.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { formatTn } from "../format.ts";
import { onLinkClick } from "../router.ts";
import { useApi } from "../ui/context.ts";
import { applyEvents, type CallRow, clock, durationOf, ended, inProgress } from "./model.ts";
import { EventStream, type StreamStatus } from "./stream.ts";

/** How many ended calls a page shows. */
const RECENT = 50;

export function callPath(id: string): string {
  return `/calls/${encodeURIComponent(id)}`;
}

function statusText(s: StreamStatus | null): string {
  if (!s) return "Connecting…";
  switch (s.kind) {
    case "connecting":
      return s.attempt > 1 ? `Reconnecting (attempt ${s.attempt})…` : "Connecting…";
    case "live":
      return "Live";
    case "retrying":
      return `Connection lost (${s.why}); retrying in ${(s.inMs / 1000).toFixed(1)} s`;
    case "failed":
      return `The event stream refused this token: ${s.why}`;
    case "closed":
      return "Closed";
    default: {
      const never: never = s;
      return String(never);
    }
  }
}

export interface LiveCallsProps {
  /** A number's page: only its calls. */
  tn?: string;
}

export default function LiveCalls({ tn }: LiveCallsProps) {
  const api = useApi();
  const calls = useRef(new Map<string, CallRow>());
  const stream = useRef<EventStream | null>(null);
  const [, setVersion] = useState(0);
  const [status, setStatus] = useState<StreamStatus | null>(null);
  const [gap, setGap] = useState(false);
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    calls.current = new Map();
    const s = new EventStream({
      path: "/v1/events",
      token: api.token,
      filters: { types: "call_state,call_flow", ...(tn ? { tn } : {}) },
      since: 0,
      onEvents: (events) => {
        applyEvents(calls.current, events);
        setVersion((n) => n + 1);
      },
      onStatus: setStatus,
      onGap: () => setGap(true),
    });
    stream.current = s;
    // For tests and the bench: the stream, to drop it or count what it received, and the rows.
    Object.assign(globalThis, { tactflowLive: s, tactflowLiveCalls: calls.current });
    return () => s.close();
  }, [api, tn]);

  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);

  const up = inProgress(calls.current);
  const done = ended(calls.current, RECENT);
  const live = status?.kind === "live";

  return (
    <main id="main" class="page live-page" data-events={stream.current?.received ?? 0}>
      <div class="page-head">
        <h1>{tn ? `Calls to ${formatTn(tn)}` : "Live calls"}</h1>
        <p class={`stream-status ${live ? "is-live" : ""}`} role="status">
          <span class="dot" aria-hidden="true" /> {statusText(status)}
        </p>
      </div>
      {tn ? (
        <p class="page-lead">
          The last {RECENT} calls on this number that the event stream still holds, and any in progress.{" "}
          <a href={`/flows/${encodeURIComponent(tn)}`} onClick={onLinkClick}>
            The flow
          </a>
        </p>
      ) : (
        <p class="page-lead">Calls in progress on every number, as their events arrive. Open a call for its timeline.</p>
      )}
      {status?.kind === "failed" && !tn && (
        <p class="state state-note">
          A key limited to some numbers can follow each of them on its own page: open a number from{" "}
          <a href="/" onClick={onLinkClick}>
            the numbers list
          </a>{" "}
          and choose <strong>Calls</strong> beside its published version.
        </p>
      )}
      {gap && <p class="state state-note">Older events are no longer kept by the server; the lists start where they do.</p>}

      <section aria-labelledby="in-progress">
        <h2 id="in-progress">
          In progress <span class="count">{up.length}</span>
        </h2>
        {up.length ? <CallTable rows={up} now={now} live /> : <p class="empty">No call is in progress.</p>}
      </section>

      <section aria-labelledby="ended">
        <h2 id="ended">
          {tn ? `Last ${RECENT} calls` : "Ended recently"} <span class="count">{done.length}</span>
        </h2>
        {done.length ? <CallTable rows={done} now={now} live={false} /> : <p class="empty">None yet.</p>}
      </section>
    </main>
  );
}

function CallTable({ rows, now, live }: { rows: CallRow[]; now: number; live: boolean }) {
  return (
    <div class="table-wrap">
      <table class="calls-table">
        <thead>
          <tr>
            <th scope="col">Number</th>
            <th scope="col">Caller</th>
            <th scope="col">{live ? "State" : "Ended"}</th>
            <th scope="col">{live ? "Now at" : "Outcome"}</th>
            <th scope="col" class="num">
              Duration
            </th>
            <th scope="col">Call</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-call={r.id} data-events={r.events} class={r.failed ? "has-failure" : undefined}>
              <td>{formatTn(r.tn)}</td>
              <td>{r.from}</td>
              <td>
                {live ? (
                  <span class={`state-pill state-${r.state || "init"}`}>{r.state || "…"}</span>
                ) : (
                  <time dateTime={new Date(r.endedAt ?? 0).toISOString()}>{new Date(r.endedAt ?? 0).toLocaleTimeString()}</time>
                )}
              </td>
              <td class="node">{live ? r.node : r.outcome}</td>
              <td class="num">{clock(durationOf(r, now))}</td>
              <td>
                <a href={callPath(r.id)} onClick={onLinkClick} title={r.id} aria-label={`Call ${r.id}`}>
                  {r.id.length > 18 ? `${r.id.slice(0, 17)}…` : r.id}
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
