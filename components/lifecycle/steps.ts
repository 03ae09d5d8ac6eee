/**
 * The two lifecycle steps, as plain async functions over the cluster's Kubernetes objects and TDengine.
 * The dynamic providers in before-statefulset.ts / after-statefulset.ts only call these; tests call them
 * with the stand-in and a fake Kubernetes.
 */
import { ClearError } from "../errors";
import { ClusterObjects } from "../kube/cluster-objects";
import { podName } from "../names";
import { RetryPolicy } from "../tdengine/rest";
import { DnodeInfo, MnodeInfo, TDengine } from "../tdengine/types";
import { DEFAULT_ROOT_PASSWORD } from "../types";
import { waitUntilWhole } from "./health";
import { checkLiveImageChange, versionRulesOf } from "./image-change";
import { ensureMnodes, waitForDnodesReady } from "./mnodes";
import { rebalanceAfterScaleUp } from "./rebalance";
import { offlineUpgrade, planPodImageChange, readTemplateState, rollOutdatedPods } from "./roll";
import { scaleDown } from "./scale-down";
import { LifecycleInputs, Route, addressingOf, connectTDengine } from "./session";
import { checkVolumeChanges, deleteAllVolumes, deleteRemovedVolumes, deleteStaleVolumes, expandVolumes } from "./volumes";
import { Progress } from "./wait";

/** How a step reaches the cluster: injected so tests can swap Kubernetes and the route. */
export interface StepContext {
    kube: ClusterObjects;
    openRoute(kube: ClusterObjects, inputs: LifecycleInputs): Promise<Route>;
    progress: Progress;
    /** The REST client's retries; undefined = its default. */
    retry?: RetryPolicy;
}

export interface BeforeStatefulSetResult {
    /** Ids of the dnodes dropped. */
    droppedDnodes: number[];
    /** PVCs deleted because they held a dropped dnode's data. */
    deletedVolumes: string[];
}

export interface AfterStatefulSetResult {
    dnodes: DnodeInfo[];
    mnodes: MnodeInfo[];
    deletedVolumes: string[];
}

/**
 * Runs before the StatefulSet changes: on a scale-down, drops the leaving dnodes (the StatefulSet depends
 * on this step, so a refusal leaves it untouched); on a scale-up, deletes PVCs an interrupted scale-down
 * left for the ordinals about to be created; on a password change, rotates it. TDengine is only contacted
 * when one of these can apply, so a cluster that is down can still be fixed by `pulumi up`. A storage
 * change volumes cannot take (shrinking, another class) is refused here too, before anything changes.
 */
export async function beforeStatefulSet(ctx: StepContext, inputs: LifecycleInputs, previousPassword?: string,
    previous?: Partial<LifecycleInputs>): Promise<BeforeStatefulSetResult> {
    const none: BeforeStatefulSetResult = { droppedDnodes: [], deletedVolumes: [] };
    const current = await ctx.kube.statefulSetReplicas();
    if (current === undefined) {
        return none; // the first deploy: nothing runs yet
    }
    // Refused at preview already; checked again against the StatefulSet as it is, before it changes.
    const imageChange = await checkLiveImageChange(ctx.kube, inputs, previous);
    if (imageChange !== undefined && imageChange.plan !== "nothing") {
        ctx.progress(`image change: ${imageChange.explanation}`);
    }
    await checkVolumeChanges(ctx.kube, inputs.storageSize, inputs.storageClassName);
    const volumes = await ctx.kube.dataVolumes();
    const scalingDown = current > inputs.replicas;
    const mayHaveStaleVolumes = volumes.some(v => v.ordinal >= current && v.ordinal < inputs.replicas);
    const passwordChanged = previousPassword !== undefined && previousPassword !== inputs.password;
    if (!scalingDown && !mayHaveStaleVolumes && !passwordChanged) {
        return none;
    }
    return withTDengine(ctx, inputs, previousPassword, async td => {
        const addressing = addressingOf(inputs);
        const dropped = await scaleDown(td, {
            addressing,
            replicas: inputs.replicas,
            dropTimeoutMs: inputs.dropDnodeTimeoutSeconds * 1000,
            mnodeTimeoutMs: inputs.readyTimeoutSeconds * 1000,
            restartPod: ordinal => ctx.kube.deletePod(podName(addressing, ordinal)),
            progress: ctx.progress,
        });
        const deletedVolumes = mayHaveStaleVolumes
            ? await deleteStaleVolumes(ctx.kube, await td.showDnodes(), current, {
                addressing, replicas: inputs.replicas, timeoutMs: inputs.readyTimeoutSeconds * 1000, progress: ctx.progress })
            : [];
        return { droppedDnodes: dropped.map(d => d.id), deletedVolumes };
    });
}

/**
 * Runs after the StatefulSet has changed (its update strategy is OnDelete: no pod has restarted yet):
 * on an offline upgrade stops every dnode and starts all on the new image; waits until every dnode is
 * ready, brings the mnodes to 3 when there are 3 dnodes or more and to 1 below that (never 2:
 * docs/tdengine.md#two-mnodes), waits until the cluster is whole; restarts the pods still on an older
 * template one at a time (the health gate between them); after a scale-up, `balance vgroup`; deletes the
 * PVCs of pods a scale-down removed, and grows volumes smaller than storage.size.
 */
export async function afterStatefulSet(ctx: StepContext, inputs: LifecycleInputs, previousPassword?: string,
    previous?: Partial<LifecycleInputs>): Promise<AfterStatefulSetResult> {
    return withTDengine(ctx, inputs, previousPassword, async td => {
        const o = { addressing: addressingOf(inputs), replicas: inputs.replicas, timeoutMs: inputs.readyTimeoutSeconds * 1000,
            progress: ctx.progress };
        const template = await readTemplateState(ctx.kube, o);
        const wanted = { image: inputs.image ?? template.target.image ?? "", version: inputs.upgradeVersion };
        const imageChange = planPodImageChange(template, wanted, { image: previous?.image, version: previous?.upgradeVersion },
            versionRulesOf(inputs));
        if (imageChange.plan === "refused") {
            throw new ClearError(`image: ${imageChange.explanation} The pods were not restarted.`);
        }
        if (imageChange.plan === "offline") {
            await offlineUpgrade(td, ctx.kube, o, imageChange);
        }
        await waitForDnodesReady(td, o);
        const mnodes = await ensureMnodes(td, o);
        await waitUntilWhole(td, o);
        await rollOutdatedPods(td, ctx.kube, o);
        if (inputs.rebalanceAfterScaleUp !== false) {
            await rebalanceAfterScaleUp(td, { ...o, previousReplicas: previous?.replicas,
                moveTimeoutMs: inputs.dropDnodeTimeoutSeconds * 1000 });
        }
        const dnodes = await td.showDnodes();
        const deletedVolumes = await deleteRemovedVolumes(ctx.kube, dnodes, o);
        await expandVolumes(ctx.kube, inputs.storageSize, ctx.progress);
        return { dnodes, mnodes, deletedVolumes };
    });
}

/**
 * On `pulumi destroy`, after the StatefulSet is gone: the data PVCs, unless the user keeps them. When the
 * StatefulSet still exists this step is being removed on its own (the lifecycle was turned off): the
 * cluster lives on, and so do its volumes.
 */
export async function destroyVolumes(ctx: StepContext, inputs: LifecycleInputs): Promise<string[]> {
    if (inputs.retainVolumesOnDestroy) {
        ctx.progress("retainVolumesOnDestroy is set: keeping the data PVCs");
        return [];
    }
    if (await ctx.kube.statefulSetReplicas() !== undefined) {
        ctx.progress("the StatefulSet still exists, so only the lifecycle step is removed: keeping the data PVCs");
        return [];
    }
    return deleteAllVolumes(ctx.kube, ctx.progress);
}

async function withTDengine<T>(ctx: StepContext, inputs: LifecycleInputs, previousPassword: string | undefined,
    work: (td: TDengine) => Promise<T>): Promise<T> {
    const route = await ctx.openRoute(ctx.kube, inputs);
    try {
        const previousPasswords = [previousPassword, DEFAULT_ROOT_PASSWORD].filter((p): p is string => p !== undefined);
        const td = await connectTDengine({ route, inputs, previousPasswords, progress: ctx.progress, retry: ctx.retry });
        return await work(td);
    } finally {
        route.close();
    }
}
