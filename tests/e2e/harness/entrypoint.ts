/**
 * What the official image's entrypoint does when a pod of the StatefulSet starts, played against the
 * stand-in: taosd starts on the pod's FQDN; the first endpoint bootstraps the cluster, any other joins it
 * with `create dnode` (the stand-in does both in startDnode). The data it starts on is the pod's PVC: a
 * new PVC is empty; a PVC seen before holds its dnode's data, or a dropped dnode's
 * (docs/tdengine.md#joining-dnodes, #dropped-dnode-returns).
 *
 * A pod deleted and re-created on the same PVC (a rolling restart, an image change) is a dnode restart:
 * its taosd stops when the pod starts terminating and starts again on its own data, on the new pod's image
 * version, when the new pod runs. The stand-in then plays what a real restart does to the vgroups the dnode
 * led: no leader for one election, its replicas catching up before they follow (docs/tdengine.md#rolling-restart).
 */
import { dnodeEndpointForOrdinal, ordinalOfPod } from "../../../components/names";
import type { DataDir } from "../../standin/standin";
import type { StartedPod, StoppedPod } from "../cluster/pod-watcher";
import { StandinProcess } from "./standin-process";

export interface PodEvent {
    at: number;
    pod: string;
    /** `restarted`: started again on its own data (the same PVC, the dnode still listed). */
    kind: "started" | "restarted" | "stopped";
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
        await this.standin.startDnode(endpoint, data, versionOfImage(pod.image));
        if (pod.pvcUid !== undefined) {
            this.usedVolumes.add(pod.pvcUid);
        }
        this.running.set(pod.name, endpoint);
        this.events.push({ at: Date.now(), pod: pod.name, kind: data === "own" ? "restarted" : "started" });
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

/**
 * The TDengine version an image runs, from its tag (`tdengine/tdengine:3.3.7.6` → `3.3.7.6`); undefined for
 * a digest or a tag that names no version, and the stand-in's default version applies.
 */
export function versionOfImage(image: string | undefined): string | undefined {
    const tag = /:([^:/@]+)$/.exec(image ?? "")?.[1];
    return tag !== undefined && /^\d+\.\d+\.\d+\.\d+$/.test(tag) ? tag : undefined;
}
