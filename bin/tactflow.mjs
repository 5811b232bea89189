#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
// The `tactflow` command. The CLI is TypeScript run by Node's type stripping (Node ≥ 22.18);
// npm puts the project's Node 24 (the `node` devDependency) first on PATH for `npx tactflow`.
import "../cli/main.ts";
