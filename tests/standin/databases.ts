/**
 * Databases, tables and rows: `create database` / `drop database` with their delays, tables spread over a
 * database's vgroups, inserts and counts that need the table's vgroup to serve
 * (docs/tdengine.md#database-replicas, #system-tables, #offline-dnode, #auth-errors).
 */

import { ERR, invalidReplications, TaosError } from "./codes";
import { Database, fail, Model, ok, StatementResult, SYSTEM_DATABASES, Table } from "./model";
import { COUNT_COLUMNS } from "./schema";
import { TableRef } from "./sql";
import { TIMING } from "./timing";
import { Vgroups } from "./vgroups";

export class Databases {
    constructor(
        private readonly model: Model,
        private readonly vgroups: Vgroups,
    ) {}

    /** docs/tdengine.md#database-replicas, #system-tables, #offline-dnode. */
    async create(name: string, ifNotExists: boolean, replica: number, vgroups: number): Promise<StatementResult> {
        const { model } = this;
        if (model.databases.has(name) || SYSTEM_DATABASES.some(([system]) => system === name)) {
            return ifNotExists ? ok() : fail(ERR.DB_ALREADY_EXIST); // source: not captured
        }
        if (replica < 1 || replica > 3) return fail(invalidReplications(replica)); // docs/tdengine.md#database-replicas: 0, 4, 5
        if (replica === 2) return fail(ERR.INVALID_DB_OPTIONS); // docs/tdengine.md#database-replicas: community build
        const placement = this.vgroups.place(vgroups, replica);
        // docs/tdengine.md#database-replicas: replica 3 with two dnodes online → Out of dnodes.
        if (!placement) return fail(ERR.OUT_OF_DNODES);
        const vgroupIds = placement.map((replicas) => this.vgroups.create(name, replicas).id);
        const db: Database = { name, replica, createTime: Date.now(), vgroupIds, tables: new Map(), tablesCreated: 0, ready: false };
        model.databases.set(name, db);
        await model.scheduler.sleep(replica === 3 ? TIMING.createDatabaseReplica3Ms : TIMING.createDatabaseReplica1Ms);
        db.ready = true;
        model.events.record("database.created", name);
        return ok();
    }

    /** docs/tdengine.md#system-tables, #database-replicas: Drop OK in 0.03-0.07 s. */
    async drop(name: string, ifExists: boolean): Promise<StatementResult> {
        const { model } = this;
        const db = model.databases.get(name);
        if (!db?.ready) return ifExists ? ok() : fail(ERR.DB_NOT_EXIST);
        await model.scheduler.sleep(TIMING.dropDatabaseMs);
        for (const id of db.vgroupIds) model.vgroups.delete(id);
        model.databases.delete(name);
        model.events.record("database.dropped", name);
        return ok();
    }

    /**
     * Tables are placed on the database's vgroups in turn. TDengine hashes the table name instead; the
     * turn-taking keeps tests deterministic while still spreading tables over vgroups and dnodes.
     */
    createTable(ref: TableRef, ifNotExists: boolean, defaultDb: string | undefined): StatementResult {
        const db = this.databaseOf(ref, defaultDb);
        if ("code" in db) return fail(db);
        if (db.tables.has(ref.table)) return ifNotExists ? ok() : fail(ERR.TABLE_ALREADY_EXIST);
        const vgroupId = db.vgroupIds[db.tablesCreated++ % db.vgroupIds.length];
        db.tables.set(ref.table, { vgroupId, rows: 0 });
        return ok();
    }

    /**
     * All or nothing: every table must exist and its vgroup have a leader. A write to a vgroup that is
     * electing waits for the new leader (docs/tdengine.md#rolling-restart: stalled 6-8.4 s, then written).
     */
    async insert(targets: ReadonlyArray<{ ref: TableRef; rows: number }>, defaultDb: string | undefined): Promise<StatementResult> {
        const tables: Table[] = [];
        for (const target of targets) {
            const table = await this.reachableTable(target.ref, defaultDb);
            if ("code" in table) return fail(table);
            tables.push(table);
        }
        targets.forEach((target, i) => (tables[i].rows += target.rows));
        return ok(targets.reduce((sum, t) => sum + t.rows, 0));
    }

    async selectCount(ref: TableRef, defaultDb: string | undefined): Promise<StatementResult> {
        const table = await this.reachableTable(ref, defaultDb);
        if ("code" in table) return fail(table);
        return { kind: "rows", columns: COUNT_COLUMNS, data: [[table.rows]] };
    }

    /**
     * docs/tdengine.md#offline-dnode: a table an unsafe drop destroyed → `Table does not exist`; reading a
     * vgroup whose only replica is offline fails after 20.3 s with `Unable to establish connection`
     * (the same is assumed for writes). A vgroup that gets a leader within that time serves the statement
     * then (docs/tdengine.md#rolling-restart).
     */
    private async reachableTable(ref: TableRef, defaultDb: string | undefined): Promise<Table | TaosError> {
        const db = this.databaseOf(ref, defaultDb);
        if ("code" in db) return db;
        const table = db.tables.get(ref.table);
        if (!table) return ERR.TABLE_NOT_EXIST;
        const vgroup = this.model.vgroups.get(table.vgroupId);
        if (vgroup && (await this.vgroups.waitForLeader(vgroup, TIMING.unreachableVgroupMs))) return table;
        if (!vgroup) await this.model.scheduler.sleep(TIMING.unreachableVgroupMs);
        return ERR.NETWORK_UNAVAILABLE;
    }

    private databaseOf(ref: TableRef, defaultDb: string | undefined): Database | TaosError {
        const name = ref.db ?? defaultDb;
        if (name === undefined) return ERR.DB_NOT_SPECIFIED;
        const db = this.model.databases.get(name);
        return db?.ready ? db : ERR.DB_NOT_EXIST; // docs/tdengine.md#auth-errors
    }
}
