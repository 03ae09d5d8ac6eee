/**
 * The health gate: one answer to "is the cluster whole?", asked between two pod restarts, after a scale-up
 * and after an offline upgrade. Whole means (docs/tdengine.md#rolling-restart, #system-tables):
 *  - the dnode of every pod 0..replicas-1 is listed and `ready`;
 *  - every mnode serves (leader or follower, status ready) and one of them leads;
 *  - `show cluster alive` is 1;
 *  - every vgroup has a leader, and every replica of it is leader or follower (no election, no
 *    catching-up replica: `taos --check` says "service ok" before that, which is why it alone is unsafe).
 */
import { ordinalOfDnodeEndpoint, podName } from "../names";
import { TDengineAuthError, TDengineConnectionLostError, TDengineError, TDengineUnreachableError } from "../tdengine/errors";
import { DnodeInfo, MnodeInfo, TDengine, VgroupInfo } from "../tdengine/types";
import { MnodeOptions, expectedEndpoints } from "./mnodes";
import { waitFor } from "./wait";

/** What the gate reads from TDengine. */
export type ClusterReader = Pick<TDengine, "showDnodes" | "showMnodes" | "clusterAlive" | "showVgroups">;

export interface ClusterHealth {
    whole: boolean;
    /** What keeps it from being whole, one phrase each; empty when whole. */
    problems: string[];
    dnodes: DnodeInfo[];
    mnodes: MnodeInfo[];
    vgroups: VgroupInfo[];
}

const SERVING = ["leader", "follower"];

/** The vgroups with no leader, or with a replica that is neither leader nor follower. */
export function unsettledVgroups(vgroups: VgroupInfo[]): string[] {
    const problems: string[] = [];
    for (const vg of vgroups) {
        if (!vg.replicas.some(r => r.status === "leader")) {
            problems.push(`vgroup ${vg.id} (${vg.database}) has no leader (${describeReplicas(vg)})`);
        } else if (!vg.replicas.every(r => SERVING.includes(r.status))) {
            problems.push(`vgroup ${vg.id} (${vg.database}) has a replica not in sync (${describeReplicas(vg)})`);
        }
    }
    return problems;
}

function describeReplicas(vg: VgroupInfo): string {
    return vg.replicas.map(r => `dnode ${r.dnodeId} ${r.status || "?"}`).join(", ");
}

/** One look at the cluster: is it whole, and if not, why not. */
export async function clusterHealth(td: ClusterReader, o: Pick<MnodeOptions, "addressing" | "replicas">): Promise<ClusterHealth> {
    const dnodes = await td.showDnodes();
    const mnodes = await td.showMnodes();
    const alive = await td.clusterAlive();
    const vgroups = await td.showVgroups();
    const problems: string[] = [];
    for (const endpoint of expectedEndpoints(o.addressing, o.replicas)) {
        const dnode = dnodes.find(d => d.endpoint === endpoint);
        if (dnode?.status !== "ready") {
            const pod = podName(o.addressing, ordinalOfDnodeEndpoint(o.addressing, endpoint) ?? -1);
            problems.push(dnode === undefined ? `${pod} has not joined` : `dnode ${dnode.id} (${pod}) is ${dnode.status}`);
        }
    }
    const notServing = mnodes.filter(m => !(SERVING.includes(m.role) && m.status === "ready"));
    if (notServing.length > 0) {
        problems.push(`mnode ${notServing.map(m => `on dnode ${m.id} ${m.role}/${m.status}`).join(", ")}`);
    } else if (!mnodes.some(m => m.role === "leader")) {
        problems.push("no mnode leads");
    }
    if (alive !== 1) {
        problems.push(`show cluster alive = ${alive}`);
    }
    problems.push(...unsettledVgroups(vgroups));
    return { whole: problems.length === 0, problems, dnodes, mnodes, vgroups };
}

/**
 * A dnode restarting or an election under way makes TDengine briefly unreachable or refuse a statement;
 * for a wait that is "not whole yet". A wrong password is not something waiting fixes.
 */
function isPassing(err: unknown): boolean {
    // Parser errors (0x26xx) say the statement is wrong, which no wait mends.
    if (err instanceof TDengineAuthError || err instanceof TDengineError && err.code >= 0x2600 && err.code <= 0x26ff) {
        return false;
    }
    return err instanceof TDengineUnreachableError || err instanceof TDengineConnectionLostError || err instanceof TDengineError;
}

/** The options of the waits of a roll: MnodeOptions, and how often to poll (tests poll fast). */
export interface GateOptions extends MnodeOptions {
    pollIntervalMs?: number;
}

/** Polls {@link clusterHealth} until the cluster is whole; reports what it waits for as it changes. */
export async function waitUntilWhole(td: ClusterReader, o: GateOptions & { what?: string }): Promise<ClusterHealth> {
    const health = await waitFor(async () => {
        try {
            const now = await clusterHealth(td, o);
            return { done: now.whole, seen: now.problems.join("; "), value: now };
        } catch (err) {
            if (!isPassing(err)) {
                throw err;
            }
            return { done: false, seen: `TDengine does not answer yet (${err instanceof Error ? err.message : String(err)})` };
        }
    }, { what: o.what ?? "the cluster to be whole", timeoutMs: o.timeoutMs, intervalMs: o.pollIntervalMs, progress: o.progress });
    if (health === undefined) {
        throw new Error("unreachable: waitFor returned no value for a whole cluster");
    }
    return health;
}
