/**
 * The flow page: the XML in the editor with live diagnostics, the graph drawn from it, and the
 * side panels (settings, preview, versions). The draft — text and settings — lives here until
 * it is published; the published version is what the server last answered.
 *
 * Side panels are listed in {@link TABS}; part two of the console adds its phone there, and
 * uses {@link GraphView}'s `marks` and the editor's `markElement` to follow a call.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError, type FieldError, type FlowSettings, type FlowVersion } from "../api.ts";
import type { CursorInfo, EditorDiagnostic, EditorHandle } from "../editor/editor.ts";
import { checkDraft, lineStarts, offsetAt, plural, type Checked } from "../flow/check.ts";
import { EditorPane } from "../flow/EditorPane.tsx";
import { PreviewPanel } from "../flow/PreviewPanel.tsx";
import { SettingsPanel, settingsErrors } from "../flow/SettingsPanel.tsx";
import { VersionsPanel } from "../flow/VersionsPanel.tsx";
import { absoluteTime, digitsOf, formatTn, relativeTime, shortVersion } from "../format.ts";
import { GraphBoundary, GraphView, graphOf } from "../graph/GraphView.tsx";
import { InsightsPanel } from "../insights/InsightsPanel.tsx";
import { useFlowInsights } from "../insights/useFlowInsights.ts";
import type { FlowGraph, GraphNode } from "../graph/model.ts";
import { LazyPhone } from "../phone/LazyPhone.tsx";
import type { CallPath } from "../phone/follow.ts";
import { flowPath, navigate, onLinkClick } from "../router.ts";
import { useAsync } from "../ui/async.ts";
import { useApi } from "../ui/context.ts";
import { Dialog } from "../ui/Dialog.tsx";
import { ErrorState, errorText, Loading } from "../ui/states.tsx";
import {
  DEFAULT_SETTINGS,
  mergeDiagnostics,
  NEW_FLOW,
  NO_DIAGNOSTICS,
  NO_PROBLEMS,
  sameSettings,
  settingsOf,
  TABS,
  tabAfterKey,
  type Tab,
} from "../flow/draft.ts";

export function FlowPage({ tn }: { tn: string | null }) {
  const api = useApi();
  const loaded = useAsync<FlowVersion | null>(async () => {
    if (!tn) return null;
    try {
      return await api.getFlow(tn);
    } catch (err) {
      // A number without a flow opens as a new draft for it.
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  }, [api, tn]);

  if (loaded.status === "loading") {
    return (
      <main id="main" class="page">
        <Loading what={tn ? `the flow of ${formatTn(tn)}` : "the editor"} />
      </main>
    );
  }
  if (loaded.status === "error") {
    return (
      <main id="main" class="page">
        <h1>{tn ? formatTn(tn) : "New flow"}</h1>
        <ErrorState error={loaded.error} retry={loaded.reload} />
      </main>
    );
  }
  return <FlowEditor tn={tn} initial={loaded.data} />;
}

function FlowEditor({ tn, initial }: { tn: string | null; initial: FlowVersion | null }) {
  const api = useApi();
  const [published, setPublished] = useState<FlowVersion | null>(initial);
  const [revision, setRevision] = useState(0);
  const [text, setText] = useState(initial?.xml ?? NEW_FLOW);
  const [settings, setSettings] = useState<FlowSettings>(initial ? settingsOf(initial) : DEFAULT_SETTINGS);
  const [newTn, setNewTn] = useState(tn ?? "");
  const [tab, setTab] = useState<Tab>("graph");
  const phoneOpened = useRef(false);
  if (tab === "phone") phoneOpened.current = true;
  const [checked, setChecked] = useState<Checked>(() => checkDraft(text, settings));
  // The graph and the problems marked on it follow the check after a pause in typing.
  const [drawn, setDrawn] = useState<{ checked: Checked; graph: FlowGraph | null }>(() => ({
    checked,
    graph: checked.document ? graphOf(checked.document.root) : null,
  }));
  const [server, setServer] = useState<{ text: string; diagnostics: EditorDiagnostic[] } | null>(null);
  const [fieldErrors, setFieldErrors] = useState<FieldError[]>([]);
  const [message, setMessage] = useState<{ kind: "ok" | "error" | "info"; text: string } | null>(null);
  const [busy, setBusy] = useState<"publish" | "delete" | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [activeId, setActiveId] = useState<string | null>(null);
  const [callMarks, setCallMarks] = useState<ReadonlyMap<string, string> | undefined>(undefined);
  const editor = useRef<EditorHandle | null>(null);
  // A phone call moving through the flow: its command marked in the editor, its path on the graph.
  const onCallPath = useCallback((path: CallPath) => {
    editor.current?.markElement(path.currentOffset);
    setCallMarks(path.marks.size ? path.marks : undefined);
  }, []);
  const selectOffset = useCallback((offset: number) => editor.current?.selectElement(offset, false), []);

  // Diagnostics follow the text at once: the check runs in the next task (a burst of input is one
  // check) and goes straight to the editor, without waiting for this component to render.
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  const serverRef = useRef(server);
  serverRef.current = server;
  const runCheck = useCallback((t: string, s: FlowSettings) => {
    if (pending.current) clearTimeout(pending.current);
    pending.current = setTimeout(() => {
      pending.current = null;
      const c = checkDraft(t, s);
      const fromServer = serverRef.current?.text === t ? serverRef.current.diagnostics : NO_DIAGNOSTICS;
      editor.current?.setDiagnostics(mergeDiagnostics(c, fromServer));
      setChecked(c);
    }, 0);
  }, []);
  useEffect(
    () => () => {
      if (pending.current) clearTimeout(pending.current);
    },
    [],
  );
  const onText = useCallback(
    (t: string) => {
      setText(t);
      runCheck(t, settingsRef.current);
    },
    [runCheck],
  );
  const settingsRef = useRef(settings);
  settingsRef.current = settings;
  useEffect(() => {
    if (checked.settings !== settings) runCheck(text, settings);
  }, [settings]);
  useEffect(() => {
    if (drawn.checked === checked) return;
    const t = setTimeout(() => {
      setDrawn((d) => ({ checked, graph: checked.document ? graphOf(checked.document.root) : d.graph }));
    }, 120);
    return () => clearTimeout(t);
  }, [checked]);

  const graph = drawn.graph;

  const serverDiags = server && server.text === text ? server.diagnostics : NO_DIAGNOSTICS;
  const diagnostics = useMemo(() => mergeDiagnostics(checked, serverDiags), [checked, serverDiags]);

  /** Severity per graph node: each finding belongs to the last node that starts before it. */
  const problems = useMemo(() => {
    const c = drawn.checked;
    if (!graph || !c.document || !c.diagnostics.length) return NO_PROBLEMS;
    const out = new Map<string, "error" | "warning">();
    const starts = lineStarts(c.text);
    const nodes = graph.nodes.filter((n) => n.shape !== "start" && n.shape !== "end").sort((x, y) => x.offset - y.offset);
    for (const d of c.diagnostics) {
      const at = offsetAt(starts, d.line, d.col);
      let hit: GraphNode | undefined;
      for (const n of nodes) if (n.offset <= at) hit = n;
      if (hit && out.get(hit.id) !== "error") out.set(hit.id, d.severity);
    }
    return out;
  }, [graph, drawn.checked]);

  const onCursor = useCallback(
    (c: CursorInfo) => {
      if (!graph) return;
      const byOffset = new Map(graph.nodes.filter((n) => n.shape !== "start" && n.shape !== "end").map((n) => [n.offset, n.id]));
      setActiveId(c.elements.map((o) => byOffset.get(o)).find((id) => id !== undefined) ?? null);
    },
    [graph],
  );

  const onSelectNode = useCallback((n: GraphNode) => {
    setActiveId(n.id);
    if (n.shape === "start" || n.shape === "end") return;
    editor.current?.selectElement(n.offset, false);
  }, []);

  const insights = useFlowInsights(tn, published?.version ?? null, graph, !!published && text === published.xml);
  const onInsightNode = (id: string) => {
    const n = graph?.byId.get(id);
    if (n) onSelectNode(n);
  };

  const dirty = published ? text !== published.xml || !sameSettings(settings, settingsOf(published)) : true;
  useEffect(() => {
    if (!dirty || !published) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    addEventListener("beforeunload", warn);
    return () => removeEventListener("beforeunload", warn);
  }, [dirty, published]);

  const target = tn ?? newTn.trim();
  const publish = async () => {
    if (!target) {
      setMessage({ kind: "error", text: "Enter the number this flow answers for." });
      return;
    }
    setBusy("publish");
    setMessage({ kind: "info", text: "Publishing…" });
    setFieldErrors([]);
    const sent = text;
    try {
      const r = await api.publish(target, sent, settings);
      setServer(null);
      const fresh = await api.getFlow(r.tn);
      setPublished(fresh);
      setRevision((n) => n + 1);
      const warnings = r.warnings?.length ? ` with ${plural(r.warnings.length, "warning")}` : "";
      setMessage({ kind: "ok", text: `Published version ${shortVersion(r.version)}${warnings}.` });
      if (!tn) navigate(flowPath(r.tn), { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.status === 422 && err.problem.diagnostics) {
        setServer({ text: sent, diagnostics: err.problem.diagnostics.map((d) => ({ ...d, source: "server" as const })) });
        setMessage({ kind: "error", text: `The server refused the flow: ${err.problem.detail ?? err.problem.title}` });
      } else if (err instanceof ApiError && err.status === 400 && err.problem.errors) {
        setFieldErrors(err.problem.errors);
        setTab("settings");
        setMessage({ kind: "error", text: `The server refused the settings: ${err.problem.detail ?? err.problem.title}` });
      } else setMessage({ kind: "error", text: errorText(err as Error) });
    } finally {
      setBusy(null);
    }
  };

  const remove = async () => {
    if (!tn) return;
    setBusy("delete");
    try {
      await api.deleteFlow(tn);
      navigate("/");
    } catch (err) {
      setMessage({ kind: "error", text: errorText(err as Error) });
      setBusy(null);
      setConfirmDelete(false);
    }
  };

  const onRolledBack = (v: FlowVersion) => {
    setPublished(v);
    setText(v.xml);
    editor.current?.setText(v.xml);
    setSettings(settingsOf(v));
    setServer(null);
    setRevision((n) => n + 1);
    setMessage({ kind: "ok", text: `Rolled back: the number serves version ${shortVersion(v.version)}.` });
  };

  const localSettingErrors = settingsErrors(settings).size;
  const title = tn ? formatTn(tn) : "New flow";
  const onTabKey = (e: KeyboardEvent) => {
    const next = tabAfterKey(tab, e.key);
    if (!next) return;
    e.preventDefault();
    setTab(next);
    requestAnimationFrame(() => document.getElementById(`tab-${next}`)?.focus());
  };

  return (
    <main id="main" class="flow-page">
      <div class="flow-head">
        <div class="flow-title">
          <a href="/" onClick={onLinkClick} class="back" aria-label="Back to the numbers">
            ←
          </a>
          <h1>{title}</h1>
          {!tn && (
            <input
              class="tn-input"
              aria-label="Number"
              placeholder="Number, e.g. +1 800 555 0100"
              value={newTn}
              onInput={(e) => setNewTn(e.currentTarget.value)}
              inputMode="tel"
            />
          )}
          {published ? (
            <span class="flow-meta">
              <span class={`badge badge-${published.mode}`}>{published.mode}</span>
              <span>
                published <code title={published.version}>{shortVersion(published.version)}</code>
              </span>
              {published.updatedAt && (
                <time dateTime={published.updatedAt} title={absoluteTime(published.updatedAt)} class="muted">
                  {relativeTime(published.updatedAt)}
                </time>
              )}
              {tn && tn !== "*" && (
                <a href={`/numbers/${encodeURIComponent(tn)}/calls`} onClick={onLinkClick}>
                  Calls
                </a>
              )}
            </span>
          ) : (
            <span class="badge">not published</span>
          )}
        </div>
        <div class="flow-actions">
          <span class="draft-state muted">{dirty ? (published ? "Unpublished changes" : "Draft") : "Up to date"}</span>
          <button
            type="button"
            class="btn btn-primary"
            onClick={publish}
            disabled={busy !== null || (!tn && !digitsOf(newTn) && newTn.trim() !== "*")}
          >
            {busy === "publish" ? "Publishing…" : "Publish"}
          </button>
          {tn && published && (
            <button type="button" class="btn btn-danger" onClick={() => setConfirmDelete(true)} disabled={busy !== null}>
              Delete…
            </button>
          )}
        </div>
      </div>
      <p class={`flow-message ${message ? `msg-${message.kind}` : ""}`} role={message?.kind === "error" ? "alert" : "status"}>
        {message?.text ??
          (checked.errors
            ? `${plural(checked.errors, "error")} in the draft: the server will refuse it until they are fixed.`
            : localSettingErrors
              ? "A setting needs fixing (see Settings)."
              : "")}
      </p>
      <div class="flow-body">
        <EditorPane
          text={text}
          label={`Flow XML for ${title}`}
          diagnostics={diagnostics}
          counts={{
            errors:
              checked.errors +
              serverDiags.filter(
                (d) => d.severity === "error" && !checked.diagnostics.some((c) => c.line === d.line && c.message === d.message),
              ).length,
            warnings: checked.warnings,
          }}
          onChange={onText}
          onCursor={onCursor}
          handle={editor}
        />
        <section class="side" aria-label="Flow tools">
          <div class="tabs" role="tablist" aria-label="Flow tools" onKeyDown={onTabKey}>
            {TABS.map((t) => (
              <button
                key={t.id}
                id={`tab-${t.id}`}
                type="button"
                role="tab"
                aria-selected={tab === t.id}
                aria-controls={`panel-${t.id}`}
                tabIndex={tab === t.id ? 0 : -1}
                onClick={() => setTab(t.id)}
              >
                {t.label}
                {t.id === "settings" && (fieldErrors.length > 0 || localSettingErrors > 0) && (
                  <>
                    <span class="dot" />
                    <span class="visually-hidden"> (has errors)</span>
                  </>
                )}
              </button>
            ))}
          </div>
          <div id="panel-graph" role="tabpanel" aria-labelledby="tab-graph" class="panel panel-graph" hidden={tab !== "graph"}>
            <GraphBoundary resetKey={graph}>
              <GraphView
                graph={graph}
                stale={!drawn.checked.document && !!graph}
                activeId={activeId}
                problems={problems}
                marks={callMarks}
                badges={insights.badges}
                onSelect={onSelectNode}
              />
            </GraphBoundary>
          </div>
          <div id="panel-phone" role="tabpanel" aria-labelledby="tab-phone" class="panel panel-phone" hidden={tab !== "phone"}>
            {/* Once opened the phone stays mounted, so a call goes on while another tab is shown. */}
            {(tab === "phone" || phoneOpened.current) && (
              <LazyPhone
                tn={tn}
                published={published}
                dirty={dirty}
                text={text}
                settings={settings}
                document={checked.document}
                graph={graph}
                problems={problems}
                onPath={onCallPath}
                onSelect={selectOffset}
              />
            )}
          </div>
          <div id="panel-settings" role="tabpanel" aria-labelledby="tab-settings" class="panel" hidden={tab !== "settings"}>
            {tab === "settings" && <SettingsPanel settings={settings} onChange={setSettings} serverErrors={fieldErrors} />}
          </div>
          <div id="panel-preview" role="tabpanel" aria-labelledby="tab-preview" class="panel" hidden={tab !== "preview"}>
            {tab === "preview" && (
              <PreviewPanel tn={tn} published={!!published} document={checked.document} draftErrors={checked.errors} settings={settings} />
            )}
          </div>
          <div id="panel-versions" role="tabpanel" aria-labelledby="tab-versions" class="panel" hidden={tab !== "versions"}>
            {tab === "versions" &&
              (tn && published ? (
                <VersionsPanel tn={tn} revision={revision} dirty={dirty} onRolledBack={onRolledBack} />
              ) : (
                <p class="muted">Versions appear once the flow is published.</p>
              ))}
          </div>
          <div id="panel-insights" role="tabpanel" aria-labelledby="tab-insights" class="panel" hidden={tab !== "insights"}>
            {tab === "insights" && (
              <InsightsPanel insights={insights} published={!!tn && !!published} catchAll={tn === "*"} onSelect={onInsightNode} />
            )}
          </div>
        </section>
      </div>
      {confirmDelete && tn && (
        <Dialog title={`Delete the flow of ${title}?`} onClose={() => setConfirmDelete(false)}>
          <p>
            Calls to {title} will get the catch-all flow (<code>*</code>) or, without one, the fallback document. The number's version
            history is deleted with it.
          </p>
          <div class="dialog-actions">
            <button type="button" class="btn" onClick={() => setConfirmDelete(false)}>
              Cancel
            </button>
            <button type="button" class="btn btn-danger-solid" onClick={remove} disabled={busy !== null}>
              {busy === "delete" ? "Deleting…" : "Delete flow"}
            </button>
          </div>
        </Dialog>
      )}
    </main>
  );
}
