/**
 * Flow settings: mode, park timeout, time zone, conditions, description, variables. They are
 * part of the draft and published with the XML. Fields are checked as the API checks them
 * (variable names with the template's own NAME_RE, time zones with Intl); whatever the server
 * still refuses is shown by the field it names.
 */
import { useMemo } from "preact/hooks";
import { NAME_RE } from "../../../src/template/index.ts";
import type { FieldError, FlowSettings } from "../api.ts";

export interface SettingsPanelProps {
  settings: FlowSettings;
  onChange: (next: FlowSettings) => void;
  /** Errors from the server's last refusal (400), by field path. */
  serverErrors: readonly FieldError[];
}

function validZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return tz.trim().length > 0;
  } catch {
    return false;
  }
}

/** The browser's own findings, as field path → message (the API's rules). */
export function settingsErrors(s: FlowSettings): Map<string, string> {
  const out = new Map<string, string>();
  if (!validZone(s.timezone)) out.set("timezone", "expected an IANA time zone, e.g. America/New_York");
  if (s.parkTimeoutMs !== undefined && (!Number.isInteger(s.parkTimeoutMs) || s.parkTimeoutMs < 1000 || s.parkTimeoutMs > 600_000))
    out.set("parkTimeoutMs", "a whole number of milliseconds from 1000 to 600000");
  if (s.description.length > 1000) out.set("description", "at most 1000 characters");
  const names = Object.keys(s.variables);
  if (names.length > 100) out.set("variables", "at most 100 variables");
  for (const name of names) {
    if (!NAME_RE.test(name)) out.set(`variables.${name}`, "letters, digits, _ and -, starting with a letter or _");
    else if ((s.variables[name] ?? "").length > 4096) out.set(`variables.${name}`, "a value is at most 4096 characters");
  }
  return out;
}

let zones: string[] | null = null;
function zoneList(): string[] {
  zones ??= typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return zones;
}

export function SettingsPanel({ settings, onChange, serverErrors }: SettingsPanelProps) {
  const local = useMemo(() => settingsErrors(settings), [settings]);
  const errorFor = (path: string) => local.get(path) ?? serverErrors.find((e) => e.path === path)?.message;
  const set = (patch: Partial<FlowSettings>) => onChange({ ...settings, ...patch });
  const vars = Object.entries(settings.variables);
  const renameVar = (i: number, name: string) => {
    const next = vars.map(([k, v], j) => (j === i ? [name, v] : [k, v]) as [string, string]);
    set({ variables: Object.fromEntries(next) });
  };
  const setVar = (i: number, value: string) => set({ variables: Object.fromEntries(vars.map(([k, v], j) => [k, j === i ? value : v])) });
  const removeVar = (i: number) => set({ variables: Object.fromEntries(vars.filter((_, j) => j !== i)) });
  const addVar = () => {
    let n = vars.length + 1;
    while (`name${n}` in settings.variables) n++;
    set({ variables: { ...settings.variables, [`name${n}`]: "" } });
  };
  const field = (id: string, path: string) => {
    const err = errorFor(path);
    return { id, "aria-invalid": err ? ("true" as const) : undefined, "aria-describedby": err ? `${id}-error` : undefined };
  };
  const Err = ({ id, path }: { id: string; path: string }) => {
    const err = errorFor(path);
    return err ? (
      <p id={`${id}-error`} class="field-error">
        {err}
      </p>
    ) : null;
  };
  const otherServerErrors = serverErrors.filter(
    (e) => !["mode", "timezone", "parkTimeoutMs", "description", "conditions"].includes(e.path) && !e.path.startsWith("variables."),
  );

  return (
    <form class="settings" onSubmit={(e) => e.preventDefault()} aria-label="Flow settings">
      <fieldset class="field">
        <legend>Mode</legend>
        <label class="choice">
          <input
            type="radio"
            name="mode"
            value="sync"
            checked={settings.mode === "sync"}
            onChange={() => set({ mode: "sync", parkTimeoutMs: undefined })}
          />
          sync <span class="hint">the webhook answers the rendered flow</span>
        </label>
        <label class="choice">
          <input type="radio" name="mode" value="async" checked={settings.mode === "async"} onChange={() => set({ mode: "async" })} />
          async <span class="hint">the call is parked and waits for commands</span>
        </label>
      </fieldset>
      {settings.mode === "async" && (
        <div class="field">
          <label for="park">
            Park timeout (ms) <span class="hint">empty: the deployment's default</span>
          </label>
          <input
            {...field("park", "parkTimeoutMs")}
            type="number"
            min={1000}
            max={600000}
            step={1000}
            value={settings.parkTimeoutMs ?? ""}
            onInput={(e) => {
              const v = e.currentTarget.value;
              set({ parkTimeoutMs: v === "" ? undefined : Number(v) });
            }}
          />
          <Err id="park" path="parkTimeoutMs" />
        </div>
      )}
      <div class="field">
        <label for="tz">
          Time zone <span class="hint">for &lt;Schedule&gt; without tz</span>
        </label>
        <input
          {...field("tz", "timezone")}
          list="tz-list"
          value={settings.timezone}
          onInput={(e) => set({ timezone: e.currentTarget.value })}
          autocomplete="off"
        />
        <datalist id="tz-list">
          {zoneList().map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
        <Err id="tz" path="timezone" />
      </div>
      <div class="field">
        <label for="conditions">Conditions</label>
        <select
          {...field("conditions", "conditions")}
          value={settings.conditions}
          onChange={(e) => set({ conditions: e.currentTarget.value === "platform" ? "platform" : "evaluate" })}
        >
          <option value="evaluate">evaluate — tactflow decides &lt;Schedule&gt;, &lt;Geo&gt;, &lt;Call&gt; when rendering</option>
          <option value="platform">platform — pass them to the platform unevaluated</option>
        </select>
      </div>
      <div class="field">
        <label for="description">Description</label>
        <textarea
          {...field("description", "description")}
          rows={2}
          maxLength={1000}
          value={settings.description}
          onInput={(e) => set({ description: e.currentTarget.value })}
        />
        <Err id="description" path="description" />
      </div>
      <fieldset class="field">
        <legend>
          Variables <span class="hint">{"{{vars.NAME}}"} in the flow</span>
        </legend>
        {vars.length === 0 && <p class="muted">No variables.</p>}
        {vars.map(([name, value], i) => (
          <div class="var-row" key={i}>
            <input
              {...field(`var-name-${i}`, `variables.${name}`)}
              aria-label={`Variable ${i + 1} name`}
              value={name}
              onInput={(e) => renameVar(i, e.currentTarget.value)}
            />
            <input aria-label={`Variable ${i + 1} value`} value={value} onInput={(e) => setVar(i, e.currentTarget.value)} />
            <button type="button" class="btn btn-small btn-quiet" onClick={() => removeVar(i)} aria-label={`Remove variable ${name}`}>
              ✕
            </button>
            <Err id={`var-name-${i}`} path={`variables.${name}`} />
          </div>
        ))}
        <button type="button" class="btn btn-small" onClick={addVar}>
          Add variable
        </button>
        <Err id="vars" path="variables" />
      </fieldset>
      {otherServerErrors.length > 0 && (
        <div class="field-error" role="alert">
          {otherServerErrors.map((e) => (
            <p key={e.path}>
              {e.path}: {e.message}
            </p>
          ))}
        </div>
      )}
    </form>
  );
}
