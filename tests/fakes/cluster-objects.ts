/**
 * An in-memory Kubernetes side of one cluster behind the lifecycle's `ClusterObjects` interface: the
 * StatefulSet's size and pod template (image, revision), its pods and its data PVCs, as plain arrays a
 * test sets up and inspects. Every deletion is recorded (`deletedVolumes`, `deletedPods`); PVCs carry a
 * uid and a resourceVersion, so a PVC re-created under the same name, or changed since it was listed, is
 * not deleted (the API server's preconditions). A deleted pod with an ordinal below the StatefulSet's size
 * comes back on the current template (its StatefulSet starts it again), as on a real cluster. No tunnel: a
 * test gives the steps TDengine directly.
 */
import { ClusterObjects, PodState, StatefulSetState, Tunnel, VolumeState } from "../../components/kube/cluster-objects";
import { pvcNameForOrdinal } from "../../components/names";

export interface FakeVolume extends VolumeState {
    uid: string;
    resourceVersion: string;
}

let uids = 0;

export class FakeClusterObjects implements ClusterObjects {
    replicas: number | undefined;
    /** The pod template's TDengine image and revision (`status.updateRevision`); pods are made from them. */
    image: string | undefined;
    updateRevision: string | undefined;
    podList: PodState[];
    volumes: FakeVolume[];
    readonly deletedVolumes: FakeVolume[] = [];
    readonly deletedPods: string[] = [];
    readonly resized: { name: string; size: string }[] = [];
    /** Called when a pod is deleted (e.g. to fail its mnode leadership over in a FakeTDengine). */
    onDeletePod: (ordinal: number) => void = () => undefined;
    /** `pods()` calls a removed pod survives before it is gone (a pod terminating). */
    podPollsLeft = new Map<number, number>();

    constructor(readonly statefulSet: string,
        state: { replicas?: number; pods?: number[]; volumes?: number[]; image?: string; updateRevision?: string }) {
        this.replicas = state.replicas;
        this.image = state.image;
        this.updateRevision = state.updateRevision;
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
        return { name: `${this.statefulSet}-${ordinal}`, ordinal, ready: true, terminating: false, revision: this.updateRevision,
            image: this.image };
    }

    volume(ordinal: number, size = "5Gi"): FakeVolume {
        return { name: pvcNameForOrdinal(this.statefulSet, ordinal), ordinal, size, uid: `uid-${++uids}`, resourceVersion: "1" };
    }

    async statefulSetReplicas(): Promise<number | undefined> {
        return this.replicas;
    }

    /** Always observed: the fake's controller sees a change the moment it is made. */
    async statefulSetState(): Promise<StatefulSetState | undefined> {
        if (this.replicas === undefined) {
            return undefined;
        }
        return { replicas: this.replicas, image: this.image, updateRevision: this.updateRevision, observed: true };
    }

    async dataVolumes(): Promise<VolumeState[]> {
        return this.volumes.map(v => ({ ...v }));
    }

    /** Gone already counts as deleted; a PVC of that name with another uid or resourceVersion is kept (false). */
    async deleteVolume(listed: VolumeState): Promise<boolean> {
        const volume = this.volumes.find(v => v.name === listed.name);
        if (volume === undefined) {
            return true;
        }
        const differs = (listed.uid !== undefined && listed.uid !== volume.uid) ||
            (listed.resourceVersion !== undefined && listed.resourceVersion !== volume.resourceVersion);
        if (differs) {
            return false;
        }
        this.volumes = this.volumes.filter(v => v !== volume);
        this.deletedVolumes.push(volume);
        return true;
    }

    async resizeVolume(name: string, size: string): Promise<void> {
        this.resized.push({ name, size });
        const volume = this.volumes.find(v => v.name === name);
        if (volume !== undefined) {
            volume.size = size;
            volume.resourceVersion = String(Number(volume.resourceVersion) + 1);
        }
    }

    async deletePod(name: string): Promise<void> {
        const pod = this.podList.find(p => p.name === name);
        if (pod === undefined) {
            return;
        }
        this.deletedPods.push(name);
        this.onDeletePod(pod.ordinal);
        this.podList = this.podList.filter(p => p !== pod);
        if (this.replicas !== undefined && pod.ordinal < this.replicas) {
            this.podList = [...this.podList, this.pod(pod.ordinal)].sort((a, b) => a.ordinal - b.ordinal);
        }
    }

    async openTunnel(pod: string, port: number): Promise<Tunnel> {
        throw new Error(`FakeClusterObjects has no tunnel (asked for ${pod}:${port}); give the steps TDengine directly`);
    }

    describe(): string {
        return `fake namespace (StatefulSet ${this.statefulSet})`;
    }
}
