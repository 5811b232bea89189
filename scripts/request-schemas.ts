/**
 * `npm run schemas` writes src/contract/request-schemas.json: the JSON Schema of every request
 * body the OpenAPI document describes, from the zod schemas the routes validate with, so the
 * document can't drift from them and the Worker needs no JSON Schema generator at run time.
 * `npm run schemas -- --check` (in npm test) fails when the file is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as z from "zod";
import { CommandsJsonBodySchema, CreateKeyBodySchema, PhoneTokenBodySchema } from "../src/contract/bodies.ts";
import { PreviewBodySchema, PublishBodySchema, RollbackBodySchema } from "../src/flows/meta.ts";

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "contract", "request-schemas.json");
const json = (schema: z.core.$ZodType) => z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
const schemas = {
  PublishBody: json(PublishBodySchema),
  RollbackBody: json(RollbackBodySchema),
  PreviewBody: json(PreviewBodySchema),
  CommandsJsonBody: json(CommandsJsonBodySchema),
  CreateKeyBody: json(CreateKeyBodySchema),
  PhoneTokenBody: json(PhoneTokenBodySchema),
};
const text = `${JSON.stringify(schemas, null, 2)}\n`;
if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(out, "utf8");
  } catch {
    // missing: stale
  }
  if (current !== text) {
    process.stderr.write("src/contract/request-schemas.json is stale: run npm run schemas\n");
    process.exit(1);
  }
} else {
  writeFileSync(out, text);
  process.stdout.write(`wrote ${out}\n`);
}
