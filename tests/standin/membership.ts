/**
 * Which dnodes belong to the cluster and whether their taosd runs: dnodes that join (the official image's
 * entrypoint), stop, restart and come back on old data, and `create dnode` / `drop dnode` with the vnode
 * moves a drop waits for (docs/tdengine.md#joining-dnodes, #drop-dnode, #drop-dnode-takes-its-mnode,
 * #offline-dnode, #dropped-dnode-returns, #mnode-leader-failover).
 */

import { ERR } from "./codes";
import { DropMode } from "./sql";
import { DataDir, Dnode, fail, Model, ok, StatementResult } from "./model";
import { Mnodes } from "./mnodes";
import { OFFLINE_DROP_RELEASE, ONLINE_DROP_RELEASE, TIMING } from "./timing";
import { Move, Vgroups } from "./vgroups";

export class Membership {
    constructor(
        private readonly model: Model,
        private readonly mnodes: Mnodes,
        private readonly vgroups: Vgroups,
    ) {}

    // ---- taosd processes (what a pod does) -------------------------------------------------------

    /**
     * Starts a taosd on `endpoint`, as the official image's entrypoint does: the first endpoint ever
     * started becomes dnode 1 with the only mnode; any other fresh one runs `create dnode` itself.
     * `data` defaults to `own` when a dnode has this endpoint, else `fresh`; `version` (the pod's image) to
     * the cluster's default.
     */
    startDnode(endpoint: string, data?: DataDir, version = this.model.defaultVersion): void {
        const { model } = this;
        if (model.processes.has(endpoint)) throw new Error(`A taosd already runs on ${endpoint}; stop it first.`);
        const dnode = model.dnodeAt(endpoint);
        const dir = data ?? (dnode ? "own" : "fresh");
        if (dir === "dropped" && !model.droppedEndpoints.has(endpoint)) {
            throw new Error(`No dnode with the endpoint ${endpoint} was ever dropped: there is no such data dir.`);
        }
        if (dir === "fresh" && dnode?.everRan) {
            throw new Error(`Not modelled: dnode ${dnode.id} (${endpoint}) restarted on an empty data dir (docs/tdengine.md does not show it).`);
        }
        if (dir === "own" && !dnode) throw new Error(`No dnode has the endpoint ${endpoint}: there is no "own" data dir to start on.`);
        model.events.record("process.started", `${endpoint} (${dir} data)`);
        if (dir === "dropped") this.startOnDroppedData(endpoint, dnode, version);
        else if (dnode) this.restart(dnode, version);
        else this.join(endpoint, version);
    }

    /** The taosd on `endpoint` is gone (pod deleted, SIGKILL). */
    stopDnode(endpoint: string): void {
        const { model } = this;
        const process = model.processes.get(endpoint);
        if (!process) throw new Error(`No taosd runs on ${endpoint}.`);
        model.processes.delete(endpoint);
        model.events.record("process.stopped", endpoint);
        const dnode = model.dnodeAt(endpoint);
        // A zombie belongs to no dnode: nobody notices it go (docs/tdengine.md#drop-dnode, #dropped-dnode-returns).
        if (process.role === "zombie" || !dnode) return;
        const epoch = ++dnode.epoch;
        dnode.serving = false;
        this.vgroups.dnodeStopped(dnode.id);
        const stoppedAt = Date.now();
        const heldLeader = this.mnodes.heldLeader(dnode.id);
        // docs/tdengine.md#offline-dnode: `offline` / `status msg timeout` about 4 s later.
        // docs/tdengine.md#mnode-leader-failover: when it held the mnode leader, the new leader never got its
        // status: `status not received` (and support_vnodes 0).
        model.scheduler.after(heldLeader ? TIMING.offlineDetectLeaderMs : TIMING.offlineDetectMs, () => {
            if (dnode.epoch !== epoch || !model.dnodes.has(dnode.id) || !dnode.online) return;
            this.markOffline(dnode, heldLeader ? "status not received" : "status msg timeout");
        });
        if (heldLeader) {
            // docs/tdengine.md#mnode-leader-failover: a follower is leader 5 s after the kill, its role_time 3 s after it.
            const roleTime = stoppedAt + model.scheduler.scale(TIMING.leaderRoleTimeMs);
            model.scheduler.after(TIMING.leaderVisibleMs, () => this.mnodes.electLeader(roleTime));
        }
    }

    /** A fresh taosd: dnode 1 of a new cluster, or a new dnode the entrypoint adds with `create dnode`. */
    private join(endpoint: string, version: string): void {
        this.model.processes.set(endpoint, { endpoint, role: "member", startedAt: Date.now(), version });
        if (this.model.nextDnodeId === 1) this.bootstrap(endpoint);
        else this.register(endpoint, true);
    }

    private bootstrap(endpoint: string): void {
        const dnode = this.register(endpoint, true);
        this.model.clusterCreateTime = dnode.createTime;
        this.mnodes.bootstrap(dnode);
    }

    /** docs/tdengine.md#joining-dnodes, #dropped-dnode-returns: `create dnode` → Create OK and the dnode is `ready` under the next id. */
    private register(endpoint: string, running: boolean): Dnode {
        const { model } = this;
        const now = Date.now();
        const dnode: Dnode = {
            id: model.nextDnodeId++,
            endpoint,
            createTime: now,
            rebootTime: running ? now : 0,
            online: running,
            // source mndDnode.c: a dnode that never sent a status message is offline, `status not received`.
            note: running ? "" : "status not received",
            statusReceived: running,
            dropping: false,
            everRan: running,
            serving: running,
            epoch: 0,
        };
        model.dnodes.set(dnode.id, dnode);
        model.events.record("dnode.registered", model.describe(dnode));
        if (running) model.events.record("dnode.ready", model.describe(dnode));
        return dnode;
    }

    /**
     * docs/tdengine.md#offline-dnode, #sigterm-and-datadir-lock: `ready` with reboot_time 0 after 2 s, reboot_time
     * and mnode `follower` after 3 s; its vnodes then catch up (docs/tdengine.md#rolling-restart).
     */
    private restart(dnode: Dnode, version: string): void {
        const { model } = this;
        const startedAt = Date.now();
        model.processes.set(dnode.endpoint, { endpoint: dnode.endpoint, role: "member", startedAt, version });
        const epoch = ++dnode.epoch;
        if (!dnode.everRan) {
            // docs/tdengine.md#dropped-dnode-returns: a taosd waiting on an empty data dir is admitted at once by `create dnode`.
            Object.assign(dnode, { everRan: true, serving: true, online: true, note: "", statusReceived: true, rebootTime: startedAt });
            model.events.record("dnode.ready", model.describe(dnode));
            return;
        }
        model.scheduler.after(TIMING.restartReadyMs, () => {
            if (dnode.epoch !== epoch) return;
            Object.assign(dnode, { serving: true, online: true, note: "", statusReceived: true, rebootTime: 0 });
            model.events.record("dnode.ready", model.describe(dnode));
            this.vgroups.dnodeServing(dnode.id, () => dnode.epoch === epoch);
        });
        model.scheduler.after(TIMING.restartRejoinMs, () => {
            if (dnode.epoch !== epoch) return;
            dnode.rebootTime = startedAt;
            this.mnodes.dnodeRejoined(dnode.id);
        });
    }

    private startOnDroppedData(endpoint: string, dnode: Dnode | undefined, version: string): void {
        const { model } = this;
        if (!dnode) {
            // docs/tdengine.md#dropped-dnode-returns: it runs for ever, answers on its port, and never appears in `show dnodes`.
            model.processes.set(endpoint, { endpoint, role: "zombie", startedAt: Date.now(), version });
            return;
        }
        // docs/tdengine.md#dropped-dnode-returns: the old id's taosd on the endpoint of the dnode that replaced
        // it makes that dnode `ready` with reboot_time 0, then `offline` / `dnodeId not match`.
        model.processes.set(endpoint, { endpoint, role: "impostor", startedAt: Date.now(), version });
        const epoch = ++dnode.epoch;
        model.scheduler.after(TIMING.impostorReadyMs, () => {
            if (dnode.epoch !== epoch) return;
            Object.assign(dnode, { online: true, note: "", statusReceived: true, rebootTime: 0 });
            model.events.record("dnode.ready", model.describe(dnode));
        });
        model.scheduler.after(TIMING.impostorMismatchMs, () => {
            if (dnode.epoch !== epoch) return;
            this.markOffline(dnode, "dnodeId not match");
        });
    }

    /**
     * docs/tdengine.md#offline-dnode: `status msg timeout` keeps support_vnodes and reboot_time;
     * #mnode-leader-failover: `status not received` shows support_vnodes 0 and reboot_time 1970;
     * #dropped-dnode-returns: `dnodeId not match` keeps support_vnodes 16 (its reboot_time is already 0).
     */
    private markOffline(dnode: Dnode, note: string): void {
        dnode.online = false;
        dnode.note = note;
        if (note === "status not received") {
            dnode.statusReceived = false;
            dnode.rebootTime = 0;
        }
        this.mnodes.dnodeOffline(dnode.id);
        this.model.events.record("dnode.offline", `${this.model.describe(dnode)} ${note}`);
    }

    // ---- statements ----------------------------------------------------------------------------------

    createDnode(endpoint: string): StatementResult {
        const { model } = this;
        if (model.dnodeAt(endpoint)) return fail(ERR.DNODE_ALREADY_EXIST);
        const zombie = model.processes.get(endpoint);
        const dnode = this.register(endpoint, false);
        // docs/tdengine.md#dropped-dnode-returns: an old id's taosd on this endpoint cannot serve the new id.
        if (zombie) this.startOnDroppedData(endpoint, dnode, zombie.version);
        return ok();
    }

    async dropDnode(dnodeId: number, mode: DropMode): Promise<StatementResult> {
        const { model } = this;
        const dnode = model.dnodes.get(dnodeId);
        if (!dnode) return fail(ERR.DNODE_NOT_EXIST); // docs/tdengine.md#mnode-already-exists, #drop-dnode
        // Not captured: a second drop while the first still moves vnodes (source sdbAcquire on a DROPPING dnode).
        if (dnode.dropping) return fail(ERR.OBJECT_DROPPING);
        const mnode = model.mnodes.get(dnodeId);
        // Not captured: source mndDnode.c mndProcessDropDnodeReq refuses the last mnode and the leader's dnode.
        if (mnode && model.mnodes.size <= 1) return fail(ERR.TOO_FEW_MNODES);
        if (mnode?.role === "leader") return fail(ERR.CANT_DROP_LEADER);
        if (dnode.online && mode !== "plain") return fail(ERR.ONLY_WHEN_OFFLINE); // docs/tdengine.md#drop-dnode
        const held = model.vgroupsOn(dnodeId);
        if (!dnode.online && mode === "plain" && (held.length > 0 || mnode)) {
            // docs/tdengine.md#offline-dnode: `Vnode is offline` (the mnode log names the offline vgroup). An
            // offline dnode with an mnode and no vnode is not captured: source mndProcessDropDnodeReq says `Dnode is offline`.
            return fail(held.length > 0 ? ERR.VNODE_OFFLINE : ERR.DNODE_OFFLINE);
        }
        // docs/tdengine.md#database-replicas: each vnode needs a new home, or `Out of dnodes`.
        const moves = this.vgroups.planMoves(dnodeId, held);
        if (!moves) return fail(ERR.OUT_OF_DNODES);
        if (mode === "force" && held.some((v) => model.replicaOf(v) === 1)) return fail(ERR.UNSAFE_DELETE); // docs/tdengine.md#offline-dnode
        return this.runDrop(dnode, moves, mnode !== undefined);
    }

    /**
     * docs/tdengine.md#drop-dnode (empty: 5 ms; 4 vnodes online: blocks 21 s, `dropping`, targets gain vnodes
     * at once, the leaving count falls to 0 at ~half time, then gone), #drop-dnode-takes-its-mnode (an mnode:
     * 1.26 s, dropped with it), #offline-dnode (unsafe, offline: `dropping*`, 9.8 s for 7 vnodes,
     * single-replica vgroups recreated empty). Its taosd keeps running afterwards (docs/tdengine.md#drop-dnode).
     */
    private async runDrop(dnode: Dnode, moves: readonly Move[], withMnode: boolean): Promise<StatementResult> {
        const { model } = this;
        const online = dnode.online;
        const perVnode = online ? TIMING.moveVnodeMs : TIMING.unsafeVnodeMs;
        const duration = Math.max(TIMING.dropEmptyDnodeMs, (withMnode ? TIMING.dropDnodeMnodeMs : 0) + moves.length * perVnode);
        dnode.dropping = true;
        model.events.record("dnode.dropping", model.describe(dnode));
        moves.forEach((move, i) => {
            this.vgroups.addReplica(move.vgroup, move.target);
            model.scheduler.after(duration * releaseFraction(online, i, moves.length), () => this.releaseVnode(move, dnode.id, online));
        });
        await model.scheduler.sleep(duration);
        for (const move of moves) this.releaseVnode(move, dnode.id, online);
        this.mnodes.remove(dnode.id);
        model.dnodes.delete(dnode.id);
        model.droppedEndpoints.add(dnode.endpoint);
        const process = model.processes.get(dnode.endpoint);
        if (process?.role === "member") process.role = "zombie";
        model.events.record("dnode.dropped", model.describe(dnode));
        return ok();
    }

    private releaseVnode(move: Move, dnodeId: number, online: boolean): void {
        const { model } = this;
        const { vgroup } = move;
        if (!model.vgroups.has(vgroup.id) || !vgroup.replicas.includes(dnodeId)) return;
        this.vgroups.removeReplica(vgroup, dnodeId, move.target);
        const db = model.databases.get(vgroup.db);
        if (online || !db || db.replica > 1) return;
        // docs/tdengine.md#offline-dnode: `unsafe` recreates a single-replica vgroup empty on its new dnode; its tables are gone.
        const lost = [...db.tables].filter(([, table]) => table.vgroupId === vgroup.id).map(([name]) => name);
        for (const name of lost) db.tables.delete(name);
        model.events.record("data.lost", `vgroup ${vgroup.id} tables ${lost.join(",")}`);
    }
}

/** When, as a fraction of the drop, the i-th of n leaving vnodes is released (see timing.ts). */
function releaseFraction(online: boolean, i: number, n: number): number {
    if (!online) return OFFLINE_DROP_RELEASE;
    const { from, to } = ONLINE_DROP_RELEASE;
    return n === 1 ? from : from + ((to - from) * i) / (n - 1);
}
