/**
 * API keys (`keys:admin`): `POST /v1/keys` creates one and shows its secret once, `GET /v1/keys`
 * lists them (never a secret), `DELETE /v1/keys/{id}` revokes one. Every change is in the audit
 * log. A scoped key can hand out only what it holds itself, so `keys:admin` alone can't mint a
 * wider key than its holder's.
 */
import { Hono } from "hono";
import { CreateKeyBodySchema } from "../contract/bodies.ts";
import requestSchemas from "../contract/request-schemas.json";
import { ACCESS_NAME } from "../access/AccessStore.ts";
import { formatGrant, type Grant, type Principal, parseGrant } from "../access/scopes.ts";
import { type AccessEnv, principalOf, requireScope } from "../http/access.ts";
import { readTextLimited } from "../http/body.ts";
import type { Paths } from "../http/openapi.ts";
import { ProblemError } from "../http/problem.ts";

export const keys = new Hono<AccessEnv>();

/** Whether `who` may hand out `g`: root may; a key only what one of its own grants covers. */
function mayGrant(who: Principal, g: Grant): boolean {
  if (who.kind === "root") return true;
  return who.grants.some((own) => own.scope === g.scope && (!own.tns || g.tns?.every((p) => own.tns!.includes(p)) === true));
}

keys.post("/v1/keys", requireScope("keys:admin"), async (c) => {
  const text = await readTextLimited(c.req.raw, 16 * 1024);
  if (text === null) throw new ProblemError(413, "Body too large", "a key request is at most 16 KiB");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ProblemError(400, "Invalid JSON", 'send {"name": "…", "grants": ["flows:read", …]}');
  }
  const body = CreateKeyBodySchema.safeParse(raw);
  if (!body.success) {
    const errors = body.error.issues.map((i) => ({ path: i.path.map(String).join(".") || "(root)", message: i.message }));
    throw new ProblemError(400, "Invalid request", `The key request is not valid: ${errors[0]?.path}: ${errors[0]?.message}`, { errors });
  }
  const grants: Grant[] = [];
  const errors: Array<{ path: string; message: string }> = [];
  body.data.grants.forEach((text, i) => {
    const g = parseGrant(text);
    if ("error" in g) errors.push({ path: `grants.${i}`, message: g.error });
    else grants.push(g);
  });
  if (errors.length) throw new ProblemError(400, "Invalid request", `The key request is not valid: ${errors[0]!.message}`, { errors });
  const who = principalOf(c);
  const over = grants.find((g) => !mayGrant(who, g));
  if (over)
    throw new ProblemError(403, "Forbidden", `This API key cannot grant ${formatGrant(over)}: it does not hold it itself.`, {
      scope: over.scope,
    });
  const created = await c.env.ACCESS.getByName(ACCESS_NAME).createKey(body.data.name, grants, who.id);
  c.header("cache-control", "no-store");
  return c.json({ key: created.record, secret: created.secret }, 201);
});

keys.get("/v1/keys", requireScope("keys:admin"), async (c) => {
  return c.json({ keys: await c.env.ACCESS.getByName(ACCESS_NAME).listKeys() });
});

keys.delete("/v1/keys/:id", requireScope("keys:admin"), async (c) => {
  const id = c.req.param("id");
  if (!/^[a-z2-9]{12}$/.test(id)) throw new ProblemError(404, "Unknown key", `"${id.slice(0, 40)}" is not a key id`);
  const record = await c.env.ACCESS.getByName(ACCESS_NAME).revokeKey(id, principalOf(c).id);
  if (!record) throw new ProblemError(404, "Unknown key", `no key ${id}`);
  return c.json({ key: record });
});

// ---- OpenAPI (src/routes/openapi.ts assembles the document) -------------------------------------

const keyRecord = {
  type: "object",
  required: ["id", "name", "grants", "created_at", "created_by", "revoked_at", "last_used_at"],
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    grants: { type: "array", items: { type: "string" }, description: "scope or scope@pattern,pattern" },
    created_at: { type: "string", format: "date-time" },
    created_by: { type: "string", description: "root, or the id of the key that created it" },
    revoked_at: { type: ["string", "null"], format: "date-time" },
    last_used_at: { type: ["string", "null"], format: "date-time" },
  },
};
const jsonBody = (schema: unknown) => ({ "application/json": { schema } });

export const keysPaths: Paths = {
  "/v1/keys": {
    post: {
      summary: "Create an API key; its secret is in this answer and nowhere else, ever",
      requestBody: { required: true, content: jsonBody(requestSchemas.CreateKeyBody) },
      responses: {
        "201": {
          description: "The key and its secret",
          content: jsonBody({ type: "object", required: ["key", "secret"], properties: { key: keyRecord, secret: { type: "string" } } }),
        },
        "400": { description: "A grant is not valid (errors: one item per grant)" },
      },
    },
    get: {
      summary: "Every key, newest first, without secrets",
      responses: {
        "200": {
          description: "The keys",
          content: jsonBody({ type: "object", required: ["keys"], properties: { keys: { type: "array", items: keyRecord } } }),
        },
      },
    },
  },
  "/v1/keys/{id}": {
    parameters: [{ name: "id", in: "path", required: true, description: "The key id", schema: { type: "string" } }],
    delete: {
      summary: "Revoke a key: refused from the next request on",
      responses: {
        "200": { description: "The revoked key", content: jsonBody({ type: "object", required: ["key"], properties: { key: keyRecord } }) },
        "404": { description: "No such key" },
      },
    },
  },
};
