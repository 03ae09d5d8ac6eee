// mocha's TypeScript loader: ts-node (tsc's own transpile, so the code Pulumi serializes in tests is the code tsc
// emits), with Node's built-in source maps instead of the source-map-support package that ts-node installs.
// Pulumi takes a stack trace for every promise it tracks (debuggablePromise) and every resource; through
// source-map-support each one cost a clone of every call site: about a quarter of the suite's CPU time.
// Node maps the same stack frames to the .ts lines from the inline maps ts-node emits.
require("ts-node/register/transpile-only");

Error.prepareStackTrace = undefined;
process.setSourceMapsEnabled(true);
