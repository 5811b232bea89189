import type { Command } from "commander";

export function registerValidate(program: Command): void {
  program
    .command("validate")
    .description("check Opentact Call Flow XML files; `-` reads stdin")
    .argument("<files...>", "files to check")
    .action(() => {
      throw new Error("not implemented yet");
    });
}
