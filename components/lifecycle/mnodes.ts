/**
 * Mnodes follow the cluster's size, whatever path led to it: 1 mnode below 3 dnodes, 3 from 3 dnodes up.
 * Two mnodes need both for a majority, so a 2-dnode cluster holding 2 mnodes stops answering while either
 * dnode is down, where one holding 1 mnode keeps answering (docs/tdengine.md#two-mnodes). Three survive
 * the loss of any one. One sequence converges to that count from any layout, in steps that each leave a
 * serving cluster: {@link nextMnodeStep} decides, {@link convergeMnodes} carries out; the step after the
 * StatefulSet and the scale-down before it both use it. Also the checks after every rollout: every dnode
 * `ready`, every mnode serving, `show cluster alive` whole.
 */
import { DnodeAddressing, dnodeEndpointForOrdinal, ordinalOfDnodeEndpoint, podName } from "../names";
import { TdCode, TDengineError } from "../tdengine/errors";
import { DnodeInfo, MnodeInfo, TDengine } from "../tdengine/types";
import { TransactionError, TransactionState, runTransaction } from "./transaction";
import { Progress, waitFor } from "./wait";

/** TDengine allows at most 3 mnodes (docs/tdengine.md#create-mnode: `The replica of mnode cannot exceed 3`). */
export const MAX_MNODES = 3;

/** The mnode count for a cluster of `dnodes` dnodes: never 2 (docs/tdengine.md#two-mnodes). */
export function wantedMnodes(dnodes: number): number {
    return dnodes >= MAX_MNODES ? MAX_MNODES : 1;
}

export interface MnodeOptions {
    addressing: DnodeAddressing;
    /** The number of dnodes wanted: pods with this ordinal or higher are leaving (or gone). */
    replicas: number;
    /** How long a new mnode may take to serve, a dropped one to go, or a leader to hand over. */
    timeoutMs: number;
    progress: Progress;
    /**
     * Deletes the pod with this ordinal so the StatefulSet starts it again: how a leader on a leaving dnode
     * hands over. Without it, a layout that needs a hand-over is an error.
     */
    restartPod?(ordinal: number): Promise<void>;
}

/** A dnode with the pod ordinal its endpoint names (undefined: not a pod of this StatefulSet). */
export interface PlacedDnode extends DnodeInfo {
    ordinal: number | undefined;
}

/** One change toward the wanted mnodes; each leaves the cluster serving. */
export type MnodeStep =
    | { kind: "create"; dnode: PlacedDnode }
    | { kind: "drop"; dnode: PlacedDnode }
    /** The leader is on a leaving dnode and TDengine cannot drop a leader's mnode: restart its pod. */
    | { kind: "hand-over"; dnode: PlacedDnode & { ordinal: number } }
    | { kind: "stuck"; why: string };

/** What {@link nextMnodeStep} decides from: `show dnodes`, `show mnodes`, and the size wanted. */
export interface MnodeLayout {
    dnodes: readonly DnodeInfo[];
    mnodes: readonly MnodeInfo[];
    addressing: DnodeAddressing;
    replicas: number;
}

/**
 * The next step toward {@link wantedMnodes}(replicas) mnodes, all on staying dnodes, or undefined when
 * there. In order: a leader on a leaving dnode hands over first, while a staying follower can take over;
 * then mnodes leave the leaving dnodes (a new one created first when that keeps the count, else dropped,
 * highest ordinal first); then missing mnodes are created (lowest ordinal first) and surplus followers
 * dropped (highest ordinal first). A leader is never dropped, and no drop or hand-over is made that would
 * leave the serving mnodes short of a majority: with one mnode offline, that step is stuck instead.
 */
export function nextMnodeStep(layout: MnodeLayout): MnodeStep | undefined {
    const step = stepTowardWantedMnodes(layout);
    if (step?.kind !== "drop" && step?.kind !== "hand-over") {
        return step;
    }
    const listed = listedMnodes(layout);
    const notServing = listed.filter(m => !serving(m));
    // A drop takes the mnode away; a hand-over restarts the leader's pod, which stops serving meanwhile.
    const remaining = step.kind === "drop" ? listed.filter(m => m.endpoint !== step.dnode.endpoint) : listed;
    const servingAfter = listed.filter(m => serving(m) && m.endpoint !== step.dnode.endpoint).length;
    // With every mnode serving the step is the planned one (2 → 1's hand-over is a short election by design).
    if (notServing.length === 0 || servingAfter * 2 > remaining.length) {
        return step;
    }
    const down = notServing.map(m => `${m.endpoint} is ${m.role}/${m.status}`).join(", ");
    const action = step.kind === "drop" ? `dropping the mnode on dnode ${step.dnode.id}` : `restarting the leader's dnode ${step.dnode.id}`;
    return {
        kind: "stuck",
        why: `an mnode is not serving (${down}), and ${action} would leave ${servingAfter} of ${remaining.length} mnodes serving, ` +
            "no majority (docs/tdengine.md#two-mnodes). Bring that dnode back to ready, then run `pulumi up` again",
    };
}

/** An mnode whose dnode is no longer listed goes with it (docs/tdengine.md#drop-dnode-takes-its-mnode): the others. */
function listedMnodes(layout: MnodeLayout): MnodeInfo[] {
    return layout.mnodes.filter(m => layout.dnodes.some(d => d.endpoint === m.endpoint));
}

function stepTowardWantedMnodes(layout: MnodeLayout): MnodeStep | undefined {
    const { replicas } = layout;
    const placed: PlacedDnode[] = layout.dnodes.map(d => ({ ...d, ordinal: ordinalOfDnodeEndpoint(layout.addressing, d.endpoint) }));
    const dnodeOf = (m: MnodeInfo): PlacedDnode | undefined => placed.find(d => d.endpoint === m.endpoint);
    const mnodes = listedMnodes(layout);
    const isLeaving = (m: MnodeInfo): boolean => (dnodeOf(m)?.ordinal ?? -1) >= replicas;
    const byOrdinalDesc = (a: MnodeInfo, b: MnodeInfo): number => (dnodeOf(b)?.ordinal ?? -1) - (dnodeOf(a)?.ordinal ?? -1);
    const servingFollower = (m: MnodeInfo): boolean => m.role === "follower" && m.status === "ready";
    const target = wantedMnodes(replicas);
    const staying = mnodes.filter(m => !isLeaving(m));
    const candidates = placed
        .filter(d => d.ordinal !== undefined && d.ordinal < replicas && d.status === "ready")
        .filter(d => !mnodes.some(m => m.endpoint === d.endpoint))
        .sort((a, b) => (a.ordinal ?? 0) - (b.ordinal ?? 0));
    const candidate = candidates[0];
    const create = (dnode: PlacedDnode): MnodeStep => ({ kind: "create", dnode });
    const drop = (m: MnodeInfo): MnodeStep => ({ kind: "drop", dnode: dnodeOf(m) as PlacedDnode });

    const leader = mnodes.find(m => m.role === "leader");
    if (leader !== undefined && isLeaving(leader)) {
        const dnode = dnodeOf(leader) as PlacedDnode & { ordinal: number };
        if (staying.some(servingFollower)) {
            return { kind: "hand-over", dnode };
        }
        if (mnodes.length < MAX_MNODES && candidate !== undefined) {
            return create(candidate);
        }
        const leavingFollower = mnodes.filter(m => isLeaving(m) && servingFollower(m)).sort(byOrdinalDesc)[0];
        if (leavingFollower !== undefined) {
            return drop(leavingFollower);
        }
        return { kind: "stuck", why: `the mnode leader is on leaving dnode ${dnode.id} and no staying dnode can take it over` };
    }
    const leavingMnodes = mnodes.filter(m => isLeaving(m) && m.role !== "leader").sort(byOrdinalDesc);
    if (leavingMnodes.length > 0) {
        // Create first while there is room, so a count of 3 never falls to 2 (docs/tdengine.md#drop-dnode-takes-its-mnode).
        if (staying.length < target && candidate !== undefined && mnodes.length < MAX_MNODES) {
            return create(candidate);
        }
        return drop(leavingMnodes[0]);
    }
    // Only when the count can reach the target: 1 → 2 with no third dnode ready would leave 2 mnodes.
    if (staying.length < target && candidate !== undefined && staying.length + candidates.length >= target) {
        return create(candidate);
    }
    if (mnodes.length > target) {
        const surplus = staying.filter(m => servingFollower(m) && dnodeOf(m)?.ordinal !== undefined).sort(byOrdinalDesc)[0];
        if (surplus !== undefined) {
            return drop(surplus);
        }
        const seen = mnodes.map(m => `${m.endpoint} ${m.role}/${m.status}`).join(", ");
        const why = `${mnodes.length} mnodes where ${target} are wanted, and none is a serving follower to drop (${seen})`;
        return { kind: "stuck", why };
    }
    return undefined;
}

/** A bound on steps: the longest path (3 → 1 with the leader leaving) takes fewer. */
const MAX_STEPS = 12;
/** Each hand-over is an election TDengine decides; a leader that keeps landing on leaving dnodes is reported. */
const MAX_HAND_OVERS = 3;

/**
 * Carries out {@link nextMnodeStep} until there is nothing left to do, reading `show dnodes` and
 * `show mnodes` again after each step. Returns `show mnodes` at the end.
 */
export async function convergeMnodes(td: TDengine, o: MnodeOptions): Promise<MnodeInfo[]> {
    let handOvers = 0;
    for (let steps = 0; steps < MAX_STEPS; steps++) {
        const [dnodes, mnodes] = [await td.showDnodes(), await td.showMnodes()];
        const step = nextMnodeStep({ dnodes, mnodes, addressing: o.addressing, replicas: o.replicas });
        if (step === undefined) {
            return mnodes;
        }
        switch (step.kind) {
            case "stuck":
                throw new TransactionError(`cannot bring the mnodes to ${wantedMnodes(o.replicas)} for ${o.replicas} dnode(s): ` +
                    `${step.why}${steps === 0 ? "; no mnode was changed" : ""}`);
            case "create":
                await createMnode(td, step.dnode, o);
                break;
            case "drop":
                await dropMnode(td, step.dnode, mnodes.length, o);
                break;
            case "hand-over":
                if (++handOvers > MAX_HAND_OVERS) {
                    throw new TransactionError(`the mnode leader is still on leaving dnode ${step.dnode.id} after ` +
                        `${MAX_HAND_OVERS} hand-overs (TDengine elects the new leader); nothing was dropped. Run \`pulumi up\` again.`);
                }
                await handOverLeadership(td, step.dnode, mnodes.length, o);
                break;
        }
    }
    throw new TransactionError(
        `the mnodes did not settle at ${wantedMnodes(o.replicas)} within ${MAX_STEPS} steps; run \`pulumi up\` again`);
}

/**
 * After the StatefulSet has rolled out: brings the mnodes to {@link wantedMnodes}(replicas), creating
 * missing ones and dropping surplus followers, and waits until each serves.
 */
export async function ensureMnodes(td: TDengine, o: MnodeOptions): Promise<MnodeInfo[]> {
    await convergeMnodes(td, o);
    return waitForMnodesServing(td, o);
}

function serving(m: MnodeInfo): boolean {
    return (m.role === "leader" || m.role === "follower") && m.status === "ready";
}

/**
 * `create mnode` says `Create OK` before the mnode serves (docs/tdengine.md#create-mnode): wait for
 * leader/follower. Sent under the transaction rule: a lost answer is followed in `show mnodes`.
 */
async function createMnode(td: TDengine, dnode: DnodeInfo, o: MnodeOptions): Promise<void> {
    o.progress(`create mnode on dnode ${dnode.id} (${dnode.endpoint})`);
    await runTransaction({
        what: `create mnode on dnode ${dnode.id}`,
        send: () => td.createMnode(dnode.id),
        look: async () => lookAtMnode(await td.showMnodes(), dnode, "created"),
        // docs/tdengine.md#mnode-already-exists: the goal is reached.
        alreadyDone: [TdCode.MnodeAlreadyExists],
    }, { timeoutMs: o.timeoutMs, progress: o.progress });
    await waitFor(async () => {
        const mnode = (await td.showMnodes()).find(m => m.endpoint === dnode.endpoint);
        return { done: mnode !== undefined && serving(mnode), seen: mnode ? `${mnode.role}/${mnode.status}` : "not listed" };
    }, { what: `the mnode on dnode ${dnode.id} to serve`, timeoutMs: o.timeoutMs, progress: o.progress });
}

/** A follower's mnode (never the leader's: TDengine refuses it, docs/tdengine.md#mnode-leader-failover). */
async function dropMnode(td: TDengine, dnode: DnodeInfo, before: number, o: MnodeOptions): Promise<void> {
    o.progress(`drop mnode on dnode ${dnode.id} (${dnode.endpoint}): ${before} → ${before - 1} mnodes`);
    await runTransaction({
        what: `drop mnode on dnode ${dnode.id}`,
        send: () => td.dropMnode(dnode.id),
        look: async () => lookAtMnode(await td.showMnodes(), dnode, "dropped"),
        alreadyDone: [TdCode.MnodeNotThere],
    }, { timeoutMs: o.timeoutMs, progress: o.progress });
    await waitFor(async () => {
        const left = (await td.showMnodes()).find(m => m.endpoint === dnode.endpoint);
        return { done: left === undefined, seen: left ? `${left.role}/${left.status}` : "gone" };
    }, { what: `the mnode on dnode ${dnode.id} to go`, timeoutMs: o.timeoutMs, progress: o.progress });
}

/** docs/tdengine.md#create-mnode: a new mnode is listed `creating` at once; `drop mnode` shows no `dropping`. */
function lookAtMnode(mnodes: MnodeInfo[], dnode: DnodeInfo, goal: "created" | "dropped"): TransactionState {
    const mnode = mnodes.find(m => m.endpoint === dnode.endpoint);
    if (goal === "dropped") {
        return mnode === undefined ? "done" : mnode.status === "dropping" ? "running" : "unchanged";
    }
    return mnode === undefined ? "unchanged" : mnode.status === "creating" ? "running" : "done";
}

/**
 * There is no statement that moves mnode leadership; a restart of the leader's pod does it, as a killed
 * leader does (docs/tdengine.md#mnode-leader-failover: a follower leads about 5 s later). With 3 mnodes the
 * two others keep a majority throughout. With 2, nothing answers until the pod is back
 * (docs/tdengine.md#two-mnodes): the same pause as restarting a 1-mnode cluster's mnode pod, and the only
 * way to move its only leader; {@link nextMnodeStep} asks for it only when no 3-mnode hand-over can do.
 */
async function handOverLeadership(td: TDengine, dnode: PlacedDnode & { ordinal: number }, mnodes: number, o: MnodeOptions): Promise<void> {
    const pod = podName(o.addressing, dnode.ordinal);
    if (o.restartPod === undefined) {
        throw new TransactionError(
            `the mnode leader is on dnode ${dnode.id} (pod ${pod}), which is leaving, and this step cannot restart pods`);
    }
    const pause = mnodes >= MAX_MNODES
        ? "the other mnodes keep a majority"
        : `with ${mnodes} mnodes TDengine does not answer until it is back`;
    o.progress(`dnode ${dnode.id} holds the mnode leader, which TDengine cannot drop: ` +
        `restarting pod ${pod} so a follower takes over (${pause})`);
    await o.restartPod(dnode.ordinal);
    await waitFor(async () => {
        const [now, dnodes] = await Promise.all([td.showMnodes(), td.showDnodes()]).catch((err: unknown) => {
            // With fewer than 3 mnodes a request may get no answer while the pod is away: keep looking.
            if (mnodes < MAX_MNODES && !(err instanceof TDengineError)) {
                return [[], []] as [MnodeInfo[], DnodeInfo[]];
            }
            throw err;
        });
        const leader = now.find(m => m.role === "leader");
        const back = dnodes.find(d => d.id === dnode.id);
        const done = leader !== undefined && leader.endpoint !== dnode.endpoint && back?.status === "ready" && now.every(serving);
        const seen = now.length === 0
            ? "no answer"
            : `leader ${leader?.endpoint ?? "none"}, dnode ${dnode.id} ${back?.status ?? "missing"}`;
        return { done, seen };
    }, { what: `another mnode to lead and pod ${pod} to be back`, timeoutMs: o.timeoutMs, progress: o.progress });
}

/** Waits until the dnode of every pod 0..replicas-1 is listed and `ready`; returns `show dnodes`. */
export async function waitForDnodesReady(td: TDengine, o: MnodeOptions): Promise<DnodeInfo[]> {
    const wanted = expectedEndpoints(o.addressing, o.replicas);
    const dnodes = await waitFor(async () => {
        const now = await td.showDnodes();
        const missing = wanted.filter(ep => !now.some(d => d.endpoint === ep && d.status === "ready"));
        const seen = missing.length === 0
            ? "all ready"
            : `not ready: ${missing.map(ep => describeDnode(now, ep, o.addressing)).join(", ")}`;
        return { done: missing.length === 0, seen, value: now };
    }, { what: `the ${o.replicas} dnodes to be ready`, timeoutMs: o.timeoutMs, progress: o.progress });
    return dnodes ?? [];
}

function describeDnode(dnodes: DnodeInfo[], endpoint: string, addressing: DnodeAddressing): string {
    const pod = podName(addressing, ordinalOfDnodeEndpoint(addressing, endpoint) ?? -1);
    const dnode = dnodes.find(d => d.endpoint === endpoint);
    return dnode === undefined ? `${pod} (not joined)` : `${pod} (dnode ${dnode.id} ${dnode.status})`;
}

async function waitForMnodesServing(td: TDengine, o: MnodeOptions): Promise<MnodeInfo[]> {
    const mnodes = await waitFor(async () => {
        const now = await td.showMnodes();
        const notServing = now.filter(m => !serving(m));
        const seen = notServing.length === 0 ? "all serving" : notServing.map(m => `${m.endpoint} ${m.role}/${m.status}`).join(", ");
        return { done: notServing.length === 0 && now.some(m => m.role === "leader"), seen, value: now };
    }, { what: "every mnode to serve", timeoutMs: o.timeoutMs, progress: o.progress });
    return mnodes ?? [];
}

/** `show cluster alive`: 1 when whole, 2 when a dnode is down (docs/tdengine.md#system-tables). */
export async function waitForClusterAlive(td: TDengine, o: MnodeOptions): Promise<void> {
    await waitFor(async () => {
        const alive = await td.clusterAlive();
        return { done: alive === 1, seen: `show cluster alive = ${alive}` };
    }, { what: "the cluster to be whole (show cluster alive = 1)", timeoutMs: o.timeoutMs, progress: o.progress });
}

/** The endpoints a cluster of `replicas` pods should have, in ordinal order. */
export function expectedEndpoints(addressing: DnodeAddressing, replicas: number): string[] {
    return Array.from({ length: replicas }, (_, i) => dnodeEndpointForOrdinal(addressing, i));
}
