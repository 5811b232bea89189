/**
 * What a request that fails validation is told, word for word, as the deployed Worker says it:
 * each problem document's `errors` item names the field and the reason in plain English (the
 * Worker validates with zod/mini, which has no messages of its own; src/zod.ts gives it zod's
 * English ones).
 */
import { describe, it } from "vitest";
import { SIMPLE, api, freshTn, publish } from "./helpers/flows.ts";

interface Problem {
  detail?: string;
  errors?: Array<{ path: string; message: string }>;
}

async function problem(res: Response): Promise<Problem & { status: number }> {
  return { status: res.status, ...((await res.json()) as Problem) };
}

describe("validation messages", () => {
  it("a publish body: every field's reason, in the order of the fields, then the unknown key", async ({ expect }) => {
    const p = await problem(
      await publish(freshTn(), SIMPLE, {
        mode: "later",
        parkTimeoutMs: 1.5,
        description: "x".repeat(1001),
        variables: { ok: "1" },
        extra: 1,
      }),
    );
    expect(p.status).toBe(400);
    expect(p.errors).toEqual([
      { path: "mode", message: 'Invalid option: expected one of "sync"|"async"' },
      { path: "description", message: "Too big: expected string to have <=1000 characters" },
      { path: "parkTimeoutMs", message: "Invalid input: expected int, received number" },
      { path: "(root)", message: 'Unrecognized key: "extra"' },
    ]);
  });

  it("a raw-XML publish's query string", async ({ expect }) => {
    const res = await api(`/v1/flows/${freshTn()}?parkTimeoutMs=12`, {
      method: "PUT",
      headers: { "content-type": "application/xml" },
      body: SIMPLE,
    });
    const p = await problem(res);
    expect(p.status).toBe(400);
    expect(p.detail).toBe("The query string is not valid: parkTimeoutMs: Too small: expected number to be >=1000");
    expect(p.errors).toEqual([{ path: "parkTimeoutMs", message: "Too small: expected number to be >=1000" }]);
  });

  it("a new API key's name and grants", async ({ expect }) => {
    const res = await api("/v1/keys", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: " ", grants: [] }),
    });
    const p = await problem(res);
    expect(p.status).toBe(400);
    expect(p.errors).toEqual([
      { path: "name", message: "Too small: expected string to have >=1 characters" },
      { path: "grants", message: "Too small: expected array to have >=1 items" },
    ]);
  });
});
