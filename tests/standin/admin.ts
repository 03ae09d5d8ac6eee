/**
 * The stand-in's admin API, for end-to-end tests that run it as a process (main.ts): what a test would
 * do to the pods of a real cluster. No auth, loopback clients only.
 *
 *   POST /admin/dnodes/start  {"endpoint": "...", "data": "fresh" | "own" | "dropped", "version": "..."}   (data, version optional)
 *   POST /admin/dnodes/stop   {"endpoint": "..."}
 *   POST /admin/dnodes/restart {"endpoint": "...", "downMs": n, "version": "..."}        (downMs, version optional)
 *   POST /admin/faults        {"failConnections": n} and/or {"dropConnectionDuring": "drop dnode"}
 *   GET  /admin/state         dnodes, mnodes, databases, processes
 *   GET  /admin/events        the event log
 */

import type * as http from "node:http";

import type { DataDir } from "./cluster";
import type { TDengineStandin } from "./standin";

const LOOPBACK: ReadonlySet<string> = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);
const DATA_DIRS: ReadonlySet<string> = new Set<DataDir>(["fresh", "own", "dropped"]);

type Route = (standin: TDengineStandin, body: Record<string, unknown>) => unknown;

const ROUTES: Readonly<Record<string, Route>> = {
    "POST /admin/dnodes/start": (standin, body) => {
        const data = body.data === undefined ? undefined : dataDir(body.data);
        const version = body.version === undefined ? undefined : requireString(body, "version");
        standin.startDnode(requireString(body, "endpoint"), { data, version });
        return standin.state();
    },
    "POST /admin/dnodes/restart": (standin, body) => {
        const downMs = body.downMs === undefined ? undefined : requireCount(body.downMs, "downMs");
        const version = body.version === undefined ? undefined : requireString(body, "version");
        standin.restartDnode(requireString(body, "endpoint"), { downMs, version });
        return standin.state();
    },
    "POST /admin/dnodes/stop": (standin, body) => {
        standin.stopDnode(requireString(body, "endpoint"));
        return standin.state();
    },
    "POST /admin/faults": (standin, body) => {
        if (body.failConnections !== undefined) standin.failConnections(requireCount(body.failConnections, "failConnections"));
        if (body.dropConnectionDuring !== undefined) standin.dropConnectionDuring(requireString(body, "dropConnectionDuring"));
        return { ok: true };
    },
    "GET /admin/state": (standin) => standin.state(),
    "GET /admin/events": (standin) => standin.events(),
};

export async function handleAdmin(standin: TDengineStandin, req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    if (!LOOPBACK.has(req.socket.remoteAddress ?? "")) return reply(res, 403, { error: "the admin API answers loopback clients only" });
    const route = ROUTES[`${req.method ?? ""} ${url.pathname}`];
    if (!route) return reply(res, 404, { error: `no admin route ${req.method ?? ""} ${url.pathname}` });
    try {
        reply(res, 200, route(standin, await readJson(req)));
    } catch (err) {
        reply(res, 400, { error: err instanceof Error ? err.message : String(err) });
    }
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" }).end(JSON.stringify(body));
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8").trim();
    if (text === "") return {};
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("the body must be a JSON object");
    return parsed as Record<string, unknown>;
}

function requireString(body: Record<string, unknown>, key: string): string {
    const value = body[key];
    if (typeof value !== "string" || value === "") throw new Error(`"${key}" must be a non-empty string`);
    return value;
}

function requireCount(value: unknown, key: string): number {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0) throw new Error(`"${key}" must be a count`);
    return value;
}

function dataDir(value: unknown): DataDir {
    if (typeof value !== "string" || !DATA_DIRS.has(value)) throw new Error(`"data" must be one of ${[...DATA_DIRS].join(", ")}`);
    return value as DataDir;
}
