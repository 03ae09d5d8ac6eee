/**
 * A TDengine stand-in for tests: an HTTP server that speaks taosAdapter's REST protocol
 * (`POST /rest/sql[/<db>]`, Basic auth, the SQL as the body) in front of a model of a TDengine 3.3.7.5
 * cluster (cluster.ts) whose answers, delays and intermediate states reproduce docs/tdengine.md's record of a real
 * one. Fault injection (dropped connections, an unreachable server) and an event log let client tests
 * assert what happened in what order.
 */

import * as http from "node:http";
import type { AddressInfo, Socket } from "node:net";

import { handleAdmin } from "./admin";
import { ClusterState, Cluster, DataDir, StatementResult } from "./cluster";
import { ADAPTER, ERR, TaosError, httpStatusOf } from "./codes";
import { EventLog, StandinEvent } from "./events";
import { parseStatement } from "./sql";
import { Scheduler, TIMING } from "./timing";

export type { ClusterState, DataDir, DnodeView, DatabaseView, MnodeView, ProcessRole, ProcessView } from "./cluster";
export type { EventKind, StandinEvent } from "./events";

export interface StandinOptions {
    /** The root password the cluster starts with (the image's TAOS_ROOT_PASSWORD). Default `taosdata`. */
    readonly rootPassword?: string;
    /** Multiplies every TDengine duration: 1 = real durations (docs/tdengine.md), 0.01 = a hundred times faster. */
    readonly timeScale?: number;
    /** Default 127.0.0.1. */
    readonly host?: string;
    /** 0 (default) picks a free port. */
    readonly port?: number;
    /** taosAdapter's `httpCodeServerError` (default false): non-200 HTTP statuses for TDengine errors. */
    readonly httpCodeServerError?: boolean;
    /** Serve the admin API under /admin/ (loopback only). main.ts turns it on. */
    readonly adminApi?: boolean;
    /** The TDengine version a taosd runs unless its start names another. Default `3.3.7.5`. */
    readonly version?: string;
}

export interface StartDnodeOptions {
    /** Default: `own` if a dnode has this endpoint, else `fresh`. See {@link DataDir}. */
    readonly data?: DataDir;
    /** The version the taosd runs (the pod's image), what `select server_version()` answers. Default: the stand-in's. */
    readonly version?: string;
}

export interface RestartDnodeOptions {
    /**
     * TDengine time (real ms, scaled) between the stop and the start: default 1.7 s, which with the 2 s a
     * restarted dnode takes to be `ready` makes the 3.7 s restart docs/tdengine.md#rolling-restart records.
     */
    readonly downMs?: number;
    /** The version the new taosd runs (a new image). Default: the stand-in's. */
    readonly version?: string;
}

const JSON_TYPE = "application/json; charset=utf-8";

/** How a statement's answer is lost while TDengine runs it: see {@link TDengineStandin.loseAnswerTo}. */
export type LostAnswer = "reset" | "unable-to-connect";

export class TDengineStandin {
    private readonly options: Required<StandinOptions>;
    private readonly log = new EventLog();
    private readonly scheduler: Scheduler;
    private readonly cluster: Cluster;
    private readonly sockets = new Set<Socket>();
    private server: http.Server | undefined;
    private port: number;
    private failNext = 0;
    private readonly dropDuring: Array<{ prefix: string; how: LostAnswer }> = [];

    constructor(options: StandinOptions = {}) {
        this.options = {
            rootPassword: options.rootPassword ?? "taosdata",
            timeScale: options.timeScale ?? 1,
            host: options.host ?? "127.0.0.1",
            port: options.port ?? 0,
            httpCodeServerError: options.httpCodeServerError ?? false,
            adminApi: options.adminApi ?? false,
            version: options.version ?? "3.3.7.5",
        };
        this.port = this.options.port;
        this.scheduler = new Scheduler(this.options.timeScale);
        this.cluster = new Cluster({
            rootPassword: this.options.rootPassword,
            version: this.options.version,
            scheduler: this.scheduler,
            events: this.log,
        });
    }

    /** Starts listening; resolves to the base URL, e.g. `http://127.0.0.1:41234` (append `/rest/sql`). */
    async start(): Promise<string> {
        await this.listen();
        return this.url;
    }

    /** Stops listening, drops every connection and cancels every pending TDengine timer. */
    async stop(): Promise<void> {
        this.scheduler.clear();
        await this.close();
    }

    get url(): string {
        return `http://${this.options.host}:${this.port}`;
    }

    /** A taosd starts on `endpoint` (a pod starts); see cluster.ts Cluster.startDnode. */
    startDnode(endpoint: string, options: StartDnodeOptions = {}): void {
        this.cluster.startDnode(endpoint, options.data, options.version);
    }

    /**
     * A pod restart: the taosd on `endpoint` stops now and starts again on its own data `downMs` later
     * (docs/tdengine.md#rolling-restart). Returns at once; the dnode is back `ready` 2 s (scaled) after the start.
     */
    restartDnode(endpoint: string, options: RestartDnodeOptions = {}): void {
        this.cluster.stopDnode(endpoint);
        this.scheduler.after(options.downMs ?? TIMING.restartDownMs, () => {
            // Someone may have started it meanwhile (a test, the pod watcher): then this restart is done.
            if (!this.cluster.state().processes.some((p) => p.endpoint === endpoint)) this.cluster.startDnode(endpoint, "own", options.version);
        });
    }

    /** The taosd on `endpoint` is gone (pod deleted or killed). */
    stopDnode(endpoint: string): void {
        this.cluster.stopDnode(endpoint);
    }

    /** The next `count` REST requests get their socket destroyed without any response or effect. */
    failConnections(count: number): void {
        this.failNext += count;
    }

    /**
     * The next statement starting with `statementPrefix` (case and spacing ignored) runs, and its HTTP
     * connection is destroyed right after it started: the operation goes on inside TDengine.
     */
    dropConnectionDuring(statementPrefix: string): void {
        this.loseAnswerTo(statementPrefix, "reset");
    }

    /**
     * The next statement starting with `statementPrefix` runs, and its answer is lost: `reset` destroys the
     * connection once it started; `unable-to-connect` answers taosAdapter's `Unable to establish
     * connection` (0x000B, HTTP 200) at once, as a real one did to a `create mnode` that went on running
     * (docs/tdengine.md#conflict-transaction). Either way TDengine carries on with it.
     */
    loseAnswerTo(statementPrefix: string, how: LostAnswer = "reset"): void {
        this.dropDuring.push({ prefix: normalize(statementPrefix), how });
    }

    /** true: nothing listens on the port any more (connection refused); false: listening again. */
    async setUnreachable(unreachable: boolean): Promise<void> {
        if (unreachable) await this.close();
        else await this.listen();
    }

    events(): StandinEvent[] {
        return this.log.all();
    }

    state(): ClusterState {
        return this.cluster.state();
    }

    private listen(): Promise<void> {
        if (this.server) return Promise.resolve();
        const server = http.createServer((req, res) => {
            this.handle(req, res).catch(() => req.socket.destroy());
        });
        server.on("connection", (socket) => {
            this.sockets.add(socket);
            socket.on("close", () => this.sockets.delete(socket));
        });
        this.server = server;
        return new Promise((resolve, reject) => {
            server.once("error", reject);
            server.listen(this.port, this.options.host, () => {
                this.port = (server.address() as AddressInfo).port;
                resolve();
            });
        });
    }

    private close(): Promise<void> {
        const server = this.server;
        this.server = undefined;
        for (const socket of this.sockets) socket.destroy();
        if (!server) return Promise.resolve();
        return new Promise((resolve) => server.close(() => resolve()));
    }

    private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const url = new URL(req.url ?? "/", "http://standin");
        if (this.options.adminApi && url.pathname.startsWith("/admin/")) {
            await handleAdmin(this, req, res, url);
            return;
        }
        // taosAdapter (gin) routes POST /rest/sql and POST /rest/sql/:db (controller/rest/restful.go Init).
        const route = /^\/rest\/sql(?:\/([^/]+))?$/.exec(url.pathname);
        if (req.method !== "POST" || !route) {
            res.writeHead(404, { "Content-Type": "text/plain" }).end("404 page not found");
            return;
        }
        const body = await readBody(req);
        if (this.failNext > 0) {
            this.failNext--;
            this.log.record("connection.failed", body.trim());
            req.socket.destroy();
            return;
        }
        const response = await this.answer(req, body, route[1] === undefined ? undefined : decodeURIComponent(route[1]));
        if (!req.socket.destroyed) res.writeHead(response.status, { "Content-Type": JSON_TYPE }).end(JSON.stringify(response.body));
    }

    /** The steps of taosAdapter's CheckAuth and DoQuery (controller/rest/auth.go, restful.go), in order. */
    private async answer(req: http.IncomingMessage, body: string, urlDb: string | undefined): Promise<{ status: number; body: object }> {
        const credentials = basicCredentials(req.headers.authorization);
        if ("status" in credentials) return { status: credentials.status, body: credentials.error };
        if (body.length === 0) return { status: ADAPTER.NO_MSG_INPUT.status, body: ADAPTER.NO_MSG_INPUT.error };
        const sql = body.trim();
        if (sql.length === 0) return { status: ADAPTER.NO_SQL_INPUT.status, body: ADAPTER.NO_SQL_INPUT.error };
        if (!this.cluster.hasMnodeMajority()) {
            // docs/tdengine.md#two-mnodes: no answer at all until a majority of the mnodes is back.
            this.log.record("request.held", sql);
            if (!(await this.cluster.untilMnodeMajority(() => req.socket.destroyed))) return this.error(ERR.NETWORK_UNAVAILABLE);
        }
        const refused = this.cluster.login(credentials.user, credentials.password);
        if (refused) return this.error(refused);
        this.log.record("sql", sql);
        const running = this.cluster.execute(parseStatement(sql), urlDb);
        const lost = this.takeDropDuring(sql);
        if (lost === "reset") {
            this.log.record("connection.dropped", sql);
            setImmediate(() => req.socket.destroy());
        } else if (lost === "unable-to-connect") {
            this.log.record("answer.lost", sql);
            void running.then((result) => this.log.record("sql.result", `${result.kind === "error" ? result.error.code : 0} ${sql}`));
            return this.error(ERR.NETWORK_UNAVAILABLE);
        }
        const result = await running;
        this.log.record("sql.result", `${result.kind === "error" ? result.error.code : 0} ${sql}`);
        return result.kind === "error" ? this.error(result.error) : { status: 200, body: successBody(result) };
    }

    private error(error: TaosError): { status: number; body: TaosError } {
        return { status: httpStatusOf(error, this.options.httpCodeServerError), body: error };
    }

    private takeDropDuring(sql: string): LostAnswer | undefined {
        const index = this.dropDuring.findIndex(({ prefix }) => normalize(sql).startsWith(prefix));
        if (index < 0) return undefined;
        return this.dropDuring.splice(index, 1)[0].how;
    }
}

/**
 * taosAdapter controller/rest/restful.go: `{"code":0,"column_meta":[["affected_rows","INT",4]],"data":[[N]],"rows":1}`
 * for statements that change something (ExecHeader/ExecEnd), `{"code":0,"column_meta":[...],"data":[...],"rows":N}`
 * for queries.
 */
function successBody(result: Exclude<StatementResult, { kind: "error" }>): object {
    if (result.kind === "affected") return { code: 0, column_meta: [["affected_rows", "INT", 4]], data: [[result.rows]], rows: 1 };
    return { code: 0, column_meta: result.columns, data: result.data, rows: result.data.length };
}

type Credentials = { readonly user: string; readonly password: string } | (typeof ADAPTER)[keyof typeof ADAPTER];

/**
 * taosAdapter controller/rest/auth.go CheckAuth: no header → 401 `no auth info input`; `Basic` whose
 * base64 or `user:password` does not decode, or with an empty user or password → 401 `invalid basic
 * Authorization`; any other scheme → 401 `invalid type of Authorization` (the stand-in takes no `Taosd`
 * or `Bearer` tokens).
 */
function basicCredentials(header: string | undefined): Credentials {
    if (header === undefined || header.length === 0) return ADAPTER.NO_AUTH_INFO;
    const auth = header.trim();
    if (!auth.startsWith("Basic") || auth.length <= 6) return ADAPTER.INVALID_AUTH_TYPE;
    const encoded = auth.slice(6).trim();
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return ADAPTER.INVALID_BASIC_AUTH;
    const decoded = Buffer.from(encoded, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon <= 0 || colon === decoded.length - 1) return ADAPTER.INVALID_BASIC_AUTH;
    return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function readBody(req: http.IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        req.on("error", reject);
    });
}

function normalize(sql: string): string {
    return sql.trim().replace(/\s+/g, " ").toLowerCase();
}
