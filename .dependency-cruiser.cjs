// Import rules for `npm run lint:deps` (part of `npm test`). Imports point down the layers
// (routes → use cases → stores → the pure core) and never in a circle.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "An import circle couples modules that should be layered; move the shared piece down.",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    // `cloudflare:workers` and other runtime modules are not files.
    exclude: { path: "^(node_modules|cloudflare:)" },
  },
};
