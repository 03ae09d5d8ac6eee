/**
 * One HTTP exchange with taosAdapter: `POST <url>/rest/sql`, the SQL text as the body, Basic
 * authentication, a deadline for the whole exchange. Says whether a failed exchange may have reached
 * TDengine ({@link NoAnswer.maybeSent}); deciding what to do about it is the retry loop's job.
 * Runs inside Pulumi dynamic providers, whose functions are serialized: built-ins are imported as namespaces.
 */
import * as http from "node:http";
import * as https from "node:https";
import { ClearError } from "../errors";

/** setTimeout fires at once for larger delays. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Where taosAdapter's `/rest/sql` is, and how to reach it. */
export interface Endpoint {
    request: (options: http.RequestOptions) => http.ClientRequest;
    hostname: string;
    port: number | undefined;
    path: string;
    /** The full endpoint URL without credentials, as shown in messages. */
    shown: string;
}

/** What came back over HTTP, whatever it says. */
export interface HttpAnswer {
    status: number;
    body: string;
}

/** No usable answer. `maybeSent`: the connection was established, so TDengine may have got the statement. */
export class NoAnswer extends ClearError {
    constructor(
        message: string,
        readonly maybeSent: boolean,
    ) {
        super(message);
    }
}

export function parseEndpoint(base: string): Endpoint {
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

export function checkTimeout(name: string, value: number): number {
    if (!Number.isFinite(value) || value <= 0 || value > MAX_TIMER_MS) {
        throw new RangeError(`TDengineRest's ${name} must be between 1 and ${MAX_TIMER_MS} ms, got ${value}`);
    }
    return value;
}

export function basicAuth(user: string, password: string): string {
    return `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`;
}

/**
 * One POST with a deadline for the whole exchange. A fresh connection each time (`agent: false`): a
 * pooled keep-alive socket that the server already closed fails with a reset after the request was
 * written, which would look like a lost `drop dnode`.
 */
export function post(endpoint: Endpoint, body: string, authorization: string, timeoutMs: number): Promise<HttpAnswer> {
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
