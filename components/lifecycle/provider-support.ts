/**
 * What every lifecycle step's dynamic provider shares: how the provider is serialized, how its inputs are
 * compared, and how progress and errors reach the person running `pulumi up`.
 *
 * A step is two things in one module (before-statefulset.ts is the pattern; a new step copies it):
 * - a factory of its real provider, `(timing?: StepTiming) => pulumi.dynamic.ResourceProvider`, exported
 *   by name: the code that runs, as ordinary modules of this package;
 * - `delegatingProvider(__filename, "<factory name>")`: the provider Pulumi serializes into the state. Its
 *   methods only find this package from the program's directory, `require()` that module and delegate to
 *   the factory's provider; its diff, pure, is serialized whole (a preview then loads no step code). `pulumi.runtime.serializeFunction` then captures a few strings instead of every
 *   function of the lifecycle (about 80 KB per step, a second or more of serializing at every preview),
 *   and the code runs as ordinary modules, so its error classes stay `Error`s.
 */
import type * as pulumi from "@pulumi/pulumi";
import { ClusterObjects } from "../kube/cluster-objects";
import { RetryPolicy } from "../tdengine/rest";
import { LifecycleInputs, clusterObjectsOf, openRoute } from "./session";
import { StepContext } from "./steps";
import { Progress } from "./wait";

/** Every input of a lifecycle step; a change of any of them runs the step again. */
export const LIFECYCLE_INPUT_KEYS: ReadonlyArray<keyof LifecycleInputs> = [
    "instance", "namespace", "statefulSet", "headlessService", "clusterDomain", "replicas", "password", "storageSize", "storageClassName",
    "restUrl", "kubeconfig", "context", "dropDnodeTimeoutSeconds", "readyTimeoutSeconds", "retainVolumesOnDestroy",
    "image", "podTemplateHash", "upgradeVersion", "allowOfflineUpgrade", "unknownVersionChange", "rebalanceAfterScaleUp",
];

/**
 * How fast a step retries and polls. Production uses the defaults (the REST client's DEFAULT_RETRY, the
 * waits' POLL_INTERVAL_MS); tests shorten them so a test of six refused attempts does not wait 15 s.
 */
export interface StepTiming {
    retry?: RetryPolicy;
    pollIntervalMs?: number;
}

/** Where the provider host finds a step's factory: a file of a package, by its path inside the package. */
export interface ImplementationRef {
    packageName: string;
    /** e.g. `bin/components/lifecycle/before-statefulset.js` (installed) or `components/lifecycle/before-statefulset.ts` (this repository's own program). */
    file: string;
    factory: string;
}

/**
 * The provider Pulumi serializes for a step whose factory `factory` is exported by the module `moduleFile`
 * (pass `__filename`). See the top of this file.
 */
export function delegatingProvider(moduleFile: string, factory: string,
    diff: NonNullable<pulumi.dynamic.ResourceProvider["diff"]> = diffLifecycleProps,
    check?: pulumi.dynamic.ResourceProvider["check"]): pulumi.dynamic.ResourceProvider {
    const ref = implementationRef(moduleFile, factory);
    // Each method is serialized with only `ref` and `loadImplementation` (which captures nothing), except
    // diff and check: pure functions of the inputs, serialized whole, so a preview loads none of the step's code.
    return {
        ...(check === undefined ? {} : { check }),
        diff,
        create: inputs => loadImplementation(ref).create(inputs),
        update: (id, olds, news) => loadImplementation(ref).update?.(id, olds, news) ?? Promise.resolve({ outs: news }),
        delete: (id, props) => loadImplementation(ref).delete?.(id, props) ?? Promise.resolve(),
    };
}

/** At serialization: the package holding `moduleFile`, and the file's path inside it. */
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

/**
 * In the provider host (its working directory is the program's): the package from the program's
 * node_modules (a user's program), or the program's own package (this repository's `index.ts`, whose
 * steps are TypeScript: loaded through ts-node, transpile only, as the language host loads the program).
 * Module loading is cached by Node, so this costs a few file lookups per call after the first.
 */
function loadImplementation(ref: ImplementationRef): pulumi.dynamic.ResourceProvider {
    const fs = require("node:fs") as typeof import("node:fs"); // eslint-disable-line @typescript-eslint/no-require-imports
    const path = require("node:path") as typeof import("node:path"); // eslint-disable-line @typescript-eslint/no-require-imports
    const isPackage = (root: string): boolean => {
        const manifest = path.join(root, "package.json");
        return fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: string }).name === ref.packageName;
    };
    let root: string | undefined;
    for (let dir = process.cwd(); root === undefined; dir = path.dirname(dir)) {
        root = [path.join(dir, "node_modules", ref.packageName), dir].find(isPackage);
        if (root === undefined && path.dirname(dir) === dir) {
            throw new Error(`the lifecycle step's code, package ${ref.packageName}, is not installed in ${process.cwd()} or above it ` +
                `(its node_modules). Run \`npm install ${ref.packageName}\` in the program's directory.`);
        }
    }
    const file = path.join(root, ref.file);
    if (file.endsWith(".ts") && require.extensions[".ts"] === undefined) {
        const tsNode = require(require.resolve("ts-node", { paths: [root] })) as { register(o: object): unknown }; // eslint-disable-line @typescript-eslint/no-require-imports
        tsNode.register({ transpileOnly: true });
    }
    const factory = (require(file) as Record<string, unknown>)[ref.factory]; // eslint-disable-line @typescript-eslint/no-require-imports
    if (typeof factory !== "function") {
        throw new Error(`${file} exports no ${ref.factory}(): the installed ${ref.packageName} does not match the one that deployed this stack`);
    }
    return (factory as () => pulumi.dynamic.ResourceProvider)();
}

/**
 * Steps never ask for replacement: a replacement would run delete (and, for the step before the
 * StatefulSet, delete volumes) for what is only a changed setting.
 */
export function diffLifecycleInputs(olds: Partial<LifecycleInputs>, news: Partial<LifecycleInputs>): pulumi.dynamic.DiffResult {
    const changed = LIFECYCLE_INPUT_KEYS.filter(k => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
    return { changes: changed.length > 0, replaces: [] };
}

/** The steps' diff, as the provider host calls it: a change of any input runs the step again, never a replacement. */
export async function diffLifecycleProps(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.DiffResult> {
    return diffLifecycleInputs(lifecycleInputsOf(olds), lifecycleInputsOf(news));
}

/** The inputs as the step reads them: only the known keys, so outputs of an earlier run never leak in. */
export function lifecycleInputsOf(props: Record<string, unknown>): LifecycleInputs {
    const picked: Record<string, unknown> = {};
    for (const key of LIFECYCLE_INPUT_KEYS) {
        if (props[key] !== undefined && props[key] !== null && props[key] !== "") {
            picked[key] = props[key];
        }
    }
    return picked as unknown as LifecycleInputs;
}

/**
 * Progress goes to the provider host's stderr: the engine shows each line of it under the step, as it is
 * written, in `pulumi up`'s output (the e2e shows the lines of a drop while it runs).
 */
export function stderrProgress(label: string): Progress {
    return message => {
        process.stderr.write(`${label}: ${message}\n`);
    };
}

/**
 * The engine shows a failed step's error by its message: make sure there is one, whatever was thrown
 * (client libraries sometimes reject with events or plain objects).
 */
export async function withClearErrors<T>(step: string, work: () => Promise<T>): Promise<T> {
    try {
        return await work();
    } catch (err) {
        if (err instanceof Error && err.message) {
            throw err;
        }
        const inspected = require("node:util").inspect(err, { depth: 3, breakLength: Infinity }) as string; // eslint-disable-line @typescript-eslint/no-require-imports
        throw new Error(`${step} failed: ${inspected}`);
    }
}

/** The context of a step in a real deployment: Kubernetes through the kubeconfig, TDengine by port-forward or URL. */
export function realStepContext(inputs: LifecycleInputs, label: string, timing: StepTiming = {},
    kube: ClusterObjects = clusterObjectsOf(inputs)): StepContext {
    return { kube, openRoute, progress: stderrProgress(label), retry: timing.retry };
}
