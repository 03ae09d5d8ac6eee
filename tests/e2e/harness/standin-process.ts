/**
 * The TDengine stand-in (tests/standin) as a process of its own, as the e2e cluster's pods' REST port:
 * kwok's port-forward redirection sends every pod's 6041 to it. Its admin API is what the pods' "entrypoint"
 * (the pod watcher) and the test use.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as http from "node:http";
import * as path from "node:path";
import type { ClusterState, DataDir, StandinEvent } from "../../standin/standin";

const root = path.resolve(__dirname, "..", "..", "..");

export class StandinProcess {
    private constructor(private readonly child: ChildProcess, readonly url: string) { }

    /** `version`: what a taosd runs when its pod's image names no version (default the stand-in's, 3.3.7.5). */
    static async start(options: { password: string; timeScale: number; version?: string }): Promise<StandinProcess> {
        const version = options.version === undefined ? [] : ["--version", options.version];
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "tests/standin/main.ts",
            "--port", "0", "--password", options.password, "--time-scale", String(options.timeScale), ...version],
        { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, TS_NODE_PROJECT: path.join(root, "tsconfig.json") } });
        const url = await new Promise<string>((resolve, reject) => {
            let out = "";
            const timer = setTimeout(() => reject(new Error(`stand-in did not start: ${out}`)), 60_000);
            child.stdout?.on("data", (chunk: Buffer) => {
                out += chunk.toString();
                const m = /standin listening on (http:\/\/\S+)/.exec(out);
                if (m) { clearTimeout(timer); resolve(m[1]); }
            });
            child.stderr?.on("data", (chunk: Buffer) => { out += chunk.toString(); });
            child.once("exit", code => { clearTimeout(timer); reject(new Error(`stand-in exited with ${code}: ${out}`)); });
        });
        return new StandinProcess(child, url);
    }

    get port(): number {
        return Number(new URL(this.url).port);
    }

    /** `version`: what the taosd runs (the pod's image), what `select server_version()` answers. */
    startDnode(endpoint: string, data?: DataDir, version?: string): Promise<ClusterState> {
        return this.admin("POST", "/admin/dnodes/start", { endpoint, data, version });
    }

    /** A dnode restart without a pod: stops now, starts on its own data `downMs` (TDengine time) later. */
    restartDnode(endpoint: string, options: { downMs?: number; version?: string } = {}): Promise<ClusterState> {
        return this.admin("POST", "/admin/dnodes/restart", { endpoint, ...options });
    }

    stopDnode(endpoint: string): Promise<ClusterState> {
        return this.admin("POST", "/admin/dnodes/stop", { endpoint });
    }

    state(): Promise<ClusterState> {
        return this.admin("GET", "/admin/state");
    }

    events(): Promise<StandinEvent[]> {
        return this.admin("GET", "/admin/events");
    }

    async stop(): Promise<void> {
        if (this.child.exitCode !== null) {
            return;
        }
        const exited = new Promise(resolve => this.child.once("exit", resolve));
        this.child.kill("SIGTERM");
        await exited;
    }

    private admin<T>(method: string, route: string, body?: unknown): Promise<T> {
        return new Promise((resolve, reject) => {
            const req = http.request(`${this.url}${route}`, { method, agent: false, headers: { "content-type": "application/json" } }, res => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () => {
                    const text = Buffer.concat(chunks).toString("utf8");
                    return res.statusCode === 200 ? resolve(JSON.parse(text) as T) : reject(new Error(`stand-in ${method} ${route}: ${res.statusCode} ${text}`));
                });
            });
            req.on("error", reject);
            req.end(body === undefined ? undefined : JSON.stringify(body));
        });
    }
}
