/**
 * Smoke test of the e2e cluster harness: a real control plane on loopback (kwokctl, binary runtime), a
 * StatefulSet like TDengine's with its PVCs, port-forward to pod port 6041, the pod watcher, scale-down
 * and PVC clean-up, and a stop that leaves no process behind.
 *
 *   cd /work/main && npx mocha --no-config -r ts-node/register/transpile-only --timeout 600000 \
 *     tests/e2e/cluster/local-cluster.test.ts
 *
 * Binaries: $E2E_TOOLCHAIN_BIN, else $PULUMI_TDENGINE_TOOLCHAIN/bin, else
 * ~/.cache/pulumi-tdengine-toolchain/bin (tests/e2e/toolchain/build.sh).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import type * as k8sClient from "@kubernetes/client-node";
import { KubeClusterObjects } from "../../../components/kube/cluster-objects";
import { clientModule } from "../../../components/kube/cluster-objects";
import { poll } from "../../poll";
import { toolchainBin } from "../harness/pulumi";
import { findClusterProcesses, LocalCluster, startLocalCluster } from "./local-cluster";
import { PodWatcher, StartedPod, StoppedPod, watchPods } from "./pod-watcher";

const NAMESPACE = "tdengine-e2e";
const STS = "x";
const LABELS = { "app.kubernetes.io/name": "tdengine", "app.kubernetes.io/instance": STS };
const SELECTOR = "app.kubernetes.io/name=tdengine";

/** Polls every 200 ms until `fn` returns a value (the e2e cluster's pace). */
function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
    return poll(what, fn, { timeoutMs, intervalMs: 200 });
}

/** A local HTTP server standing in for a pod's REST port: answers who it is and what was asked. */
async function startTarget(id: string): Promise<{ server: http.Server; port: number }> {
    const server = http.createServer((req, res) => {
        const body = JSON.stringify({ target: id, method: req.method, url: req.url });
        res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
        res.end(body);
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
    });
    return { server, port: (server.address() as net.AddressInfo).port };
}

function httpGet(port: number, urlPath: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = http.get({ host: "127.0.0.1", port, path: urlPath, agent: false, timeout: 5000 }, res => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
            res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", reject);
    });
}

/**
 * GET through a port-forward to pod:6041 (the component's own tunnel, as the lifecycle steps open it),
 * retried while kwok's informer catches up with a new forward.
 */
async function getThroughPod(kubeconfig: string, pod: string, urlPath: string, expectTarget: string): Promise<Record<string, unknown>> {
    const tunnel = await new KubeClusterObjects({ kubeconfig }, NAMESPACE, STS, STS).openTunnel(pod, 6041);
    try {
        return await until(`a port-forward to ${pod}:6041 answered by ${expectTarget}`, 20_000, async () => {
            const res = await httpGet(Number(new URL(tunnel.url).port), urlPath);
            const body = JSON.parse(res.body) as Record<string, unknown>;
            return res.status === 200 && body.target === expectTarget ? body : undefined;
        });
    } finally {
        tunnel.close();
    }
}

describe("e2e local cluster (kwokctl binary runtime on loopback)", function () {
    this.timeout(600_000);

    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "tdengine-e2e-cluster-"));
    let cluster: LocalCluster | undefined;
    let kc: k8sClient.KubeConfig;
    let watcher: PodWatcher | undefined;
    const targets: http.Server[] = [];
    const started: StartedPod[] = [];
    const stopped: StoppedPod[] = [];
    const timings: Record<string, number> = {};
    let clusterDir = "";

    before(async () => {
        const target = await startTarget("target-a");
        targets.push(target.server);
        const t0 = Date.now();
        cluster = await startLocalCluster({
            workDir,
            binDir: toolchainBin(),
            name: "smoke",
            portForwards: [{ podPort: 6041, targetPort: target.port }],
            log: line => console.log(`      [cluster] ${line}`),
        });
        timings.startMs = Date.now() - t0;
        clusterDir = cluster.clusterDir;
        kc = cluster.kubeConfig();
    });

    after(async () => {
        await watcher?.stop();
        if (cluster !== undefined) {
            const t0 = Date.now();
            await cluster.stop();
            timings.stopMs ??= Date.now() - t0;
        }
        for (const server of targets) {
            server.close();
        }
        fs.rmSync(workDir, { recursive: true, force: true });
        console.log(`      timings: ${JSON.stringify(timings)}`);
    });

    it("serves the API on 127.0.0.1 from the toolchain's processes", async () => {
        const c = cluster as LocalCluster;
        assert.match(c.server, /^https:\/\/127\.0\.0\.1:\d+$/);
        const version = await kc.makeApiClient(clientModule().VersionApi).getCode();
        assert.equal(version.gitVersion.replace(/^v/, "").split(".").slice(0, 2).join("."), "1.36");
        const commands = new Set(c.processes().map(p => p.command));
        for (const component of ["etcd", "kube-apiserver", "kube-controller", "kube-scheduler", "kwok"]) {
            assert.ok([...commands].some(cmd => cmd.startsWith(component)), `${component} runs (${[...commands].join(", ")})`);
        }
        const nodes = await kc.makeApiClient(clientModule().CoreV1Api).listNode();
        assert.deepEqual(nodes.items.map(n => n.metadata?.name).sort(), ["kwok-node-0", "kwok-node-1", "kwok-node-2"]);
    });

    it("runs a 3-replica StatefulSet: pods Ready, PVCs Bound through the default StorageClass", async () => {
        const k8s = clientModule();
        const core = kc.makeApiClient(k8s.CoreV1Api);
        const apps = kc.makeApiClient(k8s.AppsV1Api);
        await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
        watcher = watchPods({
            kubeconfig: (cluster as LocalCluster).kubeconfig,
            namespace: NAMESPACE,
            labelSelector: SELECTOR,
            volumeName: "taosdata",
            onStarted: pod => {
                started.push(pod);
            },
            onStopped: pod => {
                stopped.push(pod);
            },
            onError: err => console.log(`      [watcher] ${String(err)}`),
        });
        await watcher.synced;
        await core.createNamespacedService({
            namespace: NAMESPACE,
            body: {
                metadata: { name: STS, labels: LABELS },
                spec: { clusterIP: "None", selector: LABELS, ports: [{ name: "rest", port: 6041 }] },
            },
        });
        const t0 = Date.now();
        await apps.createNamespacedStatefulSet({
            namespace: NAMESPACE,
            body: {
                metadata: { name: STS, labels: LABELS },
                spec: {
                    serviceName: STS,
                    replicas: 3,
                    selector: { matchLabels: LABELS },
                    template: {
                        metadata: { labels: LABELS },
                        spec: {
                            containers: [{
                                name: "tdengine",
                                image: "tdengine/tdengine:3.3.7.5",
                                ports: [{ name: "rest", containerPort: 6041 }],
                                volumeMounts: [{ name: "taosdata", mountPath: "/var/lib/taos" }],
                            }],
                        },
                    },
                    volumeClaimTemplates: [{
                        metadata: { name: "taosdata" },
                        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
                    }],
                },
            },
        });
        const pods = await until("3 pods Ready", 120_000, async () => {
            const list = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: SELECTOR });
            const ready = list.items.filter(p => p.status?.phase === "Running" &&
                (p.status.conditions ?? []).some(c => c.type === "Ready" && c.status === "True"));
            return ready.length === 3 ? ready : undefined;
        });
        timings.statefulSetReadyMs = Date.now() - t0;
        assert.deepEqual(pods.map(p => p.metadata?.name).sort(), ["x-0", "x-1", "x-2"]);
        for (const pod of pods) {
            assert.ok((cluster as LocalCluster).nodeNames.includes(pod.spec?.nodeName ?? ""), `${pod.metadata?.name} on a kwok node`);
        }

        const pvcs = await until("3 PVCs Bound", 60_000, async () => {
            const list = await core.listNamespacedPersistentVolumeClaim({ namespace: NAMESPACE });
            const bound = list.items.filter(c => c.status?.phase === "Bound");
            return bound.length === 3 ? bound : undefined;
        });
        assert.deepEqual(pvcs.map(c => c.metadata?.name).sort(), ["taosdata-x-0", "taosdata-x-1", "taosdata-x-2"]);
        for (const pvc of pvcs) {
            assert.equal(pvc.spec?.storageClassName, "standard", "the default class was filled in");
            const pv = await core.readPersistentVolume({ name: pvc.spec?.volumeName ?? "" });
            assert.equal(pv.spec?.persistentVolumeReclaimPolicy, "Delete");
            assert.match(pv.spec?.hostPath?.path ?? "", /^\/tmp\/hostpath_pv\//);
        }

        // The watcher reported each pod once, with the UID of its PVC.
        await until("3 started pods reported", 10_000, async () => (started.length >= 3 ? true : undefined));
        assert.deepEqual(started.map(p => p.name).sort(), ["x-0", "x-1", "x-2"]);
        for (const pod of started) {
            const pvc = pvcs.find(c => c.metadata?.name === `taosdata-${pod.name}`);
            assert.equal(pod.pvcName, `taosdata-${pod.name}`);
            assert.equal(pod.pvcUid, pvc?.metadata?.uid);
        }
        assert.equal(stopped.length, 0);
    });

    it("port-forwards pod port 6041 through the API server to the local target", async () => {
        const t0 = Date.now();
        const body = await getThroughPod((cluster as LocalCluster).kubeconfig, "x-0", "/rest/sql", "target-a");
        timings.firstPortForwardMs = Date.now() - t0;
        assert.deepEqual(body, { target: "target-a", method: "GET", url: "/rest/sql" });

        // Re-pointed after start. Per pod (a kwok PortForward, which comes before cluster-wide ones):
        const c = cluster as LocalCluster;
        const other = await startTarget("target-b");
        targets.push(other.server);
        await c.forwardPod(NAMESPACE, "x-1", [{ podPort: 6041, targetPort: other.port }]);
        assert.equal((await getThroughPod(c.kubeconfig, "x-1", "/x1", "target-b")).url, "/x1");
        assert.equal((await getThroughPod(c.kubeconfig, "x-0", "/x0", "target-a")).url, "/x0");
        await c.removePodForward(NAMESPACE, "x-1");
        assert.equal((await getThroughPod(c.kubeconfig, "x-1", "/x1-again", "target-a")).url, "/x1-again");
        // Cluster-wide (the ClusterPortForward given at start, replaced by name):
        const t1 = Date.now();
        await c.forwardPodPort(6041, other.port);
        assert.equal((await getThroughPod(c.kubeconfig, "x-2", "/x2", "target-b")).url, "/x2");
        timings.reforwardMs = Date.now() - t1;
        await c.forwardPodPort(6041, Number((targets[0].address() as net.AddressInfo).port));
        assert.equal((await getThroughPod(c.kubeconfig, "x-2", "/x2-again", "target-a")).url, "/x2-again");
    });

    it("restarts a deleted pod on the same PVC: the watcher reports the old one stopped, then the new one", async () => {
        const core = kc.makeApiClient(clientModule().CoreV1Api);
        const before = started.find(p => p.name === "x-0") as StartedPod;
        await core.deleteNamespacedPod({ name: "x-0", namespace: NAMESPACE });
        const t0 = Date.now();
        await until("a new x-0 reported started", 60_000, async () =>
            (started.some(p => p.name === "x-0" && p.uid !== before.uid) ? true : undefined));
        timings.podRestartMs = Date.now() - t0;
        assert.deepEqual(stopped.map(p => [p.name, p.uid]), [["x-0", before.uid]]);
        assert.ok(["terminating", "deleted"].includes(stopped[0].reason));
        const after = started.filter(p => p.name === "x-0");
        assert.equal(after.length, 2, "each incarnation reported once");
        assert.equal(after[1].pvcUid, before.pvcUid, "the new pod runs on the same volume");
        stopped.length = 0;
    });

    it("scales down to 2: pod x-2 goes and the watcher says so", async () => {
        const k8s = clientModule();
        const apps = kc.makeApiClient(k8s.AppsV1Api);
        const core = kc.makeApiClient(k8s.CoreV1Api);
        const t0 = Date.now();
        await apps.patchNamespacedStatefulSetScale(
            { name: STS, namespace: NAMESPACE, body: { spec: { replicas: 2 } } },
            k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch));
        await until("pod x-2 gone", 60_000, async () => {
            const list = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: SELECTOR });
            return list.items.some(p => p.metadata?.name === "x-2") ? undefined : true;
        });
        timings.scaleDownMs = Date.now() - t0;
        await until("x-2 reported stopped", 10_000, async () => (stopped.some(p => p.name === "x-2") ? true : undefined));
        assert.deepEqual(stopped.map(p => p.name), ["x-2"]);
        assert.equal(stopped[0].uid, started.find(p => p.name === "x-2")?.uid);
        assert.deepEqual([...(watcher as PodWatcher).running().keys()].sort(), ["x-0", "x-1"]);
    });

    it("deletes PVC taosdata-x-2: the claim, its PV and its host-path directory go away", async () => {
        const core = kc.makeApiClient(clientModule().CoreV1Api);
        const pvc = await core.readNamespacedPersistentVolumeClaim({ name: "taosdata-x-2", namespace: NAMESPACE });
        const pvName = pvc.spec?.volumeName ?? "";
        const pv = await core.readPersistentVolume({ name: pvName });
        const dir = pv.spec?.hostPath?.path ?? "";
        assert.ok(fs.existsSync(dir), `${dir} was created by the provisioner`);
        const t0 = Date.now();
        await core.deleteNamespacedPersistentVolumeClaim({ name: "taosdata-x-2", namespace: NAMESPACE });
        await until("PVC taosdata-x-2 gone", 60_000, async () => {
            const list = await core.listNamespacedPersistentVolumeClaim({ namespace: NAMESPACE });
            return list.items.some(c => c.metadata?.name === "taosdata-x-2") ? undefined : true;
        });
        timings.pvcDeleteMs = Date.now() - t0;
        await until(`PV ${pvName} gone`, 60_000, async () => {
            const list = await core.listPersistentVolume();
            return list.items.some(v => v.metadata?.name === pvName) ? undefined : true;
        });
        timings.pvDeleteMs = Date.now() - t0;
        assert.ok(!fs.existsSync(dir), `${dir} was removed with its PV`);
        const left = await core.listNamespacedPersistentVolumeClaim({ namespace: NAMESPACE });
        assert.deepEqual(left.items.map(c => c.metadata?.name).sort(), ["taosdata-x-0", "taosdata-x-1"]);
    });

    it("stops: no etcd, kube-* or kwok process of the cluster is left, and stop() is idempotent", async () => {
        const c = cluster as LocalCluster;
        await watcher?.stop();
        watcher = undefined;
        const volumes = (await kc.makeApiClient(clientModule().CoreV1Api).listPersistentVolume()).items
            .map(v => v.spec?.hostPath?.path ?? "");
        const t0 = Date.now();
        await c.stop();
        timings.stopMs = Date.now() - t0;
        await c.stop();
        assert.deepEqual(findClusterProcesses(clusterDir), []);
        // Also by name: nothing of those programs runs from this test's work dir.
        const leftovers: string[] = [];
        for (const entry of fs.readdirSync("/proc").filter(e => /^\d+$/.test(e))) {
            try {
                const comm = fs.readFileSync(`/proc/${entry}/comm`, "utf8").trim();
                const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
                if (/^(etcd|kube-|kwok)/.test(comm) && cmdline.includes(workDir)) {
                    leftovers.push(`${entry} ${comm}`);
                }
            } catch {
                // gone
            }
        }
        assert.deepEqual(leftovers, []);
        assert.ok(!fs.existsSync(clusterDir), "the cluster's directory is removed");
        for (const dir of volumes) {
            assert.ok(!fs.existsSync(dir), `${dir} is removed`);
        }
        await assert.rejects(httpGet(Number(new URL(c.server).port), "/"), "the apiserver port is closed");
    });
});
