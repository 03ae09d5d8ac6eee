/**
 * Watches pods (client-node informer: list, then watch) and tells when a pod starts and when it is gone,
 * the way the TDengine image's entrypoint sees its pod: the e2e harness uses it to tell a TDengine
 * stand-in "pod tdengine-3 started on the volume with PVC uid X" and "pod tdengine-3 is gone".
 *
 *  - started: once per pod incarnation (pod UID), when the pod is Running (or, with
 *    `startedWhen: "ready"`, Running and Ready) and not being deleted;
 *  - stopped: once per started incarnation, when the pod gets a deletionTimestamp, is deleted, ends
 *    (phase Succeeded/Failed), or is replaced by a new pod of the same name.
 *
 * Callbacks run one at a time, in event order (a callback returning a promise is awaited first), so a
 * pod's "stopped" always comes before its successor's "started".
 */
import type * as k8sClient from "@kubernetes/client-node";
import { clientModule } from "./local-cluster";

export interface StartedPod {
    name: string;
    namespace: string;
    uid: string;
    nodeName?: string;
    podIP?: string;
    /** The PVC of the watched volume (see `volumeName`), when the pod has one. */
    pvcName?: string;
    /** Its UID: a new UID is a new (empty) volume. */
    pvcUid?: string;
    /** The image of the pod's first container: what its taosd runs (a new image on a restart is an upgrade). */
    image?: string;
}

export interface StoppedPod {
    name: string;
    namespace: string;
    uid: string;
    reason: "terminating" | "deleted" | "finished" | "replaced";
}

export interface PodWatcherOptions {
    /** Kubeconfig contents (or a path to one). */
    kubeconfig: string;
    context?: string;
    namespace: string;
    /** e.g. `app.kubernetes.io/name=tdengine`; default: every pod of the namespace. */
    labelSelector?: string;
    /**
     * Which of the pod's volumes carries the PVC to report (the volumeClaimTemplate's name, e.g.
     * `taosdata`); default: the first volume backed by a PVC.
     */
    volumeName?: string;
    /** default "running" */
    startedWhen?: "running" | "ready";
    onStarted(pod: StartedPod): void | Promise<void>;
    onStopped(pod: StoppedPod): void | Promise<void>;
    /** Errors of the watch (it restarts by itself) and of the callbacks. Default: ignored. */
    onError?(err: unknown): void;
}

export interface PodWatcher {
    /** Resolves once the initial list has been delivered (pods already running are reported by then). */
    readonly synced: Promise<void>;
    /** Pods reported started and not yet stopped, by name. */
    running(): ReadonlyMap<string, StartedPod>;
    stop(): Promise<void>;
}

function loadKubeConfig(kubeconfig: string, context?: string): k8sClient.KubeConfig {
    const kc = new (clientModule().KubeConfig)();
    if (kubeconfig.includes("\n") || kubeconfig.trim().startsWith("{")) {
        kc.loadFromString(kubeconfig);
    } else {
        kc.loadFromFile(kubeconfig);
    }
    if (context !== undefined) {
        kc.setCurrentContext(context);
    }
    return kc;
}

function isStarted(pod: k8sClient.V1Pod, when: "running" | "ready"): boolean {
    if (pod.metadata?.deletionTimestamp !== undefined || pod.status?.phase !== "Running") {
        return false;
    }
    if (when === "running") {
        return true;
    }
    return (pod.status?.conditions ?? []).some(c => c.type === "Ready" && c.status === "True");
}

export function watchPods(options: PodWatcherOptions): PodWatcher {
    const k8s = clientModule();
    const kc = loadKubeConfig(options.kubeconfig, options.context);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const { namespace, labelSelector } = options;
    const when = options.startedWhen ?? "running";
    const onError = options.onError ?? ((): void => undefined);

    // Per name: the incarnation reported started (and not yet stopped).
    const started = new Map<string, StartedPod>();
    // UIDs already reported started (an incarnation is reported at most once, even if it flaps).
    const seen = new Set<string>();
    let stopped = false;
    let queue: Promise<void> = Promise.resolve();
    const enqueue = (job: () => Promise<void>): void => {
        queue = queue.then(async () => {
            if (!stopped) {
                await job();
            }
        }).catch(onError);
    };

    const stop = async (pod: StartedPod, reason: StoppedPod["reason"]): Promise<void> => {
        started.delete(pod.name);
        await options.onStopped({ name: pod.name, namespace: pod.namespace, uid: pod.uid, reason });
    };

    const pvcOf = async (pod: k8sClient.V1Pod): Promise<{ pvcName?: string; pvcUid?: string }> => {
        const volumes = (pod.spec?.volumes ?? []).filter(v => v.persistentVolumeClaim !== undefined);
        const volume = options.volumeName === undefined ? volumes[0] : volumes.find(v => v.name === options.volumeName);
        const pvcName = volume?.persistentVolumeClaim?.claimName;
        if (pvcName === undefined) {
            return {};
        }
        try {
            const pvc = await core.readNamespacedPersistentVolumeClaim({ name: pvcName, namespace });
            return { pvcName, pvcUid: pvc.metadata?.uid };
        } catch (err) {
            onError(err);
            return { pvcName };
        }
    };

    const observe = (pod: k8sClient.V1Pod): void => enqueue(async () => {
        const name = pod.metadata?.name ?? "";
        const uid = pod.metadata?.uid ?? "";
        const current = started.get(name);
        if (current !== undefined && current.uid !== uid) {
            await stop(current, "replaced");
        }
        const live = started.get(name);
        if (live !== undefined) {
            if (pod.metadata?.deletionTimestamp !== undefined) {
                await stop(live, "terminating");
            } else if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") {
                await stop(live, "finished");
            }
            return;
        }
        if (!seen.has(uid) && isStarted(pod, when)) {
            seen.add(uid);
            const entry: StartedPod = {
                name, namespace, uid,
                nodeName: pod.spec?.nodeName,
                podIP: pod.status?.podIP,
                image: pod.spec?.containers[0]?.image,
                ...await pvcOf(pod),
            };
            started.set(name, entry);
            await options.onStarted(entry);
        }
    });

    const gone = (pod: k8sClient.V1Pod): void => enqueue(async () => {
        const live = started.get(pod.metadata?.name ?? "");
        if (live !== undefined && live.uid === pod.metadata?.uid) {
            await stop(live, "deleted");
        }
    });

    let listed = false;
    let markSynced: (() => void) | undefined;
    const synced = new Promise<void>(resolve => {
        markSynced = resolve;
    });
    // After a (re)start: once a list has gone through, its events are queued; synced waits for them.
    const afterStart = (): void => {
        if (listed && markSynced !== undefined) {
            const resolve = markSynced;
            markSynced = undefined;
            void queue.then(resolve);
        }
    };
    const informer = k8s.makeInformer<k8sClient.V1Pod>(kc, `/api/v1/namespaces/${namespace}/pods`,
        async () => {
            const list = await core.listNamespacedPod({ namespace, labelSelector });
            listed = true;
            return list;
        }, labelSelector);
    informer.on("add", observe);
    informer.on("update", observe);
    informer.on("delete", gone);
    let restartTimer: NodeJS.Timeout | undefined;
    informer.on("error", (err?: unknown) => {
        if (stopped) {
            return;
        }
        onError(err);
        // client-node's informer stops on an error; start it again (it re-lists if it must).
        restartTimer = setTimeout(() => {
            restartTimer = undefined;
            if (!stopped) {
                informer.start().then(afterStart, onError);
            }
        }, 1000);
    });

    informer.start().then(afterStart, onError);

    return {
        synced,
        running: () => new Map(started),
        stop: async () => {
            stopped = true;
            if (restartTimer !== undefined) {
                clearTimeout(restartTimer);
            }
            await informer.stop();
            await queue;
        },
    };
}
