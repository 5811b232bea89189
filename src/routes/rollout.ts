/**
 * Canary rollouts of a number's flow (docs/insights.md):
 *
 * - `PUT /v1/flows/{tn}` with `canary` (src/routes/flows.ts hands the started canary to
 *   {@link answerCanary}): the current version stays stable, a share of callers gets the new one;
 * - `GET /v1/flows/{tn}/rollout`: the rollout and each side's health from the number's insights;
 * - `POST /v1/flows/{tn}/promote`, `POST /v1/flows/{tn}/abort`.
 *
 * Each step is one pointer write (src/flows/rollouts.ts), told to the number's insights object,
 * put on the account's event stream and in the audit log.
 */
import { type Context, Hono } from "hono";
import { recordAudit } from "../access/record.ts";
import type { Rollout } from "../flows/canary.ts";
import type { StoredVersion } from "../flows/kv.ts";
import { type CanaryResult, type EndHow, endRollout } from "../flows/rollouts.ts";
import { flowKeyFor, getFlow } from "../flows/store.ts";
import { type AccessEnv, principalOf, requireScope } from "../http/access.ts";
import { ProblemError } from "../http/problem.ts";
import { publishRolloutEvent } from "../insights/publishRollout.ts";
import type { RolloutAction } from "../insights/rolloutEvent.ts";
import { describeError, log } from "../log.ts";
import { problemRef, type Paths } from "../http/openapi.ts";
import type { Diagnostic } from "../xml/index.ts";

export const rolloutRoutes = new Hono<AccessEnv>();

function keyOf(c: Context<AccessEnv>): string {
  const raw = c.req.param("tn") ?? "";
  const key = flowKeyFor(raw);
  if (!key) throw new ProblemError(400, "Bad TN", `"${raw}" is not a telephone number: use E.164 digits, e.g. 18005550100.`, { tn: raw });
  return key;
}

/** Tell the number's insights, the event stream and the audit log; none of them can undo the step. */
async function announce(c: Context<AccessEnv>, tn: string, r: Rollout, action: RolloutAction): Promise<void> {
  try {
    await c.env.INSIGHTS.getByName(tn).rollout(r);
  } catch (err) {
    // The object learns of the rollout from the webhook's notes too (src/insights/guard.ts).
    log("error", "insights not told of a rollout step", { tn, rollout: r.id, action, error: describeError(err) });
  }
  await publishRolloutEvent(c.env, tn, r, action);
  const audit = { start: "flow.canary", promote: "flow.promote", abort: "flow.abort", "auto-abort": "flow.auto-abort" } as const;
  await recordAudit(c.env, {
    actor: principalOf(c).id,
    action: audit[action],
    tn,
    // Starting and promoting go from the stable version towards the candidate; aborting goes back.
    before: action === "start" || action === "promote" ? r.stable : r.candidate,
    after: action === "start" || action === "promote" ? r.candidate : r.stable,
    detail: `rollout ${r.id}, ${r.percent} %`,
  });
}

/** The answer to a publish with `canary`, once the store has taken it. */
export async function answerCanary(
  c: Context<AccessEnv>,
  key: string,
  result: Exclude<CanaryResult, { status: "invalid" }>,
): Promise<Response> {
  switch (result.status) {
    case "no-flow":
      throw new ProblemError(409, "Nothing to compare with", `${result.detail}.`, { tn: key });
    case "same-version":
      throw new ProblemError(409, "Already current", `${result.detail}: a canary needs a different version.`, { tn: key });
    case "started":
      break;
    default: {
      const never: never = result;
      throw new Error(`unhandled canary result ${JSON.stringify(never)}`);
    }
  }
  if (key === "*")
    log("warn", "canary on the catch-all: insights count per dialled number, so no automatic rollback", { rollout: result.rollout.id });
  await announce(c, key, result.rollout, "start");
  return c.json({ ...publishedBody(result), rollout: result.rollout }, 201, { location: `/v1/flows/${encodeURIComponent(result.tn)}` });
}

/** What `PUT /v1/flows/{tn}` answers about the version it stored (a canary adds its rollout). */
export function publishedBody(r: { tn: string; version: string; stored: StoredVersion; warnings: Diagnostic[] }) {
  return {
    tn: r.tn,
    version: r.version,
    size: r.stored.size,
    createdAt: r.stored.createdAt,
    mode: r.stored.meta.mode,
    warnings: r.warnings,
  };
}

async function end(c: Context<AccessEnv>, how: Exclude<EndHow, "auto-abort">): Promise<Response> {
  const key = keyOf(c);
  const result = await endRollout(c.env, key, how);
  switch (result.status) {
    case "no-rollout":
      throw new ProblemError(409, "No rollout in progress", `${result.detail}.`, { tn: key });
    case "unknown-version":
      throw new ProblemError(404, "Version not found", `${result.detail}.`, { tn: key });
    case "ended":
      break;
    default: {
      const never: never = result;
      throw new Error(`unhandled rollout result ${JSON.stringify(never)}`);
    }
  }
  await announce(c, key, result.rollout, how);
  return c.json({ tn: key, current: result.current, rollout: result.rollout });
}

rolloutRoutes.post("/v1/flows/:tn/promote", requireScope("flows:write", { tn: "tn" }), (c) => end(c, "promote"));
rolloutRoutes.post("/v1/flows/:tn/abort", requireScope("flows:write", { tn: "tn" }), (c) => end(c, "abort"));

rolloutRoutes.get("/v1/flows/:tn/rollout", requireScope("flows:read", { tn: "tn" }), async (c) => {
  const key = keyOf(c);
  const current = await getFlow(c.env, key);
  const rollout = current?.pointer.rollout;
  if (!current || !rollout) throw new ProblemError(404, "No rollout", `${key} has had no canary since its last publish.`, { tn: key });
  const status = await c.env.INSIGHTS.getByName(key).rolloutStatus(rollout.id);
  return c.json({
    tn: key,
    current: current.pointer.version,
    // The flow store's record wins: it is what calls are answered from.
    rollout,
    health: status?.health ?? null,
    verdict: status?.verdict ?? null,
  });
});

// ---- OpenAPI (src/routes/openapi.ts assembles the document) ------------------------------------

const tnParam = {
  name: "tn",
  in: "path",
  required: true,
  description: "A telephone number in any usual spelling (E.164 digits, +1 800 555 0100).",
  schema: { type: "string" },
};
const ended = {
  description: "{ tn, current, rollout }: the rollout, ended",
  content: {
    "application/json": {
      schema: {
        type: "object",
        required: ["tn", "current", "rollout"],
        properties: { tn: { type: "string" }, current: { type: "string" }, rollout: { $ref: "#/components/schemas/Rollout" } },
      },
    },
  },
};

/** A canary rollout (src/flows/canary.ts, docs/insights.md): `#/components/schemas/Rollout`. */
export const rolloutSchemas = {
  Rollout: {
    type: "object",
    required: ["id", "stable", "candidate", "percent", "startedAt", "state", "minCalls", "maxIncrease"],
    properties: {
      id: { type: "string" },
      stable: { type: "string", description: "The version that kept answering the other callers" },
      candidate: { type: "string", description: "The version a share of callers got" },
      percent: { type: "number", description: "The candidate's share of callers" },
      minCalls: { type: "integer", description: "Calls each side needs before their rates are compared" },
      maxIncrease: { type: "number", description: "How much higher (0–1) a candidate's rate may be before it is rolled back" },
      startedAt: { type: "string", format: "date-time" },
      state: { type: "string", enum: ["active", "promoted", "aborted", "auto-aborted"] },
      endedAt: { type: "string", format: "date-time" },
      reason: { type: "string", description: "Why it ended (an automatic rollback says what was worse)" },
    },
  },
};

export const rolloutPaths: Paths = {
  "/v1/flows/{tn}/rollout": {
    parameters: [tnParam],
    get: {
      summary: "The number's canary rollout, and each side's health from its insights",
      description:
        "health: per side (stable, candidate) the calls started, fallbacks, calls with a path, errors and quick hang-ups since the rollout started; verdict: waiting (too few candidate calls), healthy, or worse (with the reason), and the metrics compared. See docs/insights.md.",
      responses: {
        "200": {
          description: "{ tn, current, rollout, health, verdict }",
          content: {
            "application/json": { schema: { type: "object", properties: { rollout: { $ref: "#/components/schemas/Rollout" } } } },
          },
        },
        "400": problemRef,
        "404": problemRef,
      },
    },
  },
  "/v1/flows/{tn}/promote": {
    parameters: [tnParam],
    post: {
      summary: "End the canary rollout: the candidate answers every call",
      responses: { "200": ended, "400": problemRef, "404": problemRef, "409": problemRef },
    },
  },
  "/v1/flows/{tn}/abort": {
    parameters: [tnParam],
    post: {
      summary: "End the canary rollout: the stable version answers every call again",
      responses: { "200": ended, "400": problemRef, "409": problemRef },
    },
  },
};
