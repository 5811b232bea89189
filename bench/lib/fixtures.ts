/** The fixture documents in bench/fixtures, and the flow variables the render-*.xml ones use. */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The text of `bench/fixtures/<file>`. */
export function fixture(file: string): string {
  return readFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", file), "utf8");
}

/** The `{{vars.*}}` values of render-{small,medium,large}.xml: some need escaping. */
export const RENDER_VARIABLES: Record<string, string> = {
  company: "Smith & Sons <Dental>",
  dept: "billing & claims",
  lang: "en-US",
  dept1: "appointments",
  dept2: "billing & insurance",
  person: "Dr. Rivera <cardiology>",
  desk: "frontdesk",
  domain: "smithsons.sip.opentact.org",
  backup: "15551230001",
};
