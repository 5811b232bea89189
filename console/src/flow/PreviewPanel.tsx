/**
 * Preview: the XML the platform would get for a chosen caller, number and time — from the
 * published version (the server's preview endpoint) or from the draft in the editor, rendered
 * here by the same template compiler the server uses.
 */
import { useState } from "preact/hooks";
import { compileTemplate, RenderError } from "../../../src/template/index.ts";
import type { FlowDocument } from "../../../src/xml/index.ts";
import type { FlowSettings } from "../api.ts";
import { digitsOf } from "../format.ts";
import { useApi } from "../ui/context.ts";
import { errorText } from "../ui/states.tsx";

export interface PreviewPanelProps {
  tn: string | null;
  published: boolean;
  document: FlowDocument | null;
  draftErrors: number;
  settings: FlowSettings;
}

/** `YYYY-MM-DDTHH:MM` in local time, what a datetime-local input holds. */
function localInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The 10-digit North American spelling gets its leading 1, as the server's TN keys do. */
function canonical(digits: string): string {
  return digits.length === 10 ? `1${digits}` : digits;
}

export function PreviewPanel({ tn, published, document: doc, draftErrors, settings }: PreviewPanelProps) {
  const api = useApi();
  const [source, setSource] = useState<"published" | "draft">(published ? "published" : "draft");
  const [from, setFrom] = useState("+12125550123");
  const [to, setTo] = useState(tn && tn !== "*" ? tn : "");
  const [at, setAt] = useState(localInput(new Date()));
  const [digits, setDigits] = useState("");
  const [result, setResult] = useState<{ xml: string; note: string } | { error: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const render = async (e: Event) => {
    e.preventDefault();
    const when = at ? new Date(at) : new Date();
    if (Number.isNaN(when.getTime())) {
      setResult({ error: "The time is not a valid date." });
      return;
    }
    setBusy(true);
    try {
      if (source === "published") {
        if (!tn) throw new Error("Publish the flow first: only a published flow has a server preview.");
        const r = await api.preview(tn, { from, ...(to ? { to } : {}), at: when.toISOString(), ...(digits ? { digits } : {}) });
        setResult({ xml: r.xml, note: `Published version ${r.version.slice(0, 12)} as served for ${r.tn} at ${r.at}` });
      } else {
        if (!doc) throw new Error("The draft does not parse; fix the errors in the editor first.");
        const compiled = compileTemplate(doc.root, { variables: settings.variables, conditions: settings.conditions });
        if (!compiled.ok)
          throw new Error(
            `The draft has ${compiled.diagnostics.filter((d) => d.severity === "error").length} template errors; see the editor.`,
          );
        const number = canonical(digitsOf(to || tn || ""));
        const xml = compiled.render({
          from,
          to,
          tn: number,
          call: "",
          sca: "",
          now: when,
          vars: settings.variables,
          timezone: settings.timezone,
          ...(digits ? { digits } : {}),
        });
        setResult({
          xml,
          note: `Draft rendered in this browser for ${at.replace("T", " ")} local time${draftErrors ? " (the draft has errors the server would refuse)" : ""}`,
        });
      }
    } catch (err) {
      setResult({ error: err instanceof RenderError ? `Render failed: ${err.message}` : errorText(err as Error) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="preview">
      <form class="preview-form" onSubmit={render} aria-label="Preview">
        <fieldset class="field inline">
          <legend>Render</legend>
          <label class="choice">
            <input
              type="radio"
              name="source"
              checked={source === "published"}
              disabled={!published}
              onChange={() => setSource("published")}
            />
            published version
          </label>
          <label class="choice">
            <input type="radio" name="source" checked={source === "draft"} onChange={() => setSource("draft")} />
            draft in the editor
          </label>
        </fieldset>
        <div class="grid-2">
          <div class="field">
            <label for="pv-from">Caller</label>
            <input id="pv-from" value={from} onInput={(e) => setFrom(e.currentTarget.value)} inputMode="tel" />
          </div>
          <div class="field">
            <label for="pv-to">Number dialled</label>
            <input id="pv-to" value={to} onInput={(e) => setTo(e.currentTarget.value)} inputMode="tel" />
          </div>
          <div class="field">
            <label for="pv-at">Time (local)</label>
            <input id="pv-at" type="datetime-local" value={at} onInput={(e) => setAt(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="pv-digits">
              Digits <span class="hint">{"{{digits}}"}</span>
            </label>
            <input id="pv-digits" value={digits} onInput={(e) => setDigits(e.currentTarget.value)} inputMode="numeric" />
          </div>
        </div>
        <button type="submit" class="btn btn-primary" disabled={busy}>
          {busy ? "Rendering…" : "Render preview"}
        </button>
      </form>
      <div aria-live="polite">
        {result && "error" in result && (
          <p class="state state-error" role="alert">
            {result.error}
          </p>
        )}
        {result && "xml" in result && (
          <>
            <p class="muted">{result.note}</p>
            <pre class="xml-out">{result.xml}</pre>
          </>
        )}
      </div>
    </div>
  );
}
