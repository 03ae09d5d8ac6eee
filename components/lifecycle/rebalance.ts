/**
 * After a scale-up the new dnodes hold nothing: TDengine only places vgroups of databases created later on
 * them. `balance vgroup` moves replicas onto them (docs/tdengine.md#balance-vgroup); it blocks until every
 * move is done, so progress comes from `show dnodes` (vnodes per dnode) read beside it.
 */
import { DnodeAddressing, ordinalOfDnodeEndpoint } from "../names";
import { DnodeInfo, TDengine } from "../tdengine/types";
import { ClusterReader, GateOptions, waitUntilWhole } from "./health";
import { TransactionState, runTransaction } from "./transaction";

/** How often the vnode counts are reported while `balance vgroup` runs. */
export const REBALANCE_PROGRESS_INTERVAL_MS = 5000;

export interface RebalanceOptions extends GateOptions {
    /** The number of dnodes before this run (the step's previous inputs); undefined on the first deploy. */
    previousReplicas?: number;
    progressIntervalMs?: number;
    /** How long the moves may take after a lost answer (they move vnodes, like `drop dnode`). Default timeoutMs. */
    moveTimeoutMs?: number;
}

function vnodesPerDnode(dnodes: DnodeInfo[]): string {
    return dnodes.map(d => `dnode ${d.id}: ${d.vnodes}`).join(", ");
}

/**
 * Whether a rebalance is due: the cluster grew in this run, and a dnode that just joined holds at least two
 * vnodes fewer than the busiest of the others. A cluster that did not grow is left alone, even when unevenly
 * spread (a replica-1 database of 2 vgroups on 3 dnodes is the user's choice, not ours to move every run).
 */
export function rebalanceDue(dnodes: DnodeInfo[], addressing: DnodeAddressing, replicas: number, previousReplicas?: number): boolean {
    if (previousReplicas === undefined || replicas <= previousReplicas) {
        return false;
    }
    const ordinalOf = (d: DnodeInfo): number => ordinalOfDnodeEndpoint(addressing, d.endpoint) ?? -1;
    const joined = dnodes.filter(d => ordinalOf(d) >= previousReplicas && ordinalOf(d) < replicas);
    const others = dnodes.filter(d => ordinalOf(d) >= 0 && ordinalOf(d) < previousReplicas);
    if (joined.length === 0 || others.length === 0) {
        return false;
    }
    // A balanced cluster may still differ by one vnode (12 vnodes on 5 dnodes), so that is no reason to move.
    return Math.min(...joined.map(d => d.vnodes)) + 1 < Math.max(...others.map(d => d.vnodes));
}

type Balancer = ClusterReader & Pick<TDengine, "balanceVgroup" | "showDatabases">;

/**
 * What TDengine shows of a `balance vgroup` whose answer was lost: done once the new dnodes hold their
 * share; under way while a vgroup has more replicas than its database (a replica being moved is added on
 * its new dnode before it leaves the old one).
 */
async function balanceState(td: Balancer, o: RebalanceOptions): Promise<TransactionState> {
    if (!rebalanceDue(await td.showDnodes(), o.addressing, o.replicas, o.previousReplicas)) {
        return "done";
    }
    const replicaOf = new Map((await td.showDatabases()).map(d => [d.name, d.replica]));
    const moving = (await td.showVgroups()).some(v => v.replicas.length > (replicaOf.get(v.database) ?? v.replicas.length));
    return moving ? "running" : "unchanged";
}

/**
 * `balance vgroup` when the cluster grew, then waits until it is whole. Returns whether it ran.
 * The statement starts a TDengine transaction: it is never sent twice blindly (transaction.ts,
 * docs/tdengine.md#conflict-transaction); after a lost answer the step looks at the vnodes instead.
 */
export async function rebalanceAfterScaleUp(td: Balancer, o: RebalanceOptions): Promise<boolean> {
    const before = await td.showDnodes();
    if (!rebalanceDue(before, o.addressing, o.replicas, o.previousReplicas)) {
        return false;
    }
    o.progress(`balance vgroup: moving vgroup replicas onto the new dnodes (vnodes now ${vnodesPerDnode(before)}); ` +
        "it blocks until every move is done");
    let last = vnodesPerDnode(before);
    const ticker = setInterval(() => {
        td.showDnodes().then(now => {
            const seen = vnodesPerDnode(now);
            if (seen !== last) {
                last = seen;
                o.progress(`balance vgroup: vnodes ${seen}`);
            }
        }).catch(() => undefined);
    }, o.progressIntervalMs ?? REBALANCE_PROGRESS_INTERVAL_MS);
    try {
        await runTransaction({ what: "balance vgroup", send: () => td.balanceVgroup(), look: () => balanceState(td, o) },
            { timeoutMs: o.moveTimeoutMs ?? o.timeoutMs, progress: o.progress, intervalMs: o.pollIntervalMs });
    } finally {
        clearInterval(ticker);
    }
    const after = await waitUntilWhole(td, { ...o, what: "the cluster to be whole after balance vgroup" });
    o.progress(`balance vgroup done: vnodes ${vnodesPerDnode(after.dnodes)}`);
    return true;
}
