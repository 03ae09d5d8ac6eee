/**
 * {@link TDengine} over taosAdapter's REST API. This module says which statement each operation sends and
 * how it may be retried; the exchange itself is transport.ts, the retry loop retry.ts, the answer's
 * meaning answer.ts, the rows' reading rows.ts, and redact.ts keeps passwords out of every text.
 * Runs inside Pulumi dynamic providers, whose functions are serialized: nothing here keeps module-level
 * state or reads the environment.
 */
import { TDengineAuthError } from "./errors";
import { QueryResult, interpret } from "./answer";
import { redact } from "./redact";
import { DEFAULT_RETRY, RetryPolicy, RetryWhen, checkRetry, withRetries } from "./retry";
import { Where, toAliveStatus, toDnode, toMnode, toServerVersion, toUserDatabase, toVgroup } from "./rows";
import * as sql from "./sql";
import { Endpoint, basicAuth, checkTimeout, parseEndpoint, post } from "./transport";
import { DatabaseInfo, DnodeInfo, MnodeInfo, TDengine, VgroupInfo } from "./types";

export type { QueryResult, Row } from "./answer";
export { DEFAULT_RETRY } from "./retry";
export type { RetryPolicy, RetryWhen } from "./retry";

/** How to reach TDengine's REST API. */
export interface TDengineRestOptions {
    /** Base URL of taosAdapter, e.g. `http://127.0.0.1:6041`; `/rest/sql` is appended. No credentials in it. */
    url: string;
    /** Default `root`. */
    user?: string;
    password: string;
    /** Time allowed for one request, in ms. Default {@link DEFAULT_REQUEST_TIMEOUT_MS}. */
    requestTimeoutMs?: number;
    /**
     * Time allowed for one `drop dnode`, in ms: it blocks until the dnode's vnodes have moved (21 s for
     * 100k rows, docs/tdengine.md#drop-dnode; minutes or more with real data). Default {@link DEFAULT_DROP_DNODE_TIMEOUT_MS}.
     */
    dropDnodeTimeoutMs?: number;
    /**
     * Time allowed for one `balance vgroup`, in ms: it blocks until every move is done (43 s for 4 small vgroups,
     * docs/tdengine.md#balance-vgroup; far longer with real data). Default {@link DEFAULT_BALANCE_VGROUP_TIMEOUT_MS}.
     */
    balanceVgroupTimeoutMs?: number;
    /** Default {@link DEFAULT_RETRY}. */
    retry?: RetryPolicy;
    /** Receives one line per retry and per long statement. Never given a password. */
    log?: (msg: string) => void;
}

/** Options of one {@link TDengineRest.query}. */
export interface QueryOptions {
    /** Default: the client's `requestTimeoutMs`. */
    timeoutMs?: number;
    /** Default `only-if-not-sent`: an arbitrary statement is not assumed safe to repeat. */
    retry?: RetryWhen;
}

/** A minute: `create mnode` took up to 4.6 s (docs/tdengine.md#create-mnode), reads take milliseconds. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** An hour, the component's default `dropDnodeTimeoutSeconds`. */
export const DEFAULT_DROP_DNODE_TIMEOUT_MS = 3_600_000;
/** An hour, like `drop dnode`: both move vnodes and block until done. */
export const DEFAULT_BALANCE_VGROUP_TIMEOUT_MS = 3_600_000;

/** One statement to send and how. `secrets` are redacted from every text shown. */
interface Call {
    sql: string;
    timeoutMs: number;
    retry: RetryWhen;
    password: string;
    secrets: readonly string[];
}

/** The client of one TDengine cluster. Not safe for concurrent {@link alterRootPassword} calls. */
export class TDengineRest implements TDengine {
    private readonly endpoint: Endpoint;
    private readonly user: string;
    /** Changes after {@link alterRootPassword}, so later calls log in with the new password. */
    private password: string;
    private readonly requestTimeoutMs: number;
    private readonly dropDnodeTimeoutMs: number;
    private readonly balanceVgroupTimeoutMs: number;
    private readonly retry: RetryPolicy;
    private readonly log: (msg: string) => void;

    constructor(options: TDengineRestOptions) {
        this.endpoint = parseEndpoint(options.url);
        this.user = options.user ?? "root";
        if (typeof options.password !== "string" || options.password === "") {
            throw new TypeError("TDengineRest needs the password of the TDengine user (it was empty).");
        }
        this.password = options.password;
        this.requestTimeoutMs = checkTimeout(
            "requestTimeoutMs",
            options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        );
        this.dropDnodeTimeoutMs = checkTimeout(
            "dropDnodeTimeoutMs",
            options.dropDnodeTimeoutMs ?? DEFAULT_DROP_DNODE_TIMEOUT_MS,
        );
        this.balanceVgroupTimeoutMs = checkTimeout(
            "balanceVgroupTimeoutMs",
            options.balanceVgroupTimeoutMs ?? DEFAULT_BALANCE_VGROUP_TIMEOUT_MS,
        );
        this.retry = checkRetry(options.retry ?? DEFAULT_RETRY);
        this.log = options.log ?? (() => undefined);
    }

    /**
     * Runs one statement and maps the rows by column name. Throws `TDengineError` when TDengine refuses it,
     * `TDengineAuthError`, `TDengineUnreachableError`, `TDengineConnectionLostError` or `TDengineResponseError`
     * (errors.ts).
     */
    async query(statement: string, options: QueryOptions = {}): Promise<QueryResult> {
        return await this.run({
            sql: statement,
            timeoutMs: checkTimeout("timeoutMs", options.timeoutMs ?? this.requestTimeoutMs),
            retry: options.retry ?? "only-if-not-sent",
            password: this.password,
            secrets: [this.password],
        });
    }

    async showDnodes(): Promise<DnodeInfo[]> {
        const { rows } = await this.read(sql.SHOW_DNODES);
        const where = this.where(sql.SHOW_DNODES);
        return rows.map((row) => toDnode(row, where));
    }

    async showMnodes(): Promise<MnodeInfo[]> {
        const { rows } = await this.read(sql.SHOW_MNODES);
        const where = this.where(sql.SHOW_MNODES);
        return rows.map((row) => toMnode(row, where));
    }

    async showDatabases(): Promise<DatabaseInfo[]> {
        const { rows } = await this.read(sql.SELECT_DATABASE_REPLICAS);
        const where = this.where(sql.SELECT_DATABASE_REPLICAS);
        return rows.flatMap((row) => toUserDatabase(row, where) ?? []);
    }

    async clusterAlive(): Promise<number> {
        const { rows } = await this.read(sql.SHOW_CLUSTER_ALIVE);
        return toAliveStatus(rows, this.where(sql.SHOW_CLUSTER_ALIVE));
    }

    /**
     * Starts a transaction, so never resent once it may have reached TDengine: a lost answer is
     * `TDengineConnectionLostError`, and the caller looks at `show mnodes` (components/lifecycle/transaction.ts).
     * Resent only when the connection was never established.
     */
    async createMnode(dnodeId: number): Promise<void> {
        await this.send(sql.createMnodeSql(dnodeId), "only-if-not-sent", this.requestTimeoutMs);
    }

    /** Starts a transaction: never resent once it may have reached TDengine, as {@link createMnode}. */
    async dropMnode(dnodeId: number): Promise<void> {
        await this.send(sql.dropMnodeSql(dnodeId), "only-if-not-sent", this.requestTimeoutMs);
    }

    /**
     * Never resent once it may have reached TDengine: the drop may be moving vnodes server-side long after
     * the connection broke, and the caller must look at `show dnodes` (status `dropping`) instead.
     * Resent only when the connection was never established. Allowed `dropDnodeTimeoutMs`.
     */
    async dropDnode(dnodeId: number): Promise<void> {
        const statement = sql.dropDnodeSql(dnodeId);
        this.log(
            `TDengine REST: \`${statement}\` blocks while TDengine moves the dnode's vnodes; ` +
                `waiting up to ${Math.round(this.dropDnodeTimeoutMs / 1000)} s`,
        );
        await this.send(statement, "only-if-not-sent", this.dropDnodeTimeoutMs);
    }

    /**
     * Starts a transaction: never resent once it may have reached TDengine (a lost answer is
     * `TDengineConnectionLostError`; the caller logs in with the new password to see whether it was done).
     * When an earlier run already changed it, the old password is refused; if the new one is then
     * accepted, the goal is reached. Afterwards this client, when it logs in as root, uses the new password.
     */
    async alterRootPassword(newPassword: string): Promise<void> {
        const statement = sql.alterPasswordSql("root", newPassword);
        const secrets = [this.password, newPassword];
        try {
            await this.run({
                sql: statement,
                timeoutMs: this.requestTimeoutMs,
                retry: "only-if-not-sent",
                password: this.password,
                secrets,
            });
        } catch (err) {
            if (!(err instanceof TDengineAuthError) || !this.isRoot() || !(await this.accepts(newPassword, secrets))) {
                throw err;
            }
            this.log("TDengine REST: root already had the new password");
        }
        if (this.isRoot()) {
            this.password = newPassword;
        }
    }

    async showVgroups(): Promise<VgroupInfo[]> {
        const { rows } = await this.read(sql.SELECT_VGROUPS);
        const where = this.where(sql.SELECT_VGROUPS);
        return rows.map((row) => toVgroup(row, where));
    }

    /**
     * Never resent once it may have reached TDengine: it starts a transaction that keeps moving replicas after
     * a lost connection, and a repeat meets `Conflict transaction not completed` (docs/tdengine.md#conflict-transaction).
     * The caller looks at {@link showVgroups} instead. Allowed `balanceVgroupTimeoutMs`.
     */
    async balanceVgroup(): Promise<void> {
        this.log(
            `TDengine REST: \`${sql.BALANCE_VGROUP}\` blocks while TDengine moves vgroup replicas; ` +
                `waiting up to ${Math.round(this.balanceVgroupTimeoutMs / 1000)} s`,
        );
        await this.send(sql.BALANCE_VGROUP, "only-if-not-sent", this.balanceVgroupTimeoutMs);
    }

    async serverVersion(): Promise<string> {
        const result = await this.read(sql.SELECT_SERVER_VERSION);
        return toServerVersion(result, this.where(sql.SELECT_SERVER_VERSION));
    }

    private isRoot(): boolean {
        return this.user === "root";
    }

    private async accepts(password: string, secrets: readonly string[]): Promise<boolean> {
        try {
            await this.run({
                sql: sql.SHOW_CLUSTER_ALIVE,
                timeoutMs: this.requestTimeoutMs,
                retry: "on-connection-failure",
                password,
                secrets,
            });
            return true;
        } catch {
            return false;
        }
    }

    private read(statement: string): Promise<QueryResult> {
        return this.send(statement, "on-connection-failure", this.requestTimeoutMs);
    }

    private send(statement: string, retry: RetryWhen, timeoutMs: number): Promise<QueryResult> {
        return this.run({ sql: statement, timeoutMs, retry, password: this.password, secrets: [this.password] });
    }

    private where(statement: string): Where {
        return { url: this.endpoint.shown, statement };
    }

    private run(call: Call): Promise<QueryResult> {
        const statement = redact(call.sql, call.secrets);
        const authorization = basicAuth(this.user, call.password);
        const asked = { url: this.endpoint.shown, user: this.user, statement, secrets: call.secrets };
        return withRetries(
            async () => interpret(await post(this.endpoint, call.sql, authorization, call.timeoutMs), asked),
            { policy: this.retry, when: call.retry, url: this.endpoint.shown, statement, secrets: call.secrets, log: this.log },
        );
    }
}
