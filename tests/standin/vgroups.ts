/**
 * Vgroup placement and leadership: where a new database's vgroups go, where a leaving dnode's vnodes move,
 * and whether a vgroup can serve (docs/tdengine.md#database-replicas, #drop-dnode, #system-tables).
 */

import { Dnode, Model, SUPPORT_VNODES, Vgroup } from "./model";

/** One vnode of a leaving dnode and the dnode it moves to. */
export interface Move {
    readonly vgroup: Vgroup;
    readonly target: number;
}

export class Vgroups {
    constructor(private readonly model: Model) {}

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

    /** A vgroup has a leader while a majority of its replicas' dnodes are online. */
    hasLeader(vgroup: Vgroup): boolean {
        const live = vgroup.replicas.filter((id) => this.model.dnodes.get(id)?.online).length;
        return live * 2 > this.model.replicaOf(vgroup);
    }

    private bestDnodes(load: ReadonlyMap<number, number>, eligible: (d: Dnode) => boolean): number[] {
        const score = (d: Dnode): number => ((load.get(d.id) ?? 0) + (this.model.mnodes.has(d.id) ? 0.9 : 0)) / SUPPORT_VNODES;
        return [...this.model.dnodes.values()]
            .filter((d) => d.online && !d.dropping && eligible(d))
            .sort((a, b) => score(a) - score(b) || a.id - b.id)
            .map((d) => d.id);
    }
}
