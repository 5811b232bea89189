/**
 * The flow page's pure parts: the text a new flow starts from, default settings, the settings a
 * published version carries, how the server's and the browser's diagnostics merge, and the side
 * panels' tabs with their arrow-key order (console/src/pages/FlowPage.tsx renders them).
 */
import type { FlowSettings, FlowVersion } from "../api.ts";
import type { EditorDiagnostic } from "../editor/editor.ts";
import type { Checked } from "./check.ts";

export const NEW_FLOW = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Say>Thank you for calling.</Say>
  <Hangup/>
</Response>
`;

export const DEFAULT_SETTINGS: FlowSettings = { mode: "sync", timezone: "UTC", description: "", variables: {}, conditions: "evaluate" };

export type Tab = "graph" | "phone" | "settings" | "preview" | "versions" | "insights";
export const TABS: { id: Tab; label: string }[] = [
  { id: "graph", label: "Graph" },
  { id: "settings", label: "Settings" },
  { id: "preview", label: "Preview" },
  { id: "versions", label: "Versions" },
  { id: "phone", label: "Phone" },
  { id: "insights", label: "Insights" },
];

export function settingsOf(v: FlowVersion): FlowSettings {
  return {
    mode: v.mode,
    timezone: v.timezone,
    description: v.description,
    variables: v.variables,
    conditions: v.conditions,
    ...(v.parkTimeoutMs !== undefined ? { parkTimeoutMs: v.parkTimeoutMs } : {}),
  };
}

export const NO_DIAGNOSTICS: EditorDiagnostic[] = [];
export const NO_PROBLEMS: ReadonlyMap<string, "error" | "warning"> = new Map();

/** The server's findings on the text it refused, then the browser's own that it did not repeat. */
export function mergeDiagnostics(checked: Checked, fromServer: readonly EditorDiagnostic[]): EditorDiagnostic[] {
  if (!fromServer.length) return checked.diagnostics.map((d) => ({ ...d, source: "browser" as const }));
  const key = (d: { line: number; col: number; message: string }) => `${d.line}:${d.col}:${d.message}`;
  const seen = new Set(fromServer.map(key));
  return [...fromServer, ...checked.diagnostics.filter((d) => !seen.has(key(d))).map((d) => ({ ...d, source: "browser" as const }))];
}

export const sameSettings = (a: FlowSettings, b: FlowSettings) => JSON.stringify(a) === JSON.stringify({ ...b });

/** The tab an arrow key moves to from `tab` (wrapping round), or null for any other key. */
export function tabAfterKey(tab: Tab, key: string): Tab | null {
  const i = TABS.findIndex((t) => t.id === tab);
  const next = key === "ArrowRight" ? (i + 1) % TABS.length : key === "ArrowLeft" ? (i + TABS.length - 1) % TABS.length : -1;
  return next < 0 ? null : TABS[next]!.id;
}
