/**
 * TDengine's error codes and texts as taosAdapter's REST API returns them. taosAdapter keeps only the low
 * 16 bits of TDengine's code (taosdata/taosadapter controller/rest/error_resp.go, TaosErrorResponse:
 * `code = code & 0xffff`), so the CLI's `Mnode already exists [0x800003A0]` is `{"code":928}` over REST.
 *
 * Every entry cites where its code and text were seen: a docs/tdengine.md section records a real TDengine
 * 3.3.7.5 cluster; "source" marks the few that docs/tdengine.md does not show, taken from TDengine's source
 * (source/util/src/terror.c) and its error-code reference, and used only where TDengine's own mnode code
 * (named in the comment) refuses a statement no recorded run tried.
 */

/** A TDengine refusal: `{"code": N, "desc": "..."}` in the REST body. */
export interface TaosError {
    readonly code: number;
    readonly desc: string;
}

function taosError(code: number, desc: string): TaosError {
    return Object.freeze({ code, desc });
}

export const ERR = {
    // docs/tdengine.md#auth-errors, #mnode-leader-failover: a client pointed at a dead taosd;
    // docs/tdengine.md#offline-dnode: a read of a vgroup whose only replica is offline fails after 20.3 s with this code.
    NETWORK_UNAVAILABLE: taosError(0x000b, "Unable to establish connection"),
    // source: sdbAcquire on an object in SDB_STATUS_DROPPING sets this; mndProcessDropDnodeReq returns it
    // for a second `drop dnode N` while the first is still moving vnodes.
    OBJECT_DROPPING: taosError(0x032d, "Object is dropping"),
    // source: mndProcessCreateDnodeReq, `create dnode` for an endpoint that already has a dnode.
    DNODE_ALREADY_EXIST: taosError(0x0330, "Dnode already exists"),
    // docs/tdengine.md#mnode-already-exists (create mnode on a missing dnode) and #drop-dnode (drop dnode by endpoint string).
    DNODE_NOT_EXIST: taosError(0x0331, "Dnode does not exist"),
    // source: mndProcessDropMnodeReq / mndProcessDropDnodeReq refuse the dnode of the mnode leader.
    CANT_DROP_LEADER: taosError(0x0333, "Cannot drop mnode which is leader"),
    // docs/tdengine.md#database-replicas.
    OUT_OF_DNODES: taosError(0x0334, "Out of dnodes"),
    // docs/tdengine.md#auth-errors.
    INVALID_USER: taosError(0x0351, "Invalid user"),
    // docs/tdengine.md#alter-user-pass, #auth-errors.
    AUTH_FAILURE: taosError(0x0357, "Authentication failure"),
    // source: mndProcessCreateDbReq for an existing name without `if not exists`.
    DB_ALREADY_EXIST: taosError(0x0381, "Database already exists"),
    // docs/tdengine.md#database-replicas: `replica 2` in this community build.
    INVALID_DB_OPTIONS: taosError(0x0382, "Invalid database options"),
    // docs/tdengine.md#auth-errors: `select * from nosuchdb.t`.
    DB_NOT_EXIST: taosError(0x0388, "Database not exist"),
    // docs/tdengine.md#mnode-already-exists.
    MNODE_ALREADY_EXIST: taosError(0x03a0, "Mnode already exists"),
    // source: mndProcessDropMnodeReq on a dnode without an mnode.
    MNODE_NOT_EXIST: taosError(0x03a1, "Mnode not there"),
    // source: mndProcessDropMnodeReq / mndProcessDropDnodeReq when it is the last mnode.
    TOO_FEW_MNODES: taosError(0x03a8, "The replica of mnode cannot less than 1"),
    // docs/tdengine.md#create-mnode.
    TOO_MANY_MNODES: taosError(0x03a9, "The replica of mnode cannot exceed 3"),
    // docs/tdengine.md#conflict-transaction: a `create mnode` resent while the first was still running.
    CONFLICT_TRANSACTION: taosError(0x03d3, "Conflict transaction not completed"),
    // source: mndProcessCreateMnodeReq / mndProcessDropMnodeReq on an offline dnode, and
    // mndProcessDropDnodeReq on an offline dnode that holds an mnode but no vnode.
    DNODE_OFFLINE: taosError(0x0408, "Dnode is offline"),
    // docs/tdengine.md#database-replicas.
    ONLY_WHEN_OFFLINE: taosError(0x0416, "Please use this command when the dnode is offline"),
    // docs/tdengine.md#offline-dnode.
    UNSAFE_DELETE: taosError(
        0x0535,
        "Single replica vnode data will lost permanently after this operation, if you make sure this, please use drop dnode <id> unsafe to execute",
    ),
    // docs/tdengine.md#offline-dnode.
    VNODE_OFFLINE: taosError(0x0541, "Vnode is offline"),
    // source: the error-code reference, `Table already exists`.
    TABLE_ALREADY_EXIST: taosError(0x0603, "Table already exists"),
    // docs/tdengine.md#offline-dnode: insert into a table the unsafe drop destroyed.
    TABLE_NOT_EXIST: taosError(0x2603, "Table does not exist"),
    // source: the error-code reference, a table name without a database and no database in the URL.
    DB_NOT_SPECIFIED: taosError(0x2616, "Database not specified"),
} as const;

/** docs/tdengine.md#system-tables, #database-replicas: `syntax error near "<the statement from the first token the parser rejected>"`. */
export function syntaxError(near: string): TaosError {
    return taosError(0x2600, `syntax error near "${near}"`);
}

/** docs/tdengine.md#database-replicas: `replica 0`, `4`, `5` are refused by the parser before the mnode sees them. */
export function invalidReplications(replica: number): TaosError {
    return taosError(0x2619, `Invalid option replications: ${replica}, valid range: [1, 3]`);
}

/**
 * taosAdapter's own refusals of a request it cannot pass to TDengine, with their HTTP status
 * (taosdata/taosadapter controller/rest/auth.go CheckAuth → UnAuthResponse = 401;
 * controller/rest/restful.go DoQuery → BadRequestResponse = 400; texts from httperror/errors.go).
 */
export const ADAPTER = {
    NO_AUTH_INFO: { status: 401, error: taosError(0x1105, "no auth info input") },
    INVALID_AUTH_TYPE: { status: 401, error: taosError(0x1122, "invalid type of Authorization") },
    INVALID_BASIC_AUTH: { status: 401, error: taosError(0x1124, "invalid basic Authorization") },
    NO_MSG_INPUT: { status: 400, error: taosError(0x1106, "request is empty") },
    NO_SQL_INPUT: { status: 400, error: taosError(0x1107, "no sql input") },
} as const;

const AUTH_CODES: ReadonlySet<number> = new Set([0x0350, 0x0351, 0x0352, 0x0353, 0x0354, 0x0355, 0x0356, 0x0357]);
const PARSE_CODES: ReadonlySet<number> = new Set([0x0216, 0x021b, 0x2600, 0x060b, 0x0224, 0x263b]);

/**
 * The HTTP status taosAdapter gives a TDengine error (controller/rest/error_resp.go getErrorHttpStatus):
 * 200 for every error by default (`httpCodeServerError` is false, config/config.go), even `Authentication
 * failure`; with `httpCodeServerError` on, 401 for user/password errors, 400 for parse errors, 502 for
 * `Unable to establish connection`, 500 for the rest.
 */
export function httpStatusOf(error: TaosError, httpCodeServerError: boolean): number {
    if (!httpCodeServerError) return 200;
    if (AUTH_CODES.has(error.code)) return 401;
    if (PARSE_CODES.has(error.code)) return 400;
    if (error.code === ERR.NETWORK_UNAVAILABLE.code) return 502;
    return 500;
}
