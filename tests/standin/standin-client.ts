/**
 * What the stand-in tests share: a REST client speaking to the stand-in, polls, and the event-log lookups.
 */

import { strict as assert } from "node:assert";
import * as http from "node:http";

import { StandinEvent, StandinOptions, TDengineStandin } from "./standin";
import { poll } from "../poll";

export const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
export const EPOCH = "1970-01-01T00:00:00.000Z";
export const FAST = 0.01;

export interface RestBody {
    code: number;
    desc?: string;
    column_meta?: Array<[string, string, number]>;
    data?: unknown[][];
    rows?: number;
}

export interface Answer {
    status: number;
    body: RestBody;
}

export function send(
    base: string, method: string, urlPath: string, body: string, headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
        const req = http.request(`${base}${urlPath}`, { method, headers, agent: false }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
            res.on("error", reject);
        });
        req.on("error", reject);
        req.end(body);
    });
}

export function basic(user: string, password: string): string {
    return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

export class Client {
    constructor(
        readonly base: string,
        public password = "taosdata",
    ) {}

    async sql(statement: string, options: { db?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
        const headers = options.headers ?? { Authorization: basic("root", this.password) };
        const res = await send(this.base, "POST", `/rest/sql${options.db ? `/${options.db}` : ""}`, statement, headers);
        return { status: res.status, body: JSON.parse(res.text) as RestBody };
    }

    /** The statement must succeed; its rows as objects keyed by column name. */
    async rows(statement: string, db?: string): Promise<Array<Record<string, unknown>>> {
        const { body } = await this.ok(statement, db);
        const names = (body.column_meta ?? []).map(([name]) => name);
        return (body.data ?? []).map((row) => Object.fromEntries(names.map((name, i) => [name, row[i]])));
    }

    async ok(statement: string, db?: string): Promise<Answer> {
        const answer = await this.sql(statement, { db });
        assert.equal(answer.body.code, 0, `${statement} → ${JSON.stringify(answer.body)}`);
        return answer;
    }

    async dnodes(): Promise<Array<Record<string, unknown>>> {
        return this.rows("show dnodes");
    }

    async mnodes(): Promise<Array<Record<string, unknown>>> {
        return this.rows("show mnodes");
    }
}

export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

export function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 3000): Promise<T> {
    return poll(what, probe, { timeoutMs, intervalMs: 2 });
}

/** The endpoints of the cluster docs/tdengine.md records: three dnodes on one host, ports 6030, 6130, 6230, a fourth on 6330. */
export const EP = (n: number): string => `localhost:${6030 + 100 * (n - 1)}`;

export const EXPECTED_DDL: RestBody = { code: 0, column_meta: [["affected_rows", "INT", 4]], data: [[0]], rows: 1 };

export function index(events: StandinEvent[], kind: string, detail: string | RegExp): number {
    const i = events.findIndex((e) => e.kind === kind && (typeof detail === "string" ? e.detail === detail : detail.test(e.detail)));
    assert.ok(i >= 0, `no event ${kind} ${String(detail)} in ${JSON.stringify(events.map((e) => `${e.kind} ${e.detail}`))}`);
    return i;
}

export function eventAt(standin: TDengineStandin, kind: string, detail: string | RegExp): number {
    const events = standin.events();
    return events[index(events, kind, detail)].at;
}

/** A stand-in with `count` dnodes started in order, as the pods of a StatefulSet start, and a client of it. */
export async function bootStandin(count: number, options: StandinOptions = {}): Promise<{ standin: TDengineStandin; client: Client }> {
    const standin = new TDengineStandin({ timeScale: FAST, ...options });
    const client = new Client(await standin.start(), options.rootPassword);
    for (let n = 1; n <= count; n++) standin.startDnode(EP(n));
    return { standin, client };
}

/** docs/tdengine.md#create-mnode: create mnodes on these dnodes and wait until each is a follower. */
export async function addFollowerMnodes(client: Client, ...ids: number[]): Promise<void> {
    for (const id of ids) await client.ok(`create mnode on dnode ${id}`);
    await waitFor("followers", async () => {
        const mnodes = await client.mnodes();
        return ids.every((id) => mnodes.find((m) => m.id === id)?.role === "follower") ? true : undefined;
    });
}
