// mocha's TypeScript loader: ts-node (tsc's own transpile, so the code Pulumi serializes in tests is the code tsc
// emits), with Node's built-in source maps instead of the source-map-support package that ts-node installs.
// Pulumi takes a stack trace for every promise it tracks (debuggablePromise) and every resource; through
// source-map-support each one cost a clone of every call site: about a quarter of the suite's CPU time.
// Node maps the same stack frames to the .ts lines from the inline maps ts-node emits.
//
// Each file's transpiled output is kept on disk, keyed by its text, its path and the compiler's version and
// options: every mocha worker and every warm run loads it instead of transpiling the ~100 files again.
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const service = require("ts-node").register({ transpileOnly: true });

Error.prepareStackTrace = undefined;
process.setSourceMapsEnabled(true);

const cacheDir = path.join(__dirname, "..", "node_modules", ".cache", "pulumi-tdengine", "transpiled");
// The transpiler is tsc unless tsconfig's "ts-node" section says swc: both are part of the key.
const compilerKey = JSON.stringify([service.ts.version, require("ts-node/package.json").version, service.options.swc ?? false,
    service.options.transpiler ?? null, service.config.options]);
const transpile = service.compile.bind(service);
service.compile = (code, fileName, lineOffset) => {
    const key = createHash("sha256").update(compilerKey).update("\0").update(fileName).update("\0").update(code).digest("hex");
    const file = path.join(cacheDir, `${key}.js`);
    try {
        return fs.readFileSync(file, "utf8");
    } catch {
        const output = transpile(code, fileName, lineOffset);
        // Written under a unique name, then renamed: two workers writing the same entry never leave half a file.
        fs.mkdirSync(cacheDir, { recursive: true });
        const partial = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(partial, output);
        fs.renameSync(partial, file);
        return output;
    }
};
