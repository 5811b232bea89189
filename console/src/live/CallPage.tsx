/**
 * A call's page (`/calls/{call}`): its timeline from the call's event log (`GET /v1/calls/{call}`,
 * then the call's own stream for what comes next), the flow version it is pinned to, the way it
 * went drawn on that version's graph (path.ts), and, while it is parked, a box to send it a
 * command fragment through the commands API, whose answer (or refusal, with the fragment's
 * diagnostics) is shown under it.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { CallSnapshot } from "../../../src/call/api.ts";
import { parseXml } from "../../../src/xml/index.ts";
import { ApiError, type FlowVersion } from "../api.ts";
import { formatTn, shortVersion } from "../format.ts";
import { GraphBoundary, GraphView, graphOf } from "../graph/GraphView.tsx";
import { EMPTY_PATH, followSteps, nodesByOffset } from "../phone/follow.ts";
import { flowPath, onLinkClick } from "../router.ts";
import { useApi } from "../ui/context.ts";
import { ErrorState, errorText, Loading } from "../ui/states.tsx";
import { type CallTrail, trailOf } from "./path.ts";
import { EventStream, type StreamEvent } from "./stream.ts";
import { timelineOf } from "./timeline.ts";

type Snapshot = Omit<CallSnapshot, "events"> & { events: StreamEvent[] };

const NO_PROBLEMS: ReadonlyMap<string, "error" | "warning"> = new Map();

interface CommandAnswer {
  ok: boolean;
  text: string;
  lines: string[];
}

export default function CallPage({ id }: { id: string }) {
  const api = useApi();
  const [snap, setSnap] = useState<Snapshot | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [events, setEvents] = useState<StreamEvent[]>([]);
  const [version, setVersion] = useState<FlowVersion | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let gone = false;
    let stream: EventStream | null = null;
    setError(null);
    api.json<Snapshot>(`/v1/calls/${encodeURIComponent(id)}?limit=10000`).then(
      (s) => {
        if (gone) return;
        setSnap(s);
        setEvents(s.events);
        if (s.flow)
          api.getFlow(s.flow.tn, s.flow.version).then(
            (v) => !gone && setVersion(v),
            () => {},
          );
        // What comes next, from the call's own stream, after the last event the snapshot had.
        if (!s.ended) {
          stream = new EventStream({
            path: `/v1/calls/${encodeURIComponent(id)}/events`,
            token: api.token,
            since: s.events.at(-1)?.seq ?? 0,
            onEvents: (more) => {
              if (gone) return;
              setEvents((had) => {
                const last = had.at(-1)?.seq ?? 0;
                return [...had, ...more.filter((e) => e.seq > last)];
              });
            },
          });
        }
      },
      (err: Error) => !gone && setError(err),
    );
    return () => {
      gone = true;
      stream?.close();
    };
  }, [api, id, reload]);

  const graph = useMemo(() => {
    const doc = version ? parseXml(version.xml).document : null;
    return doc ? graphOf(doc.root) : null;
  }, [version]);

  const state = events.findLast((e) => e.type === "call_state")?.payload?.["state"];
  const over = state === "hangup" || state === "destroyed" || !!snap?.ended;
  const trail: CallTrail | null = useMemo(
    () => (version && graph ? trailOf(version, graph, id, events) : null),
    [version, graph, id, events],
  );
  const path = useMemo(() => {
    if (!graph || !trail) return EMPTY_PATH;
    return followSteps(graph, trail.steps, over ? { endOfFlow: trail.endOfFlow } : null);
  }, [graph, trail, over]);
  const lines = useMemo(() => timelineOf(events), [events]);
  // The graph scrolls to the current node; for a call that ended, to the deepest branch it took.
  const shownId = useMemo(() => {
    if (path.currentId || !graph || !trail) return path.currentId;
    const byOffset = nodesByOffset(graph);
    const ids = trail.steps.flatMap((s) => (s.offset === null ? [] : [byOffset.get(s.offset)?.id ?? ""])).filter(Boolean);
    return ids.findLast((id) => id.includes("_")) ?? ids.at(-1) ?? null;
  }, [path, graph, trail]);

  if (error)
    return (
      <main id="main" class="page">
        <h1>Call {id}</h1>
        <ErrorState error={error} retry={() => setReload((n) => n + 1)}>
          {error instanceof ApiError && error.status === 404 && (
            <p class="muted">A call's log is kept until a while after it ends; a call that never needed state has none.</p>
          )}
        </ErrorState>
      </main>
    );
  if (!snap)
    return (
      <main id="main" class="page">
        <Loading what={`call ${id}`} />
      </main>
    );

  const entity = snap.call as Record<string, unknown>;
  const from = String(entity["from"] ?? "");
  const to = String(entity["to"] ?? "");
  return (
    <main id="main" class="page call-page">
      <div class="page-head">
        <h1>
          Call <code>{id}</code>
        </h1>
        <span class={`state-pill state-${String(state ?? snap.state)}`}>{String(state ?? snap.state)}</span>
      </div>
      <dl class="call-facts">
        <dt>Number</dt>
        <dd>{to ? formatTn(to) : "—"}</dd>
        <dt>Caller</dt>
        <dd>{from || "—"}</dd>
        <dt>Flow version</dt>
        <dd>
          {snap.flow ? (
            <>
              <a href={flowPath(snap.flow.tn)} onClick={onLinkClick}>
                {formatTn(snap.flow.tn)}
              </a>{" "}
              <code title={snap.flow.version}>{shortVersion(snap.flow.version)}</code> ({snap.flow.mode})
            </>
          ) : (
            "none pinned"
          )}
        </dd>
        {snap.parked && !over && (
          <>
            <dt>Parked</dt>
            <dd>
              {snap.parked.deadlineAt
                ? `commands due by ${new Date(snap.parked.deadlineAt).toLocaleTimeString([], { hour12: false })}`
                : "waiting for commands"}
              {snap.parked.pendingDeliveries ? `, ${snap.parked.pendingDeliveries} pending` : ""}
            </dd>
          </>
        )}
        {snap.ended && (
          <>
            <dt>Ended</dt>
            <dd>{snap.ended.reason}</dd>
          </>
        )}
      </dl>
      <div class="call-columns">
        <section aria-labelledby="timeline-h" class="timeline-col">
          <h2 id="timeline-h">Timeline</h2>
          <ol class="timeline">
            {lines.map((l) => (
              <li
                key={l.seq}
                class={`tl tl-${l.kind}${l.ok ? "" : " tl-failed"}${trail?.offsets.get(l.seq) === path.currentOffset && !over ? " tl-current" : ""}`}
              >
                <span class="tl-seq">#{l.seq}</span>
                <time dateTime={l.at}>{l.at ? new Date(l.at).toLocaleTimeString([], { hour12: false }) : ""}</time>
                <span class="tl-kind">{l.kind}</span>
                <span class="tl-text">{l.text}</span>
              </li>
            ))}
          </ol>
          {snap.parked && !over && <CommandBox id={id} />}
        </section>
        <section aria-labelledby="path-h" class="path-col">
          <h2 id="path-h">Its way through the flow</h2>
          {trail?.problem && <p class="muted">The path can't be drawn: {trail.problem}.</p>}
          {!version && snap.flow && <Loading what="the pinned version" />}
          {graph && (
            <div class="call-graph">
              <GraphBoundary resetKey={graph}>
                <GraphView graph={graph} stale={false} activeId={shownId} problems={NO_PROBLEMS} marks={path.marks} onSelect={() => {}} />
              </GraphBoundary>
            </div>
          )}
        </section>
      </div>
    </main>
  );
}

/** A command fragment for a parked call (`POST /v1/calls/{call}/commands`). */
function CommandBox({ id }: { id: string }) {
  const api = useApi();
  const [xml, setXml] = useState("<Say>Thanks for waiting.</Say>");
  const [sending, setSending] = useState(false);
  const [answer, setAnswer] = useState<CommandAnswer | null>(null);
  const area = useRef<HTMLTextAreaElement>(null);

  const send = async () => {
    setSending(true);
    setAnswer(null);
    try {
      const r = await api.json<{ delivered: number; pending: number; warnings?: unknown[]; errors?: unknown[]; deliveries?: number }>(
        `/v1/calls/${encodeURIComponent(id)}/commands`,
        { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ xml }) },
      );
      const lines = [...(r.warnings ?? []), ...(r.errors ?? [])].map((w) => (typeof w === "string" ? w : JSON.stringify(w)));
      setAnswer({ ok: true, text: `Accepted: ${r.delivered} delivered, ${r.pending} pending.`, lines });
    } catch (err) {
      const diags = err instanceof ApiError ? (err.problem.diagnostics ?? []) : [];
      setAnswer({
        ok: false,
        text: errorText(err as Error),
        lines: diags.map((d) => `${d.severity === "error" ? "✖" : "⚠"} ${d.line}:${d.col} ${d.message}`),
      });
    } finally {
      setSending(false);
    }
  };

  return (
    <form
      class="command-box"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <label for="command-xml">Send the parked call a command fragment</label>
      <textarea id="command-xml" ref={area} rows={4} spellcheck={false} value={xml} onInput={(e) => setXml(e.currentTarget.value)} />
      <button type="submit" class="btn btn-primary" disabled={sending || !xml.trim()}>
        {sending ? "Sending…" : "Send"}
      </button>
      {answer && (
        <div class={`state ${answer.ok ? "state-ok" : "state-error"}`} role={answer.ok ? "status" : "alert"}>
          <p>{answer.text}</p>
          {answer.lines.length > 0 && (
            <ul class="diagnostics">
              {answer.lines.map((l) => (
                <li key={l}>{l}</li>
              ))}
            </ul>
          )}
        </div>
      )}
    </form>
  );
}
