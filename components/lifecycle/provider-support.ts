/**
 * What every lifecycle step's provider shares: how its inputs are compared, and how progress and errors
 * reach the person running `pulumi up`.
 *
 * A step is three things (the step before the StatefulSet is the pattern; a new step copies it):
 * - a factory of its real provider, `(timing?: StepTiming) => pulumi.dynamic.ResourceProvider`, exported
 *   by name from its module (before-statefulset.ts): the code that runs, as ordinary modules of this package;
 * - its `__provider` text (provider-source.ts), made once by resources.ts: a small module the provider host
 *   evaluates, whose diff and check are written out and whose other methods `require()` the factory's module;
 * - its resource class in resources.ts, which the component registers.
 */
import type * as pulumi from "@pulumi/pulumi";
import { ClusterObjects } from "../kube/cluster-objects";
import { RetryPolicy } from "../tdengine/rest";
import { LifecycleInputs, clusterObjectsOf, openRoute } from "./session";
import { StepContext } from "./steps";
import { LIFECYCLE_INPUT_KEYS } from "./provider-source";
import { Progress } from "./wait";

export { LIFECYCLE_INPUT_KEYS } from "./provider-source";

/**
 * How fast a step retries and polls. Production uses the defaults (the REST client's DEFAULT_RETRY, the
 * waits' POLL_INTERVAL_MS); tests shorten them so a test of six refused attempts does not wait 15 s.
 */
export interface StepTiming {
    retry?: RetryPolicy;
    pollIntervalMs?: number;
}

/**
 * Steps never ask for replacement: a replacement would run delete (and, for the step before the
 * StatefulSet, delete volumes) for what is only a changed setting.
 */
function diffLifecycleInputs(olds: Partial<LifecycleInputs>, news: Partial<LifecycleInputs>): pulumi.dynamic.DiffResult {
    const changed = LIFECYCLE_INPUT_KEYS.filter(k => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
    return { changes: changed.length > 0, replaces: [] };
}

/** The steps' diff, as the provider host calls it: a change of any input runs the step again, never a replacement. */
export async function diffLifecycleProps(_id: string, olds: Record<string, unknown>,
    news: Record<string, unknown>): Promise<pulumi.dynamic.DiffResult> {
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
