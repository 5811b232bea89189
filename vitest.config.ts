import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// The wrangler config serves dist/console as static assets and wrangler refuses a missing
// directory; the worker tests don't need the console built, only the folder to exist.
mkdirSync(join(import.meta.dirname, "dist", "console"), { recursive: true });

// Four projects: pure modules in Node, the Worker in workerd, end-to-end runs against
// `wrangler dev` driven by the platform simulator, and the web console in headless Chromium.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
          // Several files start the CLI as a child process (about half a second each when the
          // machine is idle); on a busy 2-core machine a start can take several seconds.
          testTimeout: 20_000,
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.jsonc" },
            // Test-only secrets; WEBHOOK_TOKEN stays unset so platform routes are open unless a test sets it.
            miniflare: {
              bindings: {
                ADMIN_TOKEN: "test-admin-token",
                EVENTS_TOKEN: "test-events-token",
                // Explicitly empty: `npm start` writes a WEBHOOK_TOKEN to .dev.vars, which the
                // plugin would otherwise load, so tests would pass or fail by machine.
                WEBHOOK_TOKEN: "",
                // A development server: routes whose secret is unset run open (WEBHOOK_TOKEN above), as
                // the tests of the routes themselves expect; test/worker/fail-closed.test.ts drops it.
                INSECURE_DEV_MODE: "1",
                // Likewise a deployer's PUBLIC_URL in wrangler.jsonc: the tests use the request's origin.
                PUBLIC_URL: "",
                // the Call Control API is a stand-in Worker that records what it is sent.
                PLATFORM_API_URL: "http://platform.test/api",
                PLATFORM_API_TOKEN: "test-platform-token",
                // The webhook's render notes go to the number's insights right after each answer, not
                // after a second's batching, so a test's calls are counted before it reads them.
                INSIGHTS_FLUSH_MS: "0",
                // Outbound requests are signed in every test (src/http/signatures.ts).
                WEBHOOK_SIGNING_SECRET: "whsec_dGFjdGZsb3ctdGVzdC1zaWduaW5nLXNlY3JldC0zMmI=",
              },
              outboundService: "platform-mock",
              workers: [
                {
                  name: "platform-mock",
                  modules: true,
                  scriptPath: "./test/worker/fixtures/platform-mock.mjs",
                  compatibilityDate: "2026-11-01",
                },
              ],
            },
          }),
        ],
        test: {
          name: "worker",
          include: ["test/worker/**/*.test.ts"],
          // Property tests send hundreds of requests; on a busy 2-core machine 5 s is too tight.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          // One `wrangler dev` shared by every e2e file (test/e2e/harness.ts).
          globalSetup: ["test/e2e/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "browser",
          // A page follows the server through its event streams (the hub forwards a busy call's
          // events once a second), so waiting for what a page shows gets more than the 1 s default.
          expect: { poll: { timeout: 15_000 } },
          include: ["test/browser/**/*.test.ts"],
          environment: "node",
          // One `wrangler dev` serving the built console (npm test builds it first) and Chromium
          // from the Debian package; the setup says how to get either when it is missing.
          globalSetup: ["test/browser/global-setup.ts"],
          // After the other projects: Chromium and a second wrangler on 2 cores would starve
          // their timing-sensitive tests.
          sequence: { groupOrder: 1 },
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
