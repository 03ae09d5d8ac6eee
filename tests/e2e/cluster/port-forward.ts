/**
 * Port-forward redirection in the local cluster: kwok, standing in for the kubelet, answers a
 * port-forward to a pod (through the API server, as client-node's PortForward does it) by tunnelling it
 * to a local TCP target named by a kwok ClusterPortForward (many pods) or PortForward (one pod)
 * resource. Also the probe that proves the path end to end before a cluster is handed over.
 */
import * as net from "node:net";
import { PassThrough } from "node:stream";
import type * as k8sClient from "@kubernetes/client-node";
import { clientModule } from "../../../components/kube/cluster-objects";
import { poll } from "../../poll";

const KWOK_GROUP = "kwok.x-k8s.io";
const KWOK_VERSION = "v1alpha1";

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

export async function applyPortForward(kc: k8sClient.KubeConfig, forward: PodPortForward): Promise<string> {
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

export async function applyPodForward(kc: k8sClient.KubeConfig, namespace: string, pod: string, ports: PortTarget[]): Promise<void> {
    await createOrReplace(kc, "portforwards", {
        apiVersion: `${KWOK_GROUP}/${KWOK_VERSION}`,
        kind: "PortForward",
        metadata: { name: pod, namespace },
        spec: { forwards: ports.map(forwardTarget) },
    });
}

/** Deletes a ClusterPortForward made by `applyPortForward`; gone already is fine. */
export async function removePortForward(kc: k8sClient.KubeConfig, name: string): Promise<void> {
    await deleteIgnoringNotFound(() => kc.makeApiClient(clientModule().CustomObjectsApi)
        .deleteClusterCustomObject({ group: KWOK_GROUP, version: KWOK_VERSION, plural: "clusterportforwards", name }));
}

/** Deletes the PortForward of one pod made by `applyPodForward`; gone already is fine. */
export async function removePodForward(kc: k8sClient.KubeConfig, namespace: string, pod: string): Promise<void> {
    await deleteIgnoringNotFound(() => kc.makeApiClient(clientModule().CustomObjectsApi)
        .deleteNamespacedCustomObject({ group: KWOK_GROUP, version: KWOK_VERSION, plural: "portforwards", namespace, name: pod }));
}

async function deleteIgnoringNotFound(remove: () => Promise<unknown>): Promise<void> {
    try {
        await remove();
    } catch (err) {
        if (errorCode(err) !== 404) {
            throw err;
        }
    }
}

/**
 * Proves port-forward end to end before the cluster is handed over (and waits for the kwok controller
 * to watch the PortForward resources: it starts before kwokctl creates their CRDs, and its informers
 * then back off): a pod bound to a kwok node, a ClusterPortForward for it to a local listener, and a
 * client-node port-forward that must read the listener's greeting.
 */
export async function probePortForward(
    kc: k8sClient.KubeConfig, nodeName: string, timeoutMs: number, signal: AbortSignal,
): Promise<number> {
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
        await poll("a port-forward to the probe pod", async () => {
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
        }, { timeoutMs, intervalMs: 250, signal });
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
 * One port-forward through the API server to namespace/pod:port (client-node, WebSocket) that reads the
 * first line the far end sends. Rejects with what kwok reports on the error channel.
 */
async function readLineThroughPortForward(
    kc: k8sClient.KubeConfig, namespace: string, pod: string, port: number, timeoutMs: number,
): Promise<string> {
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

function forwardTarget(port: PortTarget): { ports: number[]; target: { address: string; port: number } } {
    const address = port.targetAddress ?? "127.0.0.1";
    if (!isLoopback(address)) {
        throw new Error(`port-forward target ${address} is not a loopback address`);
    }
    return { ports: [port.podPort], target: { address, port: port.targetPort } };
}

function isLoopback(address: string): boolean {
    return address === "localhost" || address === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
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

function errorCode(err: unknown): number | undefined {
    if (typeof err === "object" && err !== null) {
        const code = (err as { code?: unknown; statusCode?: unknown }).code ?? (err as { statusCode?: unknown }).statusCode;
        return typeof code === "number" ? code : undefined;
    }
    return undefined;
}
