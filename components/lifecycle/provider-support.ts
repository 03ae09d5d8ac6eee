/**
 * What both dynamic providers share: how their inputs are compared, and how progress reaches the person
 * running `pulumi up`.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterObjects } from "../kube/cluster-objects";
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
 * Steps never ask for replacement: a replacement would run delete (and, for the step before the
 * StatefulSet, delete volumes) for what is only a changed setting.
 */
export function diffLifecycleInputs(olds: Partial<LifecycleInputs>, news: Partial<LifecycleInputs>): pulumi.dynamic.DiffResult {
    const changed = LIFECYCLE_INPUT_KEYS.filter(k => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
    return { changes: changed.length > 0, replaces: [] };
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
 * Progress goes to the engine, so `pulumi up` shows it as it happens; a dynamic provider's stdout and
 * stderr are only shown with verbose logging. The provider host is started with the engine's address as
 * its first argument but does not connect its log to it, so this does, once.
 */
export function engineProgress(label: string): Progress {
    const host = require.main?.filename ?? "";
    const engineAddr = process.argv[2] ?? "";
    if (host.includes("dynamic-provider") && /:\d+$/.test(engineAddr) && !pulumi.runtime.hasEngine()) {
        pulumi.runtime.resetOptions(pulumi.runtime.getProject(), pulumi.runtime.getStack(), -1, engineAddr, "", false, "");
    }
    return message => {
        const line = `${label}: ${message}`;
        if (pulumi.runtime.hasEngine()) {
            void pulumi.log.info(line);
        } else {
            process.stderr.write(`${line}\n`);
        }
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
export function realStepContext(inputs: LifecycleInputs, label: string, kube: ClusterObjects = clusterObjectsOf(inputs)): StepContext {
    return { kube, openRoute, progress: engineProgress(label) };
}
