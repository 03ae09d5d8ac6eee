/**
 * Vgroups: where a new database's vgroups go, where a leaving dnode's vnodes move, which replica leads and
 * the elections when a leader's dnode stops, replicas catching up after a restart, `balance vgroup` and
 * `balance vgroup leader` (docs/tdengine.md#database-replicas, #drop-dnode, #system-tables,
 * #rolling-restart, #balance-vgroup).
 */

import { Dnode, Model, ok, StatementResult, SUPPORT_VNODES, Vgroup } from "./model";
import { TIMING } from "./timing";

/** One vnode of a leaving dnode and the dnode it moves to. */
export interface Move {
    readonly vgroup: Vgroup;
    readonly target: number;
}

/** A replica's status as ins_vgroups shows it (docs/tdengine.md#system-tables). */
export type ReplicaStatus = "leader" | "follower" | "offline";

export class Vgroups {
    /** Inserts and reads waiting for a vgroup to have a leader again, by vgroup id. */
    private readonly waiting = new Map<number, Array<() => void>>();

    constructor(private readonly model: Model) {}

    // ---- placement -------------------------------------------------------------------------------

    /**
     * Source mndVgroup.c mndGetAvailableDnode: each vgroup takes the `replica` best-scored online dnodes,
     * ids sorted. With ties broken by id this reproduces docs/tdengine.md#system-tables (d13a on dnodes 2
     * and 3; d13b on 1,2,4 and 1,3,4).
     */
    place(count: number, replica: number): number[][] | undefined {
        const load = this.model.vnodeLoad();
        const placement: number[][] = [];
        for (let i = 0; i < count; i++) {
            const chosen = this.bestDnodes(load, () => true).slice(0, replica);
            if (chosen.length < replica) return undefined;
            for (const id of chosen) load.set(id, (load.get(id) ?? 0) + 1);
            placement.push(chosen.sort((a, b) => a - b));
        }
        return placement;
    }

    /** A new vgroup on these dnodes, its leader the replica that leads the fewest vgroups so far. */
    create(db: string, replicas: number[]): Vgroup {
        const vgroup: Vgroup = {
            id: this.model.nextVgroupId++, db, replicas, leader: undefined, catchingUp: new Set(), elections: 0, electing: false,
        };
        this.model.vgroups.set(vgroup.id, vgroup);
        this.setLeader(vgroup, this.leastLeading(replicas, this.leaderCounts()));
        return vgroup;
    }

    /**
     * Source mndVgroup.c mndBuildDnodesArray / mndGetDnodeScore: candidates are online dnodes other than
     * the leaving one, scored (vnodes + 0.9 if it holds an mnode) / support_vnodes, lowest first. The real
     * sort is qsort, whose order among equal scores this model replaces by the lowest id; with that it
     * reproduces the moves of docs/tdengine.md#drop-dnode exactly (vgroups 6, 10 to dnodes 2, 3; 14 to 3; 15 to 2).
     */
    planMoves(leaving: number, held: readonly Vgroup[]): Move[] | undefined {
        const load = this.model.vnodeLoad();
        const moves: Move[] = [];
        for (const vgroup of held) {
            const target = this.bestDnodes(load, (d) => d.id !== leaving && !vgroup.replicas.includes(d.id))[0];
            if (target === undefined) return undefined;
            load.set(target, (load.get(target) ?? 0) + 1);
            moves.push({ vgroup, target });
        }
        return moves;
    }

    /** A moving vnode's new replica: it copies the vgroup's data, `offline` until then (docs/tdengine.md#drop-dnode). */
    addReplica(vgroup: Vgroup, dnodeId: number): void {
        vgroup.replicas.push(dnodeId);
        vgroup.catchingUp.add(dnodeId);
        this.model.events.record("vnode.added", `vgroup ${vgroup.id} dnode ${dnodeId}`);
    }

    /**
     * The old replica of a move leaves; the new ones have caught up by then. A vgroup whose leader left
     * elects a new one: docs/tdengine.md#drop-dnode saw replica-3 vgroups leaderless for 5-8 s during a drop.
     */
    removeReplica(vgroup: Vgroup, dnodeId: number, arrived: number): void {
        vgroup.replicas = vgroup.replicas.filter((id) => id !== dnodeId);
        vgroup.catchingUp.delete(arrived);
        this.model.events.record("vnode.removed", `vgroup ${vgroup.id} dnode ${dnodeId}`);
        if (vgroup.leader === dnodeId) this.loseLeader(vgroup);
        this.elect(vgroup);
    }

    // ---- leadership ------------------------------------------------------------------------------

    /** A vgroup serves reads and writes while its leader's dnode serves. */
    hasLeader(vgroup: Vgroup): boolean {
        return vgroup.leader !== undefined && this.model.serving(vgroup.leader);
    }

    /** Every replica leader or follower on a serving dnode: what a whole cluster shows. */
    inSync(vgroup: Vgroup): boolean {
        return this.hasLeader(vgroup) && vgroup.replicas.every((id) => this.status(vgroup, id) !== "offline");
    }

    /** docs/tdengine.md#system-tables: `leader` / `follower`, `offline` for a replica that is down or not in sync. */
    status(vgroup: Vgroup, dnodeId: number): ReplicaStatus {
        if (!this.model.serving(dnodeId) || vgroup.catchingUp.has(dnodeId)) return "offline";
        return vgroup.leader === dnodeId ? "leader" : "follower";
    }

    /**
     * Resolves true once the vgroup has a leader, false if it has none within `realMs` of TDengine time: a
     * write to a vgroup that is electing waits for the new leader (docs/tdengine.md#rolling-restart: one insert
     * waited 8.4 s, then succeeded).
     */
    async waitForLeader(vgroup: Vgroup, realMs: number): Promise<boolean> {
        if (this.hasLeader(vgroup)) return true;
        return new Promise((resolve) => {
            const waiters = this.waiting.get(vgroup.id) ?? [];
            const done = (): void => resolve(true);
            waiters.push(done);
            this.waiting.set(vgroup.id, waiters);
            this.model.scheduler.after(realMs, () => {
                const still = this.waiting.get(vgroup.id) ?? [];
                if (still.includes(done)) {
                    this.waiting.set(vgroup.id, still.filter((w) => w !== done));
                    resolve(false);
                }
            });
        });
    }

    /**
     * The dnode's taosd stopped: its vnodes are gone with it, and the vgroups it led have no leader until the
     * others elect one (docs/tdengine.md#rolling-restart: one election, 6-8.4 s; the vgroups it only followed
     * keep serving, unless too few of their replicas serve). A single-replica vgroup waits for its dnode to come
     * back (docs/tdengine.md#offline-dnode).
     */
    dnodeStopped(dnodeId: number): void {
        for (const vgroup of this.model.vgroupsOn(dnodeId)) {
            vgroup.catchingUp.delete(dnodeId);
            // A leader left without a majority of serving replicas steps down: it can commit nothing.
            if (vgroup.leader === dnodeId || (vgroup.leader !== undefined && !this.hasQuorum(vgroup))) this.loseLeader(vgroup);
            this.elect(vgroup);
        }
    }

    /**
     * The restarted dnode serves again: its vnodes replay their log and rejoin as followers
     * (docs/tdengine.md#rolling-restart); a single-replica vnode leads again at once, and a vgroup that could
     * not elect a leader without this replica elects one once it has caught up.
     */
    dnodeServing(dnodeId: number, isCurrent: () => boolean): void {
        for (const vgroup of this.model.vgroupsOn(dnodeId)) {
            if (vgroup.replicas.length === 1) {
                this.setLeader(vgroup, dnodeId);
                continue;
            }
            vgroup.catchingUp.add(dnodeId);
            this.model.scheduler.after(TIMING.vnodeCatchUpMs, () => {
                if (!isCurrent() || !vgroup.catchingUp.delete(dnodeId)) return;
                this.model.events.record("vnode.synced", `vgroup ${vgroup.id} dnode ${dnodeId}`);
                this.elect(vgroup);
            });
        }
    }

    /**
     * `balance vgroup` (docs/tdengine.md#balance-vgroup): while the most loaded dnode (vnodes + 0.9 for an
     * mnode, ties: highest id) holds more than one vnode more than the least loaded (ties: lowest id), its
     * lowest-id vgroup that the other lacks and that has not moved yet in this balance moves there; each
     * vgroup moves at most once (source mndVgroup.c mndBalanceVgroup's balanced set). This reproduces the
     * recorded 3 -> 5 dnode balance exactly (vgroup 2: dnode 3 -> 4; vgroup 3: dnode 2 -> 5). Blocks until
     * every move is done, 21.3 s each.
     */
    async balance(): Promise<StatementResult> {
        const moved = new Set<number>();
        let moves = 0;
        for (let move = this.nextBalanceMove(moved); move !== undefined; move = this.nextBalanceMove(moved)) {
            const { vgroup, from, to } = move;
            moved.add(vgroup.id);
            moves++;
            this.addReplica(vgroup, to);
            await this.model.scheduler.sleep(TIMING.balanceMoveMs);
            // The new replica takes the old one's place in the column order, as the recorded vgroup 3 (1,2,3 -> 1,5,3) shows.
            vgroup.replicas = vgroup.replicas.filter((id) => id !== to).map((id) => (id === from ? to : id)).concat(from);
            this.removeReplica(vgroup, from, to);
        }
        this.model.events.record("vgroups.balanced", `${moves} move(s)`);
        return ok();
    }

    /**
     * `balance vgroup leader` returns at once and spreads the leaders: each vgroup, in id order, is led by
     * its in-sync replica that leads the fewest so far (keeping its leader on a tie). Re-elections happen
     * after it returns (docs/tdengine.md#balance-vgroup). `balance vgroup leader on <id>` is accepted and
     * moves nothing: the community edition cannot hand a leader off a dnode (docs/tdengine.md#rolling-restart).
     */
    balanceLeaders(vgroupId: number | undefined): StatementResult {
        if (vgroupId !== undefined) return ok();
        const counts = new Map<number, number>();
        const plan: Array<[Vgroup, number]> = [];
        for (const vgroup of [...this.model.vgroups.values()].sort((a, b) => a.id - b.id)) {
            if (!this.hasLeader(vgroup)) continue;
            const eligible = vgroup.replicas.filter((id) => this.status(vgroup, id) !== "offline");
            const fewest = Math.min(...eligible.map((id) => counts.get(id) ?? 0));
            const current = vgroup.leader ?? eligible[0];
            const next = (counts.get(current) ?? 0) === fewest ? current : this.leastLeading(eligible, counts);
            counts.set(next, (counts.get(next) ?? 0) + 1);
            if (next !== vgroup.leader) plan.push([vgroup, next]);
        }
        this.model.scheduler.after(0, () => {
            for (const [vgroup, next] of plan) if (this.status(vgroup, next) === "follower") this.setLeader(vgroup, next);
        });
        return ok();
    }

    private nextBalanceMove(moved: ReadonlySet<number>): { vgroup: Vgroup; from: number; to: number } | undefined {
        const load = this.model.vnodeLoad();
        const score = (d: Dnode): number => (load.get(d.id) ?? 0) + (this.model.mnodes.has(d.id) ? 0.9 : 0);
        const candidates = [...this.model.dnodes.values()].filter((d) => d.online && d.serving && !d.dropping);
        if (candidates.length < 2) return undefined;
        const src = candidates.reduce((a, b) => (score(b) > score(a) || (score(b) === score(a) && b.id > a.id) ? b : a));
        const dst = candidates.reduce((a, b) => (score(b) < score(a) || (score(b) === score(a) && b.id < a.id) ? b : a));
        if (!(score(src) > score(dst) + 1)) return undefined;
        const vgroup = this.model.vgroupsOn(src.id).find((v) => !moved.has(v.id) && !v.replicas.includes(dst.id));
        return vgroup && { vgroup, from: src.id, to: dst.id };
    }

    private loseLeader(vgroup: Vgroup): void {
        vgroup.leader = undefined;
        this.model.events.record("vgroup.leaderless", `vgroup ${vgroup.id}`);
    }

    /**
     * Starts an election unless the vgroup has a leader, one is under way, or too few replicas serve: a
     * majority of the database's replica count must (3 replicas: 2). The winner is an in-sync replica.
     */
    private elect(vgroup: Vgroup): void {
        if (vgroup.leader !== undefined || vgroup.electing || !this.model.vgroups.has(vgroup.id)) return;
        if (vgroup.replicas.length === 1) {
            if (this.model.serving(vgroup.replicas[0])) this.setLeader(vgroup, vgroup.replicas[0]);
            return;
        }
        if (!this.hasQuorum(vgroup)) return;
        vgroup.electing = true;
        this.model.scheduler.after(this.electionMs(vgroup), () => {
            vgroup.electing = false;
            vgroup.elections++;
            const candidates = vgroup.replicas.filter((id) => this.status(vgroup, id) === "follower");
            if (vgroup.leader !== undefined || !this.model.vgroups.has(vgroup.id)) return;
            if (this.hasQuorum(vgroup) && candidates.length > 0) this.setLeader(vgroup, this.leastLeading(candidates, this.leaderCounts()));
            else this.elect(vgroup);
        });
    }

    private hasQuorum(vgroup: Vgroup): boolean {
        return vgroup.replicas.filter((id) => this.model.serving(id)).length * 2 > this.model.replicaOf(vgroup);
    }

    /** docs/tdengine.md#rolling-restart: 6-8.4 s; successive elections of a vgroup take 6.0, 6.8, 7.6, 8.4 s, ... */
    private electionMs(vgroup: Vgroup): number {
        const { vgroupElectionMinMs: min, vgroupElectionMaxMs: max } = TIMING;
        return min + (((vgroup.id + vgroup.elections) % 4) * (max - min)) / 3;
    }

    private setLeader(vgroup: Vgroup, dnodeId: number): void {
        vgroup.leader = dnodeId;
        this.model.events.record("vgroup.leader", `vgroup ${vgroup.id} dnode ${dnodeId}`);
        const waiters = this.waiting.get(vgroup.id) ?? [];
        this.waiting.delete(vgroup.id);
        for (const wake of waiters) wake();
    }

    private leaderCounts(): Map<number, number> {
        const counts = new Map<number, number>();
        for (const v of this.model.vgroups.values()) if (v.leader !== undefined) counts.set(v.leader, (counts.get(v.leader) ?? 0) + 1);
        return counts;
    }

    private leastLeading(dnodeIds: readonly number[], counts: ReadonlyMap<number, number>): number {
        return [...dnodeIds].sort((a, b) => (counts.get(a) ?? 0) - (counts.get(b) ?? 0) || a - b)[0];
    }

    private bestDnodes(load: ReadonlyMap<number, number>, eligible: (d: Dnode) => boolean): number[] {
        const score = (d: Dnode): number => ((load.get(d.id) ?? 0) + (this.model.mnodes.has(d.id) ? 0.9 : 0)) / SUPPORT_VNODES;
        return [...this.model.dnodes.values()]
            .filter((d) => d.online && !d.dropping && eligible(d))
            .sort((a, b) => score(a) - score(b) || a.id - b.id)
            .map((d) => d.id);
    }
}
