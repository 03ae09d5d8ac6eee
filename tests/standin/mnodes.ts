/**
 * The mnodes: the first dnode's mnode, `create mnode` / `drop mnode` with their delays and intermediate
 * states, and the election of a new leader when the leader's dnode dies
 * (docs/tdengine.md#create-mnode, #mnode-already-exists, #mnode-leader-failover).
 */

import { ERR } from "./codes";
import { Dnode, fail, Mnode, MnodeRole, Model, ok, StatementResult } from "./model";
import { TIMING } from "./timing";
import { MnodeTransactions } from "./transactions";

export class Mnodes {
    private readonly transactions = new MnodeTransactions();

    constructor(private readonly model: Model) {}

    /** docs/tdengine.md#joining-dnodes: dnode 1 holds the only mnode, `leader`; the entrypoint never creates others. */
    bootstrap(dnode: Dnode): void {
        this.model.mnodes.set(dnode.id, { dnodeId: dnode.id, createTime: dnode.createTime, role: "leader", status: "ready", roleTime: dnode.createTime });
        this.model.events.record("mnode.created", this.model.describe(dnode));
        this.model.events.record("mnode.role", `${this.model.describe(dnode)} leader`);
    }

    /** docs/tdengine.md#create-mnode: ~4.6 s; `offline`/`creating`, then `offline`/`ready` at Create OK, then `follower` ~1 s later. */
    create(dnodeId: number): Promise<StatementResult> {
        // docs/tdengine.md#conflict-transaction: refused before any other check, `Mnode already exists` included.
        return this.transactions.run(`create mnode on dnode ${dnodeId}`, () => this.createNow(dnodeId));
    }

    private async createNow(dnodeId: number): Promise<StatementResult> {
        const { model } = this;
        // Checks in the order of source mndMnode.c mndProcessCreateMnodeReq (docs/tdengine.md#mnode-already-exists, #create-mnode).
        if (model.mnodes.has(dnodeId)) return fail(ERR.MNODE_ALREADY_EXIST);
        const dnode = model.dnodes.get(dnodeId);
        if (!dnode || dnode.dropping) return fail(ERR.DNODE_NOT_EXIST);
        if (model.mnodes.size >= 3) return fail(ERR.TOO_MANY_MNODES);
        if (!dnode.online) return fail(ERR.DNODE_OFFLINE);
        const mnode: Mnode = { dnodeId, createTime: Date.now(), role: "offline", status: "creating", roleTime: 0 };
        model.mnodes.set(dnodeId, mnode);
        model.events.record("mnode.created", model.describe(dnode));
        await model.scheduler.sleep(TIMING.createMnodeMs);
        mnode.status = "ready";
        model.events.record("mnode.ready", model.describe(dnode));
        const readyAt = Date.now();
        model.scheduler.after(TIMING.mnodeFollowerAfterMs, () => {
            if (model.mnodes.get(dnodeId) === mnode && mnode.role === "offline" && dnode.online) this.setRole(mnode, "follower", readyAt);
        });
        return ok();
    }

    /** docs/tdengine.md#create-mnode: Drop OK after 1.36 s; no `dropping` state was seen, the mnode is just gone. */
    drop(dnodeId: number): Promise<StatementResult> {
        return this.transactions.run(`drop mnode on dnode ${dnodeId}`, () => this.dropNow(dnodeId));
    }

    private async dropNow(dnodeId: number): Promise<StatementResult> {
        const { model } = this;
        // Not captured: refusals in the order of source mndMnode.c mndProcessDropMnodeReq.
        const mnode = model.mnodes.get(dnodeId);
        if (!mnode) return fail(ERR.MNODE_NOT_EXIST);
        if (mnode.role === "leader") return fail(ERR.CANT_DROP_LEADER);
        if (model.mnodes.size <= 1) return fail(ERR.TOO_FEW_MNODES);
        if (!model.dnodes.get(dnodeId)?.online) return fail(ERR.DNODE_OFFLINE);
        await model.scheduler.sleep(TIMING.dropMnodeMs);
        this.remove(dnodeId);
        return ok();
    }

    /** Also what a dropped dnode does to its mnode (docs/tdengine.md#drop-dnode-takes-its-mnode). */
    remove(dnodeId: number): void {
        if (!this.model.mnodes.delete(dnodeId)) return;
        this.model.events.record("mnode.dropped", this.model.describeId(dnodeId));
    }

    /** The dnode's taosd stopped: whether it held the leader, so the caller knows an election follows. */
    heldLeader(dnodeId: number): boolean {
        return this.model.mnodes.get(dnodeId)?.role === "leader";
    }

    /** The dnode's mnode (if any) went offline with it. */
    dnodeOffline(dnodeId: number): void {
        const mnode = this.model.mnodes.get(dnodeId);
        if (mnode) this.setRole(mnode, "offline", 0);
    }

    /** The restarted dnode's mnode rejoins as a follower; a cluster without a leader elects one. */
    dnodeRejoined(dnodeId: number): void {
        const mnode = this.model.mnodes.get(dnodeId);
        if (mnode?.role === "offline") this.setRole(mnode, "follower", Date.now());
        // docs/tdengine.md#two-mnodes: 2 mnodes, the leader's dnode stopped and started again: the mnode
        // that stayed up leads afterwards.
        if (!this.leader()) this.electLeader(Date.now(), dnodeId);
    }

    /**
     * docs/tdengine.md#mnode-leader-failover: the follower on dnode 3 (the highest id) became leader. Raft
     * needs a majority of the mnodes online; without one the cluster stays leaderless until enough come back.
     */
    electLeader(roleTime: number, rejoined?: number): void {
        const { model } = this;
        const alive = [...model.mnodes.values()].filter((m) => model.dnodes.get(m.dnodeId)?.online && m.status === "ready");
        if (this.leader() || alive.length * 2 <= model.mnodes.size) return;
        const stayedUp = alive.filter((m) => m.dnodeId !== rejoined);
        const next = (stayedUp.length > 0 ? stayedUp : alive).reduce((a, b) => (b.dnodeId > a.dnodeId ? b : a));
        for (const mnode of alive) this.setRole(mnode, mnode === next ? "leader" : "follower", roleTime);
        // docs/tdengine.md#mnode-leader-failover: the new leader never heard from dnodes already offline.
        for (const dnode of model.dnodes.values()) {
            if (!dnode.online) Object.assign(dnode, { note: "status not received", statusReceived: false, rebootTime: 0 });
        }
    }

    leader(): Mnode | undefined {
        return [...this.model.mnodes.values()].find((m) => m.role === "leader" && this.model.dnodes.get(m.dnodeId)?.online);
    }

    private setRole(mnode: Mnode, role: MnodeRole, roleTime: number): void {
        mnode.role = role;
        mnode.roleTime = roleTime;
        this.model.events.record("mnode.role", `${this.model.describeId(mnode.dnodeId)} ${role}`);
    }
}
