/**
 * An in-memory Kubernetes side of one cluster behind the lifecycle's `ClusterObjects` interface: the
 * StatefulSet's size, its pods and its data PVCs, as plain arrays a test sets up and inspects. Every
 * deletion is recorded (`deletedVolumes`, `deletedPods`); PVCs carry a uid, so a PVC re-created under the
 * same name is a different object. A deleted pod with an ordinal below the StatefulSet's size comes back
 * (its StatefulSet starts it again), as on a real cluster. No tunnel: a test gives the steps TDengine
 * directly.
 */
import { ClusterObjects, PodState, Tunnel, VolumeState } from "../../components/kube/cluster-objects";
import { pvcNameForOrdinal } from "../../components/names";

export interface FakeVolume extends VolumeState {
    uid: string;
}

let uids = 0;

export class FakeClusterObjects implements ClusterObjects {
    replicas: number | undefined;
    podList: PodState[];
    volumes: FakeVolume[];
    readonly deletedVolumes: FakeVolume[] = [];
    readonly deletedPods: string[] = [];
    readonly resized: { name: string; size: string }[] = [];
    /** Called when a pod is deleted (e.g. to fail its mnode leadership over in a FakeTDengine). */
    onDeletePod: (ordinal: number) => void = () => undefined;
    /** `pods()` calls a removed pod survives before it is gone (a pod terminating). */
    podPollsLeft = new Map<number, number>();

    constructor(readonly statefulSet: string, state: { replicas?: number; pods?: number[]; volumes?: number[] }) {
        this.replicas = state.replicas;
        this.podList = (state.pods ?? []).map(ordinal => this.pod(ordinal));
        this.volumes = (state.volumes ?? []).map(ordinal => this.volume(ordinal));
    }

    async pods(): Promise<PodState[]> {
        for (const [ordinal, left] of this.podPollsLeft) {
            if (left <= 0) {
                this.podList = this.podList.filter(p => p.ordinal !== ordinal);
                this.podPollsLeft.delete(ordinal);
            } else {
                this.podPollsLeft.set(ordinal, left - 1);
            }
        }
        return this.podList.map(p => ({ ...p }));
    }

    pod(ordinal: number): PodState {
        return { name: `${this.statefulSet}-${ordinal}`, ordinal, ready: true, terminating: false };
    }

    volume(ordinal: number, size = "5Gi"): FakeVolume {
        return { name: pvcNameForOrdinal(this.statefulSet, ordinal), ordinal, size, uid: `uid-${++uids}` };
    }

    async statefulSetReplicas(): Promise<number | undefined> {
        return this.replicas;
    }

    async dataVolumes(): Promise<VolumeState[]> {
        return this.volumes.map(v => ({ ...v }));
    }

    async deleteVolume(name: string): Promise<void> {
        const volume = this.volumes.find(v => v.name === name);
        if (volume !== undefined) {
            this.volumes = this.volumes.filter(v => v !== volume);
            this.deletedVolumes.push(volume);
        }
    }

    async resizeVolume(name: string, size: string): Promise<void> {
        this.resized.push({ name, size });
        const volume = this.volumes.find(v => v.name === name);
        if (volume !== undefined) {
            volume.size = size;
        }
    }

    async deletePod(name: string): Promise<void> {
        const pod = this.podList.find(p => p.name === name);
        if (pod === undefined) {
            return;
        }
        this.deletedPods.push(name);
        this.onDeletePod(pod.ordinal);
        if (this.replicas === undefined || pod.ordinal >= this.replicas) {
            this.podList = this.podList.filter(p => p !== pod);
        }
    }

    async openTunnel(pod: string, port: number): Promise<Tunnel> {
        throw new Error(`FakeClusterObjects has no tunnel (asked for ${pod}:${port}); give the steps TDengine directly`);
    }

    describe(): string {
        return `fake namespace (StatefulSet ${this.statefulSet})`;
    }
}
