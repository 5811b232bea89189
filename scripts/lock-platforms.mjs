#!/usr/bin/env node
// npm 11 refuses `npm ci` when package-lock.json lacks an entry for an optional platform
// package, and the registry this project installs from has no macOS/Windows builds of
// workerd, so `npm install` cannot record them. This adds the missing entries (marked with
// their os/cpu, so npm skips them on other machines) and is a no-op when nothing is missing.
// Plain JavaScript on purpose: .ci/run calls it with whatever Node the machine has, before install.
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const packages = lock.packages ?? {};
const PLATFORMS = {
  "darwin-64": ["darwin", "x64"],
  "darwin-arm64": ["darwin", "arm64"],
  "windows-64": ["win32", "x64"],
  "linux-64": ["linux", "x64"],
  "linux-arm64": ["linux", "arm64"],
};

/** Where npm would look for `dep` required from the package at `from`: nearest node_modules first. */
function lookupPaths(from, dep) {
  const out = [from ? `${from}/node_modules/${dep}` : `node_modules/${dep}`];
  let p = from;
  while (p) {
    const i = p.lastIndexOf("/node_modules/");
    p = i >= 0 ? p.slice(0, i) : "";
    out.push(p ? `${p}/node_modules/${dep}` : `node_modules/${dep}`);
  }
  return out;
}

const added = [];
for (const [from, meta] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const paths = lookupPaths(from, dep);
    if (paths.some((p) => p in packages)) continue;
    const platform = PLATFORMS[dep.replace(/^@cloudflare\/workerd-/, "")];
    if (!dep.startsWith("@cloudflare/workerd-") || !platform) continue;
    packages[paths[0]] = { version, dev: true, license: "Apache-2.0", optional: true, os: [platform[0]], cpu: [platform[1]] };
    added.push(paths[0]);
  }
}
if (added.length) {
  writeFileSync(path, JSON.stringify(lock, null, 2) + "\n");
  console.log(`lock-platforms: recorded ${added.length} platform-only optional package(s) in package-lock.json`);
}
