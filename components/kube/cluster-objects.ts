/**
 * What the lifecycle needs from Kubernetes, for one TDengine cluster: its StatefulSet's size, its pods,
 * its data volumes, and a way into a pod's REST port. Written against @kubernetes/client-node, which is
 * loaded inside each function: this code runs in a serialized dynamic provider, where a module captured
 * at load time (or a KubeConfig instance) does not survive serialization.
 */
import type * as k8sClient from "@kubernetes/client-node";
import * as net from "node:net";
import { TDENGINE_CONTAINER, ordinalOfPod, ordinalOfPvc, selectorLabels } from "../names";

/** The label the StatefulSet controller puts on each pod: the revision of the template it was made from. */
const REVISION_LABEL = "controller-revision-hash";

/** Which Kubernetes API to talk to: the same kubeconfig and context as the component's provider. */
export interface KubeTarget {
    /** Kubeconfig contents or a path to one; undefined = `KUBECONFIG` or ~/.kube/config. */
    kubeconfig?: string;
    /** A context of that kubeconfig; undefined = its current context. */
    context?: string;
}

export interface PodState {
    name: string;
    ordinal: number;
    ready: boolean;
    /** Being deleted: not a place to send requests. */
    terminating: boolean;
    /** Its `controller-revision-hash` label: the StatefulSet revision (pod template) it was created from. */
    revision?: string;
    /** The image of its TDengine container. */
    image?: string;
}

/** What the StatefulSet says about its pod template. */
export interface StatefulSetState {
    replicas: number;
    /** The template's image (the TDengine container's). */
    image?: string;
    /** `status.updateRevision`: the revision of the current pod template; pods on another one are outdated. */
    updateRevision?: string;
    /** False until the controller has seen the latest spec (`status.observedGeneration` < `metadata.generation`). */
    observed: boolean;
}

export interface VolumeState {
    name: string;
    ordinal: number;
    /** `spec.resources.requests.storage`: the size asked for (a resize in progress included). */
    size?: string;
    storageClassName?: string;
}

/** A local URL that reaches a pod's port; close it when done. */
export interface Tunnel {
    url: string;
    close(): void;
}

/** The Kubernetes side of one cluster, as the lifecycle steps see it. */
export interface ClusterObjects {
    /** The StatefulSet's `spec.replicas`, or undefined when there is no StatefulSet (yet, or any more). */
    statefulSetReplicas(): Promise<number | undefined>;
    /** The StatefulSet's template image and revisions, or undefined when there is no StatefulSet. */
    statefulSetState(): Promise<StatefulSetState | undefined>;
    pods(): Promise<PodState[]>;
    /** The StatefulSet's data PVCs (`taosdata-<sts>-<ordinal>`). */
    dataVolumes(): Promise<VolumeState[]>;
    deleteVolume(name: string): Promise<void>;
    /** Asks for a larger volume (the StorageClass must allow expansion). */
    resizeVolume(name: string, size: string): Promise<void>;
    /** Deletes a pod; its StatefulSet starts it again. */
    deletePod(name: string): Promise<void>;
    /** A port-forward to a pod's port through the API server. */
    openTunnel(pod: string, port: number): Promise<Tunnel>;
    /** Where this talks to, for messages: context and namespace, never credentials. */
    describe(): string;
}

type ClientModule = typeof k8sClient;

function clientModule(): ClientModule {
    // client-node 1.x is an ES module: Node 20.19+ loads it with require(); a default import would not
    // survive pulumi.runtime.serializeFunction.
    return require("@kubernetes/client-node") as ClientModule; // eslint-disable-line @typescript-eslint/no-require-imports
}

/** Loads the kubeconfig the way the Kubernetes provider does: contents or a path, else the default. */
export function loadKubeConfig(target: KubeTarget): k8sClient.KubeConfig {
    const k8s = clientModule();
    const kc = new k8s.KubeConfig();
    const given = target.kubeconfig?.trim();
    if (given === undefined || given === "") {
        kc.loadFromDefault();
    } else if (given.includes("\n") || given.startsWith("{")) {
        kc.loadFromString(given);
    } else {
        kc.loadFromFile(given);
    }
    if (target.context !== undefined && target.context !== "") {
        kc.setCurrentContext(target.context);
    }
    return kc;
}

function isNotFound(err: unknown): boolean {
    return typeof err === "object" && err !== null && (err as { code?: unknown }).code === 404;
}

/** Deleting what is already gone is done. */
async function deleteIgnoringNotFound(del: () => Promise<unknown>): Promise<void> {
    try {
        await del();
    } catch (err) {
        if (!isNotFound(err)) {
            throw err;
        }
    }
}

/** The objects of the StatefulSet `statefulSet` in `namespace`, through the API server `target` names. */
export class KubeClusterObjects implements ClusterObjects {
    constructor(private readonly target: KubeTarget, private readonly namespace: string, private readonly statefulSet: string,
        private readonly instance: string) { }

    describe(): string {
        const kc = loadKubeConfig(this.target);
        return `namespace ${this.namespace} (kube context ${kc.getCurrentContext() || "default"})`;
    }

    async statefulSetReplicas(): Promise<number | undefined> {
        const k8s = clientModule();
        const apps = loadKubeConfig(this.target).makeApiClient(k8s.AppsV1Api);
        try {
            const sts = await apps.readNamespacedStatefulSet({ name: this.statefulSet, namespace: this.namespace });
            return sts.spec?.replicas ?? 1;
        } catch (err) {
            if (isNotFound(err)) {
                return undefined;
            }
            throw err;
        }
    }

    async statefulSetState(): Promise<StatefulSetState | undefined> {
        const apps = loadKubeConfig(this.target).makeApiClient(clientModule().AppsV1Api);
        try {
            const sts = await apps.readNamespacedStatefulSet({ name: this.statefulSet, namespace: this.namespace });
            return {
                replicas: sts.spec?.replicas ?? 1,
                image: sts.spec?.template.spec?.containers.find(c => c.name === TDENGINE_CONTAINER)?.image,
                updateRevision: sts.status?.updateRevision,
                observed: (sts.status?.observedGeneration ?? 0) >= (sts.metadata?.generation ?? 0),
            };
        } catch (err) {
            if (isNotFound(err)) {
                return undefined;
            }
            throw err;
        }
    }

    async pods(): Promise<PodState[]> {
        const k8s = clientModule();
        const core = loadKubeConfig(this.target).makeApiClient(k8s.CoreV1Api);
        const labelSelector = Object.entries(selectorLabels(this.instance)).map(([k, v]) => `${k}=${v}`).join(",");
        const list = await core.listNamespacedPod({ namespace: this.namespace, labelSelector });
        const pods: PodState[] = [];
        for (const pod of list.items) {
            const name = pod.metadata?.name ?? "";
            const ordinal = ordinalOfPod(this.statefulSet, name);
            if (ordinal === undefined) {
                continue;
            }
            const ready = (pod.status?.conditions ?? []).some(c => c.type === "Ready" && c.status === "True");
            pods.push({
                name, ordinal, ready, terminating: pod.metadata?.deletionTimestamp !== undefined,
                revision: pod.metadata?.labels?.[REVISION_LABEL],
                image: pod.spec?.containers.find(c => c.name === TDENGINE_CONTAINER)?.image,
            });
        }
        return pods.sort((a, b) => a.ordinal - b.ordinal);
    }

    async dataVolumes(): Promise<VolumeState[]> {
        const k8s = clientModule();
        const core = loadKubeConfig(this.target).makeApiClient(k8s.CoreV1Api);
        const list = await core.listNamespacedPersistentVolumeClaim({ namespace: this.namespace });
        const volumes: VolumeState[] = [];
        for (const pvc of list.items) {
            const name = pvc.metadata?.name ?? "";
            const ordinal = ordinalOfPvc(this.statefulSet, name);
            if (ordinal !== undefined && pvc.metadata?.deletionTimestamp === undefined) {
                volumes.push({ name, ordinal, size: pvc.spec?.resources?.requests?.storage, storageClassName: pvc.spec?.storageClassName });
            }
        }
        return volumes.sort((a, b) => a.ordinal - b.ordinal);
    }

    async deleteVolume(name: string): Promise<void> {
        const core = loadKubeConfig(this.target).makeApiClient(clientModule().CoreV1Api);
        await deleteIgnoringNotFound(() => core.deleteNamespacedPersistentVolumeClaim({ name, namespace: this.namespace }));
    }

    async resizeVolume(name: string, size: string): Promise<void> {
        const k8s = clientModule();
        const core = loadKubeConfig(this.target).makeApiClient(k8s.CoreV1Api);
        await core.patchNamespacedPersistentVolumeClaim(
            { name, namespace: this.namespace, body: { spec: { resources: { requests: { storage: size } } } } },
            k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch));
    }

    async deletePod(name: string): Promise<void> {
        const core = loadKubeConfig(this.target).makeApiClient(clientModule().CoreV1Api);
        await deleteIgnoringNotFound(() => core.deleteNamespacedPod({ name, namespace: this.namespace }));
    }

    async openTunnel(pod: string, port: number): Promise<Tunnel> {
        const k8s = clientModule();
        const forward = new k8s.PortForward(loadKubeConfig(this.target));
        const namespace = this.namespace;
        const sockets = new Set<net.Socket>();
        // One port-forward stream per local connection: a stream that dies (a long `drop dnode`) takes
        // only its own request with it, and the next request opens a fresh one.
        const server = net.createServer(socket => {
            sockets.add(socket);
            socket.on("close", () => sockets.delete(socket));
            socket.on("error", () => socket.destroy());
            forward.portForward(namespace, pod, [port], socket, null, socket)
                .then(ws => {
                    const close = (): void => {
                        const open = typeof ws === "function" ? ws() : ws;
                        open?.close();
                    };
                    socket.on("close", close);
                })
                .catch(() => socket.destroy());
        });
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, "127.0.0.1", () => resolve());
        });
        const address = server.address() as net.AddressInfo;
        return {
            url: `http://127.0.0.1:${address.port}`,
            close: () => {
                server.close();
                for (const socket of sockets) {
                    socket.destroy();
                }
            },
        };
    }
}
