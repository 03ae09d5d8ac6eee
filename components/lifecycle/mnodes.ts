/**
 * The seed guide's "创建mnode" (create mnodes) and the checks after every rollout: every dnode of the
 * StatefulSet is `ready`, mnodes are on 3 dnodes when there are 3 or more (so the cluster survives the
 * loss of any one), each of them serving, and `show cluster alive` says the cluster is whole.
 */
import { DnodeAddressing, ordinalOfDnodeEndpoint, podName } from "../names";
import { DnodeInfo, MnodeInfo, TDengine } from "../tdengine/types";
import { MAX_MNODES, createMnode, expectedEndpoints } from "./scale-down";
import { Progress, waitFor } from "./wait";

export interface MnodeOptions {
    addressing: DnodeAddressing;
    replicas: number;
    timeoutMs: number;
    progress: Progress;
}

/** Waits until the dnode of every pod 0..replicas-1 is listed and `ready`; returns `show dnodes`. */
export async function waitForDnodesReady(td: TDengine, o: MnodeOptions): Promise<DnodeInfo[]> {
    const wanted = expectedEndpoints(o.addressing, o.replicas);
    const dnodes = await waitFor(async () => {
        const now = await td.showDnodes();
        const missing = wanted.filter(ep => !now.some(d => d.endpoint === ep && d.status === "ready"));
        const seen = missing.length === 0 ? "all ready" : `not ready: ${missing.map(ep => describeDnode(now, ep, o.addressing)).join(", ")}`;
        return { done: missing.length === 0, seen, value: now };
    }, { what: `the ${o.replicas} dnodes to be ready`, timeoutMs: o.timeoutMs, progress: o.progress });
    return dnodes ?? [];
}

function describeDnode(dnodes: DnodeInfo[], endpoint: string, addressing: DnodeAddressing): string {
    const pod = podName(addressing, ordinalOfDnodeEndpoint(addressing, endpoint) ?? -1);
    const dnode = dnodes.find(d => d.endpoint === endpoint);
    return dnode === undefined ? `${pod} (not joined)` : `${pod} (dnode ${dnode.id} ${dnode.status})`;
}

/**
 * Places mnodes on 3 dnodes when there are 3 or more, lowest ordinals first, one at a time, each serving
 * before the next is created. Fewer dnodes keep what they have: the image's entrypoint gives the first
 * dnode the only mnode, and nothing creates mnodes but this.
 */
export async function ensureMnodes(td: TDengine, dnodes: DnodeInfo[], o: MnodeOptions): Promise<MnodeInfo[]> {
    const wanted = o.replicas >= MAX_MNODES ? MAX_MNODES : 1;
    let mnodes = await td.showMnodes();
    const candidates = dnodes
        .map(d => ({ ...d, ordinal: ordinalOfDnodeEndpoint(o.addressing, d.endpoint) }))
        .filter(d => d.ordinal !== undefined && d.ordinal < o.replicas && d.status === "ready")
        .sort((a, b) => (a.ordinal ?? 0) - (b.ordinal ?? 0));
    for (const dnode of candidates) {
        if (mnodes.length >= wanted) {
            break;
        }
        if (!mnodes.some(m => m.endpoint === dnode.endpoint)) {
            await createMnode(td, dnode, { mnodeTimeoutMs: o.timeoutMs, progress: o.progress });
            mnodes = await td.showMnodes();
        }
    }
    return waitForMnodesServing(td, o);
}

async function waitForMnodesServing(td: TDengine, o: MnodeOptions): Promise<MnodeInfo[]> {
    const mnodes = await waitFor(async () => {
        const now = await td.showMnodes();
        const notServing = now.filter(m => !((m.role === "leader" || m.role === "follower") && m.status === "ready"));
        const seen = notServing.length === 0 ? "all serving" : notServing.map(m => `${m.endpoint} ${m.role}/${m.status}`).join(", ");
        return { done: notServing.length === 0 && now.some(m => m.role === "leader"), seen, value: now };
    }, { what: "every mnode to serve", timeoutMs: o.timeoutMs, progress: o.progress });
    return mnodes ?? [];
}

/** `show cluster alive`: 1 when whole, 2 when a dnode is down (captures/13). */
export async function waitForClusterAlive(td: TDengine, o: MnodeOptions): Promise<void> {
    await waitFor(async () => {
        const alive = await td.clusterAlive();
        return { done: alive === 1, seen: `show cluster alive = ${alive}` };
    }, { what: "the cluster to be whole (show cluster alive = 1)", timeoutMs: o.timeoutMs, progress: o.progress });
}
