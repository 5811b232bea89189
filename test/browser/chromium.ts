/**
 * The browser the console tests drive: Chromium from the Debian `chromium` package (installed by
 * .ci/run when missing), through playwright-core, headless with a fresh profile each launch.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

/** Where Chromium is; `CHROMIUM_PATH` overrides the Debian location. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

export function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM_PATH)) return null;
  return [
    `The console's browser tests need Chromium, and there is none at ${CHROMIUM_PATH}.`,
    "Install Debian's package (what CI does):  sudo apt-get update && sudo apt-get install -y chromium",
    "or point CHROMIUM_PATH at a Chromium or Chrome binary. The other test projects run without it:",
    "npx vitest run --project unit --project worker --project e2e",
  ].join("\n");
}

/** Headless Chromium as the tests and the console benchmark run it (no network beyond 127.0.0.1 is needed). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export const DESKTOP = { width: 1280, height: 720 } as const;
/** A common phone viewport (CSS pixels). */
export const PHONE = { width: 390, height: 844 } as const;

/** A context already signed in: the token is in this tab's sessionStorage before the page loads. */
export async function signedIn(
  browser: Browser,
  base: string,
  token: string,
  viewport: { width: number; height: number } = DESKTOP,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, baseURL: base, reducedMotion: "reduce" });
  await context.addInitScript((t) => sessionStorage.setItem("tactflow.token", t), token);
  const page = await context.newPage();
  return { context, page };
}
