/**
 * A TDengine 3.3.7.5 cluster as the captures in /work/shared/tdengine/captures show it: dnodes that join,
 * die and come back; up to three mnodes with a leader; databases whose vgroups place their replicas on
 * distinct dnodes; and the mnode's answers, delays and intermediate states for each statement. Each
 * behaviour names the capture it reproduces; nothing here reads the captures at run time.
 */

import { ERR, TaosError, invalidReplications, syntaxError } from "./codes";
import { EventLog } from "./events";
import { ALIVE_COLUMNS, COUNT_COLUMNS, Column, SYSTEM_COLUMNS, SystemTable, timestamp } from "./schema";
import { DropMode, Filter, Statement, TableRef } from "./sql";
import { OFFLINE_DROP_RELEASE, ONLINE_DROP_RELEASE, Scheduler, TIMING } from "./timing";

/**
 * What a taosd process starts on. `fresh`: an empty data dir (a new pod or a new PVC); `own`: the data
 * dir of the dnode registered for that endpoint (a restart); `dropped`: the data dir of a dnode that has
 * since been dropped (the pod came back with its old PVC).
 */
export type DataDir = "fresh" | "own" | "dropped";

export type Cell = string | number | null;

/** What a statement produced, before taosAdapter turns it into JSON. */
export type StatementResult =
    | { readonly kind: "rows"; readonly columns: readonly Column[]; readonly data: readonly (readonly Cell[])[] }
    | { readonly kind: "affected"; readonly rows: number }
    | { readonly kind: "error"; readonly error: TaosError };

export interface DnodeView {
    readonly id: number;
    readonly endpoint: string;
    readonly vnodes: number;
    readonly supportVnodes: number;
    readonly status: string;
    readonly createTime: number;
    readonly rebootTime: number;
    readonly note: string;
}

export interface MnodeView {
    readonly id: number;
    readonly endpoint: string;
    readonly role: string;
    readonly status: string;
    readonly createTime: number;
    readonly roleTime: number;
}

export interface DatabaseView {
    readonly name: string;
    readonly replica: number;
    readonly vgroups: ReadonlyArray<{ readonly id: number; readonly dnodes: readonly number[] }>;
    /** Rows per table. */
    readonly tables: Readonly<Record<string, number>>;
}

export interface ProcessView {
    readonly endpoint: string;
    readonly role: ProcessRole;
    readonly startedAt: number;
}

export interface ClusterState {
    readonly dnodes: readonly DnodeView[];
    readonly mnodes: readonly MnodeView[];
    readonly databases: readonly DatabaseView[];
    readonly processes: readonly ProcessView[];
}

/**
 * `member`: the taosd of a registered dnode; `zombie`: a dropped dnode's taosd, which runs on and belongs
 * to no dnode (captures/06, 15, 16, 18 part A); `impostor`: a dropped id's taosd on the endpoint of the
 * dnode that replaced it (captures/18 part C).
 */
export type ProcessRole = "member" | "zombie" | "impostor";
type Role = "leader" | "follower" | "offline";

interface Dnode {
    readonly id: number;
    readonly endpoint: string;
    readonly createTime: number;
    rebootTime: number;
    /** Whether the mnode leader hears this dnode's status messages. */
    online: boolean;
    note: string;
    /** false once a new mnode leader has never heard from it: support_vnodes shows 0 (captures/08). */
    statusReceived: boolean;
    dropping: boolean;
    /** false for a dnode made by `create dnode` whose taosd has not started yet. */
    everRan: boolean;
    /** Bumped on every start/stop of its taosd so that timers of an earlier start/stop do nothing. */
    epoch: number;
}

interface Mnode {
    readonly dnodeId: number;
    readonly createTime: number;
    role: Role;
    status: "creating" | "ready";
    roleTime: number;
}

interface Vgroup {
    readonly id: number;
    readonly db: string;
    /** Dnode ids; one more than the replica count while a drop moves a vnode (captures/16: a 4th replica). */
    replicas: number[];
}

interface Table {
    readonly vgroupId: number;
    rows: number;
}

interface Database {
    readonly name: string;
    readonly replica: number;
    readonly createTime: number;
    readonly vgroupIds: readonly number[];
    readonly tables: Map<string, Table>;
    tablesCreated: number;
    /** false while `create database` runs: its vnodes exist, the database is not listed yet. */
    ready: boolean;
}

interface Process {
    readonly endpoint: string;
    role: ProcessRole;
    readonly startedAt: number;
}

interface Move {
    readonly vgroup: Vgroup;
    readonly target: number;
}

/** captures/02, 13: every dnode of the captures shows support_vnodes 16. */
const SUPPORT_VNODES = 16;
/** captures/05, 13: `create database test1 replica 3` without `vgroups` made 2 vgroups. */
const DEFAULT_VGROUPS = 2;
/**
 * captures/13: the system databases, first in `show databases`, with NULL vgroups and replica and these
 * table counts.
 */
const SYSTEM_DATABASES: ReadonlyArray<readonly [name: string, ntables: number]> = [
    ["information_schema", 42],
    ["performance_schema", 5],
];

const ok = (rows = 0): StatementResult => ({ kind: "affected", rows });
const fail = (error: TaosError): StatementResult => ({ kind: "error", error });

export interface ClusterOptions {
    readonly rootPassword: string;
    readonly scheduler: Scheduler;
    readonly events: EventLog;
}

export class Cluster {
    private readonly dnodes = new Map<number, Dnode>();
    private readonly mnodes = new Map<number, Mnode>();
    private readonly vgroups = new Map<number, Vgroup>();
    private readonly databases = new Map<string, Database>();
    private readonly processes = new Map<string, Process>();
    /** Endpoints that had a dnode which was dropped: a taosd on that old data dir can be started. */
    private readonly droppedEndpoints = new Set<string>();
    /** captures/18, seed guide: ids are never reused, a dropped and re-added endpoint gets max id + 1. */
    private nextDnodeId = 1;
    /** source mndAllocVgroup: vgId 1 is the mnode's, user vgroups count from 2 (captures/05, 13). */
    private nextVgroupId = 2;
    private clusterCreateTime = 0;
    private password: string;
    private readonly scheduler: Scheduler;
    private readonly events: EventLog;

    constructor(options: ClusterOptions) {
        this.password = options.rootPassword;
        this.scheduler = options.scheduler;
        this.events = options.events;
    }

    // ---- taosd processes (what a pod does) -------------------------------------------------------

    /**
     * Starts a taosd on `endpoint`, as the official image's entrypoint does: the first endpoint ever
     * started becomes dnode 1 with the only mnode; any other fresh one runs `create dnode` itself.
     * `data` defaults to `own` when a dnode has this endpoint, else `fresh`.
     */
    startDnode(endpoint: string, data?: DataDir): void {
        if (this.processes.has(endpoint)) throw new Error(`A taosd already runs on ${endpoint}; stop it first.`);
        const dnode = this.dnodeAt(endpoint);
        const dir = data ?? (dnode ? "own" : "fresh");
        if (dir === "dropped" && !this.droppedEndpoints.has(endpoint)) {
            throw new Error(`No dnode with the endpoint ${endpoint} was ever dropped: there is no such data dir.`);
        }
        if (dir === "fresh" && dnode?.everRan) {
            throw new Error(`Not modelled: dnode ${dnode.id} (${endpoint}) restarted on an empty data dir (no capture shows it).`);
        }
        if (dir === "own" && !dnode) throw new Error(`No dnode has the endpoint ${endpoint}: there is no "own" data dir to start on.`);
        this.events.record("process.started", `${endpoint} (${dir} data)`);
        if (dir === "dropped") this.startOnDroppedData(endpoint, dnode);
        else if (dnode) this.restart(dnode);
        else this.join(endpoint);
    }

    /** The taosd on `endpoint` is gone (pod deleted, SIGKILL). */
    stopDnode(endpoint: string): void {
        const process = this.processes.get(endpoint);
        if (!process) throw new Error(`No taosd runs on ${endpoint}.`);
        this.processes.delete(endpoint);
        this.events.record("process.stopped", endpoint);
        const dnode = this.dnodeAt(endpoint);
        // A zombie belongs to no dnode: nobody notices it go (captures/06, 15, 16, 18).
        if (process.role === "zombie" || !dnode) return;
        const epoch = ++dnode.epoch;
        const stoppedAt = Date.now();
        const heldLeader = this.mnodes.get(dnode.id)?.role === "leader";
        // captures/19: `offline` / `status msg timeout` about 4 s later. captures/08: when it held the mnode
        // leader, the new leader never got its status: `status not received` (and support_vnodes 0).
        this.scheduler.after(heldLeader ? TIMING.offlineDetectLeaderMs : TIMING.offlineDetectMs, () => {
            if (dnode.epoch !== epoch || !this.dnodes.has(dnode.id) || !dnode.online) return;
            this.markOffline(dnode, heldLeader ? "status not received" : "status msg timeout");
        });
        if (heldLeader) {
            // captures/08: a follower is leader 5 s after the kill, its role_time 3 s after it.
            this.scheduler.after(TIMING.leaderVisibleMs, () => this.electLeader(stoppedAt + this.scheduler.scale(TIMING.leaderRoleTimeMs)));
        }
    }

    /** A fresh taosd: dnode 1 of a new cluster, or a new dnode the entrypoint adds with `create dnode`. */
    private join(endpoint: string): void {
        this.processes.set(endpoint, { endpoint, role: "member", startedAt: Date.now() });
        if (this.nextDnodeId === 1) this.bootstrap(endpoint);
        else this.register(endpoint, true);
    }

    private bootstrap(endpoint: string): void {
        const dnode = this.register(endpoint, true);
        this.clusterCreateTime = dnode.createTime;
        // captures/02: dnode 1 holds the only mnode, `leader`; the entrypoint never creates others.
        this.mnodes.set(dnode.id, { dnodeId: dnode.id, createTime: dnode.createTime, role: "leader", status: "ready", roleTime: dnode.createTime });
        this.events.record("mnode.created", this.describe(dnode));
        this.events.record("mnode.role", `${this.describe(dnode)} leader`);
    }

    /** captures/01, 18 part B: `create dnode` → Create OK and the dnode is `ready` under the next id. */
    private register(endpoint: string, running: boolean): Dnode {
        const now = Date.now();
        const dnode: Dnode = {
            id: this.nextDnodeId++,
            endpoint,
            createTime: now,
            rebootTime: running ? now : 0,
            online: running,
            // source mndDnode.c: a dnode that never sent a status message is offline, `status not received`.
            note: running ? "" : "status not received",
            statusReceived: running,
            dropping: false,
            everRan: running,
            epoch: 0,
        };
        this.dnodes.set(dnode.id, dnode);
        this.events.record("dnode.registered", this.describe(dnode));
        if (running) this.events.record("dnode.ready", this.describe(dnode));
        return dnode;
    }

    /** captures/17, 21: `ready` with reboot_time 0 after 2 s, reboot_time and mnode `follower` after 3 s. */
    private restart(dnode: Dnode): void {
        const startedAt = Date.now();
        this.processes.set(dnode.endpoint, { endpoint: dnode.endpoint, role: "member", startedAt });
        const epoch = ++dnode.epoch;
        if (!dnode.everRan) {
            // captures/18 part B: a taosd waiting on an empty data dir is admitted at once by `create dnode`.
            Object.assign(dnode, { everRan: true, online: true, note: "", statusReceived: true, rebootTime: startedAt });
            this.events.record("dnode.ready", this.describe(dnode));
            return;
        }
        this.scheduler.after(TIMING.restartReadyMs, () => {
            if (dnode.epoch !== epoch) return;
            Object.assign(dnode, { online: true, note: "", statusReceived: true, rebootTime: 0 });
            this.events.record("dnode.ready", this.describe(dnode));
        });
        this.scheduler.after(TIMING.restartRejoinMs, () => {
            if (dnode.epoch !== epoch) return;
            dnode.rebootTime = startedAt;
            const mnode = this.mnodes.get(dnode.id);
            if (mnode?.role === "offline") this.setRole(mnode, "follower", Date.now());
            if (!this.leader()) this.electLeader(Date.now());
        });
    }

    private startOnDroppedData(endpoint: string, dnode: Dnode | undefined): void {
        if (!dnode) {
            // captures/18 part A: it runs for ever, answers on its port, and never appears in `show dnodes`.
            this.processes.set(endpoint, { endpoint, role: "zombie", startedAt: Date.now() });
            return;
        }
        // captures/18 part C: the old id's taosd on the endpoint of the dnode that replaced it makes that
        // dnode `ready` with reboot_time 0, then `offline` / `dnodeId not match`.
        this.processes.set(endpoint, { endpoint, role: "impostor", startedAt: Date.now() });
        const epoch = ++dnode.epoch;
        this.scheduler.after(TIMING.impostorReadyMs, () => {
            if (dnode.epoch !== epoch) return;
            Object.assign(dnode, { online: true, note: "", statusReceived: true, rebootTime: 0 });
            this.events.record("dnode.ready", this.describe(dnode));
        });
        this.scheduler.after(TIMING.impostorMismatchMs, () => {
            if (dnode.epoch !== epoch) return;
            this.markOffline(dnode, "dnodeId not match");
        });
    }

    /**
     * captures/17, 19: `status msg timeout` keeps support_vnodes and reboot_time; 08: `status not received`
     * shows support_vnodes 0 and reboot_time 1970; 18 part C: `dnodeId not match` keeps support_vnodes 16
     * (its reboot_time is already 0).
     */
    private markOffline(dnode: Dnode, note: string): void {
        dnode.online = false;
        dnode.note = note;
        if (note === "status not received") {
            dnode.statusReceived = false;
            dnode.rebootTime = 0;
        }
        const mnode = this.mnodes.get(dnode.id);
        if (mnode) this.setRole(mnode, "offline", 0);
        this.events.record("dnode.offline", `${this.describe(dnode)} ${note}`);
    }

    /**
     * captures/08: the follower on dnode 3 (the highest id) became leader. Raft needs a majority of the
     * mnodes online; without one the cluster stays leaderless until enough come back.
     */
    private electLeader(roleTime: number): void {
        const alive = [...this.mnodes.values()].filter((m) => this.dnodes.get(m.dnodeId)?.online && m.status === "ready");
        if (this.leader() || alive.length * 2 <= this.mnodes.size) return;
        const next = alive.reduce((a, b) => (b.dnodeId > a.dnodeId ? b : a));
        for (const mnode of alive) this.setRole(mnode, mnode === next ? "leader" : "follower", roleTime);
        // captures/08: the new leader never heard from dnodes already offline.
        for (const dnode of this.dnodes.values()) {
            if (!dnode.online) Object.assign(dnode, { note: "status not received", statusReceived: false, rebootTime: 0 });
        }
    }

    private leader(): Mnode | undefined {
        return [...this.mnodes.values()].find((m) => m.role === "leader" && this.dnodes.get(m.dnodeId)?.online);
    }

    private setRole(mnode: Mnode, role: Role, roleTime: number): void {
        mnode.role = role;
        mnode.roleTime = roleTime;
        const dnode = this.dnodes.get(mnode.dnodeId);
        this.events.record("mnode.role", `${dnode ? this.describe(dnode) : `dnode ${mnode.dnodeId}`} ${role}`);
    }

    // ---- login ---------------------------------------------------------------------------------------

    /** What taosAdapter's connection attempt gets for these credentials, or undefined if it gets in. */
    login(user: string, password: string): TaosError | undefined {
        // captures/20: nobody listening → `Unable to establish connection`. captures/18: even a dropped
        // dnode's taosd answers clients with the cluster's data.
        if (this.processes.size === 0) return ERR.NETWORK_UNAVAILABLE;
        if (user !== "root") return ERR.INVALID_USER; // captures/20
        if (password !== this.password) return ERR.AUTH_FAILURE; // captures/09, 20
        return undefined;
    }

    // ---- statements ----------------------------------------------------------------------------------

    /** Runs one parsed statement; `defaultDb` is the database of `/rest/sql/<db>`. */
    async execute(statement: Statement, defaultDb: string | undefined): Promise<StatementResult> {
        switch (statement.kind) {
            case "select-system":
                return this.selectSystem(statement.table, statement.columns, statement.filter);
            case "show-databases":
                return this.showDatabases();
            case "show-alive":
                return this.showAlive(statement.db);
            case "create-dnode":
                return this.createDnode(statement.endpoint);
            case "drop-dnode":
                return statement.dnodeId === undefined
                    ? fail(ERR.DNODE_NOT_EXIST) // captures/07: the endpoint form fails (upstream bug, mndDnode.c)
                    : this.dropDnode(statement.dnodeId, statement.mode);
            case "create-mnode":
                return this.createMnode(statement.dnodeId);
            case "drop-mnode":
                return this.dropMnode(statement.dnodeId);
            case "create-database":
                return this.createDatabase(
                    statement.name, statement.ifNotExists, statement.replica ?? 1, statement.vgroups ?? DEFAULT_VGROUPS);
            case "drop-database":
                return this.dropDatabase(statement.name, statement.ifExists);
            case "create-table":
                return this.createTable(statement.ref, statement.ifNotExists, defaultDb);
            case "insert":
                return this.insert(statement.ref, statement.rows, defaultDb);
            case "select-count":
                return this.selectCount(statement.ref, defaultDb);
            case "alter-password":
                return this.alterPassword(statement.user, statement.password);
            case "syntax-error":
                return fail(syntaxError(statement.near));
        }
    }

    private createDnode(endpoint: string): StatementResult {
        if (this.dnodeAt(endpoint)) return fail(ERR.DNODE_ALREADY_EXIST);
        const zombie = this.processes.get(endpoint);
        const dnode = this.register(endpoint, false);
        // captures/18 part C: an old id's taosd on this endpoint cannot serve the new id.
        if (zombie) this.startOnDroppedData(endpoint, dnode);
        return ok();
    }

    /** captures/03, 14: ~4.6 s; `offline`/`creating`, then `offline`/`ready` at Create OK, then `follower` ~1 s later. */
    private async createMnode(dnodeId: number): Promise<StatementResult> {
        // Checks in the order of source mndMnode.c mndProcessCreateMnodeReq (captures/04, 14 show the first three).
        if (this.mnodes.has(dnodeId)) return fail(ERR.MNODE_ALREADY_EXIST);
        const dnode = this.dnodes.get(dnodeId);
        if (!dnode || dnode.dropping) return fail(ERR.DNODE_NOT_EXIST);
        if (this.mnodes.size >= 3) return fail(ERR.TOO_MANY_MNODES);
        if (!dnode.online) return fail(ERR.DNODE_OFFLINE);
        const mnode: Mnode = { dnodeId, createTime: Date.now(), role: "offline", status: "creating", roleTime: 0 };
        this.mnodes.set(dnodeId, mnode);
        this.events.record("mnode.created", this.describe(dnode));
        await this.scheduler.sleep(TIMING.createMnodeMs);
        mnode.status = "ready";
        this.events.record("mnode.ready", this.describe(dnode));
        const readyAt = Date.now();
        this.scheduler.after(TIMING.mnodeFollowerAfterMs, () => {
            if (this.mnodes.get(dnodeId) === mnode && mnode.role === "offline" && dnode.online) this.setRole(mnode, "follower", readyAt);
        });
        return ok();
    }

    /** captures/14: Drop OK after 1.36 s; no `dropping` state was seen, the mnode is just gone. */
    private async dropMnode(dnodeId: number): Promise<StatementResult> {
        // Not captured: refusals in the order of source mndMnode.c mndProcessDropMnodeReq.
        const mnode = this.mnodes.get(dnodeId);
        if (!mnode) return fail(ERR.MNODE_NOT_EXIST);
        if (mnode.role === "leader") return fail(ERR.CANT_DROP_LEADER);
        if (this.mnodes.size <= 1) return fail(ERR.TOO_FEW_MNODES);
        if (!this.dnodes.get(dnodeId)?.online) return fail(ERR.DNODE_OFFLINE);
        await this.scheduler.sleep(TIMING.dropMnodeMs);
        this.removeMnode(dnodeId);
        return ok();
    }

    private removeMnode(dnodeId: number): void {
        if (!this.mnodes.delete(dnodeId)) return;
        const dnode = this.dnodes.get(dnodeId);
        this.events.record("mnode.dropped", dnode ? this.describe(dnode) : `dnode ${dnodeId}`);
    }

    private async dropDnode(dnodeId: number, mode: DropMode): Promise<StatementResult> {
        const dnode = this.dnodes.get(dnodeId);
        if (!dnode) return fail(ERR.DNODE_NOT_EXIST); // captures/04, 07
        // Not captured: a second drop while the first still moves vnodes (source sdbAcquire on a DROPPING dnode).
        if (dnode.dropping) return fail(ERR.OBJECT_DROPPING);
        const mnode = this.mnodes.get(dnodeId);
        // Not captured: source mndDnode.c mndProcessDropDnodeReq refuses the last mnode and the leader's dnode.
        if (mnode && this.mnodes.size <= 1) return fail(ERR.TOO_FEW_MNODES);
        if (mnode?.role === "leader") return fail(ERR.CANT_DROP_LEADER);
        if (dnode.online && mode !== "plain") return fail(ERR.ONLY_WHEN_OFFLINE); // captures/07
        const held = this.vgroupsOn(dnodeId);
        if (!dnode.online && mode === "plain" && (held.length > 0 || mnode)) {
            // captures/19: `Vnode is offline` (the mnode log names the offline vgroup). An offline dnode with
            // an mnode and no vnode is not captured: source mndProcessDropDnodeReq says `Dnode is offline`.
            return fail(held.length > 0 ? ERR.VNODE_OFFLINE : ERR.DNODE_OFFLINE);
        }
        // captures/07, 17: each vnode needs a new home; the mnode log of 17 shows r3's vgroup failing to find one.
        const moves = this.planMoves(dnodeId, held);
        if (!moves) return fail(ERR.OUT_OF_DNODES);
        if (mode === "force" && held.some((v) => this.replicaOf(v) === 1)) return fail(ERR.UNSAFE_DELETE); // captures/19
        return this.runDrop(dnode, moves, mnode !== undefined);
    }

    /**
     * captures/06 (empty: 5 ms), 15 (an mnode: 1.26 s, dropped with it), 16 (4 vnodes online: blocks 21 s,
     * `dropping`, targets gain vnodes at once, the leaving count falls to 0 at ~half time, then gone),
     * 19 (unsafe, offline: `dropping*`, 9.8 s for 7 vnodes, single-replica vgroups recreated empty).
     * Its taosd keeps running afterwards (captures/06, 15, 16).
     */
    private async runDrop(dnode: Dnode, moves: readonly Move[], withMnode: boolean): Promise<StatementResult> {
        const online = dnode.online;
        const perVnode = online ? TIMING.moveVnodeMs : TIMING.unsafeVnodeMs;
        const duration = Math.max(TIMING.dropEmptyDnodeMs, (withMnode ? TIMING.dropDnodeMnodeMs : 0) + moves.length * perVnode);
        dnode.dropping = true;
        this.events.record("dnode.dropping", this.describe(dnode));
        moves.forEach((move, i) => {
            move.vgroup.replicas.push(move.target);
            this.events.record("vnode.added", `vgroup ${move.vgroup.id} dnode ${move.target}`);
            this.scheduler.after(
                duration * releaseFraction(online, i, moves.length), () => this.releaseVnode(move.vgroup, dnode.id, online));
        });
        await this.scheduler.sleep(duration);
        for (const vgroup of this.vgroupsOn(dnode.id)) this.releaseVnode(vgroup, dnode.id, online);
        this.removeMnode(dnode.id);
        this.dnodes.delete(dnode.id);
        this.droppedEndpoints.add(dnode.endpoint);
        const process = this.processes.get(dnode.endpoint);
        if (process?.role === "member") process.role = "zombie";
        this.events.record("dnode.dropped", this.describe(dnode));
        return ok();
    }

    private releaseVnode(vgroup: Vgroup, dnodeId: number, online: boolean): void {
        if (!this.vgroups.has(vgroup.id) || !vgroup.replicas.includes(dnodeId)) return;
        vgroup.replicas = vgroup.replicas.filter((id) => id !== dnodeId);
        this.events.record("vnode.removed", `vgroup ${vgroup.id} dnode ${dnodeId}`);
        const db = this.databases.get(vgroup.db);
        if (online || !db || db.replica > 1) return;
        // captures/19: `unsafe` recreates a single-replica vgroup empty on its new dnode; its tables are gone.
        const lost = [...db.tables].filter(([, table]) => table.vgroupId === vgroup.id).map(([name]) => name);
        for (const name of lost) db.tables.delete(name);
        this.events.record("data.lost", `vgroup ${vgroup.id} tables ${lost.join(",")}`);
    }

    /**
     * Source mndVgroup.c mndBuildDnodesArray / mndGetDnodeScore: candidates are online dnodes other than
     * the leaving one, scored (vnodes + 0.9 if it holds an mnode) / support_vnodes, lowest first. The real
     * sort is qsort, whose order among equal scores this model replaces by the lowest id; with that it
     * reproduces the moves of captures/16 exactly (vgroups 6, 10 to dnodes 2, 3; 14 to 3; 15 to 2).
     */
    private planMoves(leaving: number, held: readonly Vgroup[]): Move[] | undefined {
        const load = this.vnodeLoad();
        const moves: Move[] = [];
        for (const vgroup of held) {
            const target = this.bestDnodes(load, (d) => d.id !== leaving && !vgroup.replicas.includes(d.id))[0];
            if (target === undefined) return undefined;
            load.set(target, (load.get(target) ?? 0) + 1);
            moves.push({ vgroup, target });
        }
        return moves;
    }

    private bestDnodes(load: ReadonlyMap<number, number>, eligible: (d: Dnode) => boolean): number[] {
        const score = (d: Dnode): number => ((load.get(d.id) ?? 0) + (this.mnodes.has(d.id) ? 0.9 : 0)) / SUPPORT_VNODES;
        return [...this.dnodes.values()]
            .filter((d) => d.online && !d.dropping && eligible(d))
            .sort((a, b) => score(a) - score(b) || a.id - b.id)
            .map((d) => d.id);
    }

    private vnodeLoad(): Map<number, number> {
        const load = new Map<number, number>();
        for (const vgroup of this.vgroups.values()) {
            for (const id of vgroup.replicas) load.set(id, (load.get(id) ?? 0) + 1);
        }
        return load;
    }

    private vgroupsOn(dnodeId: number): Vgroup[] {
        return [...this.vgroups.values()].filter((v) => v.replicas.includes(dnodeId)).sort((a, b) => a.id - b.id);
    }

    private replicaOf(vgroup: Vgroup): number {
        return this.databases.get(vgroup.db)?.replica ?? 1;
    }

    /** captures/05, 13, 16, 17, 19. */
    private async createDatabase(name: string, ifNotExists: boolean, replica: number, vgroups: number): Promise<StatementResult> {
        if (this.databases.has(name) || SYSTEM_DATABASES.some(([system]) => system === name)) {
            return ifNotExists ? ok() : fail(ERR.DB_ALREADY_EXIST); // source: not captured
        }
        if (replica < 1 || replica > 3) return fail(invalidReplications(replica)); // captures/17: 0, 4, 5
        if (replica === 2) return fail(ERR.INVALID_DB_OPTIONS); // captures/17: community build
        const placement = this.placeVgroups(vgroups, replica);
        // captures/17: replica 3 with two dnodes online → Out of dnodes.
        if (!placement) return fail(ERR.OUT_OF_DNODES);
        const vgroupIds = placement.map((replicas) => {
            const vgroup: Vgroup = { id: this.nextVgroupId++, db: name, replicas };
            this.vgroups.set(vgroup.id, vgroup);
            return vgroup.id;
        });
        const db: Database = { name, replica, createTime: Date.now(), vgroupIds, tables: new Map(), tablesCreated: 0, ready: false };
        this.databases.set(name, db);
        await this.scheduler.sleep(replica === 3 ? TIMING.createDatabaseReplica3Ms : TIMING.createDatabaseReplica1Ms);
        db.ready = true;
        this.events.record("database.created", name);
        return ok();
    }

    /**
     * Source mndVgroup.c mndGetAvailableDnode: each vgroup takes the `replica` best-scored online dnodes,
     * ids sorted. With ties broken by id this reproduces captures/13 (d13a on dnodes 2 and 3; d13b on
     * 1,2,4 and 1,3,4).
     */
    private placeVgroups(count: number, replica: number): number[][] | undefined {
        const load = this.vnodeLoad();
        const placement: number[][] = [];
        for (let i = 0; i < count; i++) {
            const chosen = this.bestDnodes(load, () => true).slice(0, replica);
            if (chosen.length < replica) return undefined;
            for (const id of chosen) load.set(id, (load.get(id) ?? 0) + 1);
            placement.push(chosen.sort((a, b) => a - b));
        }
        return placement;
    }

    /** captures/13, 17: Drop OK in 0.03-0.07 s. */
    private async dropDatabase(name: string, ifExists: boolean): Promise<StatementResult> {
        const db = this.databases.get(name);
        if (!db?.ready) return ifExists ? ok() : fail(ERR.DB_NOT_EXIST);
        await this.scheduler.sleep(TIMING.dropDatabaseMs);
        for (const id of db.vgroupIds) this.vgroups.delete(id);
        this.databases.delete(name);
        this.events.record("database.dropped", name);
        return ok();
    }

    /**
     * Tables are placed on the database's vgroups in turn. TDengine hashes the table name instead; the
     * turn-taking keeps tests deterministic while still spreading tables over vgroups and dnodes.
     */
    private createTable(ref: TableRef, ifNotExists: boolean, defaultDb: string | undefined): StatementResult {
        const db = this.databaseOf(ref, defaultDb);
        if ("code" in db) return fail(db);
        if (db.tables.has(ref.table)) return ifNotExists ? ok() : fail(ERR.TABLE_ALREADY_EXIST);
        const vgroupId = db.vgroupIds[db.tablesCreated++ % db.vgroupIds.length];
        db.tables.set(ref.table, { vgroupId, rows: 0 });
        return ok();
    }

    private async insert(ref: TableRef, rows: number, defaultDb: string | undefined): Promise<StatementResult> {
        const table = await this.reachableTable(ref, defaultDb);
        if ("code" in table) return fail(table);
        table.rows += rows;
        return ok(rows);
    }

    private async selectCount(ref: TableRef, defaultDb: string | undefined): Promise<StatementResult> {
        const table = await this.reachableTable(ref, defaultDb);
        if ("code" in table) return fail(table);
        return { kind: "rows", columns: COUNT_COLUMNS, data: [[table.rows]] };
    }

    /**
     * captures/19: a table an unsafe drop destroyed → `Table does not exist`. captures/17: reading a
     * vgroup whose only replica is offline fails after 20.3 s with `Unable to establish connection`
     * (the same is assumed for writes, which no capture tried).
     */
    private async reachableTable(ref: TableRef, defaultDb: string | undefined): Promise<Table | TaosError> {
        const db = this.databaseOf(ref, defaultDb);
        if ("code" in db) return db;
        const table = db.tables.get(ref.table);
        if (!table) return ERR.TABLE_NOT_EXIST;
        const vgroup = this.vgroups.get(table.vgroupId);
        if (vgroup && this.hasLeader(vgroup)) return table;
        await this.scheduler.sleep(TIMING.unreachableVgroupMs);
        return ERR.NETWORK_UNAVAILABLE;
    }

    private databaseOf(ref: TableRef, defaultDb: string | undefined): Database | TaosError {
        const name = ref.db ?? defaultDb;
        if (name === undefined) return ERR.DB_NOT_SPECIFIED;
        const db = this.databases.get(name);
        return db?.ready ? db : ERR.DB_NOT_EXIST; // captures/20
    }

    /** captures/09: Query OK, and from then on the old password gets `Authentication failure`. */
    private alterPassword(user: string, password: string): StatementResult {
        if (user !== "root") return fail(ERR.INVALID_USER);
        this.password = password;
        this.events.record("user.password", user);
        return ok();
    }

    // ---- reads ---------------------------------------------------------------------------------------

    private selectSystem(table: SystemTable, columns: readonly string[] | "*", filter: Filter | undefined): StatementResult {
        const all = SYSTEM_COLUMNS[table];
        const chosen = columns === "*" ? all : all.filter(([name]) => columns.includes(name)).sort((a, b) => columns.indexOf(a[0]) - columns.indexOf(b[0]));
        const rows = this.systemRows(table).filter((row) => !filter || row[filter.column] === filter.value);
        return { kind: "rows", columns: chosen, data: rows.map((row) => chosen.map(([name]) => row[name] ?? null)) };
    }

    private systemRows(table: SystemTable): Array<Record<string, Cell>> {
        switch (table) {
            case "ins_dnodes":
                return this.dnodeViews().map((d) => ({
                    id: d.id,
                    endpoint: d.endpoint,
                    vnodes: d.vnodes,
                    support_vnodes: d.supportVnodes,
                    status: d.status,
                    create_time: timestamp(d.createTime),
                    reboot_time: timestamp(d.rebootTime),
                    note: d.note,
                }));
            case "ins_mnodes":
                return this.mnodeViews().map((m) => ({
                    id: m.id,
                    endpoint: m.endpoint,
                    role: m.role,
                    status: m.status,
                    create_time: timestamp(m.createTime),
                    role_time: timestamp(m.roleTime),
                }));
            case "ins_databases":
                return this.databaseRows();
        }
    }

    private databaseRows(): Array<Record<string, Cell>> {
        const system = SYSTEM_DATABASES.map(([name, ntables]) => ({
            name,
            create_time: timestamp(this.clusterCreateTime),
            vgroups: null,
            ntables,
            replica: null,
            status: "ready",
        }));
        const user = this.readyDatabases().map((db) => ({
            name: db.name,
            create_time: timestamp(db.createTime),
            vgroups: db.vgroupIds.length,
            ntables: db.tables.size,
            replica: db.replica,
            status: "ready",
        }));
        return [...system, ...user];
    }

    /** captures/13: `show databases` has only the `name` column in this build. */
    private showDatabases(): StatementResult {
        return { kind: "rows", columns: [SYSTEM_COLUMNS.ins_databases[0]], data: this.databaseRows().map((row) => [row.name]) };
    }

    /**
     * Source libs/command/src/command.c getAliveStatusFromApi: 1 when every vgroup has a leader (or there
     * is none), 2 when some do, 0 when none do. captures/13: with dnode 3 (single-replica vgroups of r1)
     * down, `show cluster alive` and `show r1.alive` are 2, `show r3.alive` (replica 3) stays 1. A down
     * dnode that holds no vgroup's quorum leaves it 1: TDengine's own system test (checkClusterEmptyDB)
     * stops two of three dnodes of a cluster without databases and still expects 1.
     */
    private showAlive(dbName: string | undefined): StatementResult {
        if (dbName !== undefined && !this.databases.get(dbName)?.ready) return fail(ERR.DB_NOT_EXIST);
        const vgroups = [...this.vgroups.values()].filter((v) => dbName === undefined || v.db === dbName);
        const led = vgroups.filter((v) => this.hasLeader(v)).length;
        const status = led === vgroups.length ? 1 : led > 0 ? 2 : 0;
        return { kind: "rows", columns: ALIVE_COLUMNS, data: [[status]] };
    }

    /** A vgroup has a leader while a majority of its replicas' dnodes are online. */
    private hasLeader(vgroup: Vgroup): boolean {
        const live = vgroup.replicas.filter((id) => this.dnodes.get(id)?.online).length;
        return live * 2 > this.replicaOf(vgroup);
    }

    // ---- views ---------------------------------------------------------------------------------------

    state(): ClusterState {
        return {
            dnodes: this.dnodeViews(),
            mnodes: this.mnodeViews(),
            databases: this.readyDatabases().map((db) => ({
                name: db.name,
                replica: db.replica,
                vgroups: db.vgroupIds.map((id) => ({ id, dnodes: [...(this.vgroups.get(id)?.replicas ?? [])] })),
                tables: Object.fromEntries([...db.tables].map(([name, t]) => [name, t.rows])),
            })),
            processes: [...this.processes.values()].map((p) => ({ ...p })),
        };
    }

    private dnodeViews(): DnodeView[] {
        const load = this.vnodeLoad();
        return [...this.dnodes.values()]
            .sort((a, b) => a.id - b.id)
            .map((d) => ({
                id: d.id,
                endpoint: d.endpoint,
                vnodes: load.get(d.id) ?? 0,
                // captures/08: 0 when the current mnode leader never received its status.
                supportVnodes: d.statusReceived ? SUPPORT_VNODES : 0,
                // captures/16: `dropping`; 19: `dropping*` while the dropped dnode is offline.
                status: d.dropping ? (d.online ? "dropping" : "dropping*") : d.online ? "ready" : "offline",
                createTime: d.createTime,
                rebootTime: d.rebootTime,
                note: d.note,
            }));
    }

    /** Source mndMnode.c mndRetrieveMnodes: an mnode on an offline dnode is `offline`/`offline`, role_time 0 (captures/08, 17). */
    private mnodeViews(): MnodeView[] {
        return [...this.mnodes.values()]
            .sort((a, b) => a.dnodeId - b.dnodeId)
            .map((m) => {
                const dnode = this.dnodes.get(m.dnodeId);
                const online = dnode?.online ?? false;
                return {
                    id: m.dnodeId,
                    endpoint: dnode?.endpoint ?? "",
                    role: online ? m.role : "offline",
                    status: online ? m.status : "offline",
                    createTime: m.createTime,
                    roleTime: online ? m.roleTime : 0,
                };
            });
    }

    private readyDatabases(): Database[] {
        return [...this.databases.values()].filter((db) => db.ready);
    }

    private dnodeAt(endpoint: string): Dnode | undefined {
        return [...this.dnodes.values()].find((d) => d.endpoint === endpoint);
    }

    private describe(dnode: Dnode): string {
        return `dnode ${dnode.id} ${dnode.endpoint}`;
    }
}

/** When, as a fraction of the drop, the i-th of n leaving vnodes is released (see timing.ts). */
function releaseFraction(online: boolean, i: number, n: number): number {
    if (!online) return OFFLINE_DROP_RELEASE;
    const { from, to } = ONLINE_DROP_RELEASE;
    return n === 1 ? from : from + ((to - from) * i) / (n - 1);
}
