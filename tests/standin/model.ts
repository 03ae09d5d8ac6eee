/**
 * The state of the modelled TDengine 3.3.7.5 cluster, shared by the modules that change it (membership.ts,
 * mnodes.ts, vgroups.ts, databases.ts) and the one that shows it (system-tables.ts). Plain records: each
 * module owns the rules for its part, this file only holds the data and the lookups every module needs.
 */

import type { TaosError } from "./codes";
import type { EventLog } from "./events";
import type { Column } from "./schema";
import type { Scheduler } from "./timing";

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

/**
 * `member`: the taosd of a registered dnode; `zombie`: a dropped dnode's taosd, which runs on and belongs
 * to no dnode (docs/tdengine.md#drop-dnode, #dropped-dnode-returns); `impostor`: a dropped id's taosd on the
 * endpoint of the dnode that replaced it (docs/tdengine.md#dropped-dnode-returns).
 */
export type ProcessRole = "member" | "zombie" | "impostor";
export type MnodeRole = "leader" | "follower" | "offline";

export interface Dnode {
    readonly id: number;
    readonly endpoint: string;
    readonly createTime: number;
    rebootTime: number;
    /** Whether the mnode leader hears this dnode's status messages. */
    online: boolean;
    note: string;
    /** false once a new mnode leader has never heard from it: support_vnodes shows 0 (docs/tdengine.md#mnode-leader-failover). */
    statusReceived: boolean;
    dropping: boolean;
    /** false for a dnode made by `create dnode` whose taosd has not started yet. */
    everRan: boolean;
    /**
     * Its taosd runs and has opened its vnodes: false from the moment the process stops until the restarted
     * one is `ready` again. Its vnodes take part in their vgroups only while this is true.
     */
    serving: boolean;
    /** Bumped on every start/stop of its taosd so that timers of an earlier start/stop do nothing. */
    epoch: number;
}

export interface Mnode {
    readonly dnodeId: number;
    readonly createTime: number;
    role: MnodeRole;
    status: "creating" | "ready";
    roleTime: number;
}

export interface Vgroup {
    readonly id: number;
    readonly db: string;
    /** Dnode ids; one more than the replica count while a drop moves a vnode (docs/tdengine.md#drop-dnode: a 4th replica). */
    replicas: number[];
    /** The dnode whose replica leads, or undefined while the vgroup has none (docs/tdengine.md#rolling-restart). */
    leader: number | undefined;
    /**
     * Replicas not in sync yet: a restarted dnode's vnodes replaying their log, a moved vnode being copied.
     * Shown `offline` in ins_vgroups until they are followers (docs/tdengine.md#drop-dnode, #rolling-restart).
     */
    catchingUp: Set<number>;
    /** Elections this vgroup held: varies the election time within the recorded range. */
    elections: number;
    /** Whether an election is under way (its timer pending). */
    electing: boolean;
}

export interface Table {
    readonly vgroupId: number;
    rows: number;
}

export interface Database {
    readonly name: string;
    readonly replica: number;
    readonly createTime: number;
    readonly vgroupIds: readonly number[];
    readonly tables: Map<string, Table>;
    tablesCreated: number;
    /** false while `create database` runs: its vnodes exist, the database is not listed yet. */
    ready: boolean;
}

export interface Process {
    readonly endpoint: string;
    role: ProcessRole;
    readonly startedAt: number;
    /** The TDengine version this taosd runs (the pod's image), what `select server_version()` answers. */
    readonly version: string;
}

/** docs/tdengine.md#system-tables: every dnode of a default configuration shows support_vnodes 16. */
export const SUPPORT_VNODES = 16;

/** docs/tdengine.md#database-replicas: `create database test1 replica 3` without `vgroups` made 2 vgroups. */
export const DEFAULT_VGROUPS = 2;
/**
 * docs/tdengine.md#system-tables: the system databases, first in `show databases`, with NULL vgroups and
 * replica and these table counts.
 */
export const SYSTEM_DATABASES: ReadonlyArray<readonly [name: string, ntables: number]> = [
    ["information_schema", 42],
    ["performance_schema", 5],
];

export const ok = (rows = 0): StatementResult => ({ kind: "affected", rows });
export const fail = (error: TaosError): StatementResult => ({ kind: "error", error });

/** The cluster's records, the clock they run on and the log of what happened to them. */
export class Model {
    readonly dnodes = new Map<number, Dnode>();
    readonly mnodes = new Map<number, Mnode>();
    readonly vgroups = new Map<number, Vgroup>();
    readonly databases = new Map<string, Database>();
    readonly processes = new Map<string, Process>();
    /** Endpoints that had a dnode which was dropped: a taosd on that old data dir can be started. */
    readonly droppedEndpoints = new Set<string>();
    /** docs/tdengine.md#dropped-dnode-returns: ids are never reused, a dropped and re-added endpoint gets max id + 1. */
    nextDnodeId = 1;
    /** source mndAllocVgroup: vgId 1 is the mnode's, user vgroups count from 2 (docs/tdengine.md#system-tables). */
    nextVgroupId = 2;
    clusterCreateTime = 0;

    constructor(
        readonly scheduler: Scheduler,
        readonly events: EventLog,
        public password: string,
        /** The version a taosd runs unless its start says otherwise. */
        readonly defaultVersion: string,
    ) {}

    dnodeAt(endpoint: string): Dnode | undefined {
        return [...this.dnodes.values()].find((d) => d.endpoint === endpoint);
    }

    describe(dnode: Dnode): string {
        return `dnode ${dnode.id} ${dnode.endpoint}`;
    }

    /** Whether the dnode's taosd runs and serves its vnodes. */
    serving(dnodeId: number): boolean {
        return this.dnodes.get(dnodeId)?.serving ?? false;
    }

    describeId(dnodeId: number): string {
        const dnode = this.dnodes.get(dnodeId);
        return dnode ? this.describe(dnode) : `dnode ${dnodeId}`;
    }

    readyDatabases(): Database[] {
        return [...this.databases.values()].filter((db) => db.ready);
    }

    replicaOf(vgroup: Vgroup): number {
        return this.databases.get(vgroup.db)?.replica ?? 1;
    }

    vgroupsOn(dnodeId: number): Vgroup[] {
        return [...this.vgroups.values()].filter((v) => v.replicas.includes(dnodeId)).sort((a, b) => a.id - b.id);
    }

    vnodeLoad(): Map<number, number> {
        const load = new Map<number, number>();
        for (const vgroup of this.vgroups.values()) {
            for (const id of vgroup.replicas) load.set(id, (load.get(id) ?? 0) + 1);
        }
        return load;
    }
}
