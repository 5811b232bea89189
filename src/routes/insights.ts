/**
 * `GET /v1/flows/{tn}/insights?version=&from=&to=` (developer-facing, `flows:read` for the TN): where the
 * number's callers went and where they hung up, for one version of its flow over a time range —
 * counted by the number's insights object (src/insights), laid over the version's elements.
 */
import { Hono } from "hono";
import * as z from "../zod.ts";
import { CATCH_ALL, flowKeyFor, getFlow, resolveVersion } from "../flows/store.ts";
import { type AccessEnv, requireScope } from "../http/access.ts";
import { ProblemError } from "../http/problem.ts";
import { HOUR_MS } from "../insights/book.ts";
import { problemRef, type Paths } from "../http/openapi.ts";

export const insightsRoutes = new Hono<AccessEnv>();

const DEFAULT_RANGE_MS = 24 * HOUR_MS;
const MAX_RANGE_MS = 92 * 24 * HOUR_MS;

const isoTime = z.optional(z.iso.datetime({ offset: true, message: "expected an ISO 8601 time, e.g. 2026-11-30T00:00:00Z" }));
const Query = z.looseObject({
  version: z.optional(
    z.string().check(z.regex(/^[0-9a-f]{4,64}$/, { message: "a version hash (or a unique prefix of at least 4 hex digits)" })),
  ),
  from: isoTime,
  to: isoTime,
});

insightsRoutes.get("/v1/flows/:tn/insights", requireScope("flows:read", { tn: "tn" }), async (c) => {
  const raw = c.req.param("tn");
  const key = flowKeyFor(raw);
  if (!key) throw new ProblemError(400, "Bad TN", `"${raw}" is not a telephone number: use E.164 digits, e.g. 18005550100.`, { tn: raw });
  if (key === CATCH_ALL)
    throw new ProblemError(
      400,
      "Insights are per number",
      "Calls the catch-all answers are counted under the number that was dialled: ask for that number's insights.",
    );
  const parsed = Query.safeParse(c.req.query());
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => ({ path: i.path.map(String).join(".") || "(root)", message: i.message }));
    throw new ProblemError(400, "Invalid request", errors.map((e) => `${e.path}: ${e.message}`).join("; "), { errors });
  }
  const q = parsed.data;
  const to = q.to ? Date.parse(q.to) : Date.now();
  const from = q.from ? Date.parse(q.from) : to - DEFAULT_RANGE_MS;
  if (from >= to) throw new ProblemError(400, "Invalid range", "`from` must be before `to`.");
  if (to - from > MAX_RANGE_MS) throw new ProblemError(400, "Invalid range", "A range is at most 92 days (counters are kept that long).");
  // A number without a flow of its own is answered by the catch-all: its version is the default.
  const current = (await getFlow(c.env, key)) ?? (await getFlow(c.env, CATCH_ALL));
  let version: string;
  if (q.version) {
    const match = await resolveVersion(c.env, key, q.version);
    if (match.status !== "found")
      throw match.status === "unknown-version"
        ? new ProblemError(404, "Version not found", `${match.detail}.`)
        : new ProblemError(409, "Ambiguous version", `${match.detail}.`);
    version = match.version;
  } else if (current) version = current.pointer.version;
  else
    throw new ProblemError(404, "Flow not found", `${key} has no flow and there is no catch-all; give ?version= to see one it had.`, {
      tn: key,
    });
  const answer = await c.env.INSIGHTS.getByName(key).insights({
    version,
    fromHour: Math.floor(from / HOUR_MS),
    toHour: Math.ceil(to / HOUR_MS),
  });
  const rollout = current?.pointer.rollout ?? null;
  return c.json({ tn: key, current: current?.pointer.version ?? null, rollout, ...answer });
});

// ---- OpenAPI (src/routes/openapi.ts assembles the document) ------------------------------------

export const insightsPaths: Paths = {
  "/v1/flows/{tn}/insights": {
    parameters: [
      {
        name: "tn",
        in: "path",
        required: true,
        description: "The dialled number, in any usual spelling (E.164 digits, +1 800 555 0100).",
        schema: { type: "string" },
      },
    ],
    get: {
      summary:
        "Where the number's callers went and where they hung up: calls, the funnel per node, fallback and error rates, per-hour buckets",
      description:
        "Counts of one version of the number's flow (default: the current one) over [from, to) in whole hours (default: the last 24 hours). `nodes` lists every element of the version in document order with its node id, tag, line and column, how many calls entered it, how they left it (a Gather's branches by the branch's node id, ok/error, matched/not-matched) and how many hung up there; Gathers add attempts, silences, wrong keys and the median time to decide. `hours` has one bucket per hour with calls. See docs/insights.md.",
      parameters: [
        {
          name: "version",
          in: "query",
          description: "a version from the number's history (hash or unique prefix)",
          schema: { type: "string" },
        },
        {
          name: "from",
          in: "query",
          description: "ISO 8601 start (default: 24 hours before `to`)",
          schema: { type: "string", format: "date-time" },
        },
        { name: "to", in: "query", description: "ISO 8601 end (default: now)", schema: { type: "string", format: "date-time" } },
      ],
      responses: {
        "200": {
          description:
            "{ tn, current, rollout (the canary rollout on the number's pointer, or null), version, from, to, calls, paths, fallbacks, fallbackRate, errors, errorRate, quick, quickRate, meanDurationMs, ended, nodes[], hours[], versions[] }",
          content: { "application/json": { schema: { type: "object" } } },
        },
        "400": problemRef,
        "404": problemRef,
        "409": problemRef,
      },
    },
  },
};
