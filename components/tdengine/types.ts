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

/** One replica of a vgroup: the `v<n>_dnode` / `v<n>_status` columns of information_schema.ins_vgroups. */
export interface VgroupReplica {
    /** The dnode holding this replica. */
    dnodeId: number;
    /**
     * `leader`, `follower`, `candidate`, `offline`, ... as TDengine reports it. While a vgroup elects a leader
     * after its leader's dnode stopped, every replica shows something other than `leader`
     * (docs/tdengine.md#rolling-restart).
     */
    status: string;
}

/** A row of information_schema.ins_vgroups: a vgroup and its replicas (v1..v4 dnode/status). */
export interface VgroupInfo {
    /** `vgroup_id`. */
    id: number;
    /** `db_name`: the database the vgroup belongs to. */
    database: string;
    /** The replicas in column order (v1 first); NULL columns are left out, so a replica-1 vgroup has one. */
    replicas: VgroupReplica[];
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
    /**
     * Every vgroup of every database with its replicas' dnodes and statuses (information_schema.ins_vgroups,
     * docs/tdengine.md#system-tables): whether each vgroup has a leader and all its replicas in sync.
     */
    showVgroups(): Promise<VgroupInfo[]>;
    /**
     * `balance vgroup`: moves vgroup replicas onto dnodes that hold fewer (after a scale-up, the new empty ones)
     * and blocks until the moves are done (43 s for 4 small vgroups, docs/tdengine.md#balance-vgroup).
     * It starts a transaction: the caller decides what a lost connection means (look, do not resend).
     */
    balanceVgroup(): Promise<void>;
    /** `select server_version()`: the version the server runs, e.g. `3.3.7.5` (docs/tdengine.md#version-rules). */
    serverVersion(): Promise<string>;
}
