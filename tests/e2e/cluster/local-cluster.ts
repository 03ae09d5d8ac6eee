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
 * never downloads anything: every binary is a local path, and the one tool it would fetch (kubectl) is a
 * small Node stand-in (kubectl-standin.js).
 *
 * This module starts a cluster and hands it over; the jobs it relies on live next to it: kwokctl.ts (the
 * kwokctl driver, a cluster's files, its deletion), port-forward.ts (kwok's port-forward redirection and
 * its probe), processes.ts (finding and stopping the cluster's processes), ports.ts (free ports).
 */
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import type * as k8sClient from "@kubernetes/client-node";
import { clientModule } from "../../../components/kube/cluster-objects";
import { poll } from "../../poll";
import { BINARIES, deleteCluster, Layout, readField, runKwokctl, selfContainedKubeconfig } from "./kwokctl";
import {
    applyPodForward, applyPortForward, PodPortForward, PortTarget, probePortForward, removePodForward, removePortForward,
} from "./port-forward";
import { reservePorts } from "./ports";
import { ClusterProcess, findClusterProcesses, forgetOnExit, killOnExit } from "./processes";

export type { ClusterProcess, PodPortForward, PortTarget };
// pod-watcher.ts takes the client library from here.
export { clientModule, findClusterProcesses };

/** What `forwardPodPort` takes besides the two ports. */
export type PortForwardOptions = Omit<PodPortForward, "podPort" | "targetPort">;

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
    forwardPodPort(podPort: number, targetPort: number, options?: PortForwardOptions): Promise<string>;
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

function describeError(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
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

    async forwardPodPort(podPort: number, targetPort: number, options: PortForwardOptions = {}): Promise<string> {
        return applyPortForward(this.kubeConfig(), { ...options, podPort, targetPort });
    }

    async removePortForward(name: string): Promise<void> {
        await removePortForward(this.kubeConfig(), name);
    }

    async forwardPod(namespace: string, pod: string, ports: PortTarget[]): Promise<void> {
        await applyPodForward(this.kubeConfig(), namespace, pod, ports);
    }

    async removePodForward(namespace: string, pod: string): Promise<void> {
        await removePodForward(this.kubeConfig(), namespace, pod);
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
        forgetOnExit(this.layout.clusterDir);
        fs.rmSync(this.layout.kubeconfigPath, { force: true });
        fs.rmSync(this.layout.configPath, { force: true });
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
    killOnExit(layout.clusterDir);
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

        await poll("the apiserver to be ready", async () => {
            const res = await httpsGet(`${server}/readyz`, ca, cert, key);
            return res.status === 200 ? true : undefined;
        }, { timeoutMs: remaining(), intervalMs: 200 });
        log(`apiserver ready at ${server} after ${Date.now() - started} ms`);

        const nodeNames = Array.from({ length: nodeCount }, (_, i) => `kwok-node-${i}`);
        cluster = new LocalClusterImpl(
            layout, kubeconfig, context, server, nodeNames, storageClassName, 0, log, options.keepLogsIn);
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
        const nodesReady = poll("the kwok nodes to be Ready", async () => {
            const nodes = await core.listNode();
            const ready = nodes.items.filter(n =>
                nodeNames.includes(n.metadata?.name ?? "") &&
                (n.status?.conditions ?? []).some(c => c.type === "Ready" && c.status === "True") &&
                !(n.spec?.taints ?? []).some(t => t.key.startsWith("node.kubernetes.io/")));
            return ready.length === nodeNames.length ? true : undefined;
        }, { timeoutMs: remaining(), intervalMs: 200, signal: abort.signal }).then(() => log(`nodes Ready after ${Date.now() - started} ms`));
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
            forgetOnExit(layout.clusterDir);
            fs.rmSync(layout.kubeconfigPath, { force: true });
            fs.rmSync(layout.configPath, { force: true });
        }
        throw new Error(message.replace(path.join(layout.clusterDir, "logs"), logsCopy));
    }
}
