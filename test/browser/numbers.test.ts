/** Sign-in and the numbers list, in headless Chromium against `wrangler dev`. */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DESKTOP, launchChromium, PHONE, signedIn } from "./chromium.ts";
import { screenshot } from "./screenshots.ts";

const server = inject("console");
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe("sign-in", () => {
  it("refuses a wrong token with a clear message and shows no data, then accepts the admin token", async () => {
    const context = await browser.newContext({ viewport: DESKTOP, baseURL: server.url });
    const page = await context.newPage();
    await page.goto("/");
    const token = page.getByLabel("API token");
    await token.fill("not-the-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("The server refused this token");
    expect(await page.getByRole("table").count()).toBe(0);

    await token.fill(server.adminToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Numbers" }).waitFor();
    await page.getByRole("link", { name: "+1 800 555 0100" }).waitFor();
    // The token is this tab's only: a new tab of the same browser must sign in again.
    const other = await context.newPage();
    await other.goto("/");
    await other.getByLabel("API token").waitFor();
    await context.close();
  });

  it("a token the server stops accepting sends the person back to sign-in", async () => {
    const { context, page } = await signedIn(browser, server.url, "revoked-token");
    await page.goto("/");
    await page.getByLabel("API token").waitFor();
    expect(await page.getByRole("status").first().textContent()).toContain("no longer accepts this token");
    await context.close();
  });
});

describe("numbers", () => {
  it("lists every demo number with its mode and description, searches by number and opens one", async () => {
    const { context, page } = await signedIn(browser, server.url, server.adminToken);
    // The page's clock just after the seeding, so "just now" reads the same in every run's screenshot.
    const listed = (await (
      await fetch(`${server.url}/v1/flows`, { headers: { authorization: `Bearer ${server.adminToken}` } })
    ).json()) as {
      flows: { tn: string; updatedAt: string }[];
    };
    const demo = listed.flows.filter((f) => ["18005550100", "18005550177", "18005550199"].includes(f.tn));
    await page.clock.setFixedTime(new Date(Math.max(...demo.map((f) => Date.parse(f.updatedAt))) + 5000));
    await page.goto("/");
    const rows = page.locator("table.numbers tbody tr").filter({ hasText: /\+1 800 555 01(00|77|99)/ });
    await expect.poll(() => rows.count()).toBe(3);
    const parked = rows.filter({ hasText: "+1 800 555 0177" });
    expect(await parked.textContent()).toContain("async");
    expect(await parked.textContent()).toContain("Demo parked call");
    await screenshot(page, "console-numbers.png");

    await page.getByLabel("Search by number").fill("555-0199");
    const all = page.locator("table.numbers tbody tr");
    await expect.poll(() => all.count()).toBe(1);
    expect(await all.first().textContent()).toContain("Demo after-hours flow");
    await page.getByLabel("Search by number").fill("");

    await page.getByRole("link", { name: "+1 800 555 0100" }).click();
    await page.waitForURL("**/flows/18005550100");
    await page.getByRole("heading", { name: "+1 800 555 0100" }).waitFor();
    await context.close();
  });

  it("reads on a phone-size screen: every number visible without sideways scrolling", async () => {
    const { context, page } = await signedIn(browser, server.url, server.adminToken, PHONE);
    await page.goto("/");
    await page.getByRole("link", { name: "+1 800 555 0177" }).waitFor();
    const overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth");
    expect(overflow).toBe(0);
    await context.close();
  });
});

describe("serving", () => {
  it("serves the console for its own routes and leaves /v1 to the API", async () => {
    const page = await fetch(`${server.url}/flows/18005550100`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain('<div id="app">');
    const api = await fetch(`${server.url}/v1/no-such-thing`);
    expect(api.status).toBe(404);
    expect(api.headers.get("content-type")).toContain("application/problem+json");
    const health = await fetch(`${server.url}/healthz`);
    expect(await health.json()).toMatchObject({ ok: true });
  });
});
