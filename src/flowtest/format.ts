/**
 * The scenario format of `tactflow test` and of the publish gate: a call, what the caller and
 * the outside world do, and what must happen. docs/testing.md describes it for authors.
 *
 * One schema reads both what people write (YAML or JSON, with shorthands: `press: ["1", silence]`,
 * `talk: 45s`, `say: /regex/`) and what tools exchange (the normalised form this module's
 * `TestScenario` type describes, which is itself valid input). A `tactflow call` script in JSON
 * is a scenario; the line format is read by sim/script.ts and lifted with `scenarioFromScript`.
 *
 * Plain TypeScript and zod: the Worker reads the same format when a flow is published with its
 * tests.
 */
import * as z from "zod";
import { KEY_PATTERN, parseDuration } from "../../sim/caller.ts";
import type { ScriptFile } from "../../sim/script.ts";
import type { CallerInput, DialOutcome, EndCause } from "../../sim/types.ts";

/** A text expectation: exact, or `/pattern/flags` (a JavaScript regular expression). */
export type TextMatch = string;

export type Expectation =
  | { say: TextMatch }
  | { play: TextMatch }
  | { dial: { to?: TextMatch; result?: "answered" | "failed" } }
  | { gather: { node?: string; tag?: string; branch?: string; attempt?: number; digits?: string } }
  | { event: { type?: "call_state" | "call_flow"; command?: string; tag?: string; success?: boolean; state?: string } }
  | { end: { cause?: EndCause; tag?: string; beforeMs?: number; afterMs?: number } }
  | { vars: Record<string, TextMatch> }
  | { line: TextMatch };

/** A canned answer of the outside world to a `<Callback>` or a url `<Gather>`. */
export interface Reply {
  /** The document to answer (200 text/xml). */
  xml?: string;
  /** An HTTP status to answer instead (with `body`). */
  status?: number;
  body?: string;
  /** Never answer: the platform waits out the command's timeout. */
  timeout?: boolean;
}

/** One scenario, normalised. Only `name` is required; everything else has a default. */
export interface TestScenario {
  name: string;
  to?: string;
  from?: string;
  /** Virtual start time, ISO 8601. */
  at?: string;
  timezone?: string;
  callId?: string;
  scaId?: string;
  method?: "GET" | "POST";
  location?: { state?: string; county?: string };
  /** Extra fields of the call entity (what `<Call field>` reads). */
  fields?: Record<string, string | number | boolean | null>;
  inputs?: CallerInput[];
  dial?: Record<string, DialOutcome>;
  talkMs?: number;
  hangupAfterMs?: number;
  /** By URL (exact, or a prefix ending in `*`); a list answers successive requests, the last repeating. */
  replies?: Record<string, Reply[]>;
  /** Commands a backend sends a parked call, at virtual times from the start of the call. */
  commands?: Array<{ atMs: number; xml: string }>;
  /** In order: each after the previous one's match. */
  expect?: Expectation[];
  /** Anywhere in the call. */
  somewhere?: Expectation[];
  /** Nowhere in the call. */
  never?: Expectation[];
  /** The golden transcript, when one was recorded (`tactflow test --update`). */
  transcript?: string;
  /** Where the scenario was written, for reports (`file:line`). */
  source?: string;
}

/** Upper bounds, so a published bundle of tests can't make the Worker work without end. */
export const LIMITS = { scenarios: 200, expectations: 200, inputs: 200, replyChars: 64 * 1024, transcriptChars: 256 * 1024 } as const;

const END_CAUSES = [
  "flow-hangup",
  "end-of-flow",
  "caller-hangup",
  "webhook-failed",
  "step-limit",
  "max-duration",
  "platform-hangup",
] as const satisfies readonly EndCause[];

const duration = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx): number => {
  if (typeof v === "number") return v;
  const ms = parseDuration(v);
  if (ms === null) {
    ctx.addIssue({ code: "custom", message: `"${v}" is not a duration; write e.g. 2.5s, 800ms or 2m` });
    return z.NEVER;
  }
  return ms;
});

const keys = z
  .union([z.string(), z.number().int().nonnegative()])
  .transform((v) => String(v).trim().toUpperCase())
  .refine((s) => KEY_PATTERN.test(s), "keys must be 0-9, *, #, + or A-D (or: silence, hangup)");

const input = z
  .union([
    z.literal("silence").transform((): CallerInput => ({ digits: "" })),
    z.literal("hangup").transform((): CallerInput => ({ digits: "", hangup: true })),
    keys.transform((digits): CallerInput => ({ digits })),
    z
      .object({
        press: keys.optional(),
        digits: keys.optional(),
        after: duration.optional(),
        afterMs: duration.optional(),
        hangup: z.boolean().optional(),
      })
      .strict()
      .transform((o): CallerInput => {
        const after = o.afterMs ?? o.after;
        return {
          digits: o.digits ?? o.press ?? "",
          ...(after !== undefined ? { afterMs: after } : {}),
          ...(o.hangup ? { hangup: true } : {}),
        };
      }),
  ])
  .describe("an input: keys such as 1 or 1234#, silence, hangup, or {press, after}");

const text = z.union([z.string(), z.number()]).transform((v) => String(v));

const reply = z
  .union([
    z.literal("timeout").transform((): Reply => ({ timeout: true })),
    z.string().transform((xml): Reply => ({ xml })),
    z
      .object({
        xml: z.string().max(LIMITS.replyChars).optional(),
        status: z.number().int().min(100).max(599).optional(),
        body: z.string().max(LIMITS.replyChars).optional(),
        timeout: z.boolean().optional(),
      })
      .strict(),
  ])
  .refine((r) => r.xml !== undefined || r.status !== undefined || r.timeout, "a reply is XML, {status}, or timeout");

const endCause = z.enum(END_CAUSES);

const expectation = z
  .union([
    z.object({ say: text }).strict(),
    z.object({ play: text }).strict(),
    z
      .object({
        dial: z.union([
          text.transform((to) => ({ to })),
          z.object({ to: text.optional(), result: z.enum(["answered", "failed"]).optional() }).strict(),
        ]),
      })
      .strict(),
    z
      .object({
        gather: z
          .object({
            node: z.string().optional(),
            tag: z.string().optional(),
            branch: text.optional(),
            attempt: z.number().int().positive().optional(),
            digits: text.optional(),
          })
          .strict(),
      })
      .strict(),
    z
      .object({
        event: z
          .object({
            type: z.enum(["call_state", "call_flow"]).optional(),
            command: z.string().optional(),
            tag: z.string().optional(),
            success: z.boolean().optional(),
            state: z.string().optional(),
          })
          .strict(),
      })
      .strict(),
    z
      .object({
        end: z.union([
          endCause.transform((cause) => ({ cause })),
          z
            .object({
              cause: endCause.optional(),
              tag: z.string().optional(),
              before: duration.optional(),
              after: duration.optional(),
              beforeMs: duration.optional(),
              afterMs: duration.optional(),
            })
            .strict()
            .transform(({ before, after, beforeMs, afterMs, ...rest }) => {
              const b = beforeMs ?? before;
              const a = afterMs ?? after;
              return { ...rest, ...(b !== undefined ? { beforeMs: b } : {}), ...(a !== undefined ? { afterMs: a } : {}) };
            }),
        ]),
      })
      .strict(),
    z.object({ vars: z.record(z.string(), text) }).strict(),
    z.object({ line: text }).strict(),
  ])
  .describe("an expectation: say, play, dial, gather, event, end, vars or line");

const location = z.union([
  z.string().transform((s) => {
    const [state, ...county] = s.trim().split(/\s+/);
    return { state: (state ?? "").toUpperCase(), ...(county.length ? { county: county.join(" ") } : {}) };
  }),
  z.object({ state: z.string().optional(), county: z.string().optional() }).strict(),
]);

/** The fields a scenario and a file's defaults share. */
const callFields = {
  to: text.optional(),
  from: text.optional(),
  at: z.union([z.string(), z.date()]).optional(),
  timezone: z.string().optional(),
  callId: z.string().optional(),
  scaId: z.string().optional(),
  method: z.enum(["GET", "POST"]).optional(),
  location: location.optional(),
  fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  dial: z.record(z.string(), z.enum(["answer", "busy", "no-answer"])).optional(),
  talk: duration.optional(),
  talkMs: duration.optional(),
  hangup: duration.optional(),
  hangupAfterMs: duration.optional(),
  replies: z.record(z.string(), z.union([reply, z.array(reply).min(1)])).optional(),
};

const scenarioShape = z
  .object({
    name: z.string().min(1).max(200).optional(),
    ...callFields,
    inputs: z.array(input).max(LIMITS.inputs).optional(),
    press: z.array(input).max(LIMITS.inputs).optional(),
    commands: z
      .array(z.object({ at: duration.optional(), atMs: duration.optional(), xml: z.string().max(LIMITS.replyChars) }).strict())
      .optional(),
    expect: z.array(expectation).max(LIMITS.expectations).optional(),
    somewhere: z.array(expectation).max(LIMITS.expectations).optional(),
    never: z.array(expectation).max(LIMITS.expectations).optional(),
    transcript: z.string().max(LIMITS.transcriptChars).optional(),
    source: z.string().max(1000).optional(),
  })
  .strict();

type RawScenario = z.output<typeof scenarioShape>;

/** A file: one scenario, or `scenarios:` with defaults beside them; `flow:` names the flow under test. */
const fileShape = z
  .object({
    flow: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
    tn: text.optional(),
    ...callFields,
    scenarios: z.array(z.unknown()).max(LIMITS.scenarios),
  })
  .strict();

export class ScenarioError extends Error {}

function describeIssues(error: z.ZodError, where: string): string {
  const issue = error.issues[0]!;
  const path = issue.path.map(String).join(".");
  return `${where}${path ? ` at ${path}` : ""}: ${issue.message}`;
}

function normalise(raw: RawScenario, fallbackName: string): TestScenario {
  const { name, press, inputs, talk, talkMs, hangup, hangupAfterMs, replies, commands, at, ...rest } = raw;
  const out: TestScenario = { name: name ?? fallbackName };
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  if (at !== undefined) {
    const ms = at instanceof Date ? at.getTime() : Date.parse(at);
    if (!Number.isFinite(ms))
      throw new ScenarioError(`scenario "${out.name}": at "${String(at)}" is not a date; use ISO 8601, e.g. 2026-11-23T22:30:00Z`);
    out.at = new Date(ms).toISOString();
  }
  const steps = inputs ?? press;
  if (steps) out.inputs = steps;
  const talkValue = talkMs ?? talk;
  if (talkValue !== undefined) out.talkMs = talkValue;
  const hangupValue = hangupAfterMs ?? hangup;
  if (hangupValue !== undefined) out.hangupAfterMs = hangupValue;
  if (replies) out.replies = Object.fromEntries(Object.entries(replies).map(([url, r]) => [url, Array.isArray(r) ? r : [r]]));
  if (commands) {
    out.commands = commands.map((c, i) => {
      const atMs = c.atMs ?? c.at;
      if (atMs === undefined) throw new ScenarioError(`scenario "${out.name}": commands.${i} needs at, e.g. at: 5s`);
      return { atMs, xml: c.xml };
    });
  }
  return out;
}

/**
 * Read a scenario file's parsed content (a YAML or JSON value): one scenario, or `scenarios:`
 * with shared defaults. `fileName` names scenarios without a name and prefixes errors.
 */
export function readScenarios(value: unknown, fileName = "scenarios"): { scenarios: TestScenario[]; flow?: unknown; tn?: string } {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new ScenarioError(`${fileName}: expected a scenario (a mapping) or a list under scenarios:`);
  const record = value as Record<string, unknown>;
  if (!("scenarios" in record)) {
    const one = scenarioShape.safeParse(record);
    if (!one.success) throw new ScenarioError(describeIssues(one.error, fileName));
    return { scenarios: [normalise(one.data, fileName)] };
  }
  const file = fileShape.safeParse(record);
  if (!file.success) throw new ScenarioError(describeIssues(file.error, fileName));
  const { scenarios, flow, tn, ...defaults } = file.data;
  const seen = new Set<string>();
  const out = scenarios.map((s, i) => {
    const merged = s && typeof s === "object" && !Array.isArray(s) ? { ...stripUndefined(defaults), ...(s as Record<string, unknown>) } : s;
    const parsed = scenarioShape.safeParse(merged);
    if (!parsed.success) throw new ScenarioError(describeIssues(parsed.error, `${fileName}: scenarios.${i}`));
    const scenario = normalise(parsed.data, `scenario ${i + 1}`);
    if (seen.has(scenario.name)) throw new ScenarioError(`${fileName}: two scenarios are named "${scenario.name}"; names must differ`);
    seen.add(scenario.name);
    return scenario;
  });
  return { scenarios: out, ...(flow !== undefined ? { flow } : {}), ...(tn !== undefined ? { tn } : {}) };
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** Scenarios as the publish API receives them (already normalised, or written by hand). */
export const ScenarioListSchema = z.array(z.unknown()).max(LIMITS.scenarios);

/** Validate scenarios that came over the wire; throws ScenarioError naming the first problem. */
export function readScenarioList(list: readonly unknown[]): TestScenario[] {
  return readScenarios({ scenarios: list }, "tests").scenarios;
}

/** A `tactflow call` script (JSON or the line format, already read by sim/script.ts) as a scenario. */
export function scenarioFromScript(script: ScriptFile, name: string): TestScenario {
  const { at, inputs, ...rest } = script;
  const out: TestScenario = { name, ...rest };
  if (at !== undefined) out.at = new Date(at).toISOString();
  if (inputs) out.inputs = inputs;
  return out;
}
