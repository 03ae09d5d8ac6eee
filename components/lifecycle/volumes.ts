/**
 * The data volumes (PVCs) of pods that are gone. TDengine's Kubernetes guide says to delete a removed pod's PVC by hand,
 * "otherwise the next scale-up reuses the old data and cannot join the cluster": a dropped dnode restarted
 * on its old volume runs for ever, answers on its port, passes `taos --check`, and is no member of the
 * cluster (docs/tdengine.md#dropped-dnode-returns). A PVC is deleted only when its pod is gone and TDengine no longer lists its dnode:
 * a dnode still listed holds data that was never moved away.
 */
import { ClearError } from "../errors";
import { ClusterObjects, VolumeState } from "../kube/cluster-objects";
import { quantityToBytes } from "../quantity";
import { DnodeAddressing, dnodeEndpointForOrdinal } from "../names";
import { DnodeInfo } from "../tdengine/types";
import { Progress, waitFor } from "./wait";

export interface VolumeOptions {
    addressing: DnodeAddressing;
    replicas: number;
    timeoutMs: number;
    progress: Progress;
}

/**
 * Before a scale-up: a PVC left by an interrupted scale-down for an ordinal about to be created would give
 * the new pod a dropped dnode's data. `current` is the StatefulSet's size now.
 */
export async function deleteStaleVolumes(kube: ClusterObjects, dnodes: DnodeInfo[], current: number, o: VolumeOptions): Promise<string[]> {
    const pods = await kube.pods();
    const stale = (await kube.dataVolumes()).filter(v =>
        v.ordinal >= current && v.ordinal < o.replicas
        && !pods.some(p => p.ordinal === v.ordinal)
        && !isListed(dnodes, o.addressing, v.ordinal));
    const deleted: string[] = [];
    for (const volume of stale) {
        o.progress(`delete PVC ${volume.name}: left by a dnode that was dropped, it could never rejoin`);
        if (await deleteAsListed(kube, volume, o.progress)) {
            deleted.push(volume.name);
        }
    }
    return deleted;
}

/** After a scale-down: once each removed pod is gone, delete its PVC. */
export async function deleteRemovedVolumes(kube: ClusterObjects, dnodes: DnodeInfo[], o: VolumeOptions): Promise<string[]> {
    const removed = (await kube.dataVolumes()).filter(v => v.ordinal >= o.replicas);
    const deleted: string[] = [];
    for (const volume of removed) {
        if (isListed(dnodes, o.addressing, volume.ordinal)) {
            o.progress(`keeping PVC ${volume.name}: TDengine still lists ${dnodeEndpointForOrdinal(o.addressing, volume.ordinal)}, ` +
                "so its data was never moved away. Drop that dnode (or scale back up) to resolve it.");
            continue;
        }
        await waitFor(async () => {
            const pod = (await kube.pods()).find(p => p.ordinal === volume.ordinal);
            return { done: pod === undefined, seen: pod ? `pod ${pod.name} still there` : "pod gone" };
        }, { what: `the pod of ${volume.name} to be gone`, timeoutMs: o.timeoutMs, progress: o.progress });
        o.progress(`delete PVC ${volume.name}: its dnode was dropped and its pod is gone`);
        if (await deleteAsListed(kube, volume, o.progress)) {
            deleted.push(volume.name);
        }
    }
    return deleted;
}

/** On destroy, once the StatefulSet is gone: every data PVC of the cluster, as the clean-up in TDengine's Kubernetes guide does. */
export async function deleteAllVolumes(kube: ClusterObjects, progress: Progress): Promise<string[]> {
    const deleted: string[] = [];
    for (const volume of await kube.dataVolumes()) {
        progress(`delete PVC ${volume.name}`);
        if (await deleteAsListed(kube, volume, progress)) {
            deleted.push(volume.name);
        }
    }
    return deleted;
}

/** Deletes the PVC only if it is still the one listed: one the StatefulSet re-created meanwhile belongs to a new pod. */
async function deleteAsListed(kube: ClusterObjects, volume: VolumeState, progress: Progress): Promise<boolean> {
    const deleted = await kube.deleteVolume(volume);
    if (!deleted) {
        progress(`kept PVC ${volume.name}: it changed since it was listed (re-created for a new pod?); the next run looks at it again`);
    }
    return deleted;
}

function isListed(dnodes: DnodeInfo[], addressing: DnodeAddressing, ordinal: number): boolean {
    const endpoint = dnodeEndpointForOrdinal(addressing, ordinal);
    return dnodes.some(d => d.endpoint === endpoint);
}

/** A storage change Kubernetes cannot make to existing volumes, refused before anything changes. */
export class VolumeChangeRefusedError extends ClearError {
    constructor(message: string) {
        super(message);
        this.name = "VolumeChangeRefusedError";
    }
}

/**
 * A StatefulSet's volumeClaimTemplates cannot change, and replacing the StatefulSet to change them would
 * stop every dnode at once; so the component resizes the PVCs themselves. Volumes can grow, not shrink,
 * and keep their StorageClass: refuse those changes up front.
 */
export async function checkVolumeChanges(kube: ClusterObjects, size: string, storageClassName: string | undefined): Promise<void> {
    const wanted = quantityToBytes(size) ?? 0;
    const volumes = await kube.dataVolumes();
    const larger = volumes.filter(v => (quantityToBytes(v.size ?? "") ?? 0) > wanted);
    if (larger.length > 0) {
        throw new VolumeChangeRefusedError(`storage.size ${size} is smaller than ${describe(larger)}: Kubernetes volumes cannot ` +
            `shrink; nothing was changed. Set storage.size to ${larger[0].size} or more.`);
    }
    const otherClass = storageClassName === undefined
        ? []
        : volumes.filter(v => v.storageClassName !== undefined && v.storageClassName !== storageClassName);
    if (otherClass.length > 0) {
        throw new VolumeChangeRefusedError(`storage.className ${storageClassName} differs from the class of ${otherClass.map(v => `${v.name} (${v.storageClassName})`).join(", ")}: ` +
            "existing volumes cannot change class; nothing was changed. Keep the class they have.");
    }
}

/** Grows every data PVC smaller than `size` (the ones a scale-up created from the old template too). */
export async function expandVolumes(kube: ClusterObjects, size: string, progress: Progress): Promise<string[]> {
    const wanted = quantityToBytes(size) ?? 0;
    const smaller = (await kube.dataVolumes()).filter(v => (quantityToBytes(v.size ?? "") ?? wanted) < wanted);
    for (const volume of smaller) {
        progress(`expand PVC ${volume.name} from ${volume.size} to ${size}`);
        try {
            await kube.resizeVolume(volume.name, size);
        } catch (err) {
            throw new Error(`could not expand PVC ${volume.name} to ${size}: ${errorText(err)}. ` +
                "Its StorageClass must allow volume expansion (allowVolumeExpansion: true).");
        }
    }
    return smaller.map(v => v.name);
}

function describe(volumes: VolumeState[]): string {
    return volumes.map(v => `${v.name} (${v.size})`).join(", ");
}

function errorText(err: unknown): string {
    const body = (err as { body?: unknown }).body;
    if (typeof body === "string") {
        try {
            return (JSON.parse(body) as { message?: string }).message ?? body;
        } catch {
            return body;
        }
    }
    return err instanceof Error ? err.message : String(err);
}
