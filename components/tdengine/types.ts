/**
 * What the lifecycle steps need to know and do in TDengine, in TDengine's own words.
 * The scale-down and mnode sequences are written against this interface only, so they run the same
 * against the real REST API, the stand-in in tests/standin, or a recording fake.
 */

/** A row of `show dnodes` (information_schema.ins_dnodes). */
export interface DnodeInfo {
    /** Numeric id: what `drop dnode` and `create mnode on dnode` take. Not ordinal + 1 in general. */
    id: number;
    /** `<fqdn>:<port>`: how a dnode is matched to a pod. */
    endpoint: string;
    /** Number of vnodes on this dnode (falls to 0 while a drop migrates them). */
    vnodes: number;
    /** `ready`, `offline`, `dropping`, ... as TDengine reports it. */
    status: string;
    /** Why a dnode is offline (`status msg timeout`, `status not received`), or empty. */
    note: string;
}

/** A row of `show mnodes` (information_schema.ins_mnodes). */
export interface MnodeInfo {
    /** The id of the dnode that holds this mnode. */
    id: number;
    endpoint: string;
    /** `leader`, `follower`, `candidate`, `offline`, ... */
    role: string;
    /** `ready`, `creating`, `dropping`, `offline`, ... */
    status: string;
}

/** A row of information_schema.ins_databases, reduced to what scale-down must respect. */
export interface DatabaseInfo {
    name: string;
    /** The database's replica count: a drop may not leave fewer dnodes than this. */
    replica: number;
}

/** The TDengine operations the lifecycle uses. Every method is one SQL statement (or a poll of one). */
export interface TDengine {
    showDnodes(): Promise<DnodeInfo[]>;
    showMnodes(): Promise<MnodeInfo[]>;
    /** User databases and their replica counts (system databases excluded). */
    showDatabases(): Promise<DatabaseInfo[]>;
    /** `show cluster alive`: 1 whole, 2 partly available, 0 unavailable. */
    clusterAlive(): Promise<number>;
    /** `create mnode on dnode <id>`; resolves once TDengine says `Create OK` (not yet usable). */
    createMnode(dnodeId: number): Promise<void>;
    /** `drop mnode on dnode <id>`. */
    dropMnode(dnodeId: number): Promise<void>;
    /**
     * `drop dnode <id>`: blocks until the dnode's vnodes have moved. Never `force` or `unsafe`.
     * The caller decides what a lost connection means (look at `show dnodes`, do not resend).
     */
    dropDnode(dnodeId: number): Promise<void>;
    /** `alter user root pass '<newPassword>'`, authenticated with the current password. */
    alterRootPassword(newPassword: string): Promise<void>;
}
