/**
 * Commands for a parked call: an Opentact XML fragment, checked and cut into deliveries.
 *
 * A backend sends either a whole `<Response>` or bare commands (`<Say>…</Say><Hangup/>`). Each
 * top-level `<Pause length>` becomes a gap between deliveries: the object holds the next
 * commands back with its alarm instead of asking the platform to sit in a pause, so the call
 * stays controllable meanwhile (docs/architecture.md §3). Nothing after a top-level
 * `<Hangup/>` can run, so it is cut off and reported.
 */
import { checkFlow, elementChildren, serializeElement, createElement, type Diagnostic, type ElementNode } from "../xml/index.ts";

export interface Delivery {
  /** Wait this long after the previous delivery (the Pauses before these commands), ms. */
  gapMs: number;
  /** A `<Response>` holding the commands, serialised. */
  xml: string;
  /** The commands' tag names, in order, for events. */
  names: string[];
  /** `tag` attributes of the commands, by position (undefined when absent). */
  tags: Array<string | undefined>;
}

export type CommandPlan =
  | { ok: true; deliveries: Delivery[]; hangup: boolean; dropped: string[]; warnings: Diagnostic[]; totalGapMs: number }
  | { ok: false; diagnostics: Diagnostic[] };

/** Largest fragment accepted, in characters. */
export const MAX_COMMAND_CHARS = 64 * 1024;

/**
 * Parse and validate a fragment; line numbers in diagnostics are the caller's own, even when
 * the fragment had to be wrapped in `<Response>` to be read.
 */
export function planCommands(fragment: string): CommandPlan {
  const text = fragment.replace(/^\uFEFF/, "").trim();
  if (!text)
    return {
      ok: false,
      diagnostics: [
        {
          severity: "error",
          code: "missing-requirement",
          message: "no commands: send an Opentact XML fragment such as <Say>Hello</Say> or a whole <Response>",
          line: 1,
          col: 1,
        },
      ],
    };
  const bare = !/^(<\?xml[^>]*\?>\s*)?(<!--[\s\S]*?-->\s*)*<Response[\s>/]/i.test(text);
  // Wrapping on lines of their own keeps every column right and shifts lines by exactly one.
  const source = bare ? `<Response>\n${text}\n</Response>` : text;
  const checked = checkFlow(source);
  const shift = (d: Diagnostic): Diagnostic => (bare ? { ...d, line: Math.max(1, d.line - 1) } : d);
  if (!checked.ok || !checked.document) return { ok: false, diagnostics: checked.diagnostics.map(shift) };
  const commands = elementChildren(checked.document.root);
  if (!commands.length)
    return {
      ok: false,
      diagnostics: [{ severity: "error", code: "missing-requirement", message: "<Response> holds no commands", line: 1, col: 1 }],
    };
  const deliveries: Delivery[] = [];
  const dropped: string[] = [];
  let batch: ElementNode[] = [];
  let gap = 0;
  let pendingGap = 0;
  let hangup = false;
  let totalGapMs = 0;
  const flush = () => {
    if (!batch.length) return;
    deliveries.push({
      gapMs: gap,
      xml: serializeElement(createElement("Response", [], batch), { indent: "" }),
      names: batch.map((c) => c.name),
      tags: batch.map((c) => ("tag" in c.props && typeof c.props.tag === "string" ? c.props.tag : undefined)),
    });
    batch = [];
  };
  for (const cmd of commands) {
    if (hangup) {
      dropped.push(cmd.name);
      continue;
    }
    if (cmd.kind === "Pause" && !cmd.props.stopKeys) {
      // A Pause the caller can end early (dtmf_stop) has to run on the platform; others are ours.
      flush();
      pendingGap += cmd.props.lengthMs;
      continue;
    }
    if (!batch.length) {
      gap = pendingGap;
      totalGapMs += pendingGap;
      pendingGap = 0;
    }
    batch.push(cmd);
    if (cmd.kind === "Hangup") hangup = true;
  }
  flush();
  const warnings = checked.diagnostics.filter((d) => d.severity === "warning").map(shift);
  if (!deliveries.length)
    return {
      ok: false,
      diagnostics: [
        { severity: "error", code: "missing-requirement", message: "only <Pause> commands: nothing to deliver", line: 1, col: 1 },
      ],
    };
  return { ok: true, deliveries, hangup, dropped, warnings, totalGapMs };
}
