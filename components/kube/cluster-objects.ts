/**
 * What the lifecycle needs from Kubernetes, for one TDengine cluster: its StatefulSet's size, its pods,
 * its data volumes, and a way into a pod's REST port. Written against @kubernetes/client-node, which is
 * loaded inside each function: the provider host loads this module for every step, and a step that never
 * talks to Kubernetes does not pay for loading the client.
 */
import type * as k8sClient from "@kubernetes/client-node";
import * as net from "node:net";
import { Writable } from "node:stream";
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
    /** `metadata.uid` and `metadata.resourceVersion` when listed: a delete applies to this very object only. */
    uid?: string;
    resourceVersion?: string;
}

/** A local URL that reaches a pod's port; close it when done. */
export interface Tunnel {
    url: string;
    /** The pod new connections are forwarded to: another one after a forward to it failed. */
    readonly pod: string;
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
    /**
     * Deletes the PVC as it was listed (preconditions on its UID and resourceVersion, as
     * cockroach-operator's pruner does): true when it is gone, false when the PVC of that name is no
     * longer the one listed (the StatefulSet re-created it for a new pod meanwhile, or it changed): kept.
     */
    deleteVolume(volume: VolumeState): Promise<boolean>;
    /** Asks for a larger volume (the StorageClass must allow expansion). */
    resizeVolume(name: string, size: string): Promise<void>;
    /** Deletes a pod; its StatefulSet starts it again. */
    deletePod(name: string): Promise<void>;
    /**
     * A port-forward to a pod's port through the API server, one forward per local connection. A forward
     * the API server reports failed (on the error channel: nothing listens on the port yet, the pod is
     * gone) ends its connection at once, so the client sees a reset instead of waiting out its timeout,
     * and the next connection goes to the first of `alternatives()` that has not failed (the same pod
     * when there is no other).
     */
    openTunnel(pod: string, port: number, alternatives?: () => Promise<string[]>): Promise<Tunnel>;
    /** Where this talks to, for messages: context and namespace, never credentials. */
    describe(): string;
}

type ClientModule = typeof k8sClient;

/** The Kubernetes client library; the one loader of it in the repository (the e2e harness uses it too). */
export function clientModule(): ClientModule {
    // Loaded on first use, not at import: the program imports this module's types but never talks to the
    // API server itself, and client-node costs about 0.5 s to load (README, Performance).
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

/** The API server's 409 for a delete whose preconditions (UID, resourceVersion) no longer hold. */
function isPreconditionFailed(err: unknown): boolean {
    const e = err as { code?: unknown; body?: unknown };
    return typeof err === "object" && err !== null && e.code === 409 && /Precondition failed/.test(String(e.body ?? ""));
}

/** A read of what does not exist is undefined; deleting what is already gone is done. */
export async function orUndefinedIfNotFound<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
        return await call();
    } catch (err) {
        if (isNotFound(err)) {
            return undefined;
        }
        throw err;
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
        return (await this.statefulSetState())?.replicas;
    }

    async statefulSetState(): Promise<StatefulSetState | undefined> {
        const apps = loadKubeConfig(this.target).makeApiClient(clientModule().AppsV1Api);
        const name = this.statefulSet;
        const sts = await orUndefinedIfNotFound(() => apps.readNamespacedStatefulSet({ name, namespace: this.namespace }));
        return sts === undefined ? undefined : {
            replicas: sts.spec?.replicas ?? 1,
            image: sts.spec?.template.spec?.containers.find(c => c.name === TDENGINE_CONTAINER)?.image,
            updateRevision: sts.status?.updateRevision,
            observed: (sts.status?.observedGeneration ?? 0) >= (sts.metadata?.generation ?? 0),
        };
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
                volumes.push({ name, ordinal, size: pvc.spec?.resources?.requests?.storage, storageClassName: pvc.spec?.storageClassName,
                    uid: pvc.metadata?.uid, resourceVersion: pvc.metadata?.resourceVersion });
            }
        }
        return volumes.sort((a, b) => a.ordinal - b.ordinal);
    }

    async deleteVolume(volume: VolumeState): Promise<boolean> {
        const core = loadKubeConfig(this.target).makeApiClient(clientModule().CoreV1Api);
        const preconditions = { uid: volume.uid, resourceVersion: volume.resourceVersion };
        try {
            await orUndefinedIfNotFound(() => core.deleteNamespacedPersistentVolumeClaim({ name: volume.name, namespace: this.namespace,
                body: { preconditions } }));
            return true;
        } catch (err) {
            if (isPreconditionFailed(err)) {
                return false;
            }
            throw err;
        }
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
        await orUndefinedIfNotFound(() => core.deleteNamespacedPod({ name, namespace: this.namespace }));
    }

    async openTunnel(pod: string, port: number, alternatives: () => Promise<string[]> = async () => [pod]): Promise<Tunnel> {
        const k8s = clientModule();
        const forward = new k8s.PortForward(loadKubeConfig(this.target));
        const namespace = this.namespace;
        const sockets = new Set<net.Socket>();
        const failed = new Set<string>();
        let current = pod;
        let choosing: Promise<void> | undefined;
        const chooseAnother = (): Promise<void> => choosing ??= alternatives()
            .then(pods => {
                const fresh = pods.filter(p => !failed.has(p));
                if (fresh.length === 0) {
                    failed.clear(); // every pod failed once: try them again in order
                }
                current = (fresh.length > 0 ? fresh : pods)[0] ?? current;
            }, () => undefined)
            .finally(() => { choosing = undefined; });
        // One port-forward stream per local connection: a stream that dies (a long `drop dnode`) takes
        // only its own request with it, and the next request opens a fresh one.
        const server = net.createServer(socket => {
            sockets.add(socket);
            socket.on("close", () => sockets.delete(socket));
            socket.on("error", () => socket.destroy());
            // A connection made while another pod is being chosen (a client retrying at once after a refused
            // forward) waits for that choice instead of going to the pod that just refused.
            void (choosing ?? Promise.resolve()).then(() => forwardTo(socket, current));
        });
        const forwardTo = (socket: net.Socket, target: string): void => {
            if (socket.destroyed) {
                return;
            }
            const forwardFailed = (): void => {
                socket.destroy();
                if (target === current && !failed.has(target)) {
                    failed.add(target);
                    void chooseAnother();
                }
            };
            const errors = new Writable({
                // The channel's first frame only names the port: client-node hands it over empty.
                write(chunk: Buffer, _encoding, done) {
                    if (chunk.length > 0) {
                        forwardFailed();
                    }
                    done();
                },
            });
            forwardSocket(forward.portForward(namespace, target, [port], socket, errors, socket))
                .then(ws => {
                    // The API server closes the stream when the pod's side ends: end ours too (after what
                    // was already written), so no request waits on a stream that is gone.
                    ws.on("close", () => socket.end());
                    ws.on("error", forwardFailed);
                    socket.on("close", () => ws.close());
                })
                .catch(forwardFailed);
        };
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, "127.0.0.1", () => resolve());
        });
        const address = server.address() as net.AddressInfo;
        return {
            url: `http://127.0.0.1:${address.port}`,
            get pod() { return current; },
            close: () => {
                server.close();
                for (const socket of sockets) {
                    socket.destroy();
                }
            },
        };
    }
}

/** The WebSocket of a port-forward (client-node returns it, or a getter for it when it retries). */
interface ForwardSocket {
    on(event: "close" | "error", listener: () => void): void;
    close(): void;
}

async function forwardSocket(forwarding: Promise<unknown>): Promise<ForwardSocket> {
    const ws = await forwarding;
    const open = typeof ws === "function" ? (ws as () => unknown)() : ws;
    if (open === null || open === undefined) {
        throw new Error("port-forward: no WebSocket");
    }
    return open as ForwardSocket;
}

