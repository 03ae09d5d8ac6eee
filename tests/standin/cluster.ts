/**
 * A TDengine 3.3.7.5 cluster as docs/tdengine.md records it: the one entry point of the model. It logs in,
 * sends each parsed statement to the module whose job it is, and passes pod starts and stops to the
 * membership. The behaviour lives in the modules, each citing the docs/tdengine.md section it reproduces:
 *
 *  - membership.ts: dnodes join, stop, restart, come back on old data; `create dnode`, `drop dnode`;
 *  - mnodes.ts: `create mnode`, `drop mnode`, the mnode leader's election;
 *  - vgroups.ts: vgroup placement, moves, leaders and elections, `balance vgroup [leader]`;
 *  - databases.ts: databases, tables, inserts and counts;
 *  - system-tables.ts: information_schema, `show ...`, `show cluster alive`, the state snapshot.
 *
 * Nothing here reads docs/tdengine.md at run time.
 */

import { ERR, TaosError, syntaxError } from "./codes";
import { Databases } from "./databases";
import { EventLog } from "./events";
import { Membership } from "./membership";
import { DataDir, DEFAULT_VGROUPS, fail, Model, ok, StatementResult } from "./model";
import { MnodeMajority } from "./mnode-majority";
import { Mnodes } from "./mnodes";
import { Statement } from "./sql";
import { ClusterState, SystemTables } from "./system-tables";
import { Scheduler } from "./timing";
import { Vgroups } from "./vgroups";

export type { Cell, DataDir, ProcessRole, StatementResult } from "./model";
export type { ClusterState, DatabaseView, DnodeView, MnodeView, ProcessView } from "./system-tables";

export interface ClusterOptions {
    readonly rootPassword: string;
    /** What `select server_version()` answers unless a taosd was started with another version. */
    readonly version: string;
    readonly scheduler: Scheduler;
    readonly events: EventLog;
}

export class Cluster {
    private readonly model: Model;
    private readonly membership: Membership;
    private readonly mnodes: Mnodes;
    private readonly vgroups: Vgroups;
    private readonly databases: Databases;
    private readonly systemTables: SystemTables;
    private readonly majority: MnodeMajority;

    constructor(options: ClusterOptions) {
        this.model = new Model(options.scheduler, options.events, options.rootPassword, options.version);
        this.vgroups = new Vgroups(this.model);
        this.mnodes = new Mnodes(this.model);
        this.membership = new Membership(this.model, this.mnodes, this.vgroups);
        this.databases = new Databases(this.model, this.vgroups);
        this.systemTables = new SystemTables(this.model, this.vgroups, this.mnodes);
        this.majority = new MnodeMajority(this.model);
    }

    /** See {@link MnodeMajority.wait}: no answer while most mnodes are down (docs/tdengine.md#two-mnodes). */
    untilMnodeMajority(gaveUp: () => boolean): Promise<boolean> {
        return this.majority.wait(gaveUp);
    }

    hasMnodeMajority(): boolean {
        return this.majority.has();
    }

    /** See {@link Membership.startDnode}. */
    startDnode(endpoint: string, data?: DataDir, version?: string): void {
        this.membership.startDnode(endpoint, data, version);
    }

    /** The taosd on `endpoint` is gone (pod deleted, SIGKILL). */
    stopDnode(endpoint: string): void {
        this.membership.stopDnode(endpoint);
    }

    /** What taosAdapter's connection attempt gets for these credentials, or undefined if it gets in. */
    login(user: string, password: string): TaosError | undefined {
        // docs/tdengine.md#auth-errors: nobody listening → `Unable to establish connection`.
        // docs/tdengine.md#dropped-dnode-returns: even a dropped dnode's taosd answers clients with the cluster's data.
        if (this.model.processes.size === 0) return ERR.NETWORK_UNAVAILABLE;
        if (user !== "root") return ERR.INVALID_USER; // docs/tdengine.md#auth-errors
        if (password !== this.model.password) return ERR.AUTH_FAILURE; // docs/tdengine.md#alter-user-pass, #auth-errors
        return undefined;
    }

    /** Runs one parsed statement; `defaultDb` is the database of `/rest/sql/<db>`. */
    async execute(statement: Statement, defaultDb: string | undefined): Promise<StatementResult> {
        switch (statement.kind) {
            case "select-system":
                return this.systemTables.select(statement.table, statement.columns, statement.filter);
            case "show-databases":
                return this.systemTables.showDatabases();
            case "show-alive":
                return this.systemTables.showAlive(statement.db);
            case "create-dnode":
                return this.membership.createDnode(statement.endpoint);
            case "drop-dnode":
                return statement.dnodeId === undefined
                    ? fail(ERR.DNODE_NOT_EXIST) // docs/tdengine.md#drop-dnode: the endpoint form fails (upstream bug, mndDnode.c)
                    : this.membership.dropDnode(statement.dnodeId, statement.mode);
            case "create-mnode":
                return this.mnodes.create(statement.dnodeId);
            case "drop-mnode":
                return this.mnodes.drop(statement.dnodeId);
            case "create-database":
                return this.databases.create(
                    statement.name, statement.ifNotExists, statement.replica ?? 1, statement.vgroups ?? DEFAULT_VGROUPS);
            case "drop-database":
                return this.databases.drop(statement.name, statement.ifExists);
            case "create-table":
                return this.databases.createTable(statement.ref, statement.ifNotExists, defaultDb);
            case "insert":
                return this.databases.insert(statement.targets, defaultDb);
            case "select-count":
                return this.databases.selectCount(statement.ref, defaultDb);
            case "balance-vgroup":
                return this.vgroups.balance();
            case "balance-vgroup-leader":
                return this.vgroups.balanceLeaders(statement.vgroupId);
            case "select-server-version":
                return this.systemTables.serverVersion();
            case "alter-password":
                return this.alterPassword(statement.user, statement.password);
            case "syntax-error":
                return fail(syntaxError(statement.near));
        }
    }

    state(): ClusterState {
        return this.systemTables.state();
    }

    /** docs/tdengine.md#alter-user-pass: Query OK, and from then on the old password gets `Authentication failure`. */
    private alterPassword(user: string, password: string): StatementResult {
        if (user !== "root") return fail(ERR.INVALID_USER);
        this.model.password = password;
        this.model.events.record("user.password", user);
        return ok();
    }
}
