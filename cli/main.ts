/**
 * `tactflow`: validate and publish flows, place simulated calls, tail call events.
 * Each command lives in its own module and registers itself on the program.
 */
import { Command } from "commander";
import { registerCall } from "./call.ts";
import { registerDeploy } from "./deploy.ts";
import { registerFlows } from "./flows.ts";
import { registerTail } from "./tail.ts";
import { registerValidate } from "./validate.ts";

const program = new Command();
program
  .name("tactflow")
  .description("Call flows for the Opentact voice platform: validate, publish, simulate and watch calls.")
  .version("0.1.0")
  .showHelpAfterError("(run with --help for usage)")
  // Usage errors exit 2, matching `validate`'s contract (0 ok, 1 findings, 2 usage or I/O).
  .exitOverride((err) => {
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") process.exit(0);
    process.exit(2);
  });

registerValidate(program);
registerFlows(program);
registerCall(program);
registerTail(program);
registerDeploy(program);

await program.parseAsync(process.argv);
