/**
 * `tactflow`: validate and publish flows, place simulated calls, tail call events.
 * Each command lives in its own module and registers itself on the program.
 */
import { Command } from "commander";
import { registerCall } from "./call.ts";
import { registerDeploy } from "./deploy.ts";
import { registerKeys } from "./keys.ts";
import { registerFlows } from "./flows.ts";
import { registerInsights } from "./insights.ts";
import { registerSimulate } from "./simulate.ts";
import { registerTail } from "./tail.ts";
import { registerTest } from "./test.ts";
import { registerValidate } from "./validate.ts";

const program = new Command();
program
  .name("tactflow")
  .description("Call flows for the Opentact voice platform: validate, publish, simulate and watch calls.")
  .version("0.1.0")
  .showHelpAfterError("(run with --help for usage)")
  // Program options go before the command; after it, an option is the command's own — so
  // `flows get TN --version V` and `insights TN --version V` name a flow version, not ours.
  .enablePositionalOptions()
  // Global connection options, before the command: `tactflow --url https://… --token … flows list`.
  .option("--url <url>", "the tactflow server for any command (sets $TACTFLOW_URL)")
  .option("--token <token>", "the token for any command: admin, webhook or events, whichever it needs")
  .hook("preAction", (self) => {
    const { url, token } = self.opts<{ url?: string; token?: string }>();
    if (url) process.env.TACTFLOW_URL = url;
    if (token) for (const kind of ["ADMIN_TOKEN", "WEBHOOK_TOKEN", "EVENTS_TOKEN"]) process.env[`TACTFLOW_${kind}`] = token;
  })
  // Usage errors exit 2, matching `validate`'s contract (0 ok, 1 findings, 2 usage or I/O).
  .exitOverride((err) => {
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") process.exit(0);
    process.exit(2);
  });

registerValidate(program);
registerFlows(program);
registerTest(program);
registerCall(program);
registerTail(program);
registerInsights(program);
registerSimulate(program);
registerDeploy(program);
registerKeys(program);

await program.parseAsync(process.argv);
