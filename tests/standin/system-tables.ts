/**
 * What the cluster shows: information_schema's system tables (`show dnodes`, `show mnodes`, databases),
 * `show databases`, `show cluster alive` / `show <db>.alive`, and the state snapshot the admin API and the
 * tests read (docs/tdengine.md#system-tables, #mnode-leader-failover, #offline-dnode, #drop-dnode).
 */

import { ERR } from "./codes";
import { Cell, fail, Model, ProcessRole, StatementResult, SUPPORT_VNODES, SYSTEM_DATABASES } from "./model";
import { ALIVE_COLUMNS, SERVER_VERSION_COLUMNS, SYSTEM_COLUMNS, SystemTable, timestamp } from "./schema";
import { Filter } from "./sql";
import { Mnodes } from "./mnodes";
import { Vgroups } from "./vgroups";

export interface DnodeView {
    readonly id: number;
    readonly endpoint: string;
    readonly vnodes: number;
    readonly supportVnodes: number;
    readonly status: string;
    readonly createTime: number;
    readonly rebootTime: number;
    readonly note: string;
    /** Its taosd runs and serves its vnodes: what `taos --check` calls "service ok" (a readiness probe). */
    readonly serving: boolean;
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
    /** `leader`: the dnode whose replica leads, null while the vgroup has no leader. */
    readonly vgroups: ReadonlyArray<{ readonly id: number; readonly dnodes: readonly number[]; readonly leader: number | null }>;
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

export class SystemTables {
    constructor(
        private readonly model: Model,
        private readonly vgroups: Vgroups,
        private readonly mnodes: Mnodes,
    ) {}

    select(table: SystemTable, columns: readonly string[] | "*", filter: Filter | undefined): StatementResult {
        const all = SYSTEM_COLUMNS[table];
        const chosen = columns === "*" ? all : all.filter(([name]) => columns.includes(name)).sort((a, b) => columns.indexOf(a[0]) - columns.indexOf(b[0]));
        const rows = this.rows(table).filter((row) => !filter || row[filter.column] === filter.value);
        return { kind: "rows", columns: chosen, data: rows.map((row) => chosen.map(([name]) => row[name] ?? null)) };
    }

    /** docs/tdengine.md#system-tables: `show databases` has only the `name` column in this build. */
    showDatabases(): StatementResult {
        return { kind: "rows", columns: [SYSTEM_COLUMNS.ins_databases[0]], data: this.databaseRows().map((row) => [row.name]) };
    }

    /**
     * Source libs/command/src/command.c getAliveStatusFromApi: 1 when every vgroup has a leader (or there
     * is none), 2 when some do, 0 when none do. docs/tdengine.md#system-tables: with dnode 3 (single-replica
     * vgroups of r1) down, `show cluster alive` and `show r1.alive` are 2, `show r3.alive` (replica 3) stays 1.
     * A down dnode that holds no vgroup's quorum leaves it 1: TDengine's own system test (checkClusterEmptyDB)
     * stops two of three dnodes of a cluster without databases and still expects 1. The cluster as a whole
     * is 2 while a dnode that holds vnodes is down, even when each vgroup still has a leader (docs/tdengine.md
     * #system-tables: `show r3.alive` 1, `show cluster alive` 2), and while a vgroup elects
     * (docs/tdengine.md#rolling-restart: a pod stopped while a vgroup had no leader, cluster alive 2).
     */
    showAlive(dbName: string | undefined): StatementResult {
        const { model } = this;
        if (dbName !== undefined && !model.databases.get(dbName)?.ready) return fail(ERR.DB_NOT_EXIST);
        const vgroups = [...model.vgroups.values()].filter((v) => dbName === undefined || v.db === dbName);
        const led = vgroups.filter((v) => this.vgroups.hasLeader(v)).length;
        const replicaDown = dbName === undefined && vgroups.some((v) => v.replicas.some((id) => !model.serving(id)));
        const status = led === vgroups.length && !replicaDown ? 1 : led > 0 ? 2 : 0;
        return { kind: "rows", columns: ALIVE_COLUMNS, data: [[status]] };
    }

    /**
     * `select server_version()`: the version of the taosd the client reached, taken to be the mnode leader's
     * (the first endpoint's, when no mnode leads). docs/tdengine.md#version-rules: during a roll dnodes run
     * different Maintenance versions.
     */
    serverVersion(): StatementResult {
        const { model } = this;
        const leader = this.mnodes.leader();
        const leaderEndpoint = leader === undefined ? undefined : model.dnodes.get(leader.dnodeId)?.endpoint;
        const leaderProcess = leaderEndpoint === undefined ? undefined : model.processes.get(leaderEndpoint);
        const process = leaderProcess ?? [...model.processes.values()][0];
        return { kind: "rows", columns: SERVER_VERSION_COLUMNS, data: [[process?.version ?? model.defaultVersion]] };
    }

    state(): ClusterState {
        const { model } = this;
        return {
            dnodes: this.dnodeViews(),
            mnodes: this.mnodeViews(),
            databases: model.readyDatabases().map((db) => ({
                name: db.name,
                replica: db.replica,
                vgroups: db.vgroupIds.map((id) => {
                    const vgroup = model.vgroups.get(id);
                    const leader = vgroup && this.vgroups.hasLeader(vgroup) ? (vgroup.leader ?? null) : null;
                    return { id, dnodes: [...(vgroup?.replicas ?? [])], leader };
                }),
                tables: Object.fromEntries([...db.tables].map(([name, t]) => [name, t.rows])),
            })),
            processes: [...model.processes.values()].map((p) => ({ ...p })),
        };
    }

    private rows(table: SystemTable): Array<Record<string, Cell>> {
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
            case "ins_vgroups":
                return this.vgroupRows();
        }
    }

    /** docs/tdengine.md#system-tables: one row per vgroup, replicas in v1..v4, unused slots NULL. */
    private vgroupRows(): Array<Record<string, Cell>> {
        const { model } = this;
        return [...model.vgroups.values()]
            .filter((v) => model.databases.get(v.db)?.ready)
            .sort((a, b) => a.id - b.id)
            .map((v) => {
                const tables = [...(model.databases.get(v.db)?.tables.values() ?? [])].filter((t) => t.vgroupId === v.id);
                const row: Record<string, Cell> = {
                    vgroup_id: v.id, db_name: v.db, tables: tables.length, cacheload: 0, cacheelements: 0, tsma: 0, mount_vgroup_id: 0,
                };
                v.replicas.slice(0, 4).forEach((dnodeId, i) => {
                    row[`v${i + 1}_dnode`] = dnodeId;
                    row[`v${i + 1}_status`] = this.vgroups.status(v, dnodeId);
                    row[`v${i + 1}_applied/committed`] = "0/0";
                });
                return row;
            });
    }

    private databaseRows(): Array<Record<string, Cell>> {
        const { model } = this;
        const system = SYSTEM_DATABASES.map(([name, ntables]) => ({
            name,
            create_time: timestamp(model.clusterCreateTime),
            vgroups: null,
            ntables,
            replica: null,
            status: "ready",
        }));
        const user = model.readyDatabases().map((db) => ({
            name: db.name,
            create_time: timestamp(db.createTime),
            vgroups: db.vgroupIds.length,
            ntables: db.tables.size,
            replica: db.replica,
            status: "ready",
        }));
        return [...system, ...user];
    }

    private dnodeViews(): DnodeView[] {
        const load = this.model.vnodeLoad();
        return [...this.model.dnodes.values()]
            .sort((a, b) => a.id - b.id)
            .map((d) => ({
                id: d.id,
                endpoint: d.endpoint,
                vnodes: load.get(d.id) ?? 0,
                // docs/tdengine.md#mnode-leader-failover: 0 when the current mnode leader never received its status.
                supportVnodes: d.statusReceived ? SUPPORT_VNODES : 0,
                // docs/tdengine.md#drop-dnode: `dropping`; #offline-dnode: `dropping*` while the dropped dnode is offline.
                status: d.dropping ? (d.online ? "dropping" : "dropping*") : d.online ? "ready" : "offline",
                createTime: d.createTime,
                rebootTime: d.rebootTime,
                note: d.note,
                serving: d.serving,
            }));
    }

    /**
     * Source mndMnode.c mndRetrieveMnodes: an mnode on an offline dnode is `offline`/`offline`, role_time 0
     * (docs/tdengine.md#mnode-leader-failover).
     */
    private mnodeViews(): MnodeView[] {
        return [...this.model.mnodes.values()]
            .sort((a, b) => a.dnodeId - b.dnodeId)
            .map((m) => {
                const dnode = this.model.dnodes.get(m.dnodeId);
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
}
