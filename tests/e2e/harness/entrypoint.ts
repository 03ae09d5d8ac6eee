/**
 * What the official image's entrypoint does when a pod of the StatefulSet starts, played against the
 * stand-in: taosd starts on the pod's FQDN; the first endpoint bootstraps the cluster, any other joins it
 * with `create dnode` (the stand-in does both in startDnode). The data it starts on is the pod's PVC: a
 * new PVC is empty; a PVC seen before holds its dnode's data, or a dropped dnode's (captures/18).
 */
import { dnodeEndpointForOrdinal, ordinalOfPod } from "../../../components/names";
import type { DataDir } from "../../standin/standin";
import type { StartedPod, StoppedPod } from "../cluster/pod-watcher";
import { StandinProcess } from "./standin-process";

export interface PodEvent {
    at: number;
    pod: string;
    kind: "started" | "stopped";
}

export class Entrypoint {
    /** Every pod start and stop, with the time the watcher saw it. */
    readonly events: PodEvent[] = [];
    private readonly usedVolumes = new Set<string>();
    private readonly running = new Map<string, string>();

    constructor(private readonly standin: StandinProcess, private readonly statefulSet: string, private readonly headlessService: string,
        private readonly clusterDomain = "cluster.local") { }

    async started(pod: StartedPod): Promise<void> {
        const ordinal = ordinalOfPod(this.statefulSet, pod.name);
        if (ordinal === undefined) {
            return;
        }
        const endpoint = dnodeEndpointForOrdinal({ namespace: pod.namespace, statefulSet: this.statefulSet,
            headlessService: this.headlessService, clusterDomain: this.clusterDomain }, ordinal);
        const listed = (await this.standin.state()).dnodes.some(d => d.endpoint === endpoint);
        const volumeSeen = pod.pvcUid !== undefined && this.usedVolumes.has(pod.pvcUid);
        const data: DataDir = !volumeSeen ? "fresh" : listed ? "own" : "dropped";
        await this.standin.startDnode(endpoint, data);
        if (pod.pvcUid !== undefined) {
            this.usedVolumes.add(pod.pvcUid);
        }
        this.running.set(pod.name, endpoint);
        this.events.push({ at: Date.now(), pod: pod.name, kind: "started" });
    }

    async stopped(pod: StoppedPod): Promise<void> {
        const endpoint = this.running.get(pod.name);
        if (endpoint === undefined) {
            return;
        }
        this.running.delete(pod.name);
        this.events.push({ at: Date.now(), pod: pod.name, kind: "stopped" });
        await this.standin.stopDnode(endpoint);
    }

    stoppedAt(pod: string): number | undefined {
        return this.events.find(e => e.pod === pod && e.kind === "stopped")?.at;
    }
}
