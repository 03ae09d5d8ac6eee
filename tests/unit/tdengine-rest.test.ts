/**
 * TDengineRest against a local stand-in for taosAdapter (127.0.0.1, ephemeral port) that answers with
 * canned bodies in taosAdapter's REST shape. Values come from a real TDengine 3.3.7.5 as
 * docs/tdengine.md records it (cited per case; taken with the CLI, whose table columns are REST's `column_meta` names). The column
 * types and lengths in `column_meta` and the RFC 3339 timestamps are REST's format, not captured values;
 * the client reads neither.
 *
 * taosAdapter's HTTP statuses (taosdata/taosadapter controller/rest/error_resp.go, auth.go, restful.go):
 * TDengine errors, wrong passwords included, come with HTTP 200 unless `httpCodeServerError` is on (then
 * 401 for authentication codes, 400/500/502 for others); a missing or malformed Authorization header is
 * always 401; memory pressure or an exhausted connection pool is 503.
 */
import { strict as assert } from "node:assert";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import {
    TDengineAuthError,
    TDengineConnectionLostError,
    TDengineError,
    TDengineResponseError,
    TDengineUnreachableError,
    TdCode,
    isCode,
} from "../../components/tdengine/errors";
import { RetryPolicy, TDengineRest, TDengineRestOptions } from "../../components/tdengine/rest";
import { ColumnMeta, DNODE_COLUMNS, MNODE_COLUMNS } from "../../components/tdengine/rows";

// ---------------------------------------------------------------------------------------------------------
// The stand-in

interface Received {
    method: string;
    path: string;
    authorization: string;
    contentType: string;
    sql: string;
}

/** A JSON answer (after an optional delay), or the connection dropped without one. */
type Reply = { status?: number; body: unknown; delayMs?: number } | "hang up";
type Handler = (req: Received, index: number) => Reply;

class Stub {
    readonly received: Received[] = [];

    private constructor(
        private readonly server: http.Server,
        readonly url: string,
    ) {}

    static async start(handler: Handler): Promise<Stub> {
        const server = http.createServer();
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const stub = new Stub(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
        server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
            const chunks: Buffer[] = [];
            req.on("data", (c: Buffer) => chunks.push(c));
            req.on("end", () => {
                const received: Received = {
                    method: req.method ?? "",
                    path: req.url ?? "",
                    authorization: req.headers.authorization ?? "",
                    contentType: req.headers["content-type"] ?? "",
                    sql: Buffer.concat(chunks).toString("utf8"),
                };
                stub.received.push(received);
                answer(res, handler(received, stub.received.length - 1));
            });
        });
        return stub;
    }

    get statements(): string[] {
        return this.received.map((r) => r.sql);
    }

    close(): Promise<void> {
        this.server.closeAllConnections();
        return new Promise((resolve) => this.server.close(() => resolve()));
    }
}

function answer(res: http.ServerResponse, reply: Reply): void {
    if (reply === "hang up") {
        res.socket?.destroy();
        return;
    }
    const send = (): void => {
        const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
        res.writeHead(reply.status ?? 200, { "Content-Type": "application/json; charset=utf-8" });
        res.end(text);
    };
    if (reply.delayMs) {
        setTimeout(send, reply.delayMs);
    } else {
        send();
    }
}

/** A URL on which nothing listens: a port the system just handed out and took back. */
async function refusedUrl(): Promise<string> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    return `http://127.0.0.1:${port}`;
}

// ---------------------------------------------------------------------------------------------------------
// taosAdapter's bodies

type Meta = ColumnMeta;

function ok(columns: readonly Meta[], data: unknown[][]): Reply {
    return { body: { code: 0, column_meta: columns, data, rows: data.length } };
}

/** What every statement that returns no rows answers (REST API docs, "Successful insertion execution"). */
const AFFECTED_ROWS_0 = ok([["affected_rows", "INT", 4]], [[0]]);

function tdError(code: number, desc: string, status = 200): Reply {
    return { status, body: { code, desc } };
}


/** docs/tdengine.md#offline-dnode: `show dnodes` with dnode 6 stopped. */
const DNODES_WITH_ONE_OFFLINE: unknown[][] = [
    [1, "localhost:6030", 7, 16, "ready", "2026-11-28T15:47:46.729Z", "2026-11-28T15:47:46.695Z", ""],
    [2, "localhost:6130", 6, 16, "ready", "2026-11-28T15:47:53.073Z", "2026-11-28T15:47:46.685Z", ""],
    [3, "localhost:6230", 6, 16, "ready", "2026-11-28T15:47:53.337Z", "2026-11-28T15:57:02.088Z", ""],
    [6, "localhost:6330", 7, 16, "offline", "2026-11-28T15:57:22.660Z", "2026-11-28T15:57:19.572Z",
        "status msg timeout"],
];

/** The same rows with the columns in another order and one more column, as another build might send. */
function reordered(columns: readonly Meta[], data: unknown[][], order: string[], extra: Meta): Reply {
    const index = order.map((name) => columns.findIndex((c) => c[0] === name));
    return ok(
        [...index.map((i) => columns[i]), extra],
        data.map((row) => [...index.map((i) => row[i]), "extra-value"]),
    );
}


/** docs/tdengine.md#create-mnode, polled at +1.50 s: a new mnode right after `create mnode`. */
const MNODES_ONE_CREATING: unknown[][] = [
    [1, "localhost:6030", "leader", "ready", "2026-11-28T15:47:46.730Z", "2026-11-28T15:47:46.724Z"],
    [2, "localhost:6130", "offline", "creating", "2026-11-28T15:49:09.626Z", "1970-01-01T00:00:00.000Z"],
];

/** docs/tdengine.md#system-tables: ``select name, `replica` from information_schema.ins_databases``. */
const DATABASE_REPLICAS = ok(
    [
        ["name", "VARCHAR", 64],
        ["replica", "TINYINT", 1],
    ],
    [
        ["information_schema", null],
        ["performance_schema", null],
        ["d13b", 3],
        ["d13a", 1],
    ],
);

/** docs/tdengine.md#system-tables: `show cluster alive` with dnode 3 stopped. */
const CLUSTER_PARTLY_ALIVE = ok([["status", "INT", 4]], [[2]]);

const VGROUP_COLUMNS: Meta[] = [1, 2, 3, 4].reduce<Meta[]>(
    (cols, n) => [...cols, [`v${n}_dnode`, "SMALLINT", 2], [`v${n}_status`, "VARCHAR", 9]],
    [["vgroup_id", "INT", 4], ["db_name", "VARCHAR", 32]],
);

/**
 * docs/tdengine.md#system-tables: ins_vgroups of a replica-1 and a replica-3 database; the second replica-3
 * vgroup is electing (docs/tdengine.md#rolling-restart: no replica `leader` right after its leader stopped).
 */
const VGROUPS_ONE_ELECTING: unknown[][] = [
    [2, "d13a", 2, "leader", null, null, null, null, null, null],
    [4, "d13b", 1, "follower", 2, "leader", 4, "follower", null, null],
    [5, "d13b", 1, "offline", 3, "candidate", 4, "follower", null, null],
];

// ---------------------------------------------------------------------------------------------------------
// Helpers

/** Small delays so retries take milliseconds: 5, 10, 20, 20 ms. */
const FAST_RETRY: RetryPolicy = { attempts: 5, initialDelayMs: 5, maxDelayMs: 20 };

/** `root:taosdata`, the REST API docs' own example header. */
const DEFAULT_AUTH = "Basic cm9vdDp0YW9zZGF0YQ==";

function basic(user: string, password: string): string {
    return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

function client(url: string, options: Partial<TDengineRestOptions> = {}): TDengineRest {
    return new TDengineRest({ url, password: "taosdata", retry: FAST_RETRY, requestTimeoutMs: 2_000, ...options });
}

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

async function caught<E extends Error>(promise: Promise<unknown>, type: ErrorClass<E>): Promise<E> {
    try {
        await promise;
    } catch (err) {
        assert.ok(err instanceof type, `expected ${type.name}, got ${String(err)}`);
        return err;
    }
    return assert.fail(`expected ${type.name}, but it resolved`);
}

function caughtSync<E extends Error>(action: () => unknown, type: ErrorClass<E>): E {
    try {
        action();
    } catch (err) {
        assert.ok(err instanceof type, `expected ${type.name}, got ${String(err)}`);
        return err;
    }
    return assert.fail(`expected ${type.name}`);
}

/** The numbers in the client's "attempt N of M in D ms" log lines. */
function retryDelays(lines: string[]): number[] {
    return lines.flatMap((line) => {
        const m = /attempt \d+ of \d+ in (\d+) ms/.exec(line);
        return m ? [Number(m[1])] : [];
    });
}

// ---------------------------------------------------------------------------------------------------------

describe("TDengineRest (taosAdapter REST client)", () => {
    let stub: Stub | undefined;

    async function serve(handler: Handler): Promise<Stub> {
        stub = await Stub.start(handler);
        return stub;
    }

    afterEach(async () => {
        await stub?.close();
        stub = undefined;
    });

    describe("reads", () => {
        it("showDnodes maps rows by column name, whatever the column order", async () => {
            const order = ["note", "status", "endpoint", "reboot_time", "vnodes", "create_time", "id",
                "support_vnodes"];
            const s = await serve(() =>
                reordered(DNODE_COLUMNS, DNODES_WITH_ONE_OFFLINE, order, ["machine_id", "VARCHAR", 32]),
            );

            const dnodes = await client(s.url).showDnodes();

            assert.deepEqual(dnodes[3], {
                id: 6,
                endpoint: "localhost:6330",
                vnodes: 7,
                status: "offline",
                note: "status msg timeout",
            });
            assert.deepEqual(dnodes[0], { id: 1, endpoint: "localhost:6030", vnodes: 7, status: "ready", note: "" });
            assert.deepEqual(s.statements, ["show dnodes"]);
        });

        it("showMnodes reports a new mnode as TDengine does while it is being created", async () => {
            const s = await serve(() => ok(MNODE_COLUMNS, MNODES_ONE_CREATING));

            const mnodes = await client(s.url).showMnodes();

            assert.deepEqual(mnodes, [
                { id: 1, endpoint: "localhost:6030", role: "leader", status: "ready" },
                { id: 2, endpoint: "localhost:6130", role: "offline", status: "creating" },
            ]);
            assert.deepEqual(s.statements, ["show mnodes"]);
        });

        it("showDatabases quotes the reserved word `replica` and leaves out the system databases", async () => {
            const s = await serve(() => DATABASE_REPLICAS);

            const databases = await client(s.url).showDatabases();

            assert.deepEqual(databases, [
                { name: "d13b", replica: 3 },
                { name: "d13a", replica: 1 },
            ]);
            assert.deepEqual(s.statements, ["select name, `replica` from information_schema.ins_databases"]);
        });

        it("clusterAlive reads the `status` column of `show cluster alive`", async () => {
            const s = await serve(() => CLUSTER_PARTLY_ALIVE);

            assert.equal(await client(s.url).clusterAlive(), 2);
            assert.deepEqual(s.statements, ["show cluster alive"]);
        });

        it("a missing column is a TDengineResponseError naming it, not a silently wrong value", async () => {
            const s = await serve(() => ok([["id", "INT", 4]], [[1]]));

            const err = await caught(client(s.url).showMnodes(), TDengineResponseError);

            assert.match(err.message, /no column `endpoint`/);
        });
    });

    describe("the request", () => {
        it("POSTs the SQL text to /rest/sql with a Basic header of user:password", async () => {
            const s = await serve(() => CLUSTER_PARTLY_ALIVE);

            await client(s.url).clusterAlive();

            const [req] = s.received;
            assert.equal(req.method, "POST");
            assert.equal(req.path, "/rest/sql");
            assert.equal(req.authorization, DEFAULT_AUTH);
            assert.match(req.contentType, /^text\/plain/);
            assert.equal(req.sql, "show cluster alive");
        });

        it("keeps the path of a base URL (a proxy in front of taosAdapter)", async () => {
            const s = await serve(() => CLUSTER_PARTLY_ALIVE);

            await client(`${s.url}/proxy/`).clusterAlive();

            assert.equal(s.received[0].path, "/proxy/rest/sql");
        });

        it("sends exactly the statements TDengine expects, ids by number (docs/tdengine.md#drop-dnode, docs/tdengine.md#create-mnode)", async () => {
            const s = await serve(() => AFFECTED_ROWS_0);
            const td = client(s.url);

            await td.createMnode(2);
            await td.dropMnode(3);
            await td.dropDnode(4);

            assert.deepEqual(s.statements, ["create mnode on dnode 2", "drop mnode on dnode 3", "drop dnode 4"]);
        });

        it("refuses a dnode id that is not a positive integer before sending anything", async () => {
            const s = await serve(() => AFFECTED_ROWS_0);
            const td = client(s.url);
            const bad: unknown[] = [2.5, Number.NaN, 0, -1, Number.POSITIVE_INFINITY, "4; drop database test1", "4"];

            for (const id of bad) {
                await caught(td.dropDnode(id as number), RangeError);
                await caught(td.createMnode(id as number), RangeError);
                await caught(td.dropMnode(id as number), RangeError);
            }
            assert.equal(s.received.length, 0);
        });

        it("refuses a URL that carries credentials, without repeating them", () => {
            const err = caughtSync(
                () => new TDengineRest({ url: "http://root:Hidden9!x@127.0.0.1:6041", password: "p" }),
                TypeError,
            );

            assert.doesNotMatch(err.message, /Hidden9/);
            assert.match(err.message, /http:\/\/127\.0\.0\.1:6041/);
        });
    });

    describe("TDengine's refusals", () => {
        it("an error body is a TDengineError with TDengine's code and desc (Out of dnodes: docs/tdengine.md#database-replicas)", async () => {
            const s = await serve(() => tdError(0x0334, "Out of dnodes"));

            const err = await caught(client(s.url).dropDnode(3), TDengineError);

            assert.equal(err.code, TdCode.OutOfDnodes);
            assert.equal(err.desc, "Out of dnodes");
            assert.equal(err.statement, "drop dnode 3");
            assert.match(err.message, /drop dnode 3.*Out of dnodes.*0x0334/);
            assert.equal(s.received.length, 1);
        });

        it("`Mnode already exists` is recognisable by its code (docs/tdengine.md#mnode-already-exists)", async () => {
            const s = await serve(() => tdError(928, "Mnode already exists"));

            const err = await caught(client(s.url).createMnode(2), TDengineError);

            assert.ok(isCode(err, TdCode.MnodeAlreadyExists));
            assert.ok(!isCode(err, TdCode.TooManyMnodes));
            assert.ok(!isCode(new Error("Mnode already exists"), TdCode.MnodeAlreadyExists));
        });

        it("the other codes the lifecycle matches keep their values (docs/tdengine.md#error-codes)", async () => {
            const cases: [number, string, number][] = [
                [0x03a9, "The replica of mnode cannot exceed 3", TdCode.TooManyMnodes],
                [0x0331, "Dnode does not exist", TdCode.DnodeNotExist],
                [0x0541, "Vnode is offline", TdCode.VnodeOffline],
                [0x0416, "Please use this command when the dnode is offline", TdCode.DnodeMustBeOffline],
            ];
            const s = await serve((_req, i) => tdError(cases[i][0], cases[i][1]));

            for (const [, , code] of cases) {
                assert.ok(isCode(await caught(client(s.url).dropDnode(6), TDengineError), code));
            }
        });

        it("a TDengine error sent with a non-200 status (httpCodeServerError) is still a TDengineError", async () => {
            const s = await serve(() => tdError(0x0334, "Out of dnodes", 500));

            const err = await caught(client(s.url).dropDnode(3), TDengineError);

            assert.equal(err.code, TdCode.OutOfDnodes);
            assert.equal(err.httpStatus, 500);
            assert.equal(s.received.length, 1);
        });

        it("an answer that is not taosAdapter's JSON is a TDengineResponseError with the HTTP status", async () => {
            const s = await serve(() => ({ status: 404, body: "<html><body>404 page not found</body></html>" }));

            const err = await caught(client(s.url).showDnodes(), TDengineResponseError);

            assert.equal(err.httpStatus, 404);
            assert.match(err.message, /404 page not found/);
            assert.equal(s.received.length, 1);
        });
    });

    describe("authentication", () => {
        const authForms: [string, Reply][] = [
            ["HTTP 200 with code 855 (taosAdapter's default)", tdError(855, "Authentication failure")],
            ["HTTP 401 with code 855 (httpCodeServerError on)", tdError(855, "Authentication failure", 401)],
            ["HTTP 401 from taosAdapter's header check", tdError(0x1124, "invalid basic Authorization", 401)],
        ];
        for (const [form, reply] of authForms) {
            it(`a wrong password, ${form}, is a TDengineAuthError sent once`, async () => {
                const s = await serve(() => reply);

                const err = await caught(client(s.url, { password: "Wr0ng!pass" }).showDnodes(), TDengineAuthError);

                assert.match(err.message, /rejected the password for user root/);
                assert.match(err.message, /rootPassword/);
                assert.match(err.message, /Kubernetes Secret/);
                assert.match(err.message, new RegExp(s.url.replace(/[.]/g, "\\.")));
                assert.doesNotMatch(err.message, /Wr0ng/);
                assert.equal(s.received.length, 1);
            });
        }

        it("an unknown user (Invalid user: docs/tdengine.md#auth-errors) is a TDengineAuthError too", async () => {
            const s = await serve(() => tdError(849, "Invalid user"));

            const err = await caught(client(s.url, { user: "nosuchuser" }).showDnodes(), TDengineAuthError);

            assert.equal(err.code, TdCode.InvalidUser);
            assert.match(err.message, /does not know the user nosuchuser/);
        });
    });

    describe("network failures and retries", () => {
        it("connection refused: bounded retries with growing delays, then TDengineUnreachableError", async () => {
            const url = await refusedUrl();
            const lines: string[] = [];

            const err = await caught(client(url, { log: (l) => lines.push(l) }).showDnodes(), TDengineUnreachableError);

            assert.equal(err.attempts, 5);
            assert.deepEqual(retryDelays(lines), [5, 10, 20, 20]);
            assert.equal(err.url, `${url}/rest/sql`);
            assert.match(err.message, new RegExp(`${url.replace(/[.]/g, "\\.")}/rest/sql`));
            assert.match(err.message, /5 attempt\(s\)/);
            assert.match(err.lastError, /ECONNREFUSED/);
        });

        it("a read is resent after the connection is lost and then succeeds", async () => {
            const s = await serve((_req, i) => (i === 0 ? "hang up" : ok(MNODE_COLUMNS, MNODES_ONE_CREATING)));

            const mnodes = await client(s.url).showMnodes();

            assert.equal(mnodes.length, 2);
            assert.deepEqual(s.statements, ["show mnodes", "show mnodes"]);
        });

        it("a read is resent after taosAdapter's 503 (restful.go: memory exceeds threshold)", async () => {
            const s = await serve((_req, i) =>
                i === 0 ? { status: 503, body: '"memory exceeds threshold"' } : CLUSTER_PARTLY_ALIVE,
            );

            assert.equal(await client(s.url).clusterAlive(), 2);
            assert.equal(s.received.length, 2);
        });

        it("`drop dnode` is NOT resent when the connection is lost mid-call: TDengineConnectionLostError", async () => {
            const s = await serve(() => "hang up");

            const err = await caught(client(s.url).dropDnode(4), TDengineConnectionLostError);

            assert.deepEqual(s.statements, ["drop dnode 4"]);
            assert.equal(err.statement, "drop dnode 4");
            assert.match(err.message, /not resent/);
            assert.match(err.message, /show dnodes/);
        });

        it("`drop dnode` is NOT resent after a gateway error: the drop may be running behind it", async () => {
            const s = await serve(() => ({ status: 504, body: "gateway timeout" }));

            await caught(client(s.url).dropDnode(4), TDengineConnectionLostError);

            assert.equal(s.received.length, 1);
        });

        it("`drop dnode` is resent while the connection is refused, because nothing reached TDengine", async () => {
            const url = await refusedUrl();

            const err = await caught(client(url).dropDnode(4), TDengineUnreachableError);

            assert.equal(err.attempts, FAST_RETRY.attempts);
        });

        it("`drop dnode` gets the long timeout: a read with the same delay times out, the drop does not", async () => {
            const s = await serve(() => ({ ...(AFFECTED_ROWS_0 as { body: unknown }), delayMs: 150 }));
            const td = client(s.url, {
                requestTimeoutMs: 40,
                dropDnodeTimeoutMs: 5_000,
                retry: { ...FAST_RETRY, attempts: 1 },
            });

            const readErr = await caught(td.clusterAlive(), TDengineUnreachableError);
            await td.dropDnode(4);

            assert.match(readErr.lastError, /no response within 40 ms/);
            assert.deepEqual(s.statements, ["show cluster alive", "drop dnode 4"]);
        });

        it("`drop dnode` that outlives its timeout is not resent", async () => {
            const s = await serve(() => ({ ...(AFFECTED_ROWS_0 as { body: unknown }), delayMs: 150 }));

            const td = client(s.url, { dropDnodeTimeoutMs: 40 });

            const err = await caught(td.dropDnode(4), TDengineConnectionLostError);

            assert.match(err.reason, /no response within 40 ms/);
            assert.deepEqual(s.statements, ["drop dnode 4"]);
        });

        // docs/tdengine.md#conflict-transaction: a statement that starts a transaction is never resent by the
        // client once it may have reached TDengine; the lifecycle looks at TDengine instead.
        const transactionStatements: Array<[string, (td: TDengineRest) => Promise<void>, string]> = [
            ["create mnode", (td) => td.createMnode(2), "create mnode on dnode 2"],
            ["drop mnode", (td) => td.dropMnode(3), "drop mnode on dnode 3"],
            ["alter user root pass", (td) => td.alterRootPassword("N3wPass!"), "alter user root pass '<redacted>'"],
        ];
        for (const [name, call, shown] of transactionStatements) {
            it(`\`${name}\` is NOT resent after a lost connection: TDengineConnectionLostError`, async () => {
                const s = await serve(() => "hang up");

                const err = await caught(call(client(s.url)), TDengineConnectionLostError);

                assert.equal(s.received.length, 1);
                assert.equal(err.statement, shown);
            });

            it(`\`${name}\` is NOT resent after \`Unable to establish connection\` (HTTP 200, 0x000B)`, async () => {
                const s = await serve(() => tdError(0x000b, "Unable to establish connection"));

                await caught(call(client(s.url)), TDengineConnectionLostError);

                assert.equal(s.received.length, 1);
            });
        }

        it("`create mnode` meeting a running transaction is TDengine's 0x03D3, recognisable by its code", async () => {
            const s = await serve(() => tdError(0x03d3, "Conflict transaction not completed"));

            const err = await caught(client(s.url).createMnode(2), TDengineError);

            assert.ok(isCode(err, TdCode.ConflictTransaction));
            assert.deepEqual(s.statements, ["create mnode on dnode 2"]);
        });
    });

    describe("vgroups, balance vgroup and the server version", () => {
        it("showVgroups lists each vgroup's replicas in column order and leaves out the NULL ones", async () => {
            const s = await serve(() => ok(VGROUP_COLUMNS, VGROUPS_ONE_ELECTING));

            const vgroups = await client(s.url).showVgroups();

            assert.deepEqual(vgroups, [
                { id: 2, database: "d13a", replicas: [{ dnodeId: 2, status: "leader" }] },
                {
                    id: 4,
                    database: "d13b",
                    replicas: [
                        { dnodeId: 1, status: "follower" },
                        { dnodeId: 2, status: "leader" },
                        { dnodeId: 4, status: "follower" },
                    ],
                },
                {
                    id: 5,
                    database: "d13b",
                    replicas: [
                        { dnodeId: 1, status: "offline" },
                        { dnodeId: 3, status: "candidate" },
                        { dnodeId: 4, status: "follower" },
                    ],
                },
            ]);
            assert.deepEqual(s.statements, [
                "select vgroup_id, db_name, v1_dnode, v1_status, v2_dnode, v2_status, v3_dnode, v3_status, " +
                    "v4_dnode, v4_status from information_schema.ins_vgroups",
            ]);
        });

        it("showVgroups refuses a row without the replica columns instead of reporting no replicas", async () => {
            const s = await serve(() => ok([["vgroup_id", "INT", 4], ["db_name", "VARCHAR", 32]], [[2, "d13a"]]));

            const err = await caught(client(s.url).showVgroups(), TDengineResponseError);

            assert.match(err.message, /no column `v1_dnode`/);
        });

        it("balanceVgroup sends `balance vgroup` with its own long timeout and says it is waiting", async () => {
            const s = await serve(() => ({ ...(AFFECTED_ROWS_0 as { body: unknown }), delayMs: 80 }));
            const lines: string[] = [];
            const td = client(s.url, {
                requestTimeoutMs: 40,
                balanceVgroupTimeoutMs: 5_000,
                retry: { ...FAST_RETRY, attempts: 1 },
                log: (line) => lines.push(line),
            });

            await td.balanceVgroup();

            assert.deepEqual(s.statements, ["balance vgroup"]);
            assert.ok(lines.some((l) => /`balance vgroup` blocks .* up to 5 s/.test(l)), lines.join("\n"));
        });

        it("`balance vgroup` is NOT resent after a lost connection: its transaction may still be running", async () => {
            const s = await serve(() => "hang up");

            const err = await caught(client(s.url).balanceVgroup(), TDengineConnectionLostError);

            assert.deepEqual(s.statements, ["balance vgroup"]);
            assert.equal(err.statement, "balance vgroup");
        });

        it("`balance vgroup` is resent while the connection is refused, because nothing reached TDengine", async () => {
            const err = await caught(client(await refusedUrl()).balanceVgroup(), TDengineUnreachableError);

            assert.equal(err.attempts, FAST_RETRY.attempts);
        });

        it("serverVersion reads the one value of `select server_version()`, whatever its column is named", async () => {
            const s = await serve(() => ok([["server_version()", "VARCHAR", 24]], [["3.3.7.5"]]));

            assert.equal(await client(s.url).serverVersion(), "3.3.7.5");
            assert.deepEqual(s.statements, ["select server_version()"]);
        });

        it("serverVersion refuses an answer that is not one value", async () => {
            const s = await serve(() => ok([["server_version()", "VARCHAR", 24]], []));

            const err = await caught(client(s.url).serverVersion(), TDengineResponseError);

            assert.match(err.message, /expected one value, got 0 row/);
        });
    });

    describe("alterRootPassword", () => {
        it("sends `alter user root pass '...'` and then logs in with the new password (docs/tdengine.md#alter-user-pass)", async () => {
            const s = await serve((req) => (req.sql.startsWith("alter") ? AFFECTED_ROWS_0 : CLUSTER_PARTLY_ALIVE));
            const td = client(s.url);

            await td.alterRootPassword("N3wPass!");
            await td.clusterAlive();

            assert.deepEqual(s.statements, ["alter user root pass 'N3wPass!'", "show cluster alive"]);
            assert.equal(s.received[0].authorization, DEFAULT_AUTH);
            assert.equal(s.received[1].authorization, basic("root", "N3wPass!"));
        });

        it("refuses passwords TDengine or REST cannot take, before sending and without quoting them", async () => {
            const s = await serve(() => AFFECTED_ROWS_0);
            const td = client(s.url);
            const bad = ["Sh0rt!", "Has space1!", "Quo'te1!x", 'Dou"ble1!', "Col:on1!x", "Back\\slash1", "Tick`1!xx",
                "L0ng!".repeat(60)];

            for (const password of bad) {
                const err = await caught(td.alterRootPassword(password), RangeError);
                assert.ok(!err.message.includes(password), err.message);
            }
            assert.equal(s.received.length, 0);
        });

        it("when the old password is refused but the new one works, the change already happened: done", async () => {
            // As after a first attempt whose answer was lost: TDengine now refuses the old password (docs/tdengine.md#alter-user-pass).
            const s = await serve((req) =>
                req.authorization === basic("root", "N3wPass!")
                    ? CLUSTER_PARTLY_ALIVE
                    : tdError(0x0357, "Authentication failure"),
            );
            const td = client(s.url);

            await td.alterRootPassword("N3wPass!");
            await td.clusterAlive();

            assert.deepEqual(s.statements, [
                "alter user root pass 'N3wPass!'",
                "show cluster alive",
                "show cluster alive",
            ]);
            assert.equal(s.received[2].authorization, basic("root", "N3wPass!"));
        });

        it("when neither password works, the TDengineAuthError stands and the client keeps the old one", async () => {
            const s = await serve(() => tdError(0x0357, "Authentication failure"));
            const td = client(s.url);

            await caught(td.alterRootPassword("N3wPass!"), TDengineAuthError);
            await caught(td.clusterAlive(), TDengineAuthError);

            assert.equal(s.received.at(-1)?.authorization, DEFAULT_AUTH);
        });
    });

    describe("passwords never leak", () => {
        const current = "Cur9!LeakProbe#a1";
        const next = "New9!LeakProbe#b2";
        const leaks = [current, next, "LeakProbe", basic("root", current).slice(6), basic("root", next).slice(6)];

        function assertClean(texts: string[]): void {
            for (const text of texts) {
                for (const secret of leaks) {
                    assert.ok(!text.includes(secret), `leaked ${secret} in: ${text}`);
                }
            }
        }

        function textsOf(err: Error): string[] {
            return [err.message, String(err.stack), JSON.stringify(err), String(err)];
        }

        it("in no error message, error field or log line, on every error path", async () => {
            const lines: string[] = [];
            const log = (l: string): void => {
                lines.push(l);
            };
            // Every answer quotes the passwords back, as a careless proxy or a syntax error near them would.
            const echo = `near "pass '${next}'" for root:${current}`;
            const s = await serve((req) => {
                if (req.sql.startsWith("alter")) return tdError(0x2600, `syntax error ${echo}`);
                if (req.sql === "show dnodes") return tdError(855, `Authentication failure ${echo}`);
                if (req.sql === "show mnodes") return tdError(0x1124, `invalid basic Authorization ${echo}`, 401);
                if (req.sql === "show cluster alive") return { status: 503, body: `busy ${echo}` };
                if (req.sql.startsWith("drop dnode")) return "hang up";
                return { status: 404, body: `<html>${echo}</html>` };
            });
            const td = client(s.url, { password: current, log });
            const refused = await refusedUrl();
            const urlWithPassword = `http://root:${encodeURIComponent(current)}@127.0.0.1:1`;
            const errors: Error[] = [
                await caught(td.alterRootPassword(next), TDengineError),
                await caught(td.showDnodes(), TDengineAuthError),
                await caught(td.showMnodes(), TDengineAuthError),
                await caught(td.clusterAlive(), TDengineUnreachableError),
                await caught(td.dropDnode(4), TDengineConnectionLostError),
                await caught(td.showDatabases(), TDengineResponseError),
                await caught(client(refused, { password: current, log }).showDnodes(), TDengineUnreachableError),
                await caught(td.alterRootPassword(`Bad'${next}`), RangeError),
                caughtSync(() => new TDengineRest({ url: urlWithPassword, password: current }), TypeError),
            ];

            assert.ok(lines.length > 0, "the retries were logged");
            assertClean(lines);
            for (const err of errors) {
                assertClean(textsOf(err));
                assert.ok(!err.message.includes(encodeURIComponent(current)), err.message);
            }
        });

        it("when the old password is refused and the new one too, neither appears", async () => {
            const lines: string[] = [];
            const s = await serve(() => tdError(855, "Authentication failure"));

            const err = await caught(
                client(s.url, { password: current, log: (l) => lines.push(l) }).alterRootPassword(next),
                TDengineAuthError,
            );

            assertClean([...textsOf(err), ...lines]);
            assert.equal(err.statement, "alter user root pass '<redacted>'");
        });
    });
});
