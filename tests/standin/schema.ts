/**
 * Result columns as taosAdapter's REST API describes them: `[name, type, length]`. Types and byte sizes
 * are TDengine's (source/common/src/systable.c: dnodesSchema, mnodesSchema, userDBSchema); for VARCHAR
 * REST reports the size without the 2-byte length header, e.g. `["name","VARCHAR",64]` in the REST API
 * docs' own `ins_databases` example (docs/en/14-reference/05-connector/60-rest-api.md).
 */

import { ColumnMeta, DNODE_COLUMNS, MNODE_COLUMNS } from "../../components/tdengine/rows";

export type Column = ColumnMeta;
export type SystemTable = "ins_dnodes" | "ins_mnodes" | "ins_databases" | "ins_vgroups";

/** In table order; `*` selects them all. docs/tdengine.md#system-tables shows the same names in the same order. */
export const SYSTEM_COLUMNS: Readonly<Record<SystemTable, readonly Column[]>> = {
    // One list for the client, the stand-in and the tests (docs/tdengine.md#system-tables).
    ins_dnodes: DNODE_COLUMNS,
    ins_mnodes: MNODE_COLUMNS,
    // The first six of the 38 columns docs/tdengine.md#system-tables lists; the others are not modelled.
    ins_databases: [
        ["name", "VARCHAR", 64],
        ["create_time", "TIMESTAMP", 8],
        ["vgroups", "INT", 4],
        ["ntables", "BIGINT", 8],
        ["replica", "TINYINT", 1],
        ["status", "VARCHAR", 10],
    ],
    // docs/tdengine.md#system-tables: the 19 columns of ins_vgroups (and `show <db>.vgroups`), in order; a
    // replica slot that is not used is NULL in its three columns (systable.c vgroupsSchema for the types).
    ins_vgroups: [
        ["vgroup_id", "INT", 4],
        ["db_name", "VARCHAR", 64],
        ["tables", "INT", 4],
        ...[1, 2, 3, 4].flatMap((n): Column[] => [
            [`v${n}_dnode`, "SMALLINT", 2],
            [`v${n}_status`, "VARCHAR", 9],
            [`v${n}_applied/committed`, "VARCHAR", 30],
        ]),
        ["cacheload", "INT", 4],
        ["cacheelements", "INT", 4],
        ["tsma", "TINYINT", 1],
        ["mount_vgroup_id", "INT", 4],
    ],
};

export function columnNames(table: SystemTable): string[] {
    return SYSTEM_COLUMNS[table].map(([name]) => name);
}

/** source/libs/command/src/command.c buildAliveResultDataBlock: one INT column; docs/tdengine.md#system-tables names it `status`. */
export const ALIVE_COLUMNS: readonly Column[] = [["status", "INT", 4]];

/** `select server_version()`: one VARCHAR column named as the expression (docs/tdengine.md#version-rules). */
export const SERVER_VERSION_COLUMNS: readonly Column[] = [["server_version()", "VARCHAR", 24]];

/**
 * docs/tdengine.md#database-replicas, #mnode-leader-failover: `select count(*)` prints a `count(*)` column;
 * TDengine's count is a BIGINT.
 */
export const COUNT_COLUMNS: readonly Column[] = [["count(*)", "BIGINT", 8]];

/**
 * A TIMESTAMP as taosAdapter writes it: UTC, always three fraction digits (taosdata/taosadapter
 * tools/layout/time.go LayoutMillSecond "2006-01-02T15:04:05.000Z07:00"). 0 is 1970-01-01T00:00:00.000Z,
 * which the CLI prints as `1970-01-01 00:00:00.000` (docs/tdengine.md#mnode-leader-failover, #create-mnode).
 */
export function timestamp(ms: number): string {
    return new Date(ms).toISOString();
}
