/**
 * A real Kubernetes control plane on loopback for the e2e tests, with no Docker and no container images:
 * kwokctl (`--runtime binary`) runs etcd, kube-apiserver, kube-controller-manager, kube-scheduler and the
 * kwok controller as local processes, from binaries built by tests/e2e/toolchain/build.sh.
 *
 *  - Nodes are fake (kwok): pods are scheduled by the real scheduler, and kwok's default stages make
 *    them Running and Ready; nothing is pulled or run for a container.
 *  - PVCs are bound by kube-controller-manager's in-tree host-path provisioner
 *    (`--enable-hostpath-provisioner`) through a default StorageClass `standard`
 *    (provisioner kubernetes.io/host-path, reclaimPolicy Delete): a PVC gets a PV (a directory
 *    /tmp/hostpath_pv/<uuid>), and a deleted PVC's PV and directory go away.
 *  - Port-forward to a pod (through the API server, as client-node's PortForward does it) is answered by
 *    the kwok controller, which stands in for the kubelet, and tunnelled to a local TCP target named by a
 *    kwok ClusterPortForward resource (`forwardPodPort`).
 *
 * Everything listens on 127.0.0.1 (kwokctl `bindAddress`, apiserver `--advertise-address`), and kwokctl
 * never downloads anything: every binary is a local path, and the one tool it would fetch (kubectl, which
 * it only runs as `kubectl --kubeconfig F get --raw /version|/healthz` to wait for the apiserver) is a
 * small Node stand-in written into the work dir.
 */
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import type * as k8sClient from "@kubernetes/client-node";

type ClientModule = typeof k8sClient;

/** @kubernetes/client-node 1.x is an ES module; Node 20.19+ loads it with require(). */
export function clientModule(): ClientModule {
    return require("@kubernetes/client-node") as ClientModule; // eslint-disable-line @typescript-eslint/no-require-imports
}

/**
 * A cluster-wide port-forward redirection (a kwok ClusterPortForward): port-forwards to `podPort` of
 * the matching pods reach `targetAddress:targetPort`. When several match one pod and port, kwok takes
 * any of them: keep their selectors apart, or use `forwardPod`, which comes first.
 */
export interface PodPortForward {
    /** The pod port a port-forward asks for (6041 for TDengine's REST API). */
    podPort: number;
    /** The local TCP port that answers instead. */
    targetPort: number;
    /** Loopback only; default 127.0.0.1. */
    targetAddress?: string;
    /**
     * Which pods: by namespace and/or pod name (kwok v0.8 selects by name and namespace only, not by
     * label). Both empty: every pod of the cluster.
     */
    namespaces?: string[];
    podNames?: string[];
    /** Name of the ClusterPortForward resource; default `forward-<podPort>`. Same name: replaced. */
    name?: string;
}

/** One port of a per-pod redirection (`forwardPod`). */
export interface PortTarget {
    podPort: number;
    targetPort: number;
    /** Loopback only; default 127.0.0.1. */
    targetAddress?: string;
}

export interface LocalClusterOptions {
    /**
     * Where the cluster lives (KWOK_WORKDIR): kwokctl's state under `clusters/<name>`, plus the kubeconfig,
     * the kwokctl config and the kubectl stand-in. Created if missing.
     */
    workDir: string;
    /** Holds etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok and kwokctl. */
    binDir: string;
    /** Cluster name; default `tdengine-e2e`. A leftover cluster of this name in `workDir` is deleted first. */
    name?: string;
    /** How many kwok nodes to create (kwok-node-0..); default 3. */
    nodes?: number;
    /** Port-forward redirections to set up before the cluster is handed over. */
    portForwards?: PodPortForward[];
    /** Name of the default StorageClass; default `standard`. */
    storageClassName?: string;
    /** Overall start timeout; default 180 s. */
    timeoutMs?: number;
    /** Copies the components' logs here when the cluster stops (for a failed run). */
    keepLogsIn?: string;
    /** Progress lines; default: none. */
    log?: (line: string) => void;
}

export interface ClusterProcess {
    pid: number;
    /** Executable name (/proc/<pid>/comm). */
    command: string;
    args: string[];
}

export interface LocalCluster {
    readonly name: string;
    /** A self-contained kubeconfig (certificates embedded) for this cluster. */
    readonly kubeconfigPath: string;
    /** Its contents. */
    readonly kubeconfig: string;
    readonly context: string;
    /** https://127.0.0.1:<port> */
    readonly server: string;
    /** kwokctl's directory for this cluster (pids, logs, pki, etcd data). */
    readonly clusterDir: string;
    readonly nodeNames: readonly string[];
    readonly storageClassName: string;
    /** How long startLocalCluster took, ms. */
    readonly startMs: number;
    /** A client-node KubeConfig for this cluster. */
    kubeConfig(): k8sClient.KubeConfig;
    /**
     * Redirects port-forwards to `podPort` of the selected pods (default: every pod) to a local port.
     * Returns the ClusterPortForward's name. Takes effect once the kwok controller's informer sees it
     * (well under a second).
     */
    forwardPodPort(podPort: number, targetPort: number, options?: Omit<PodPortForward, "podPort" | "targetPort">): Promise<string>;
    /** Deletes a ClusterPortForward made by `forwardPodPort` (or given at start). */
    removePortForward(name: string): Promise<void>;
    /**
     * Redirects port-forwards to one pod (a kwok PortForward named after the pod; it replaces an earlier
     * one). It comes before every ClusterPortForward: a port it does not list is refused for that pod.
     */
    forwardPod(namespace: string, pod: string, ports: PortTarget[]): Promise<void>;
    removePodForward(namespace: string, pod: string): Promise<void>;
    /** The live processes of this cluster (etcd, kube-*, kwok). */
    processes(): ClusterProcess[];
    /** Deletes the cluster, kills whatever of it is left, removes its files. Idempotent. */
    stop(): Promise<void>;
}

const DEFAULT_NAME = "tdengine-e2e";
const BINARIES = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "kwokctl"] as const;
const KWOK_GROUP = "kwok.x-k8s.io";
const KWOK_VERSION = "v1alpha1";
/** Where the in-tree host-path provisioner puts its volumes (not configurable). */
const HOSTPATH_PV_DIR = "/tmp/hostpath_pv/";

/**
 * kwokctl runs `kubectl --kubeconfig F get --raw /version` (and `/healthz`) to wait for the apiserver, and
 * downloads kubectl from dl.k8s.io when none is on PATH. This stand-in answers exactly those calls, with
 * the certificates the kwokctl-written kubeconfig names, and refuses anything else or any non-loopback server.
 */
function kubectlStandin(nodePath: string): string {
    return `#!${nodePath}
"use strict";
// kubectl stand-in for kwokctl (pulumi-tdengine e2e): only \`--kubeconfig FILE get --raw PATH\`.
const fs = require("fs");
const https = require("https");
const http = require("http");
const args = process.argv.slice(2);
let kubeconfig;
const rest = [];
for (let i = 0; i < args.length; i++) {
    if (args[i] === "--kubeconfig") { kubeconfig = args[++i]; }
    else if (args[i].startsWith("--kubeconfig=")) { kubeconfig = args[i].slice("--kubeconfig=".length); }
    else { rest.push(args[i]); }
}
function fail(message, code) { process.stderr.write("kubectl stand-in: " + message + "\\n"); process.exit(code); }
if (!kubeconfig || rest.length !== 3 || rest[0] !== "get" || rest[1] !== "--raw") {
    fail("unsupported arguments: " + args.join(" "), 2);
}
const text = fs.readFileSync(kubeconfig, "utf8");
function field(key) {
    const m = text.match(new RegExp("^\\\\s*" + key + ":\\\\s*(\\\\S+)\\\\s*$", "m"));
    return m ? m[1].replace(/^["']|["']$/g, "") : undefined;
}
function file(key) { const p = field(key); return p ? fs.readFileSync(p) : undefined; }
const server = field("server");
if (!server) { fail("no server in " + kubeconfig, 2); }
const url = new URL(rest[2], server);
if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) { fail("refusing non-loopback server " + server, 2); }
const lib = url.protocol === "https:" ? https : http;
const req = lib.get(url, { ca: file("certificate-authority"), cert: file("client-certificate"), key: file("client-key"), timeout: 3000 }, res => {
    const chunks = [];
    res.on("data", c => chunks.push(c));
    res.on("end", () => {
        process.stdout.write(Buffer.concat(chunks));
        process.exit(res.statusCode >= 200 && res.statusCode < 300 ? 0 : 1);
    });
});
req.on("timeout", () => req.destroy(new Error("timeout")));
req.on("error", err => fail(String(err && err.message || err), 1));
`;
}

function sleep(ms: number): Promise<void> {
    return new Promise(resolve => setTimeout(resolve, ms));
}

function isLoopback(address: string): boolean {
    return address === "localhost" || address === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
}

function errorCode(err: unknown): number | undefined {
    if (typeof err === "object" && err !== null) {
        const code = (err as { code?: unknown; statusCode?: unknown }).code ?? (err as { statusCode?: unknown }).statusCode;
        return typeof code === "number" ? code : undefined;
    }
    return undefined;
}

function describeError(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
}

/** Processes whose command line names `clusterDir` (kwokctl passes every component paths inside it). */
export function findClusterProcesses(clusterDir: string): ClusterProcess[] {
    const marker = clusterDir.endsWith("/") ? clusterDir : clusterDir + "/";
    const found: ClusterProcess[] = [];
    let entries: string[];
    try {
        entries = fs.readdirSync("/proc");
    } catch {
        return found;
    }
    for (const entry of entries) {
        if (!/^\d+$/.test(entry)) {
            continue;
        }
        const pid = Number(entry);
        if (pid === process.pid) {
            continue;
        }
        try {
            const raw = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
            if (raw === "" || !raw.includes(marker)) {
                continue;
            }
            const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
            const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
            if (state === "Z" || state === "X") {
                continue;
            }
            const command = fs.readFileSync(`/proc/${entry}/comm`, "utf8").trim();
            found.push({ pid, command, args: raw.split("\0").filter(a => a !== "") });
        } catch {
            // gone meanwhile, or not ours to read
        }
    }
    return found;
}

function killProcesses(pids: number[], signal: NodeJS.Signals): void {
    for (const pid of pids) {
        try {
            process.kill(pid, signal);
        } catch {
            // already gone
        }
    }
}

/** SIGTERM, then SIGKILL after `graceMs`, for every process left of the cluster. */
async function killClusterProcesses(clusterDir: string, graceMs: number): Promise<void> {
    let left = findClusterProcesses(clusterDir);
    if (left.length === 0) {
        return;
    }
    killProcesses(left.map(p => p.pid), "SIGTERM");
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
        await sleep(100);
        left = findClusterProcesses(clusterDir);
        if (left.length === 0) {
            return;
        }
    }
    killProcesses(left.map(p => p.pid), "SIGKILL");
    for (let i = 0; i < 50 && findClusterProcesses(clusterDir).length > 0; i++) {
        await sleep(100);
    }
}

// Clusters still running when the process exits (a test that never reached stop()) are killed outright.
const running = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
    if (exitHookInstalled) {
        return;
    }
    exitHookInstalled = true;
    process.once("exit", () => {
        for (const clusterDir of running) {
            killProcesses(findClusterProcesses(clusterDir).map(p => p.pid), "SIGKILL");
        }
    });
}

/**
 * Ports for the cluster's listeners, picked at random below the kernel's ephemeral range (kwokctl's own
 * choice counts down from 32767 the same way in every run, so two runs at once would collide, and a port
 * in the ephemeral range may be taken by any outgoing connection), each checked by binding it on
 * 127.0.0.1. The listeners are held until kwokctl starts, so concurrent runs do not pick the same ones.
 */
async function reservePorts(count: number): Promise<{ ports: number[]; release(): Promise<void> }> {
    let low = 32768;
    try {
        low = Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || low;
    } catch {
        // keep the Linux default
    }
    const min = 10000;
    const max = Math.max(min + 1000, Math.min(low, 32768));
    const servers: net.Server[] = [];
    const ports: number[] = [];
    for (let attempt = 0; ports.length < count && attempt < 1000; attempt++) {
        const port = min + Math.floor(Math.random() * (max - min));
        if (ports.includes(port)) {
            continue;
        }
        const server = net.createServer();
        const ok = await new Promise<boolean>(resolve => {
            server.once("error", () => resolve(false));
            server.listen({ port, host: "127.0.0.1", exclusive: true }, () => resolve(true));
        });
        if (ok) {
            servers.push(server);
            ports.push(port);
        }
    }
    let released = false;
    const release = async (): Promise<void> => {
        if (released) {
            return;
        }
        released = true;
        await Promise.all(servers.map(server => new Promise<void>(resolve => server.close(() => resolve()))));
    };
    if (ports.length < count) {
        await release();
        throw new Error(`could not find ${count} free ports in ${min}-${max - 1}`);
    }
    return { ports, release };
}

interface KwokctlRun {
    code: number | null;
    output: string;
}

function runKwokctl(kwokctl: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, logFile: string): Promise<KwokctlRun> {
    return new Promise(resolve => {
        fs.appendFileSync(logFile, `\n$ kwokctl ${args.join(" ")}\n`);
        const child = childProcess.spawn(kwokctl, args, { env, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        const collect = (chunk: Buffer): void => {
            output += chunk.toString("utf8");
            fs.appendFileSync(logFile, chunk);
        };
        child.stdout.on("data", collect);
        child.stderr.on("data", collect);
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("error", err => {
            clearTimeout(timer);
            resolve({ code: -1, output: output + String(err) });
        });
        child.on("close", code => {
            clearTimeout(timer);
            resolve({ code, output });
        });
    });
}

function readField(kubeconfigText: string, key: string): string | undefined {
    const m = kubeconfigText.match(new RegExp(`^\\s*${key}:\\s*(\\S+)\\s*$`, "m"));
    return m ? m[1].replace(/^["']|["']$/g, "") : undefined;
}

function selfContainedKubeconfig(server: string, context: string, ca: Buffer, cert: Buffer, key: Buffer): string {
    const b64 = (b: Buffer): string => b.toString("base64");
    return [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        `- name: ${context}`,
        "  cluster:",
        `    server: ${server}`,
        `    certificate-authority-data: ${b64(ca)}`,
        "contexts:",
        `- name: ${context}`,
        "  context:",
        `    cluster: ${context}`,
        `    user: ${context}`,
        `current-context: ${context}`,
        "preferences: {}",
        "users:",
        `- name: ${context}`,
        "  user:",
        `    client-certificate-data: ${b64(cert)}`,
        `    client-key-data: ${b64(key)}`,
        "",
    ].join("\n");
}

/**
 * Polls `fn` until it returns a value other than undefined; throws on timeout (with the last error) or
 * once `signal` is aborted.
 */
async function waitFor<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>, intervalMs = 200, signal?: AbortSignal): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
        if (signal?.aborted === true) {
            throw new Error(`gave up waiting for ${what}`);
        }
        try {
            const value = await fn();
            if (value !== undefined) {
                return value;
            }
        } catch (err) {
            last = err;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? "" : `: ${describeError(last)}`}`);
        }
        await sleep(intervalMs);
    }
}

function httpsGet(url: string, ca: Buffer, cert: Buffer, key: Buffer): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = https.get(url, { ca, cert, key, timeout: 3000 }, res => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", reject);
    });
}

/** The names, paths and environment one cluster uses; shared by start, stop and the stale clean-up. */
class Layout {
    readonly workDir: string;
    readonly clusterDir: string;
    readonly kwokctl: string;
    readonly env: NodeJS.ProcessEnv;
    readonly configPath: string;
    readonly kubeconfigPath: string;
    readonly logPath: string;
    /** kwokctl adds (create) and removes (delete) its context here instead of ~/.kube/config. */
    readonly contextsPath: string;

    constructor(workDir: string, readonly binDir: string, readonly name: string) {
        this.workDir = path.resolve(workDir);
        this.clusterDir = path.join(this.workDir, "clusters", name);
        this.kwokctl = path.join(binDir, "kwokctl");
        const shimDir = path.join(this.workDir, "bin");
        this.configPath = path.join(this.workDir, `${name}.kwokctl.yaml`);
        this.kubeconfigPath = path.join(this.workDir, `${name}.kubeconfig`);
        this.logPath = path.join(this.workDir, `${name}.kwokctl.log`);
        this.contextsPath = path.join(this.workDir, `${name}.kwokctl-contexts.yaml`);
        const env: NodeJS.ProcessEnv = {};
        for (const [k, v] of Object.entries(process.env)) {
            // KWOK_* (e.g. from tests/e2e/toolchain/env.sh) would override what is passed here.
            if (!k.startsWith("KWOK_") && v !== undefined) {
                env[k] = v;
            }
        }
        const noProxy = ["127.0.0.1", "localhost", "::1", env.NO_PROXY ?? env.no_proxy ?? ""].filter(s => s !== "").join(",");
        Object.assign(env, {
            KWOK_WORKDIR: this.workDir,
            KWOK_KUBECTL_BINARY: path.join(shimDir, "kubectl"),
            PATH: `${shimDir}${path.delimiter}${env.PATH ?? "/usr/bin:/bin"}`,
            NO_PROXY: noProxy,
            no_proxy: noProxy,
        });
        this.env = env;
    }

    writeKubectlStandin(): void {
        const shim = this.env.KWOK_KUBECTL_BINARY as string;
        fs.mkdirSync(path.dirname(shim), { recursive: true });
        fs.writeFileSync(shim, kubectlStandin(process.execPath), { mode: 0o755 });
    }
}

/** Deletes a cluster of this layout (a leftover or a live one) and everything it left. */
async function deleteCluster(layout: Layout, log: (line: string) => void, keepLogsIn?: string): Promise<void> {
    // Host-path volumes still provisioned outlive the cluster unless removed: ask its apiserver (if it
    // still answers) which there are.
    let volumes: string[] = [];
    const kwokKubeconfig = path.join(layout.clusterDir, "kubeconfig.yaml");
    if (fs.existsSync(kwokKubeconfig)) {
        try {
            const kc = new (clientModule().KubeConfig)();
            kc.loadFromFile(kwokKubeconfig);
            volumes = await Promise.race([listHostpathVolumes(kc), sleep(3000).then((): string[] => [])]);
        } catch {
            // not answering: nothing to learn
        }
    }
    if (keepLogsIn !== undefined && fs.existsSync(path.join(layout.clusterDir, "logs"))) {
        fs.mkdirSync(keepLogsIn, { recursive: true });
        fs.cpSync(path.join(layout.clusterDir, "logs"), keepLogsIn, { recursive: true });
    }
    if (fs.existsSync(layout.clusterDir) && fs.existsSync(layout.kwokctl)) {
        layout.writeKubectlStandin();
        const run = await runKwokctl(layout.kwokctl, ["--name", layout.name, "delete", "cluster", "--kubeconfig", layout.contextsPath], layout.env, 60_000, layout.logPath);
        if (run.code !== 0) {
            log(`kwokctl delete cluster ${layout.name} exited ${run.code}; killing what is left\n${run.output.trim()}`);
        }
    }
    await killClusterProcesses(layout.clusterDir, 3000);
    fs.rmSync(layout.clusterDir, { recursive: true, force: true });
    fs.rmSync(layout.contextsPath, { force: true });
    for (const dir of volumes) {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

class LocalClusterImpl implements LocalCluster {
    private stopping: Promise<void> | undefined;
    readonly storageClassName: string;

    constructor(
        private readonly layout: Layout,
        readonly kubeconfig: string,
        readonly context: string,
        readonly server: string,
        readonly nodeNames: readonly string[],
        storageClassName: string,
        public startMs: number,
        private readonly log: (line: string) => void,
        private readonly keepLogsIn: string | undefined,
    ) {
        this.storageClassName = storageClassName;
    }

    get name(): string {
        return this.layout.name;
    }

    get kubeconfigPath(): string {
        return this.layout.kubeconfigPath;
    }

    get clusterDir(): string {
        return this.layout.clusterDir;
    }

    kubeConfig(): k8sClient.KubeConfig {
        const kc = new (clientModule().KubeConfig)();
        kc.loadFromString(this.kubeconfig);
        return kc;
    }

    async forwardPodPort(podPort: number, targetPort: number, options: Omit<PodPortForward, "podPort" | "targetPort"> = {}): Promise<string> {
        return applyPortForward(this.kubeConfig(), { ...options, podPort, targetPort });
    }

    async removePortForward(name: string): Promise<void> {
        const api = this.kubeConfig().makeApiClient(clientModule().CustomObjectsApi);
        try {
            await api.deleteClusterCustomObject({ group: KWOK_GROUP, version: KWOK_VERSION, plural: "clusterportforwards", name });
        } catch (err) {
            if (errorCode(err) !== 404) {
                throw err;
            }
        }
    }

    async forwardPod(namespace: string, pod: string, ports: PortTarget[]): Promise<void> {
        await applyPodForward(this.kubeConfig(), namespace, pod, ports);
    }

    async removePodForward(namespace: string, pod: string): Promise<void> {
        const api = this.kubeConfig().makeApiClient(clientModule().CustomObjectsApi);
        try {
            await api.deleteNamespacedCustomObject({ group: KWOK_GROUP, version: KWOK_VERSION, plural: "portforwards", namespace, name: pod });
        } catch (err) {
            if (errorCode(err) !== 404) {
                throw err;
            }
        }
    }

    processes(): ClusterProcess[] {
        return findClusterProcesses(this.layout.clusterDir);
    }

    stop(): Promise<void> {
        if (this.stopping === undefined) {
            this.stopping = this.doStop();
        }
        return this.stopping;
    }

    private async doStop(): Promise<void> {
        await deleteCluster(this.layout, this.log, this.keepLogsIn);
        running.delete(this.layout.clusterDir);
        fs.rmSync(this.layout.kubeconfigPath, { force: true });
        fs.rmSync(this.layout.configPath, { force: true });
    }
}

async function listHostpathVolumes(kc: k8sClient.KubeConfig): Promise<string[]> {
    const core = kc.makeApiClient(clientModule().CoreV1Api);
    const pvs = await core.listPersistentVolume();
    return pvs.items
        .map(pv => pv.spec?.hostPath?.path)
        .filter((p): p is string => p !== undefined && p.startsWith(HOSTPATH_PV_DIR) && p.length > HOSTPATH_PV_DIR.length && !p.includes(".."));
}

function forwardTarget(port: PortTarget): { ports: number[]; target: { address: string; port: number } } {
    const address = port.targetAddress ?? "127.0.0.1";
    if (!isLoopback(address)) {
        throw new Error(`port-forward target ${address} is not a loopback address`);
    }
    return { ports: [port.podPort], target: { address, port: port.targetPort } };
}

interface CustomObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; resourceVersion?: string };
    spec: unknown;
}

/** Creates a kwok custom object, or replaces the one of that name. */
async function createOrReplace(kc: k8sClient.KubeConfig, plural: string, body: CustomObject): Promise<void> {
    const api = kc.makeApiClient(clientModule().CustomObjectsApi);
    const ref = { group: KWOK_GROUP, version: KWOK_VERSION, plural };
    const namespace = body.metadata.namespace;
    const name = body.metadata.name;
    try {
        if (namespace === undefined) {
            await api.createClusterCustomObject({ ...ref, body });
        } else {
            await api.createNamespacedCustomObject({ ...ref, namespace, body });
        }
        return;
    } catch (err) {
        if (errorCode(err) !== 409) {
            throw err;
        }
    }
    const existing = (namespace === undefined
        ? await api.getClusterCustomObject({ ...ref, name })
        : await api.getNamespacedCustomObject({ ...ref, namespace, name })) as { metadata?: { resourceVersion?: string } };
    body.metadata.resourceVersion = existing.metadata?.resourceVersion;
    if (namespace === undefined) {
        await api.replaceClusterCustomObject({ ...ref, name, body });
    } else {
        await api.replaceNamespacedCustomObject({ ...ref, namespace, name, body });
    }
}

async function applyPortForward(kc: k8sClient.KubeConfig, forward: PodPortForward): Promise<string> {
    const name = forward.name ?? `forward-${forward.podPort}`;
    const selector: { matchNamespaces?: string[]; matchNames?: string[] } = {};
    if (forward.namespaces !== undefined && forward.namespaces.length > 0) {
        selector.matchNamespaces = forward.namespaces;
    }
    if (forward.podNames !== undefined && forward.podNames.length > 0) {
        selector.matchNames = forward.podNames;
    }
    await createOrReplace(kc, "clusterportforwards", {
        apiVersion: `${KWOK_GROUP}/${KWOK_VERSION}`,
        kind: "ClusterPortForward",
        metadata: { name },
        spec: {
            ...(Object.keys(selector).length > 0 ? { selector } : {}),
            forwards: [forwardTarget(forward)],
        },
    });
    return name;
}

async function applyPodForward(kc: k8sClient.KubeConfig, namespace: string, pod: string, ports: PortTarget[]): Promise<void> {
    await createOrReplace(kc, "portforwards", {
        apiVersion: `${KWOK_GROUP}/${KWOK_VERSION}`,
        kind: "PortForward",
        metadata: { name: pod, namespace },
        spec: { forwards: ports.map(forwardTarget) },
    });
}

/**
 * One port-forward through the API server to namespace/pod:port (client-node, WebSocket) that reads the
 * first line the far end sends. Rejects with what kwok reports on the error channel.
 */
async function readLineThroughPortForward(kc: k8sClient.KubeConfig, namespace: string, pod: string, port: number, timeoutMs: number): Promise<string> {
    const output = new PassThrough();
    const errors = new PassThrough();
    const input = new PassThrough();
    const ws = await new (clientModule().PortForward)(kc).portForward(namespace, pod, [port], output, errors, input);
    const close = (): void => {
        const socket = typeof ws === "function" ? ws() : ws;
        socket?.close();
        input.end();
    };
    return new Promise<string>((resolve, reject) => {
        let data = "";
        const timer = setTimeout(() => {
            close();
            reject(new Error(`no answer in ${timeoutMs} ms`));
        }, timeoutMs);
        output.on("data", (chunk: Buffer) => {
            data += chunk.toString("utf8");
            if (data.includes("\n")) {
                clearTimeout(timer);
                close();
                resolve(data.slice(0, data.indexOf("\n")));
            }
        });
        errors.on("data", (chunk: Buffer) => {
            clearTimeout(timer);
            close();
            reject(new Error(chunk.toString("utf8")));
        });
    });
}

/**
 * Proves port-forward end to end before the cluster is handed over (and waits for the kwok controller
 * to watch the PortForward resources: it starts before kwokctl creates their CRDs, and its informers
 * then back off): a pod bound to a kwok node, a ClusterPortForward for it to a local listener, and a
 * client-node port-forward that must read the listener's greeting.
 */
async function probePortForward(kc: k8sClient.KubeConfig, nodeName: string, timeoutMs: number, signal: AbortSignal): Promise<number> {
    const started = Date.now();
    const core = kc.makeApiClient(clientModule().CoreV1Api);
    const namespace = "default";
    const pod = "e2e-port-forward-probe";
    const greeting = `port-forward probe ${process.pid}-${started}`;
    const server = net.createServer(socket => {
        socket.on("error", () => socket.destroy());
        socket.end(`${greeting}\n`);
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
    });
    const probePort = 1; // a pod port no real forward uses
    const forwardName = "e2e-port-forward-probe";
    try {
        await applyPortForward(kc, {
            name: forwardName, podPort: probePort, targetPort: (server.address() as net.AddressInfo).port,
            namespaces: [namespace], podNames: [pod],
        });
        let created = false;
        await waitFor("a port-forward to the probe pod", timeoutMs, async () => {
            if (!created) {
                // Admission needs the namespace's default ServiceAccount, which the controller manager makes.
                await core.createNamespacedPod({
                    namespace,
                    body: {
                        metadata: { name: pod, labels: { "app.kubernetes.io/name": "e2e-port-forward-probe" } },
                        spec: { nodeName, containers: [{ name: "probe", image: "e2e-port-forward-probe" }], terminationGracePeriodSeconds: 0 },
                    },
                });
                created = true;
            }
            const line = await readLineThroughPortForward(kc, namespace, pod, probePort, 2000);
            if (line !== greeting) {
                throw new Error(`unexpected answer ${JSON.stringify(line)}`);
            }
            return true;
        }, 250, signal);
        return Date.now() - started;
    } finally {
        server.close();
        await core.deleteNamespacedPod({ name: pod, namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
        await kc.makeApiClient(clientModule().CustomObjectsApi)
            .deleteClusterCustomObject({ group: KWOK_GROUP, version: KWOK_VERSION, plural: "clusterportforwards", name: forwardName })
            .catch(() => undefined);
    }
}

/**
 * Starts a cluster (see the file comment). On failure everything started is torn down again and the
 * error names the kwokctl log and the components' logs.
 */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
    const started = Date.now();
    const name = options.name ?? DEFAULT_NAME;
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
        throw new Error(`cluster name ${JSON.stringify(name)} must be a DNS label`);
    }
    const log = options.log ?? ((): void => undefined);
    const timeoutMs = options.timeoutMs ?? 180_000;
    const deadline = started + timeoutMs;
    const remaining = (): number => Math.max(1000, deadline - Date.now());
    const nodeCount = options.nodes ?? 3;
    if (!Number.isInteger(nodeCount) || nodeCount < 1) {
        throw new Error(`nodes must be a positive integer, not ${nodeCount}`);
    }
    const storageClassName = options.storageClassName ?? "standard";
    const binDir = path.resolve(options.binDir);
    for (const bin of BINARIES) {
        const p = path.join(binDir, bin);
        try {
            fs.accessSync(p, fs.constants.X_OK);
        } catch {
            throw new Error(`${p} is missing or not executable (build it with tests/e2e/toolchain/build.sh)`);
        }
    }

    const layout = new Layout(options.workDir, binDir, name);
    fs.mkdirSync(layout.workDir, { recursive: true });
    installExitHook();

    // A cluster of this name left by a crashed run: delete it and whatever of it still runs.
    if (fs.existsSync(layout.clusterDir) || findClusterProcesses(layout.clusterDir).length > 0) {
        log(`deleting a leftover cluster ${name} in ${layout.workDir}`);
        await deleteCluster(layout, log);
    }
    fs.rmSync(layout.kubeconfigPath, { force: true });
    fs.writeFileSync(layout.logPath, "");
    layout.writeKubectlStandin();
    const reserved = await reservePorts(6);
    // Stops the waits still running when another one failed.
    const abort = new AbortController();
    running.add(layout.clusterDir);
    let cluster: LocalClusterImpl | undefined;
    try {
        const [apiserverPort, etcdPort, etcdPeerPort, kwokPort, controllerManagerPort, schedulerPort] = reserved.ports;
        // bindAddress and etcdPeerPort have no command-line flag: the options go in a config file.
        fs.writeFileSync(layout.configPath, [
            "apiVersion: config.kwok.x-k8s.io/v1alpha1",
            "kind: KwokctlConfiguration",
            "options:",
            "  bindAddress: 127.0.0.1",
            `  kubeApiserverPort: ${apiserverPort}`,
            `  etcdPort: ${etcdPort}`,
            `  etcdPeerPort: ${etcdPeerPort}`,
            `  kwokControllerPort: ${kwokPort}`,
            `  kubeControllerManagerPort: ${controllerManagerPort}`,
            `  kubeSchedulerPort: ${schedulerPort}`,
            "",
        ].join("\n"));

        const bin = (b: string): string => path.join(binDir, b);
        const args = [
            "--name", name,
            "--config", layout.configPath,
            "create", "cluster",
            "--runtime", "binary",
            "--etcd-binary", bin("etcd"),
            "--kube-apiserver-binary", bin("kube-apiserver"),
            "--kube-controller-manager-binary", bin("kube-controller-manager"),
            "--kube-scheduler-binary", bin("kube-scheduler"),
            "--kwok-controller-binary", bin("kwok"),
            "--enable-crds", "PortForward,ClusterPortForward",
            "--extra-args", "kube-controller-manager=enable-hostpath-provisioner=true",
            // The PV controller sometimes leaves a released PV to its periodic sync (15 s by default).
            "--extra-args", "kube-controller-manager=pvclaimbinder-sync-period=1s",
            "--extra-args", "kube-apiserver=advertise-address=127.0.0.1",
            // One instance each: leader election only delays the start (it retries every 2 s).
            "--extra-args", "kube-controller-manager=leader-elect=false",
            "--extra-args", "kube-scheduler=leader-elect=false",
            "--kubeconfig", layout.contextsPath,
            "--timeout", `${Math.ceil(remaining() / 1000)}s`,
        ];
        log(`kwokctl ${args.join(" ")}`);
        await reserved.release();
        const run = await runKwokctl(layout.kwokctl, args, layout.env, remaining(), layout.logPath);
        if (run.code !== 0) {
            throw new Error(`kwokctl create cluster exited ${run.code}:\n${run.output.trim()}`);
        }
        const kwokKubeconfig = fs.readFileSync(path.join(layout.clusterDir, "kubeconfig.yaml"), "utf8");
        const server = readField(kwokKubeconfig, "server");
        const context = readField(kwokKubeconfig, "current-context") ?? `kwok-${name}`;
        if (server !== `https://127.0.0.1:${apiserverPort}`) {
            throw new Error(`unexpected apiserver address ${server} in ${layout.clusterDir}/kubeconfig.yaml`);
        }
        const pki = path.join(layout.clusterDir, "pki");
        const ca = fs.readFileSync(path.join(pki, "ca.crt"));
        const cert = fs.readFileSync(path.join(pki, "admin.crt"));
        const key = fs.readFileSync(path.join(pki, "admin.key"));
        const kubeconfig = selfContainedKubeconfig(server, context, ca, cert, key);
        fs.writeFileSync(layout.kubeconfigPath, kubeconfig, { mode: 0o600 });

        await waitFor("the apiserver to be ready", remaining(), async () => {
            const res = await httpsGet(`${server}/readyz`, ca, cert, key);
            return res.status === 200 ? true : undefined;
        });
        log(`apiserver ready at ${server} after ${Date.now() - started} ms`);

        const nodeNames = Array.from({ length: nodeCount }, (_, i) => `kwok-node-${i}`);
        cluster = new LocalClusterImpl(layout, kubeconfig, context, server, nodeNames, storageClassName, 0, log, options.keepLogsIn);
        const kc = cluster.kubeConfig();
        const k8s = clientModule();
        const core = kc.makeApiClient(k8s.CoreV1Api);
        const storage = kc.makeApiClient(k8s.StorageV1Api);

        await Promise.all(nodeNames.map(nodeName => core.createNode({
            body: {
                apiVersion: "v1",
                kind: "Node",
                metadata: {
                    name: nodeName,
                    annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
                    labels: {
                        "kubernetes.io/hostname": nodeName,
                        "kubernetes.io/os": "linux",
                        "kubernetes.io/arch": "amd64",
                        "kubernetes.io/role": "agent",
                        "node-role.kubernetes.io/agent": "",
                        type: "kwok",
                    },
                },
                spec: {},
            },
        })));
        await storage.createStorageClass({
            body: {
                apiVersion: "storage.k8s.io/v1",
                kind: "StorageClass",
                metadata: { name: storageClassName, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
                provisioner: "kubernetes.io/host-path",
                reclaimPolicy: "Delete",
                volumeBindingMode: "Immediate",
                // Lets the API accept a resize request; the host-path plugin cannot expand, so the capacity
                // in the PVC's status stays as provisioned.
                allowVolumeExpansion: true,
            },
        });
        for (const forward of options.portForwards ?? []) {
            await applyPortForward(kc, forward);
        }

        // Nodes Ready and untainted (the node lifecycle controller drops not-ready taints), and the
        // controller manager running (it creates the default ServiceAccount): pods can then be admitted,
        // scheduled and started.
        const nodesReady = waitFor("the kwok nodes to be Ready", remaining(), async () => {
            const nodes = await core.listNode();
            const ready = nodes.items.filter(n =>
                nodeNames.includes(n.metadata?.name ?? "") &&
                (n.status?.conditions ?? []).some(c => c.type === "Ready" && c.status === "True") &&
                !(n.spec?.taints ?? []).some(t => t.key.startsWith("node.kubernetes.io/")));
            return ready.length === nodeNames.length ? true : undefined;
        }, 200, abort.signal).then(() => log(`nodes Ready after ${Date.now() - started} ms`));
        const probe = probePortForward(kc, nodeNames[0], remaining(), abort.signal)
            .then(ms => log(`port-forward through the apiserver works after ${Date.now() - started} ms (probe took ${ms} ms)`));
        await Promise.all([nodesReady, probe]);
        cluster.startMs = Date.now() - started;
        log(`cluster ${name} ready in ${cluster.startMs} ms`);
        return cluster;
    } catch (err) {
        abort.abort();
        await reserved.release();
        const message = `starting the local cluster ${name} failed: ${describeError(err)}\n` +
            `(kwokctl log: ${layout.logPath}; component logs: ${path.join(layout.clusterDir, "logs")})`;
        const logsCopy = options.keepLogsIn ?? path.join(layout.workDir, `${name}-failed-logs`);
        try {
            await deleteCluster(layout, log, logsCopy);
        } finally {
            running.delete(layout.clusterDir);
            fs.rmSync(layout.kubeconfigPath, { force: true });
            fs.rmSync(layout.configPath, { force: true });
        }
        throw new Error(message.replace(path.join(layout.clusterDir, "logs"), logsCopy));
    }
}
