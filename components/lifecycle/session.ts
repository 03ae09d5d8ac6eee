/**
 * One lifecycle step's connection to the cluster: the Kubernetes objects, and TDengine's REST API reached
 * either through a port-forward to a ready, staying pod (the default: works from any machine that can run
 * kubectl) or at a URL the user gave (programs that run inside the cluster).
 */
import { ClusterObjects, KubeClusterObjects, PodState, Tunnel } from "../kube/cluster-objects";
import { DnodeAddressing, REST_PORT, podName } from "../names";
import { TDengineAuthError, TDengineUnreachableError } from "../tdengine/errors";
import { RetryPolicy, TDengineRest } from "../tdengine/rest";
import { TDengine } from "../tdengine/types";
import { runTransaction } from "./transaction";
import { Progress } from "./wait";

/** What both lifecycle steps receive from the component (their dynamic resources' inputs). */
export interface LifecycleInputs {
    /** The component's name: the instance label of its pods. */
    instance: string;
    namespace: string;
    statefulSet: string;
    headlessService: string;
    clusterDomain: string;
    /** The number of dnodes wanted. */
    replicas: number;
    /** The root password wanted (a secret). */
    password: string;
    /** Every data volume's size, a Kubernetes quantity. */
    storageSize: string;
    /** The StorageClass asked for; undefined = the cluster's default. */
    storageClassName?: string;
    restUrl?: string;
    kubeconfig?: string;
    context?: string;
    dropDnodeTimeoutSeconds: number;
    readyTimeoutSeconds: number;
    retainVolumesOnDestroy: boolean;
    /** The image of the pod template (`image`). Optional: steps created by an older version lack it. */
    image?: string;
    /** A hash of the pod template: it changes whenever the pods must restart, so the step after runs. */
    podTemplateHash?: string;
    /** `upgrade.version`: the TDengine version `image` runs, when its tag does not say. */
    upgradeVersion?: string;
    /** `upgrade.allowOffline`. */
    allowOfflineUpgrade?: boolean;
    /** `upgrade.unknownVersionChange`; default "feature". */
    unknownVersionChange?: "feature" | "maintenance";
    /** `lifecycle.rebalanceAfterScaleUp`; default true. */
    rebalanceAfterScaleUp?: boolean;
}

export function addressingOf(inputs: LifecycleInputs): DnodeAddressing {
    return {
        namespace: inputs.namespace,
        statefulSet: inputs.statefulSet,
        headlessService: inputs.headlessService,
        clusterDomain: inputs.clusterDomain,
    };
}

export function clusterObjectsOf(inputs: LifecycleInputs): ClusterObjects {
    return new KubeClusterObjects({ kubeconfig: inputs.kubeconfig, context: inputs.context },
        inputs.namespace, inputs.statefulSet, inputs.instance);
}

/** How a step reaches TDengine: a base URL, and what to close afterwards. */
export interface Route {
    url: string;
    /** For messages: "a port-forward to pod tdengine-0 in namespace db (kube context x)". */
    via: string;
    close(): void;
}

/** Opens the way to TDengine: the user's URL, or a port-forward to the lowest-ordinal ready, staying pod. */
export async function openRoute(kube: ClusterObjects, inputs: LifecycleInputs): Promise<Route> {
    if (inputs.restUrl !== undefined && inputs.restUrl !== "") {
        return { url: inputs.restUrl, via: inputs.restUrl, close: () => undefined };
    }
    const usable = (pods: PodState[]): PodState[] => pods.filter(p => p.ready && !p.terminating && p.ordinal < inputs.replicas);
    const pods = await kube.pods();
    const pod = usable(pods)[0];
    if (pod === undefined) {
        const seen = pods.length === 0 ? "no pods" : pods.map(p => `${p.name} ${p.terminating ? "terminating" : p.ready ? "ready" : "not ready"}`).join(", ");
        throw new TDengineUnreachableError({
            url: `pod ${podName(addressingOf(inputs), 0)}..${inputs.replicas - 1}:${REST_PORT} in ${kube.describe()}`,
            statement: "(choosing a pod to port-forward to)",
            attempts: 1,
            elapsedMs: 0,
            lastError: `no ready pod among those that stay (${seen})`,
        });
    }
    // A forward that fails (taosAdapter not listening yet, the pod going away) moves to another ready pod.
    const tunnel: Tunnel = await kube.openTunnel(pod.name, REST_PORT, async () => usable(await kube.pods()).map(p => p.name));
    const where = kube.describe();
    return {
        url: tunnel.url,
        get via() { return `a port-forward to pod ${tunnel.pod} port ${REST_PORT} in ${where}`; },
        close: () => tunnel.close(),
    };
}

export interface ConnectOptions {
    route: Route;
    inputs: LifecycleInputs;
    /** Passwords root may still have: the one before a change, TDengine's default. Tried in order. */
    previousPasswords: string[];
    progress: Progress;
    /** The REST client's retries; undefined = its default. */
    retry?: RetryPolicy;
}

/**
 * Logs in with the wanted password; when TDengine refuses it but accepts a previous one, rotates it with
 * `alter user root pass` (the image applies TAOS_ROOT_PASSWORD only on the first start, and docs/tdengine.md#alter-user-pass
 * shows the old password refused afterwards), so TDengine, the Secret and the steps agree again.
 */
export async function connectTDengine(o: ConnectOptions): Promise<TDengine> {
    const client = (password: string): TDengineRest => new TDengineRest({
        url: o.route.url,
        password,
        dropDnodeTimeoutMs: o.inputs.dropDnodeTimeoutSeconds * 1000,
        // `balance vgroup` moves vnodes as a drop does, and blocks as long.
        balanceVgroupTimeoutMs: o.inputs.dropDnodeTimeoutSeconds * 1000,
        log: o.progress,
        retry: o.retry,
    });
    const wanted = client(o.inputs.password);
    try {
        await wanted.clusterAlive();
        return wanted;
    } catch (err) {
        if (err instanceof TDengineUnreachableError) {
            throw new TDengineUnreachableError({ ...err, url: o.route.via, lastError: err.lastError });
        }
        if (!(err instanceof TDengineAuthError)) {
            throw err;
        }
        for (const previous of o.previousPasswords.filter(p => p !== o.inputs.password)) {
            const old = client(previous);
            if (await accepts(old)) {
                o.progress("root password changed: rotating it in TDengine (alter user root pass)");
                await rotatePassword(old, wanted, o);
                return wanted;
            }
        }
        throw new TDengineAuthError({ ...err, desc: `${err.desc} (tried the rootPassword set now` +
            `${o.previousPasswords.length > 0 ? " and the one before it" : ""})`, user: err.user, url: o.route.via });
    }
}

/**
 * `alter user root pass` under the transaction rule: after a lost answer, a login with the new password
 * says whether it was done (docs/tdengine.md#alter-user-pass: the old one is refused from then on).
 */
async function rotatePassword(old: TDengineRest, wanted: TDengineRest, o: ConnectOptions): Promise<void> {
    await runTransaction({
        what: "alter user root pass",
        send: () => old.alterRootPassword(o.inputs.password),
        look: async () => (await accepts(wanted)) ? "done" : "unchanged",
    }, { timeoutMs: o.inputs.readyTimeoutSeconds * 1000, progress: o.progress });
}

async function accepts(td: TDengineRest): Promise<boolean> {
    try {
        await td.clusterAlive();
        return true;
    } catch (err) {
        if (err instanceof TDengineAuthError) {
            return false;
        }
        throw err;
    }
}
