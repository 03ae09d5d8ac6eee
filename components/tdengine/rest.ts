/**
 * {@link TDengine} over taosAdapter's REST API (`POST <url>/rest/sql`, the SQL text as the body, Basic
 * authentication). Runs inside Pulumi dynamic providers, whose functions are serialized: built-ins are
 * imported as namespaces, and nothing here keeps module-level state or reads the environment.
 */
import { ClearError } from "../errors";
import * as http from "node:http";
import * as https from "node:https";
import {
    TDengineAuthError,
    TDengineConnectionLostError,
    TDengineError,
    TDengineResponseError,
    TDengineUnreachableError,
    TdCode,
} from "./errors";
import * as sql from "./sql";
import { DatabaseInfo, DnodeInfo, MnodeInfo, TDengine, VgroupInfo, VgroupReplica } from "./types";

/** Bounded exponential backoff: waits `initialDelayMs`, then twice that, ..., never more than `maxDelayMs`. */
export interface RetryPolicy {
    /** Attempts in all, the first included. */
    attempts: number;
    initialDelayMs: number;
    maxDelayMs: number;
}

/**
 * When a statement may be sent again after a network-level failure (refused, reset, timed out, 502/503/504):
 * - `on-connection-failure`: after any of them. For reads, and for statements whose repeat is harmless.
 * - `only-if-not-sent`: only when the request cannot have reached TDengine (the connection was never
 *   established); otherwise {@link TDengineConnectionLostError}. For statements that must not run twice or
 *   whose progress must be looked at rather than restarted (`drop dnode`).
 */
export type RetryWhen = "on-connection-failure" | "only-if-not-sent";

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
     * 100k rows in captures/16; minutes or more with real data). Default {@link DEFAULT_DROP_DNODE_TIMEOUT_MS}.
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

/** One result row, keyed by column name as TDengine's `column_meta` names it. */
export type Row = Readonly<Record<string, unknown>>;

/** A statement's result: `show` and `select` rows, or `affected_rows` for the others. */
export interface QueryResult {
    columns: string[];
    rows: Row[];
}

/** A minute: `create mnode` took up to 4.6 s in captures/03, reads take milliseconds. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** An hour, the component's default `dropDnodeTimeoutSeconds`. */
export const DEFAULT_DROP_DNODE_TIMEOUT_MS = 3_600_000;
/** An hour, like `drop dnode`: both move vnodes and block until done. */
export const DEFAULT_BALANCE_VGROUP_TIMEOUT_MS = 3_600_000;
/** Six attempts over about 15 s: enough to ride out a taosAdapter or port-forward restart. */
export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({
    attempts: 6,
    initialDelayMs: 500,
    maxDelayMs: 8_000,
});

/** setTimeout fires at once for larger delays. */
const MAX_TIMER_MS = 2_147_483_647;
const REDACTED = "<redacted>";
const GATEWAY_STATUSES: readonly number[] = [502, 503, 504];

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
     * Runs one statement and maps the rows by column name. Throws {@link TDengineError} when TDengine refuses
     * it, {@link TDengineAuthError}, {@link TDengineUnreachableError}, {@link TDengineConnectionLostError} or
     * {@link TDengineResponseError}.
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
        return rows.map((row) => ({
            id: intField(row, "id", where),
            endpoint: textField(row, "endpoint", where),
            vnodes: intField(row, "vnodes", where),
            status: textField(row, "status", where),
            note: textField(row, "note", where),
        }));
    }

    async showMnodes(): Promise<MnodeInfo[]> {
        const { rows } = await this.read(sql.SHOW_MNODES);
        const where = this.where(sql.SHOW_MNODES);
        return rows.map((row) => ({
            id: intField(row, "id", where),
            endpoint: textField(row, "endpoint", where),
            role: textField(row, "role", where),
            status: textField(row, "status", where),
        }));
    }

    async showDatabases(): Promise<DatabaseInfo[]> {
        const { rows } = await this.read(sql.SELECT_DATABASE_REPLICAS);
        const where = this.where(sql.SELECT_DATABASE_REPLICAS);
        return rows.flatMap((row) => {
            const name = textField(row, "name", where);
            return sql.SYSTEM_DATABASES.includes(name) ? [] : [{ name, replica: intField(row, "replica", where) }];
        });
    }

    async clusterAlive(): Promise<number> {
        const { rows } = await this.read(sql.SHOW_CLUSTER_ALIVE);
        const where = this.where(sql.SHOW_CLUSTER_ALIVE);
        if (rows.length !== 1) {
            throw new TDengineResponseError(where.url, where.statement, 0, `expected one row, got ${rows.length}`);
        }
        return intField(rows[0], "status", where);
    }

    /**
     * Resent after a network failure: if the first one landed, the repeat answers `Mnode already exists`
     * ({@link TdCode.MnodeAlreadyExists}), which callers treat as success. A repeat that meets the first
     * one's transaction still running gets TDengine's refusal, not a second mnode.
     */
    async createMnode(dnodeId: number): Promise<void> {
        await this.send(sql.createMnodeSql(dnodeId), "on-connection-failure", this.requestTimeoutMs);
    }

    /**
     * Resent after a network failure: the goal is a state (no mnode on that dnode), so a repeat after the
     * first one landed only answers `Mnode not there` ({@link TdCode.MnodeNotThere}).
     */
    async dropMnode(dnodeId: number): Promise<void> {
        await this.send(sql.dropMnodeSql(dnodeId), "on-connection-failure", this.requestTimeoutMs);
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
     * Resent after a network failure: setting the same password twice is harmless. When the first attempt
     * landed before the connection broke (or an earlier run changed it), the old password is refused; if
     * the new one is then accepted, the goal is reached. Afterwards this client, when it logs in as root, uses
     * the new password.
     */
    async alterRootPassword(newPassword: string): Promise<void> {
        const statement = sql.alterPasswordSql("root", newPassword);
        const secrets = [this.password, newPassword];
        try {
            await this.run({
                sql: statement,
                timeoutMs: this.requestTimeoutMs,
                retry: "on-connection-failure",
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

    /** Rows in TDengine's order; a replica column pair that is NULL (no such replica) is left out. */
    async showVgroups(): Promise<VgroupInfo[]> {
        const { rows } = await this.read(sql.SELECT_VGROUPS);
        const where = this.where(sql.SELECT_VGROUPS);
        return rows.map((row) => {
            const replicas: VgroupReplica[] = [];
            for (let n = 1; n <= sql.VGROUP_REPLICA_COLUMNS; n++) {
                if (column(row, `v${n}_dnode`, where) !== null) {
                    replicas.push({ dnodeId: intField(row, `v${n}_dnode`, where), status: textField(row, `v${n}_status`, where) });
                }
            }
            return { id: intField(row, "vgroup_id", where), database: textField(row, "db_name", where), replicas };
        });
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

    /** The one value of `select server_version()`, whatever TDengine names its column. */
    async serverVersion(): Promise<string> {
        const { columns, rows } = await this.read(sql.SELECT_SERVER_VERSION);
        const where = this.where(sql.SELECT_SERVER_VERSION);
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

    private async run(call: Call): Promise<QueryResult> {
        const statement = redact(call.sql, call.secrets);
        const started = Date.now();
        for (let attempt = 1; ; attempt++) {
            try {
                const answer = await post(this.endpoint, call.sql, basicAuth(this.user, call.password), call.timeoutMs);
                return this.interpret(answer, { ...call, statement });
            } catch (err) {
                if (!(err instanceof NoAnswer)) {
                    throw err;
                }
                const reason = redact(err.message, call.secrets);
                if (err.maybeSent && call.retry === "only-if-not-sent") {
                    throw new TDengineConnectionLostError({ url: this.endpoint.shown, statement, cause: reason });
                }
                if (attempt >= this.retry.attempts) {
                    throw new TDengineUnreachableError({
                        url: this.endpoint.shown,
                        statement,
                        attempts: attempt,
                        elapsedMs: Date.now() - started,
                        lastError: reason,
                    });
                }
                const delayMs = backoffDelayMs(this.retry, attempt);
                this.log(
                    `TDengine REST: \`${statement}\` failed (${reason}); attempt ${attempt + 1} of ` +
                        `${this.retry.attempts} in ${delayMs} ms`,
                );
                await sleep(delayMs);
            }
        }
    }

    /** Turns taosAdapter's answer into rows or the matching error. Gateway errors go back to the retry loop. */
    private interpret(answer: HttpAnswer, call: Call & { statement: string }): QueryResult {
        const body = parseJson(answer.body);
        const code = errorCode(body);
        const desc = answerText(body, answer.body, call.secrets);
        const { statement } = call;
        const httpStatus = answer.status;
        if (isCredentialFailure(httpStatus, code)) {
            const auth = { user: this.user, url: this.endpoint.shown };
            throw new TDengineAuthError({ code: code ?? TdCode.AuthFailure, desc, statement, httpStatus, ...auth });
        }
        if (GATEWAY_STATUSES.includes(httpStatus) || code === TdCode.NetworkUnavailable) {
            throw new NoAnswer(`HTTP ${httpStatus}: ${desc}`, true);
        }
        if (code !== undefined && code !== 0) {
            throw new TDengineError({ code, desc, statement, httpStatus });
        }
        const result = httpStatus >= 200 && httpStatus < 300 ? toResult(body) : undefined;
        if (!result) {
            const problem = `not taosAdapter's JSON: ${desc}`;
            throw new TDengineResponseError(this.endpoint.shown, statement, httpStatus, problem);
        }
        return result;
    }
}

/** Where an answer came from, for error messages. */
interface Where {
    url: string;
    statement: string;
}

/** One statement to send and how. `secrets` are redacted from every text shown. */
interface Call {
    sql: string;
    timeoutMs: number;
    retry: RetryWhen;
    password: string;
    secrets: readonly string[];
}

interface Endpoint {
    request: (options: http.RequestOptions) => http.ClientRequest;
    hostname: string;
    port: number | undefined;
    path: string;
    /** The full endpoint URL without credentials, as shown in messages. */
    shown: string;
}

interface HttpAnswer {
    status: number;
    body: string;
}

/** No usable answer. `maybeSent`: the connection was established, so TDengine may have got the statement. */
class NoAnswer extends ClearError {
    constructor(
        message: string,
        readonly maybeSent: boolean,
    ) {
        super(message);
    }
}

function parseEndpoint(base: string): Endpoint {
    let url: URL;
    try {
        url = new URL(base);
    } catch {
        throw new TypeError(
            "TDengineRest's url is not a URL (expected e.g. http://tdengine.db.svc.cluster.local:6041).",
        );
    }
    const origin = `${url.protocol}//${url.host}`;
    if (url.username || url.password) {
        throw new TypeError(`TDengineRest's url must not carry credentials (pass user and password): ${origin}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
        throw new TypeError(`TDengineRest's url must be http or https: ${origin}`);
    }
    const path = `${url.pathname.replace(/\/+$/, "")}/rest/sql`;
    return {
        request: url.protocol === "https:" ? https.request : http.request,
        hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: url.port ? Number(url.port) : undefined,
        path,
        shown: `${origin}${path}`,
    };
}

function checkTimeout(name: string, value: number): number {
    if (!Number.isFinite(value) || value <= 0 || value > MAX_TIMER_MS) {
        throw new RangeError(`TDengineRest's ${name} must be between 1 and ${MAX_TIMER_MS} ms, got ${value}`);
    }
    return value;
}

function checkRetry(policy: RetryPolicy): RetryPolicy {
    const { attempts, initialDelayMs, maxDelayMs } = policy;
    if (!Number.isInteger(attempts) || attempts < 1 || !(initialDelayMs >= 0) || !(maxDelayMs >= initialDelayMs)) {
        throw new RangeError(
            "TDengineRest's retry needs attempts >= 1 and 0 <= initialDelayMs <= maxDelayMs, " +
                `got ${JSON.stringify(policy)}`,
        );
    }
    return { attempts, initialDelayMs, maxDelayMs: Math.min(maxDelayMs, MAX_TIMER_MS) };
}

/** The wait after the `failedAttempts`-th failure. */
function backoffDelayMs(policy: RetryPolicy, failedAttempts: number): number {
    return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (failedAttempts - 1));
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

function basicAuth(user: string, password: string): string {
    return `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`;
}

/**
 * One POST with a deadline for the whole exchange. A fresh connection each time (`agent: false`): a
 * pooled keep-alive socket that the server already closed fails with a reset after the request was
 * written, which would look like a lost `drop dnode`.
 */
function post(endpoint: Endpoint, body: string, authorization: string, timeoutMs: number): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
        let connected = false;
        let settled = false;
        // Declared before the closures that use it: Pulumi's closure serializer cannot follow a later declaration.
        let timer: NodeJS.Timeout | undefined;
        const req = endpoint.request({
            hostname: endpoint.hostname,
            port: endpoint.port,
            path: endpoint.path,
            method: "POST",
            agent: false,
            headers: {
                Authorization: authorization,
                "Content-Type": "text/plain; charset=utf-8",
                "Content-Length": Buffer.byteLength(body, "utf8"),
            },
        });
        const settle = (outcome: () => void): void => {
            if (!settled) {
                settled = true;
                clearTimeout(timer);
                outcome();
            }
        };
        const giveUp = (reason: string): void => settle(() => reject(new NoAnswer(reason, connected)));
        const fail = (err: Error): void => giveUp(networkErrorText(err));
        timer = setTimeout(() => {
            giveUp(`no response within ${timeoutMs} ms`);
            req.destroy();
        }, timeoutMs);
        req.on("socket", (socket) => {
            connected = !socket.connecting;
            socket.once("connect", () => {
                connected = true;
            });
        });
        req.on("error", fail);
        req.on("response", (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("error", fail);
            res.on("close", () => {
                if (!res.complete) {
                    fail(new Error("connection closed before the whole answer came"));
                }
            });
            res.on("end", () =>
                settle(() => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") })),
            );
        });
        req.end(body, "utf8");
    });
}

/** Node's text for a network error; a refused dual-stack connect is an AggregateError with no message. */
function networkErrorText(err: Error): string {
    const parts =
        err instanceof AggregateError
            ? err.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e)))
            : [err.message];
    const text = parts.filter((p) => p !== "").join("; ") || "network error";
    const code = (err as NodeJS.ErrnoException).code;
    return code && !text.includes(code) ? `${code} (${text})` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return undefined;
    }
}

/** The low 16 bits, in case a build sends TDengine's full code. */
function errorCode(body: unknown): number | undefined {
    return isRecord(body) && typeof body.code === "number" ? body.code & 0xffff : undefined;
}

/** TDengine's `desc`, or else the start of whatever came back; secrets redacted before anything is cut. */
function answerText(body: unknown, raw: string, secrets: readonly string[]): string {
    if (isRecord(body) && typeof body.desc === "string") {
        return redact(body.desc, secrets);
    }
    return summarize(redact(raw, secrets));
}

/**
 * Wrong credentials: TDengine's codes, or taosAdapter's HTTP 401. A 401 carrying another TDengine code is
 * not about the login: with `httpCodeServerError` on, `alter user` with a refused new password is a 401 too.
 */
function isCredentialFailure(status: number, code: number | undefined): boolean {
    if (code === TdCode.AuthFailure || code === TdCode.InvalidUser) {
        return true;
    }
    const adapterOwnCode = code !== undefined && code >= 0x1100 && code <= 0x11ff;
    return status === 401 && (code === undefined || adapterOwnCode);
}

function toResult(body: unknown): QueryResult | undefined {
    if (!isRecord(body) || body.code !== 0 || !Array.isArray(body.column_meta) || !Array.isArray(body.data)) {
        return undefined;
    }
    const columns = body.column_meta.map((meta: unknown) => (Array.isArray(meta) ? meta[0] : undefined));
    if (!columns.every((c): c is string => typeof c === "string") || !body.data.every(Array.isArray)) {
        return undefined;
    }
    const rows = (body.data as unknown[][]).map((values) => Object.fromEntries(columns.map((c, i) => [c, values[i]])));
    return { columns, rows };
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

/**
 * Replaces every secret, then whatever follows `pass '` in case TDengine echoed a statement cut short
 * (its syntax errors quote the text near the error).
 */
function redact(text: string, secrets: readonly string[]): string {
    const withoutSecrets = secrets.reduce((t, secret) => (secret === "" ? t : t.split(secret).join(REDACTED)), text);
    return withoutSecrets.replace(/(\bpass\s*')[^']*/gi, `$1${REDACTED}`);
}

function summarize(body: string): string {
    const oneLine = body.replace(/\s+/g, " ").trim();
    if (oneLine === "") {
        return "empty body";
    }
    return oneLine.length > 200 ? `${oneLine.slice(0, 200)}...` : oneLine;
}
