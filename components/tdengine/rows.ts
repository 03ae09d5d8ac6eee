/**
 * The system tables' columns as TDengine 3.3.7.5 returns them over REST (docs/tdengine.md#system-tables),
 * written once here for the client, the stand-in and the tests, and the typed reading of their rows:
 * by column name, whatever the order, and a missing or mistyped column is an error, never a wrong value.
 */
import { TDengineResponseError } from "./errors";
import { QueryResult, Row } from "./answer";
import { SYSTEM_DATABASES, VGROUP_REPLICA_COLUMNS } from "./sql";
import { DatabaseInfo, DnodeInfo, MnodeInfo, VgroupInfo, VgroupReplica } from "./types";

/** A result column as taosAdapter's `column_meta` describes it: `[name, type, length]`. */
export type ColumnMeta = readonly [name: string, type: string, length: number];

/** TSDB_EP_LEN = TSDB_FQDN_LEN (128) + 6. */
const EP_LEN = 134;

/**
 * `show dnodes` / `information_schema.ins_dnodes`, in table order. Types and byte sizes are TDengine's
 * (source/common/src/systable.c dnodesSchema); REST reports a VARCHAR's size without its 2-byte header.
 */
export const DNODE_COLUMNS = [
    ["id", "INT", 4],
    ["endpoint", "VARCHAR", EP_LEN],
    ["vnodes", "SMALLINT", 2],
    ["support_vnodes", "SMALLINT", 2],
    ["status", "VARCHAR", 10],
    ["create_time", "TIMESTAMP", 8],
    ["reboot_time", "TIMESTAMP", 8],
    ["note", "VARCHAR", 256],
] as const satisfies readonly ColumnMeta[];

/** `show mnodes` / `information_schema.ins_mnodes`, in table order (systable.c mnodesSchema). */
export const MNODE_COLUMNS = [
    ["id", "INT", 4],
    ["endpoint", "VARCHAR", EP_LEN],
    ["role", "VARCHAR", 12],
    ["status", "VARCHAR", 9],
    ["create_time", "TIMESTAMP", 8],
    ["role_time", "TIMESTAMP", 8],
] as const satisfies readonly ColumnMeta[];

type DnodeColumn = (typeof DNODE_COLUMNS)[number][0];
type MnodeColumn = (typeof MNODE_COLUMNS)[number][0];

/** Where a row came from, for error messages. */
export interface Where {
    url: string;
    statement: string;
}

export function toDnode(row: Row, where: Where): DnodeInfo {
    const int = (name: DnodeColumn): number => intField(row, name, where);
    const text = (name: DnodeColumn): string => textField(row, name, where);
    return { id: int("id"), endpoint: text("endpoint"), vnodes: int("vnodes"), status: text("status"), note: text("note") };
}

export function toMnode(row: Row, where: Where): MnodeInfo {
    const int = (name: MnodeColumn): number => intField(row, name, where);
    const text = (name: MnodeColumn): string => textField(row, name, where);
    return { id: int("id"), endpoint: text("endpoint"), role: text("role"), status: text("status") };
}

/**
 * A row of `select name, \`replica\` from information_schema.ins_databases`, or undefined for a system
 * database (whose replica is NULL: not the user's data).
 */
export function toUserDatabase(row: Row, where: Where): DatabaseInfo | undefined {
    const name = textField(row, "name", where);
    return SYSTEM_DATABASES.includes(name) ? undefined : { name, replica: intField(row, "replica", where) };
}

/** `show cluster alive`: exactly one row, column `status`. */
export function toAliveStatus(rows: Row[], where: Where): number {
    if (rows.length !== 1) {
        throw new TDengineResponseError(where.url, where.statement, 0, `expected one row, got ${rows.length}`);
    }
    return intField(rows[0], "status", where);
}

/** A row of `information_schema.ins_vgroups`; a replica column pair that is NULL (no such replica) is left out. */
export function toVgroup(row: Row, where: Where): VgroupInfo {
    const replicas: VgroupReplica[] = [];
    for (let n = 1; n <= VGROUP_REPLICA_COLUMNS; n++) {
        if (column(row, `v${n}_dnode`, where) !== null) {
            replicas.push({ dnodeId: intField(row, `v${n}_dnode`, where), status: textField(row, `v${n}_status`, where) });
        }
    }
    return { id: intField(row, "vgroup_id", where), database: textField(row, "db_name", where), replicas };
}

/** The one value of `select server_version()`, whatever TDengine names its column. */
export function toServerVersion({ columns, rows }: QueryResult, where: Where): string {
    if (rows.length !== 1 || columns.length !== 1) {
        const problem = `expected one value, got ${rows.length} row(s) of ${columns.length} column(s)`;
        throw new TDengineResponseError(where.url, where.statement, 0, problem);
    }
    const version = textField(rows[0], columns[0], where);
    if (version === "") {
        throw new TDengineResponseError(where.url, where.statement, 0, "the server version is empty");
    }
    return version;
}

function column(row: Row, name: string, where: Where): unknown {
    if (!(name in row)) {
        const problem = `no column \`${name}\` (got ${Object.keys(row).join(", ")})`;
        throw new TDengineResponseError(where.url, where.statement, 0, problem);
    }
    return row[name];
}

function intField(row: Row, name: string, where: Where): number {
    const value = column(row, name, where);
    if (typeof value !== "number" || !Number.isInteger(value)) {
        const problem = `column \`${name}\` is ${JSON.stringify(value)}, not an integer`;
        throw new TDengineResponseError(where.url, where.statement, 0, problem);
    }
    return value;
}

/** NULL reads as "": a missing `note` means no note. */
function textField(row: Row, name: string, where: Where): string {
    const value = column(row, name, where);
    if (value === null) {
        return "";
    }
    if (typeof value !== "string") {
        const problem = `column \`${name}\` is ${JSON.stringify(value)}, not text`;
        throw new TDengineResponseError(where.url, where.statement, 0, problem);
    }
    return value;
}
