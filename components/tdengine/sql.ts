/**
 * The SQL text of every statement the lifecycle sends, in TDengine 3.3.7.5's own words: docs/tdengine.md#joining-dnodes,
 * docs/tdengine.md#create-mnode, docs/tdengine.md#drop-dnode, docs/tdengine.md#alter-user-pass, docs/tdengine.md#system-tables.
 * Values are validated here, never escaped: an id is a positive integer and a password uses TDengine's documented character
 * set, so nothing can change a statement's meaning.
 */
import { PASSWORD_RULE, passwordProblem } from "./password";

export const SHOW_DNODES = "show dnodes";
export const SHOW_MNODES = "show mnodes";
/** `replica` is a reserved word: unquoted it is a syntax error (docs/tdengine.md#system-tables). */
export const SELECT_DATABASE_REPLICAS = "select name, `replica` from information_schema.ins_databases";
/** One row, column `status`: 1 whole, 2 partly available, 0 unavailable (docs/tdengine.md#system-tables). */
export const SHOW_CLUSTER_ALIVE = "show cluster alive";
/**
 * Each vgroup with up to four replicas' dnode and status (docs/tdengine.md#system-tables); unused replica
 * columns are NULL. Named columns only: the full row also carries applied/committed and cache figures.
 */
export const SELECT_VGROUPS =
    "select vgroup_id, db_name, v1_dnode, v1_status, v2_dnode, v2_status, v3_dnode, v3_status, v4_dnode, v4_status " +
    "from information_schema.ins_vgroups";
/** How many replica columns ins_vgroups has (v1..v4: the 4th appears while a replica moves). */
export const VGROUP_REPLICA_COLUMNS = 4;
/** Moves replicas onto the dnodes that hold fewer; blocks until done (docs/tdengine.md#balance-vgroup). */
export const BALANCE_VGROUP = "balance vgroup";
/** One row, one column: the server's version, e.g. `3.3.7.5`. */
export const SELECT_SERVER_VERSION = "select server_version()";
/** Databases every cluster has, with a NULL replica: not the user's data. */
export const SYSTEM_DATABASES: readonly string[] = ["information_schema", "performance_schema"];

/** `create mnode on dnode <id>`. */
export function createMnodeSql(dnodeId: number): string {
    return `create mnode on dnode ${checkDnodeId(dnodeId)}`;
}

/** `drop mnode on dnode <id>`. */
export function dropMnodeSql(dnodeId: number): string {
    return `drop mnode on dnode ${checkDnodeId(dnodeId)}`;
}

/**
 * `drop dnode <id>`: by numeric id, because the endpoint form fails in 3.3.7.5 (docs/tdengine.md#drop-dnode).
 * Never `force` or `unsafe`.
 */
export function dropDnodeSql(dnodeId: number): string {
    return `drop dnode ${checkDnodeId(dnodeId)}`;
}

/** `alter user <user> pass '<password>'` (docs/tdengine.md#alter-user-pass), after {@link checkNewPassword}. */
export function alterPasswordSql(user: string, password: string): string {
    checkUserName(user);
    checkNewPassword(password);
    return `alter user ${user} pass '${password}'`;
}

/**
 * The value as a dnode id, or a RangeError. Runtime-checked because ids reach here from JSON state and
 * provider inputs, where the type system does not hold.
 */
export function checkDnodeId(value: unknown): number {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
        throw new RangeError(`A dnode id must be a positive integer, got ${describe(value)}`);
    }
    return value;
}

function describe(value: unknown): string {
    const text = typeof value === "number" ? String(value) : (JSON.stringify(value) ?? String(value));
    return `${typeof value} ${text.length > 40 ? `${text.slice(0, 40)}...` : text}`;
}

/** TDengine user names are identifiers of at most 23 bytes. */
function checkUserName(user: string): void {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,22}$/.test(user)) {
        throw new RangeError(`Not a TDengine user name: ${JSON.stringify(user)}`);
    }
}

/**
 * Throws a RangeError, which never quotes the password, unless `password` is one TDengine can take and
 * REST can log in with (the rule lives in ./password.ts, shared with argument validation).
 */
export function checkNewPassword(password: string): void {
    const problem = passwordProblem(password);
    if (problem !== undefined) {
        throw new RangeError(`The new root password ${problem}: use ${PASSWORD_RULE}.`);
    }
}
