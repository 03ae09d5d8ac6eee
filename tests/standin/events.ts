/**
 * What happened inside the stand-in, in order, so a test can assert e.g. that `drop dnode 4` was executed
 * before some other change. Times are wall-clock ms (not scaled): the order is what matters.
 */

export type EventKind =
    /** A statement reached the cluster; detail = the SQL as sent. */
    | "sql"
    /** A statement finished; detail = `<code> <sql>` (0 for success). */
    | "sql.result"
    /** failConnections: a request's socket was destroyed before anything ran; detail = the SQL. */
    | "connection.failed"
    /** dropConnectionDuring: a running statement's socket was destroyed; detail = the SQL. */
    | "connection.dropped"
    /** loseAnswerTo(..., "unable-to-connect"): a running statement was answered 0x000B; detail = the SQL. */
    | "answer.lost"
    /** A request waited for a majority of the mnodes (docs/tdengine.md#two-mnodes); detail = the SQL. */
    | "request.held"
    /** A taosd process started or stopped; detail = `<endpoint> (<data dir>)`. */
    | "process.started"
    | "process.stopped"
    /** detail = `dnode <id> <endpoint>` for all dnode and mnode events. */
    | "dnode.registered"
    | "dnode.ready"
    | "dnode.offline"
    | "dnode.dropping"
    | "dnode.dropped"
    | "mnode.created"
    | "mnode.ready"
    | "mnode.role"
    | "mnode.dropped"
    /** detail = `vgroup <id> dnode <id>`. */
    | "vnode.added"
    | "vnode.removed"
    /** A vgroup's replica leads (after its creation, an election or `balance vgroup leader`); detail = `vgroup <id> dnode <id>`. */
    | "vgroup.leader"
    /** A vgroup lost its leader (its dnode stopped or left); detail = `vgroup <id>`. */
    | "vgroup.leaderless"
    /** A restarted dnode's replica caught up and follows again; detail = `vgroup <id> dnode <id>`. */
    | "vnode.synced"
    /** `balance vgroup` finished; detail = `<n> move(s)`. */
    | "vgroups.balanced"
    /** An unsafe drop recreated a single-replica vgroup empty; detail = `vgroup <id> tables <names>`. */
    | "data.lost"
    /** detail = the database name. */
    | "database.created"
    | "database.dropped"
    /** detail = the user name (never the password). */
    | "user.password";

export interface StandinEvent {
    readonly at: number;
    readonly kind: EventKind;
    readonly detail: string;
}

export class EventLog {
    private readonly entries: StandinEvent[] = [];

    record(kind: EventKind, detail: string): void {
        this.entries.push({ at: Date.now(), kind, detail });
    }

    all(): StandinEvent[] {
        return [...this.entries];
    }
}
