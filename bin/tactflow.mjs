#!/usr/bin/env node
// The `tactflow` command. The CLI is TypeScript run by Node's type stripping (Node ≥ 22.18);
// npm puts the project's Node 24 (the `node` devDependency) first on PATH for `npx tactflow`
// and `npm run`, so a machine's older system Node never runs it by accident — unless the file
// is run directly, which is what this check is for.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `tactflow needs Node 22.18 or newer (this is ${process.version}).\n` +
      "Run it through npm from the project folder — `npx tactflow …` — which uses the project's own Node 24.\n",
  );
  process.exit(2);
}
// Type stripping is stable in Node 24 but still warns on 22; the warning is noise for a CLI.
process.removeAllListeners("warning");
process.on("warning", (w) => {
  if (w.name !== "ExperimentalWarning") process.stderr.write(`${w.name}: ${w.message}\n`);
});
await import("../cli/main.ts");
