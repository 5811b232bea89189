/**
 * Screenshots for docs/: the suite takes them every run, so they always show the console as it
 * is. A file is rewritten only when its pixels changed size or bytes, so an unchanged console
 * leaves the tree clean.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { ROOT } from "../e2e/harness.ts";

/** `style`: CSS for the picture only, e.g. to hide what differs from run to run (the server's clock). */
export async function screenshot(page: Page, name: string, style?: string): Promise<void> {
  const png = await page.screenshot({ animations: "disabled", caret: "hide", scale: "css", ...(style ? { style } : {}) });
  mkdirSync(join(ROOT, "docs"), { recursive: true });
  const file = join(ROOT, "docs", name);
  if (existsSync(file) && readFileSync(file).equals(png)) return;
  writeFileSync(file, png);
}
