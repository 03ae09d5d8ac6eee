/**
 * The `__provider` of each lifecycle step: the JavaScript module the dynamic provider host evaluates
 * (`require-from-string(__provider).handler()`), written here by hand instead of produced by
 * `pulumi.runtime.serializeFunction`. Serializing starts V8's function inspector, about a second at every
 * preview and up; this text is a constant of the step and costs nothing to make.
 *
 * What the text does:
 * - `diff` (every preview) and `check` (every preview; only the step before the StatefulSet has one) are
 *   written out in the text, so a preview loads none of the step's code: diff compares the step's inputs
 *   (a change of any runs the step again, never a replacement); check lets every preview through that has
 *   no image change to judge, and hands the others to the step's real check (TDengine's version rules).
 * - create, update, delete (and check when an image changes) find this package from the program's
 *   directory, `require()` the step's module and call its factory's provider. In this repository's own
 *   program that module is TypeScript, loaded through ts-node (transpile only), as the program is.
 *
 * This module is loaded by the program at every run: it imports nothing but constants.
 * tests/lifecycle/serialization.test.ts runs the text in a fresh node process and checks its diff and
 * check against the step's own (diffLifecycleProps, diffAfterStatefulSet, checkBeforeStatefulSet).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { LifecycleInputs } from "./session";

/** Every input of a lifecycle step; a change of any of them runs the step again. */
export const LIFECYCLE_INPUT_KEYS: ReadonlyArray<keyof LifecycleInputs> = [
    "instance", "namespace", "statefulSet", "headlessService", "clusterDomain", "replicas", "password", "storageSize", "storageClassName",
    "restUrl", "kubeconfig", "context", "dropDnodeTimeoutSeconds", "readyTimeoutSeconds", "retainVolumesOnDestroy",
    "image", "podTemplateHash", "upgradeVersion", "allowOfflineUpgrade", "unknownVersionChange", "rebalanceAfterScaleUp",
];

/** The value the engine gives an input not known yet at preview (an output of a resource still to be made). */
export const UNKNOWN_AT_PREVIEW = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** At most 3 mnodes, and 1 below 3 dnodes (docs/tdengine.md#create-mnode, docs/tdengine.md#two-mnodes): mnodes.ts's wantedMnodes. */
const MAX_MNODES = 3;

/** Where the provider host finds a step's factory: a file of a package, by its path inside the package. */
export interface ImplementationRef {
    packageName: string;
    /** e.g. `bin/components/lifecycle/before-statefulset.js` (installed), or the `.ts` in this repository. */
    file: string;
    factory: string;
}

/** What a step's text does besides delegating: which diff, and whether it has a check. */
export interface StepProviderOptions {
    /** The step after the StatefulSet's diff: also a change when the last run left another mnode count than the cluster's size wants. */
    mnodeCountDiff?: boolean;
    /** The step before the StatefulSet's check: an image change is judged by TDengine's version rules at preview. */
    imageCheck?: boolean;
}

/**
 * The step whose factory `factory` is exported by `<this directory>/<moduleBaseName>` (`.ts` in this
 * repository, `.js` once compiled, as this module is).
 */
export function stepProviderSource(moduleBaseName: string, factory: string, options: StepProviderOptions): string {
    const path = require("node:path") as typeof import("node:path"); // eslint-disable-line @typescript-eslint/no-require-imports
    const ref = implementationRef(path.join(__dirname, moduleBaseName + path.extname(__filename)), factory);
    return `"use strict";
// A lifecycle step of ${ref.packageName} (components/lifecycle/provider-source.ts).
const ref = ${JSON.stringify(ref)};
const KEYS = ${JSON.stringify(LIFECYCLE_INPUT_KEYS)};
const UNKNOWN = ${JSON.stringify(UNKNOWN_AT_PREVIEW)};
const MAX_MNODES = ${MAX_MNODES};

// An input as the step reads it: undefined, null and "" are unset.
function input(props, key) {
    const value = props[key];
    return value === undefined || value === null || value === "" ? null : value;
}

function inputsChanged(olds, news) {
    return KEYS.some(k => JSON.stringify(input(olds, k)) !== JSON.stringify(input(news, k)));
}

function mnodeCountOff(olds, news) {
    const replicas = input(news, "replicas");
    return Array.isArray(olds.mnodes) && typeof replicas === "number" && olds.mnodes.length !== (replicas >= MAX_MNODES ? MAX_MNODES : 1);
}

// image-change.ts's imageChangeOfInputs has nothing to judge: the first deploy, the same image, a value not known yet.
function noImageChange(olds, news) {
    const known = v => typeof v === "string" && v !== "" && v !== UNKNOWN;
    return !known(olds.image) || !known(news.image) || olds.image === news.image || news.upgradeVersion === UNKNOWN;
}

let implementation;
// The step's real provider: its package from the program's node_modules (a user's program), or the program's
// own package (this repository's index.ts). Loaded once per provider host.
function load() {
    if (implementation !== undefined) {
        return implementation;
    }
    const fs = require("node:fs");
    const path = require("node:path");
    const isPackage = root => {
        const manifest = path.join(root, "package.json");
        return fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, "utf8")).name === ref.packageName;
    };
    let root;
    for (let dir = process.cwd(); root === undefined; dir = path.dirname(dir)) {
        root = [path.join(dir, "node_modules", ref.packageName), dir].find(isPackage);
        if (root === undefined && path.dirname(dir) === dir) {
            throw new Error("the lifecycle step's code, package " + ref.packageName + ", is not installed in " + process.cwd() +
                " or above it (its node_modules). Run \`npm install " + ref.packageName + "\` in the program's directory.");
        }
    }
    const file = path.join(root, ref.file);
    if (file.endsWith(".ts") && require.extensions[".ts"] === undefined) {
        require(require.resolve("ts-node", { paths: [root] })).register({ transpileOnly: true });
    }
    const factory = require(file)[ref.factory];
    if (typeof factory !== "function") {
        throw new Error(file + " exports no " + ref.factory + "(): the installed " + ref.packageName + " does not match the one that deployed this stack");
    }
    implementation = factory();
    return implementation;
}

exports.handler = () => ({
${options.imageCheck ? `    check: async (olds, news) => noImageChange(olds, news) ? { inputs: news } : load().check(olds, news),\n` : ""}\
    diff: async (id, olds, news) => ({ changes: inputsChanged(olds, news)${options.mnodeCountDiff ? " || mnodeCountOff(olds, news)" : ""}, replaces: [] }),
    create: async inputs => load().create(inputs),
    update: async (id, olds, news) => { const p = load(); return p.update ? p.update(id, olds, news) : { outs: news }; },
    delete: async (id, props) => { const p = load(); if (p.delete) { await p.delete(id, props); } },
});
`;
}

/**
 * The provider a step's text makes, in this process: what the provider host does with `__provider`
 * (require-from-string of the text, then `handler()`). For tests and the step modules' exports.
 */
export function providerOfSource(source: string): pulumi.dynamic.ResourceProvider {
    const module = { exports: {} as { handler?: () => pulumi.dynamic.ResourceProvider } };
    new Function("exports", "require", "module", source)(module.exports, require, module);
    if (module.exports.handler === undefined) {
        throw new Error("a lifecycle step's provider text exports no handler");
    }
    return module.exports.handler();
}

/** At the program's start: the package holding `moduleFile`, and the file's path inside it. */
function implementationRef(moduleFile: string, factory: string): ImplementationRef {
    const fs = require("node:fs") as typeof import("node:fs"); // eslint-disable-line @typescript-eslint/no-require-imports
    const path = require("node:path") as typeof import("node:path"); // eslint-disable-line @typescript-eslint/no-require-imports
    for (let dir = path.dirname(moduleFile); ; dir = path.dirname(dir)) {
        const manifest = path.join(dir, "package.json");
        if (fs.existsSync(manifest)) {
            const name = (JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: string }).name;
            if (name !== undefined) {
                return { packageName: name, file: path.relative(dir, moduleFile).split(path.sep).join("/"), factory };
            }
        }
        if (path.dirname(dir) === dir) {
            throw new Error(`no package.json with a name above ${moduleFile}: a lifecycle step must live in a package`);
        }
    }
}
