/**
 * The editor column: loads the CodeMirror chunk on first use, shows the text read-only in the
 * same box meanwhile (no layout jump), and falls back to a plain text box if the chunk fails to
 * load, so a flow can always be edited and published.
 *
 * Once loaded, the editor owns the text: it reports every change, and text from elsewhere (a
 * rollback) goes in through the handle's `setText`, never by re-rendering with a new `text` —
 * a render can carry a text a keystroke or two old.
 */
import type { RefObject } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { CursorInfo, EditorDiagnostic, EditorHandle } from "../editor/editor.ts";
import { plural } from "./check.ts";

export interface EditorPaneProps {
  text: string;
  label: string;
  diagnostics: readonly EditorDiagnostic[];
  counts: { errors: number; warnings: number };
  onChange: (text: string) => void;
  onCursor: (info: CursorInfo) => void;
  handle: RefObject<EditorHandle | null>;
}

export function EditorPane(props: EditorPaneProps) {
  const host = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<"loading" | "ready" | { failed: string }>("loading");
  const [cursor, setCursor] = useState<CursorInfo | null>(null);
  const latest = useRef(props);
  latest.current = props;

  useEffect(() => {
    let handle: EditorHandle | null = null;
    let cancelled = false;
    import("../editor/editor.ts").then(
      (m) => {
        if (cancelled || !host.current) return;
        handle = m.createEditor(host.current, {
          doc: latest.current.text,
          label: latest.current.label,
          onChange: (t) => latest.current.onChange(t),
          onCursor: (c) => {
            setCursor(c);
            latest.current.onCursor(c);
          },
        });
        handle.setDiagnostics(latest.current.diagnostics);
        props.handle.current = handle;
        setState("ready");
      },
      (err: unknown) => {
        if (!cancelled) setState({ failed: (err as Error).message });
      },
    );
    return () => {
      cancelled = true;
      handle?.destroy();
      props.handle.current = null;
    };
  }, [props.handle]);

  useLayoutEffect(() => {
    props.handle.current?.setDiagnostics(props.diagnostics);
  }, [props.diagnostics, props.handle]);

  const { errors, warnings } = props.counts;
  const position = cursor
    ? cursor.selFrom
      ? cursor.selTo > cursor.selFrom
        ? `Lines ${cursor.selFrom}–${cursor.selTo} selected`
        : `Line ${cursor.selFrom} selected`
      : `Line ${cursor.line}, column ${cursor.col}`
    : "";
  const failed = typeof state === "object" ? state.failed : null;

  return (
    <section class="editor-pane" aria-label="Flow XML">
      <div class="editor-box">
        {failed ? (
          <textarea
            class="plain-editor"
            aria-label={props.label}
            spellcheck={false}
            value={props.text}
            onInput={(e) => props.onChange(e.currentTarget.value)}
          />
        ) : (
          <div ref={host} class="cm-host">
            {state === "loading" && (
              <pre class="editor-placeholder" aria-busy="true">
                {props.text}
              </pre>
            )}
          </div>
        )}
      </div>
      <div class="statusbar">
        <span class="diag-count" role="status">
          {errors === 0 && warnings === 0 ? (
            <span class="ok">✔ No problems</span>
          ) : (
            <>
              {errors > 0 && <span class="count-error">✖ {plural(errors, "error")}</span>}
              {warnings > 0 && <span class="count-warning">▲ {plural(warnings, "warning")}</span>}
            </>
          )}
        </span>
        <span class="cursor-pos" aria-live="polite">
          {position}
        </span>
        {failed && <span class="field-error">The editor could not load ({failed}); this is a plain text box.</span>}
        {state === "loading" && <span class="muted">Loading the editor…</span>}
        {state === "ready" && <span class="muted keys-hint">Ctrl-Space completes · Esc then Tab leaves the editor</span>}
      </div>
    </section>
  );
}
