/**
 * A Kubernetes stand-in for the lifecycle tests: a StatefulSet controller with pods and PVCs, tied to the
 * TDengine stand-in the way the official image is (a starting pod runs taosd on its FQDN, which joins the
 * cluster; a deleted pod's taosd is gone), served over the few Kubernetes API routes the lifecycle uses,
 * so the real @kubernetes/client-node code in components/kube runs against it.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { DnodeAddressing, dnodeEndpointForOrdinal, podName, pvcNameForOrdinal } from "../../components/names";
import { versionOfImage } from "../../components/lifecycle/version";
import { TDengineStandin } from "../standin/standin";

export interface KubeEvent {
    at: number;
    kind: "pod.created" | "pod.deleted" | "pvc.created" | "pvc.deleted" | "pvc.resized" | "statefulset.scaled" | "statefulset.deleted";
    detail: string;
}

interface Volume {
    /** The endpoint whose dnode data this volume holds, once its pod has started on it. */
    dataOf?: string;
    size: string;
    storageClassName: string;
}

/** One StatefulSet, its pods and its PVCs, as the StatefulSet controller would keep them. */
export class FakeKubernetes {
    replicas: number | undefined;
    readonly pods = new Set<number>();
    readonly volumes = new Map<number, Volume>();
    readonly events: KubeEvent[] = [];
    /** Ordinals whose pods are running but not ready (e.g. a pod stuck starting). */
    readonly notReady = new Set<number>();
    private server: http.Server | undefined;

    /**
     * `restartDelayMs`: how long a deleted pod takes to run again. A real one takes many seconds
     * (grace period, scheduling, start-up), longer than TDengine takes to notice a dead dnode (4 s) and
     * elect a new mnode leader (5 s, captures/08); the default keeps that order at timeScale 0.01.
     */
    constructor(readonly standin: TDengineStandin, readonly addressing: DnodeAddressing, readonly instance: string,
        readonly restartDelayMs = 200) { }

    /** The StatefulSet's volumeClaimTemplate: what a new PVC gets (the default class fills in "standard"). */
    template = { size: "5Gi", storageClassName: "standard" };
    /** Whether the StorageClass allows volume expansion. */
    allowVolumeExpansion = true;
    /** The pod template (its image and hash) and its revision: a new template is a new updateRevision. */
    podTemplate = { image: "tdengine/tdengine:3.3.7.5", hash: "" };
    private revisionNumber = 1;
    /** Each pod deletion and what TDengine showed right before it: vgroups without a leader, dnodes not ready. */
    readonly deletions: { pod: string; leaderless: number[]; notReady: string[] }[] = [];
    /** The revision and image each pod was created from (OnDelete: a new template restarts none). */
    readonly podRevisions = new Map<number, { revision: string; image: string }>();

    get updateRevision(): string {
        return `${this.addressing.statefulSet}-r${this.revisionNumber}`;
    }

    /**
     * What the StatefulSet controller does for `spec.replicas = n`, OrderedReady: new pods in ordinal
     * order, each on its PVC (created if missing); removed pods highest ordinal first. PVCs stay.
     */
    applyStatefulSet(n: number, template: { image?: string; hash?: string } = {}): void {
        const next = { image: template.image ?? this.podTemplate.image, hash: template.hash ?? this.podTemplate.hash };
        if (next.image !== this.podTemplate.image || next.hash !== this.podTemplate.hash) {
            this.podTemplate = next;
            this.revisionNumber++;
        }
        this.replicas = n;
        this.record("statefulset.scaled", String(n));
        for (let i = 0; i < n; i++) {
            if (!this.pods.has(i)) {
                this.startPod(i);
            }
        }
        for (const i of [...this.pods].sort((a, b) => b - a)) {
            if (i >= n) {
                this.deletePod(i);
            }
        }
    }

    /** `kubectl delete statefulset`: the pods go, the PVCs stay. */
    deleteStatefulSet(): void {
        for (const i of [...this.pods].sort((a, b) => b - a)) {
            this.deletePod(i);
        }
        this.replicas = undefined;
        this.record("statefulset.deleted", this.addressing.statefulSet);
    }

    startPod(ordinal: number): void {
        const endpoint = dnodeEndpointForOrdinal(this.addressing, ordinal);
        let volume = this.volumes.get(ordinal);
        if (volume === undefined) {
            volume = { ...this.template };
            this.volumes.set(ordinal, volume);
            this.record("pvc.created", pvcNameForOrdinal(this.addressing.statefulSet, ordinal));
        }
        const listed = this.standin.state().dnodes.some(d => d.endpoint === endpoint);
        // The image's entrypoint starts taosd on whatever the volume holds (captures/18 for a dropped dnode's data).
        const data = volume.dataOf === undefined ? "fresh" : listed ? "own" : "dropped";
        this.standin.startDnode(endpoint, { data, version: versionOfImage(this.podTemplate.image)?.text });
        volume.dataOf = endpoint;
        this.pods.add(ordinal);
        this.podRevisions.set(ordinal, { revision: this.updateRevision, image: this.podTemplate.image });
        this.record("pod.created", podName(this.addressing, ordinal));
    }

    deletePod(ordinal: number): void {
        const state = this.standin.state();
        this.deletions.push({
            pod: podName(this.addressing, ordinal),
            leaderless: state.databases.flatMap(d => d.vgroups).filter(v => v.leader === null).map(v => v.id),
            notReady: state.dnodes.filter(d => d.status !== "ready").map(d => d.endpoint),
        });
        this.standin.stopDnode(dnodeEndpointForOrdinal(this.addressing, ordinal));
        this.pods.delete(ordinal);
        this.record("pod.deleted", podName(this.addressing, ordinal));
    }

    eventTime(kind: KubeEvent["kind"], detail: string): number | undefined {
        return this.events.find(e => e.kind === kind && e.detail === detail)?.at;
    }

    private record(kind: KubeEvent["kind"], detail: string): void {
        this.events.push({ at: Date.now(), kind, detail });
    }

    /** Serves the API routes the lifecycle uses; resolves to a kubeconfig (YAML) pointing at them. */
    async serve(): Promise<string> {
        this.server = http.createServer((req, res) => this.route(req, res));
        await new Promise<void>(resolve => this.server?.listen(0, "127.0.0.1", resolve));
        const port = (this.server.address() as AddressInfo).port;
        return [
            "apiVersion: v1", "kind: Config", "current-context: fake",
            // client-node refuses plain HTTP unless TLS verification is off, as for any local test server.
            "clusters:", "- name: fake", "  cluster:", `    server: http://127.0.0.1:${port}`, "    insecure-skip-tls-verify: true",
            "contexts:", "- name: fake", "  context:", "    cluster: fake", "    user: fake",
            "users:", "- name: fake", "  user:", "    token: fake-token", "",
        ].join("\n");
    }

    async close(): Promise<void> {
        await new Promise<void>(resolve => this.server ? this.server.close(() => resolve()) : resolve());
    }

    private route(req: http.IncomingMessage, res: http.ServerResponse): void {
        const url = new URL(req.url ?? "/", "http://x");
        const ns = this.addressing.namespace;
        const sts = this.addressing.statefulSet;
        const send = (status: number, body: unknown): void => {
            res.writeHead(status, { "content-type": "application/json" });
            res.end(JSON.stringify(body));
        };
        const notFound = (): void => send(404, { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 });
        if (req.method === "GET" && url.pathname === `/apis/apps/v1/namespaces/${ns}/statefulsets/${sts}`) {
            return this.replicas === undefined ? notFound()
                : send(200, {
                    apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: sts, namespace: ns, generation: this.revisionNumber },
                    spec: { replicas: this.replicas, template: { spec: { containers: [{ name: "tdengine", image: this.podTemplate.image }] } } },
                    status: { observedGeneration: this.revisionNumber, updateRevision: this.updateRevision },
                });
        }
        if (req.method === "GET" && url.pathname === `/api/v1/namespaces/${ns}/pods`) {
            const selector = url.searchParams.get("labelSelector") ?? "";
            const matches = selector.includes(`app.kubernetes.io/instance=${this.instance}`);
            const items = matches ? [...this.pods].sort().map(i => ({
                metadata: { name: podName(this.addressing, i), namespace: ns,
                    labels: { "controller-revision-hash": this.podRevisions.get(i)?.revision ?? "" } },
                spec: { containers: [{ name: "tdengine", image: this.podRevisions.get(i)?.image ?? "" }] },
                status: { conditions: [{ type: "Ready", status: this.notReady.has(i) ? "False" : "True" }] },
            })) : [];
            return send(200, { apiVersion: "v1", kind: "PodList", metadata: {}, items });
        }
        if (req.method === "GET" && url.pathname === `/api/v1/namespaces/${ns}/persistentvolumeclaims`) {
            const items = [...this.volumes.entries()].sort(([a], [b]) => a - b).map(([i, v]) => ({
                metadata: { name: pvcNameForOrdinal(sts, i), namespace: ns },
                spec: { storageClassName: v.storageClassName, resources: { requests: { storage: v.size } } },
            }));
            return send(200, { apiVersion: "v1", kind: "PersistentVolumeClaimList", metadata: {}, items });
        }
        const pod = new RegExp(`^/api/v1/namespaces/${ns}/pods/${sts}-(\\d+)$`).exec(url.pathname);
        if (req.method === "DELETE" && pod) {
            const ordinal = Number(pod[1]);
            if (!this.pods.has(ordinal)) {
                return notFound();
            }
            // The StatefulSet controller starts the deleted pod again, on its PVC.
            this.deletePod(ordinal);
            setTimeout(() => { if (this.replicas !== undefined && ordinal < this.replicas) { this.startPod(ordinal); } }, this.restartDelayMs);
            return send(200, { metadata: { name: podName(this.addressing, ordinal) } });
        }
        const pvc = new RegExp(`^/api/v1/namespaces/${ns}/persistentvolumeclaims/(.+)$`).exec(url.pathname);
        if (req.method === "PATCH" && pvc) {
            const ordinal = [...this.volumes.keys()].find(i => pvcNameForOrdinal(sts, i) === pvc[1]);
            const volume = ordinal === undefined ? undefined : this.volumes.get(ordinal);
            if (volume === undefined) {
                return notFound();
            }
            if (!this.allowVolumeExpansion) {
                return send(422, { kind: "Status", code: 422, message: `persistentvolumeclaims "${pvc[1]}" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize` });
            }
            if (!String(req.headers["content-type"] ?? "").startsWith("application/merge-patch+json")) {
                return send(415, { kind: "Status", code: 415, message: `fake apiserver: a PVC patch here must be a merge patch, got ${String(req.headers["content-type"])}` });
            }
            return void readBody(req).then(text => {
                const patch = JSON.parse(text) as { spec?: { resources?: { requests?: { storage?: string } } } };
                volume.size = patch.spec?.resources?.requests?.storage ?? volume.size;
                this.record("pvc.resized", `${pvc[1]} ${volume.size}`);
                send(200, { metadata: { name: pvc[1] } });
            });
        }
        if (req.method === "DELETE" && pvc) {
            const ordinal = [...this.volumes.keys()].find(i => pvcNameForOrdinal(sts, i) === pvc[1]);
            if (ordinal === undefined) {
                return notFound();
            }
            // kubernetes.io/pvc-protection: a PVC in use by a pod is only marked for deletion.
            if (this.pods.has(ordinal)) {
                return send(409, { kind: "Status", code: 409, message: `test refuses: ${pvc[1]} is in use by a running pod` });
            }
            this.volumes.delete(ordinal);
            this.record("pvc.deleted", pvc[1]);
            return send(200, { metadata: { name: pvc[1] } });
        }
        send(404, { kind: "Status", code: 404, message: `fake apiserver: no route for ${req.method} ${url.pathname}` });
    }
}

function readBody(req: http.IncomingMessage): Promise<string> {
    return new Promise(resolve => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    });
}

