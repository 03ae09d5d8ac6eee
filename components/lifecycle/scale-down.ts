/**
 * Shrinking a cluster as one sequence: find the leaving dnodes, check the replicas of every database,
 * bring the mnodes to the count the smaller cluster wants, all on staying dnodes (mnodes.ts), then for
 * each leaving dnode, highest ordinal first: drop it, wait until it is gone. It runs before the
 * StatefulSet shrinks; when it refuses or fails, the StatefulSet is left as it was.
 */
import { ClearError } from "../errors";
import { DnodeAddressing, ordinalOfDnodeEndpoint, podName } from "../names";
import { TdCode, isCode } from "../tdengine/errors";
import { DnodeInfo, TDengine } from "../tdengine/types";
import { convergeMnodes } from "./mnodes";
import { runTransaction } from "./transaction";
import { Progress, waitFor } from "./wait";

export interface ScaleDownOptions {
    addressing: DnodeAddressing;
    /** The number of dnodes wanted: pods with this ordinal or higher are leaving. */
    replicas: number;
    /** How long one dnode's drop (its vnodes' migration) may take. */
    dropTimeoutMs: number;
    /** How long a new mnode may take to serve, or a dropped one to go. */
    mnodeTimeoutMs: number;
    /** Deletes the pod with this ordinal so the StatefulSet starts it again (hands its mnode leadership over). */
    restartPod(ordinal: number): Promise<void>;
    progress: Progress;
}

/** Scale-down refused before anything was changed: the message says why and what to do. */
export class ScaleDownRefusedError extends ClearError {
    constructor(message: string) {
        super(message);
        this.name = "ScaleDownRefusedError";
    }
}

/** A leaving dnode with the pod ordinal its endpoint names. */
export interface LeavingDnode extends DnodeInfo {
    ordinal: number;
}

/** Drops every dnode whose pod is leaving. Returns the dnodes dropped (or found already dropping). */
export async function scaleDown(td: TDengine, o: ScaleDownOptions): Promise<LeavingDnode[]> {
    const dnodes = await td.showDnodes();
    const leaving = findLeavingDnodes(dnodes, o.addressing, o.replicas);
    if (leaving.length === 0) {
        return [];
    }
    await checkReplicasOfEveryDatabase(td, dnodes.length, dnodes.length - leaving.length);
    checkLeavingDnodesOnline(leaving, o.addressing);
    await moveMnodesOff(td, o);
    for (const dnode of leaving) {
        await dropDnode(td, dnode, o);
        await waitUntilDnodeGone(td, dnode, o);
    }
    return leaving;
}

/** Dnodes of this StatefulSet's pods with ordinal >= replicas, highest ordinal first (pods leave in that order). */
export function findLeavingDnodes(dnodes: DnodeInfo[], addressing: DnodeAddressing, replicas: number): LeavingDnode[] {
    const leaving: LeavingDnode[] = [];
    for (const dnode of dnodes) {
        const ordinal = ordinalOfDnodeEndpoint(addressing, dnode.endpoint);
        if (ordinal !== undefined && ordinal >= replicas) {
            leaving.push({ ...dnode, ordinal });
        }
    }
    return leaving.sort((a, b) => b.ordinal - a.ordinal);
}

/**
 * TDengine refuses a drop that would leave a database with fewer dnodes than its replica count
 * (`Out of dnodes`, docs/tdengine.md#database-replicas), but only when it reaches that dnode: refusing up front keeps a
 * multi-dnode scale-down from stopping halfway.
 */
export async function checkReplicasOfEveryDatabase(td: TDengine, from: number, to: number): Promise<void> {
    const databases = await td.showDatabases();
    const blocking = databases.filter(db => db.replica > to).sort((a, b) => b.replica - a.replica);
    if (blocking.length > 0) {
        const list = blocking.map(db => `database '${db.name}' has replica ${db.replica}`).join(", ");
        throw new ScaleDownRefusedError(`cannot scale from ${from} to ${to} dnodes: ${list}; nothing was changed. ` +
            `Keep at least ${blocking[0].replica} dnodes, or lower those databases' replica first.`);
    }
}

/**
 * A leaving dnode that is offline cannot hand its vnodes over: TDengine answers `Vnode is offline`, and
 * only `force`/`unsafe` would drop it, which silently destroys single-replica data (docs/tdengine.md#offline-dnode). Stop
 * and say so. `dropping` is an earlier run's drop still going on: it is waited for, not refused.
 */
export function checkLeavingDnodesOnline(leaving: LeavingDnode[], addressing: DnodeAddressing): void {
    const offline = leaving.filter(d => d.status !== "ready" && d.status !== "dropping");
    if (offline.length > 0) {
        const list = offline.map(d => `dnode ${d.id} (pod ${podName(addressing, d.ordinal)}) is ${d.status}` +
            (d.note ? ` (${d.note})` : "")).join(", ");
        throw new ScaleDownRefusedError(`cannot drop leaving dnodes: ${list}; nothing was changed. ` +
            "An offline dnode cannot hand over its data; bring its pod back to ready, then run `pulumi up` again.");
    }
}

/**
 * Before any dnode is dropped, the mnodes go to what the smaller cluster wants, all on staying dnodes:
 * dropping a dnode silently drops its mnode (docs/tdengine.md#drop-dnode-takes-its-mnode), which on
 * 3 → 2 would leave 2 mnodes for as long as the drop takes (docs/tdengine.md#two-mnodes). So on 3 → 2
 * the leaving dnode's mnode goes and a staying follower's too, the leader kept; on 4 → 3 the leaving
 * one moves to a staying dnode, keeping 3 through the long drop; a leaving leader hands over first.
 */
async function moveMnodesOff(td: TDengine, o: ScaleDownOptions): Promise<void> {
    await convergeMnodes(td, {
        addressing: o.addressing,
        replicas: o.replicas,
        timeoutMs: o.mnodeTimeoutMs,
        progress: o.progress,
        restartPod: o.restartPod,
    });
}

/**
 * `drop dnode` blocks until the dnode's vnodes have moved (docs/tdengine.md#drop-dnode). When the
 * connection is lost meanwhile, the drop may well be going on: under the transaction rule it is not sent
 * again unless `show dnodes` keeps showing the dnode as it was; a running drop shows as `dropping`.
 */
async function dropDnode(td: TDengine, dnode: LeavingDnode, o: ScaleDownOptions): Promise<void> {
    const pod = podName(o.addressing, dnode.ordinal);
    if (dnode.status === "dropping") {
        o.progress(`dnode ${dnode.id} (pod ${pod}) is already dropping (an earlier run was interrupted): waiting for it`);
        return;
    }
    o.progress(`drop dnode ${dnode.id} (pod ${pod}): moving its ${dnode.vnodes} vnodes to the staying dnodes`);
    try {
        await runTransaction({
            what: `drop dnode ${dnode.id}`,
            send: () => td.dropDnode(dnode.id),
            // Dropping or gone: TDengine has it, and waitUntilDnodeGone follows it to the end.
            look: async () => {
                const now = (await td.showDnodes()).find(d => d.id === dnode.id);
                return now === undefined || now.status === "dropping" ? "done" : "unchanged";
            },
            // The id came from show dnodes a moment ago: gone now means an earlier send of this drop finished.
            alreadyDone: [TdCode.DnodeNotExist],
        }, { timeoutMs: o.dropTimeoutMs, progress: o.progress });
    } catch (err) {
        if (isCode(err, TdCode.OutOfDnodes)) {
            throw new ScaleDownRefusedError(`TDengine refused to drop dnode ${dnode.id} (pod ${pod}): ${err.desc}; ` +
                "a database needs more dnodes than would remain. The StatefulSet was not changed.");
        }
        throw err;
    }
}

async function waitUntilDnodeGone(td: TDengine, dnode: LeavingDnode, o: ScaleDownOptions): Promise<void> {
    await waitFor(async () => {
        const now = (await td.showDnodes()).find(d => d.id === dnode.id);
        return { done: now === undefined, seen: now ? `${now.status}, ${now.vnodes} vnodes left` : "gone" };
    }, { what: `dnode ${dnode.id} to leave show dnodes`, timeoutMs: o.dropTimeoutMs, progress: o.progress });
    o.progress(`dnode ${dnode.id} (${dnode.endpoint}) has left the cluster`);
}

