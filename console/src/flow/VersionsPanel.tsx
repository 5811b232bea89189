/**
 * A number's versions, newest first: compare any two side by side, roll back to one.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import type { FlowVersion, HistoryEntry } from "../api.ts";
import { absoluteTime, formatBytes, relativeTime, shortVersion } from "../format.ts";
import { useAsync } from "../ui/async.ts";
import { useApi } from "../ui/context.ts";
import { Dialog } from "../ui/Dialog.tsx";
import { ErrorState, errorText, Loading } from "../ui/states.tsx";
import { diffLines } from "./diff.ts";

export interface VersionsPanelProps {
  tn: string;
  /** Changes when the published version changes (publish, rollback), to reload the list. */
  revision: number;
  /** Whether the editor holds unpublished changes (a rollback replaces them). */
  dirty: boolean;
  onRolledBack: (v: FlowVersion) => void;
}

export function VersionsPanel({ tn, revision, dirty, onRolledBack }: VersionsPanelProps) {
  const api = useApi();
  const list = useAsync(() => api.versions(tn), [api, tn, revision]);
  // Distinct versions: the history lists a version again when it is published or rolled back to again.
  const entries = list.data?.versions ?? [];
  const [a, setA] = useState<string | null>(null);
  const [b, setB] = useState<string | null>(null);
  const [comparing, setComparing] = useState<[string, string] | null>(null);
  const [rollingBack, setRollingBack] = useState<HistoryEntry | null>(null);

  useEffect(() => {
    if (!entries.length) return;
    const distinct = [...new Set(entries.map((e) => e.version))];
    setB(distinct[0] ?? null);
    setA(distinct[1] ?? distinct[0] ?? null);
  }, [list.data]);

  if (list.status === "loading" && !list.data) return <Loading what="versions" />;
  if (list.status === "error") return <ErrorState error={list.error} retry={list.reload} />;

  return (
    <div class="versions">
      <div class="versions-tools">
        <button type="button" class="btn" disabled={!a || !b || a === b} onClick={() => a && b && setComparing([a, b])}>
          Compare A ↔ B
        </button>
        <span class="muted">Pick two versions as A and B.</span>
      </div>
      <table class="versions-table">
        <thead>
          <tr>
            <th scope="col">A</th>
            <th scope="col">B</th>
            <th scope="col">Version</th>
            <th scope="col">Change</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => {
            const label = shortVersion(e.version);
            return (
              <tr key={`${e.version}-${e.at}`} class={e.current ? "is-current" : undefined}>
                <td>
                  <input type="radio" name="cmp-a" aria-label={`A: ${label}`} checked={a === e.version} onChange={() => setA(e.version)} />
                </td>
                <td>
                  <input type="radio" name="cmp-b" aria-label={`B: ${label}`} checked={b === e.version} onChange={() => setB(e.version)} />
                </td>
                <td>
                  <code title={e.version}>{label}</code> {e.current && <span class="badge badge-sync">current</span>}
                </td>
                <td>
                  {e.action === "rollback" ? "rolled back" : "published"}{" "}
                  <time dateTime={e.at} title={absoluteTime(e.at)}>
                    {relativeTime(e.at)}
                  </time>
                  <span class="muted"> · {formatBytes(e.size)}</span>
                </td>
                <td>
                  {e.version !== list.data?.current && (
                    <button type="button" class="btn btn-small" onClick={() => setRollingBack(e)} aria-label={`Roll back to ${label}`}>
                      Roll back
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {comparing && <DiffDialog tn={tn} versions={comparing} onClose={() => setComparing(null)} />}
      {rollingBack && (
        <RollbackDialog
          tn={tn}
          entry={rollingBack}
          dirty={dirty}
          onClose={() => setRollingBack(null)}
          onDone={(v) => {
            setRollingBack(null);
            onRolledBack(v);
          }}
        />
      )}
    </div>
  );
}

function RollbackDialog({
  tn,
  entry,
  dirty,
  onClose,
  onDone,
}: {
  tn: string;
  entry: HistoryEntry;
  dirty: boolean;
  onClose: () => void;
  onDone: (v: FlowVersion) => void;
}) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const go = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.rollback(tn, entry.version);
      onDone(await api.getFlow(tn));
    } catch (err) {
      setError(errorText(err as Error));
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Roll back to ${shortVersion(entry.version)}?`} onClose={onClose}>
      <p>
        Calls to this number get version <code>{shortVersion(entry.version)}</code> again (within about a minute at the edge).
        {dirty && " The unpublished changes in the editor are replaced by that version."}
      </p>
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
      <div class="dialog-actions">
        <button type="button" class="btn" onClick={onClose}>
          Cancel
        </button>
        <button type="button" class="btn btn-primary" onClick={go} disabled={busy}>
          {busy ? "Rolling back…" : "Roll back"}
        </button>
      </div>
    </Dialog>
  );
}

const SETTING_KEYS = ["mode", "timezone", "conditions", "parkTimeoutMs", "description", "variables"] as const;

function DiffDialog({ tn, versions, onClose }: { tn: string; versions: [string, string]; onClose: () => void }) {
  const api = useApi();
  const pair = useAsync(() => Promise.all([api.getFlow(tn, versions[0]), api.getFlow(tn, versions[1])]), [api, tn, versions]);
  const rows = useMemo(() => (pair.data ? diffLines(pair.data[0].xml, pair.data[1].xml) : []), [pair.data]);
  const settings = useMemo(() => {
    if (!pair.data) return [];
    const [x, y] = pair.data;
    return SETTING_KEYS.map((k) => [k, JSON.stringify(x[k] ?? null), JSON.stringify(y[k] ?? null)] as const).filter(([, l, r]) => l !== r);
  }, [pair.data]);
  const changed = rows.filter((r) => r.type !== "same").length;
  return (
    <Dialog title={`Compare ${shortVersion(versions[0])} (A) with ${shortVersion(versions[1])} (B)`} onClose={onClose} wide>
      {pair.status === "loading" && <Loading what="both versions" />}
      {pair.status === "error" && <ErrorState error={pair.error} retry={pair.reload} />}
      {pair.data && (
        <>
          <p class="muted" role="status">
            {changed === 0 ? "The XML is the same." : `${changed} line${changed === 1 ? "" : "s"} differ.`}
            {settings.length ? ` Settings differ: ${settings.map(([k]) => k).join(", ")}.` : ""}
          </p>
          {settings.length > 0 && (
            <table class="settings-diff">
              <tbody>
                {settings.map(([k, l, r]) => (
                  <tr key={k}>
                    <th scope="row">{k}</th>
                    <td class="del">{l}</td>
                    <td class="add">{r}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <div class="diff-wrap">
            <table class="diff" aria-label="Side-by-side diff">
              <colgroup>
                <col class="ln-col" />
                <col />
                <col class="ln-col" />
                <col />
              </colgroup>
              <thead>
                <tr>
                  <th scope="col" colSpan={2}>
                    A · {shortVersion(versions[0])}
                  </th>
                  <th scope="col" colSpan={2}>
                    B · {shortVersion(versions[1])}
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r, i) => (
                  <tr key={i} class={`diff-${r.type}`}>
                    <td class="ln">{r.left?.n ?? ""}</td>
                    <td class={r.left && r.type !== "same" ? "code del" : "code"}>
                      {r.left && r.type !== "same" && <span class="visually-hidden">removed: </span>}
                      {r.left?.text ?? ""}
                    </td>
                    <td class="ln">{r.right?.n ?? ""}</td>
                    <td class={r.right && r.type !== "same" ? "code add" : "code"}>
                      {r.right && r.type !== "same" && <span class="visually-hidden">added: </span>}
                      {r.right?.text ?? ""}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </Dialog>
  );
}
