/**
 * The seed guide's "集群缩容" (shrinking a cluster) as one sequence: find the leaving dnodes, check the
 * replicas of every database, then for each leaving dnode, highest ordinal first: move its mnode off,
 * drop it, wait until it is gone. It runs before the StatefulSet shrinks; when it refuses or fails, the
 * StatefulSet is left as it was.
 */
import { ClearError } from "../errors";
import { DnodeAddressing, dnodeEndpointForOrdinal, ordinalOfDnodeEndpoint, podName } from "../names";
import { TdCode, TDengineConnectionLostError, isCode } from "../tdengine/errors";
import { DnodeInfo, MnodeInfo, TDengine } from "../tdengine/types";
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
    for (const dnode of leaving) {
        await moveMnodeOff(td, dnode, dnodes, o);
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
 * (`Out of dnodes`, captures/07, 17), but only when it reaches that dnode: refusing up front keeps a
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
 * only `force`/`unsafe` would drop it, which silently destroys single-replica data (captures/19). Stop
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

function serving(m: MnodeInfo): boolean {
    return (m.role === "leader" || m.role === "follower") && m.status === "ready";
}

/**
 * A dropped dnode takes its mnode with it (captures/15), leaving 2 for as long as the drop takes. Move it
 * to a staying dnode first. TDengine allows at most 3 mnodes (captures/14), so with 3 the leaving one
 * goes first; with fewer, the new one is created first and the cluster never has fewer than before.
 * TDengine will not drop the leader's mnode (nor its dnode), so a leaving leader hands over first.
 */
async function moveMnodeOff(td: TDengine, dnode: LeavingDnode, dnodes: DnodeInfo[], o: ScaleDownOptions): Promise<void> {
    const mnodes = await td.showMnodes();
    const mine = mnodes.find(m => m.endpoint === dnode.endpoint);
    if (mine === undefined) {
        return;
    }
    const target = dnodes
        .map(d => ({ ...d, ordinal: ordinalOfDnodeEndpoint(o.addressing, d.endpoint) }))
        .filter(d => d.ordinal !== undefined && d.ordinal < o.replicas && d.status === "ready")
        .filter(d => !mnodes.some(m => m.endpoint === d.endpoint))
        .sort((a, b) => (a.ordinal ?? 0) - (b.ordinal ?? 0))[0];
    const createFirst = target !== undefined && mnodes.length < MAX_MNODES;
    if (createFirst) {
        await createMnode(td, target, o);
    }
    if (mine.role === "leader") {
        await handOverLeadership(td, dnode, o);
    }
    if (target === undefined) {
        o.progress(`dnode ${dnode.id} holds an mnode and every staying dnode has one: dropping it leaves ${mnodes.length - 1}`);
    }
    await dropMnode(td, dnode, o);
    if (target !== undefined && !createFirst) {
        await createMnode(td, target, o);
    }
}

/**
 * There is no statement that moves mnode leadership; a restart of the leader's pod does it, as a killed
 * leader does (captures/08: a follower is leader about 5 s later). The other mnodes keep a quorum.
 */
async function handOverLeadership(td: TDengine, dnode: LeavingDnode, o: ScaleDownOptions): Promise<void> {
    const pod = podName(o.addressing, dnode.ordinal);
    o.progress(`dnode ${dnode.id} holds the mnode leader, which TDengine cannot drop: restarting pod ${pod} so a follower takes over`);
    await o.restartPod(dnode.ordinal);
    await waitFor(async () => {
        const mnodes = await td.showMnodes();
        const leader = mnodes.find(m => m.role === "leader");
        const back = (await td.showDnodes()).find(d => d.id === dnode.id);
        const done = leader !== undefined && leader.endpoint !== dnode.endpoint && back?.status === "ready"
            && mnodes.every(serving);
        return { done, seen: `leader ${leader?.endpoint ?? "none"}, dnode ${dnode.id} ${back?.status ?? "missing"}` };
    }, { what: `another mnode to lead and pod ${pod} to be back`, timeoutMs: o.mnodeTimeoutMs, progress: o.progress });
}

async function dropMnode(td: TDengine, dnode: DnodeInfo, o: ScaleDownOptions): Promise<void> {
    o.progress(`drop mnode on dnode ${dnode.id} (${dnode.endpoint})`);
    try {
        await td.dropMnode(dnode.id);
    } catch (err) {
        if (!isCode(err, TdCode.MnodeNotThere)) {
            throw err;
        }
    }
    await waitFor(async () => {
        const mnodes = await td.showMnodes();
        const left = mnodes.find(m => m.endpoint === dnode.endpoint);
        return { done: left === undefined, seen: left ? `${left.role}/${left.status}` : "gone" };
    }, { what: `the mnode on dnode ${dnode.id} to go`, timeoutMs: o.mnodeTimeoutMs, progress: o.progress });
}

/** `create mnode` says `Create OK` before the mnode serves (captures/14): wait for leader/follower. */
export async function createMnode(td: TDengine, dnode: DnodeInfo, o: { mnodeTimeoutMs: number; progress: Progress }): Promise<void> {
    o.progress(`create mnode on dnode ${dnode.id} (${dnode.endpoint})`);
    try {
        await td.createMnode(dnode.id);
    } catch (err) {
        // captures/04: the goal is reached; creating mnodes is idempotent only with this treated as success.
        if (!isCode(err, TdCode.MnodeAlreadyExists)) {
            throw err;
        }
    }
    await waitFor(async () => {
        const mnode = (await td.showMnodes()).find(m => m.endpoint === dnode.endpoint);
        return { done: mnode !== undefined && serving(mnode), seen: mnode ? `${mnode.role}/${mnode.status}` : "not listed" };
    }, { what: `the mnode on dnode ${dnode.id} to serve`, timeoutMs: o.mnodeTimeoutMs, progress: o.progress });
}

/**
 * `drop dnode` blocks until the dnode's vnodes have moved (captures/16: 21 s for a small database). When
 * the connection is lost meanwhile, the drop may well be going on: never send it again, look at
 * `show dnodes` instead, where a running drop shows as `dropping`.
 */
async function dropDnode(td: TDengine, dnode: LeavingDnode, o: ScaleDownOptions): Promise<void> {
    const pod = podName(o.addressing, dnode.ordinal);
    if (dnode.status === "dropping") {
        o.progress(`dnode ${dnode.id} (pod ${pod}) is already dropping (an earlier run was interrupted): waiting for it`);
        return;
    }
    o.progress(`drop dnode ${dnode.id} (pod ${pod}): moving its ${dnode.vnodes} vnodes to the staying dnodes`);
    try {
        await td.dropDnode(dnode.id);
    } catch (err) {
        if (err instanceof TDengineConnectionLostError) {
            o.progress(`the connection was lost during drop dnode ${dnode.id}; following it in show dnodes instead of sending it again`);
            await confirmDropStarted(td, dnode, o);
            return;
        }
        if (isCode(err, TdCode.OutOfDnodes)) {
            throw new ScaleDownRefusedError(`TDengine refused to drop dnode ${dnode.id} (pod ${pod}): ${err.desc}; ` +
                "a database needs more dnodes than would remain. The StatefulSet was not changed.");
        }
        throw err;
    }
}

/** After a lost connection: the dnode must be dropping or gone, else the drop never reached TDengine. */
async function confirmDropStarted(td: TDengine, dnode: LeavingDnode, o: ScaleDownOptions): Promise<void> {
    const started = await waitFor(async () => {
        const now = (await td.showDnodes()).find(d => d.id === dnode.id);
        const goneOrDropping = now === undefined || now.status === "dropping";
        return { done: goneOrDropping, seen: now ? now.status : "gone", value: true };
    }, { what: `dnode ${dnode.id} to show as dropping`, timeoutMs: 10_000, progress: o.progress }).catch(() => false);
    if (!started) {
        throw new Error(`drop dnode ${dnode.id}: the connection was lost and TDengine still shows the dnode as it was, ` +
            "so the drop did not start. Run `pulumi up` again to retry; nothing else was changed.");
    }
}

async function waitUntilDnodeGone(td: TDengine, dnode: LeavingDnode, o: ScaleDownOptions): Promise<void> {
    await waitFor(async () => {
        const now = (await td.showDnodes()).find(d => d.id === dnode.id);
        return { done: now === undefined, seen: now ? `${now.status}, ${now.vnodes} vnodes left` : "gone" };
    }, { what: `dnode ${dnode.id} to leave show dnodes`, timeoutMs: o.dropTimeoutMs, progress: o.progress });
    o.progress(`dnode ${dnode.id} (${dnode.endpoint}) has left the cluster`);
}

/** TDengine allows at most 3 mnodes (captures/14: `The replica of mnode cannot exceed 3`). */
export const MAX_MNODES = 3;

/** The endpoints a cluster of `replicas` pods should have, in ordinal order. */
export function expectedEndpoints(addressing: DnodeAddressing, replicas: number): string[] {
    return Array.from({ length: replicas }, (_, i) => dnodeEndpointForOrdinal(addressing, i));
}
