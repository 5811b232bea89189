/**
 * zod for everything the Worker bundles: `zod/mini` (functions instead of methods, so a bundle
 * carries only the validators it uses, not classic zod's whole method surface and its JSON Schema
 * generator), with classic zod's English messages. Import it as `import * as z from "../zod.ts"`,
 * never `zod` or `zod/mini` directly (biome.json enforces it): zod/mini has no locale of its own,
 * and without this module loaded every problem document would say only "Invalid input".
 * cli/ and scripts/ run in Node and may use classic zod; they share the same global
 * configuration, so a schema from src/ reads the same there.
 */
import { config, NEVER } from "zod/mini";
import type { ParsePayload } from "zod/v4/core";
import en from "zod/v4/locales/en.js";

config(en());

export * from "zod/mini";

/**
 * Refuses the value inside a `z.transform` with `message` (classic zod's `ctx.addIssue`, which
 * zod/mini's transforms lack): `return z.refuse(ctx, "…")`.
 */
export function refuse(ctx: ParsePayload, message: string): never {
  ctx.issues.push({ code: "custom", message, input: ctx.value });
  return NEVER;
}
