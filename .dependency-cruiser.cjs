// Import rules for `npm run lint:deps` (part of `npm test`). Imports point down the layers
// (routes → use cases → stores → the pure core) and never in a circle.
/** The IVR engine and what it is made of: plain TypeScript, shared by the call object, `tactflow test` and the simulator. */
const IVR_ENGINE =
  "^src/call/(ivr|ivrState|memoryState|render|rewrite|flowTree|gatherTable|entity|api|commands|platformEvents|request|id)\\.ts$";

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
    {
      name: "call-stays-below-the-webhook",
      severity: "error",
      comment:
        "The call object is a store the webhook use case (src/callflow) and the routes call into; it never imports them or the flow store. Shared types live in src/call (e.g. call/request.ts).",
      from: { path: "^src/call/" },
      to: { path: "^src/(flows|callflow|routes)/" },
    },
    {
      name: "pure-core-stays-pure",
      severity: "error",
      comment:
        "src/xml, src/template and sim/ run in Node, the Worker and the browser alike: no Worker-only modules (routes, use cases, stores, Durable Objects, cloudflare:*). The event shapes are plain data and may be shared.",
      from: { path: "^(src/xml|src/template|sim)/" },
      to: {
        path: "^(src/(routes|call|events|flows|platform|callflow|http)/|src/index\\.ts$|cloudflare:)",
        pathNot: ["^src/events/shapes\\.ts$", IVR_ENGINE],
      },
    },
    {
      name: "ivr-engine-stays-pure",
      severity: "error",
      comment:
        "The IVR engine (src/call/ivr.ts over a CallState; memoryState.ts keeps one in memory) is what `tactflow test` runs in Node: it imports the pure core and the event shapes, never the call object's SQLite parts, Worker-only modules or cloudflare:*.",
      from: { path: IVR_ENGINE },
      to: {
        path: "^(src/(routes|events|flows|platform|callflow|http)/|src/index\\.ts$|cloudflare:|src/call/(?!(ivr|ivrState|memoryState|render|rewrite|flowTree|gatherTable|entity|api|commands|platformEvents|request|id)\\.ts$))",
        pathNot: "^src/events/shapes\\.ts$",
      },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    // Runtime modules (`cloudflare:workers`) are not files: they stay in the graph unresolved,
    // so the rules above can name them, and are not followed.
    exclude: { path: "^node_modules" },
  },
};
