/**
 * What the backup needs from Kubernetes: the live StatefulSet's image, a volume, a pod, and the exec API
 * to run commands in it (no kubectl on the user's machine). Written against @kubernetes/client-node.
 */
import type * as k8sClient from "@kubernetes/client-node";
import { Writable } from "node:stream";
import { KubeTarget, clientModule, loadKubeConfig, orUndefinedIfNotFound } from "../kube/cluster-objects";
import { TDENGINE_CONTAINER } from "../names";

/** The backup pod as Kubernetes last reported it. */
export interface BackupPodState {
    phase: string;
    image?: string;
    terminating: boolean;
    /** Why its container is not running yet (e.g. "ImagePullBackOff: ..."), for messages. */
    waiting?: string;
}

/** Where exec output goes: one chunk of text as it arrives. */
export type ExecOutput = (text: string, stream: "stdout" | "stderr") => void;

/** The Kubernetes side of one backup. */
export interface BackupKube {
    /** The image the StatefulSet's TDengine container runs now; undefined when there is no StatefulSet. */
    statefulSetImage(statefulSet: string): Promise<string | undefined>;
    /** Creates the claim unless it exists; says which. */
    ensureVolume(claim: k8sClient.V1PersistentVolumeClaim): Promise<"created" | "exists">;
    podState(name: string): Promise<BackupPodState | undefined>;
    createPod(pod: k8sClient.V1Pod): Promise<void>;
    deletePod(name: string): Promise<void>;
    /** Runs `command` in the pod's container through the exec API; resolves to its exit code. */
    exec(pod: string, container: string, command: string[], output: ExecOutput): Promise<number>;
    /** Where this talks to, for messages: context and namespace, never credentials. */
    describe(): string;
}

export class KubeBackupObjects implements BackupKube {
    private readonly kc: k8sClient.KubeConfig;

    constructor(target: KubeTarget, private readonly namespace: string) {
        this.kc = loadKubeConfig(target);
    }

    describe(): string {
        return `namespace ${this.namespace} (kube context ${this.kc.getCurrentContext() || "default"})`;
    }

    async statefulSetImage(statefulSet: string): Promise<string | undefined> {
        const apps = this.kc.makeApiClient(clientModule().AppsV1Api);
        const sts = await orUndefinedIfNotFound(() => apps.readNamespacedStatefulSet({ name: statefulSet, namespace: this.namespace }));
        if (sts === undefined) {
            return undefined;
        }
        const containers = sts.spec?.template.spec?.containers ?? [];
        return (containers.find(c => c.name === TDENGINE_CONTAINER) ?? containers[0])?.image;
    }

    async ensureVolume(claim: k8sClient.V1PersistentVolumeClaim): Promise<"created" | "exists"> {
        const core = this.kc.makeApiClient(clientModule().CoreV1Api);
        const name = claim.metadata?.name ?? "";
        const existing = await orUndefinedIfNotFound(() => core.readNamespacedPersistentVolumeClaim({ name, namespace: this.namespace }));
        if (existing !== undefined) {
            return "exists";
        }
        await core.createNamespacedPersistentVolumeClaim({ namespace: this.namespace, body: claim });
        return "created";
    }

    async podState(name: string): Promise<BackupPodState | undefined> {
        const core = this.kc.makeApiClient(clientModule().CoreV1Api);
        const pod = await orUndefinedIfNotFound(() => core.readNamespacedPod({ name, namespace: this.namespace }));
        if (pod === undefined) {
            return undefined;
        }
        // Why it does not run: its container waits (an image pull), or it has no node yet (Unschedulable).
        const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting
            ?? pod.status?.conditions?.find(c => c.type === "PodScheduled" && c.status === "False");
        return {
            phase: pod.status?.phase ?? "Pending",
            image: pod.spec?.containers[0]?.image,
            terminating: pod.metadata?.deletionTimestamp !== undefined,
            waiting: waiting === undefined ? undefined : [waiting.reason, waiting.message].filter(Boolean).join(": "),
        };
    }

    async createPod(pod: k8sClient.V1Pod): Promise<void> {
        const core = this.kc.makeApiClient(clientModule().CoreV1Api);
        await core.createNamespacedPod({ namespace: this.namespace, body: pod });
    }

    async deletePod(name: string): Promise<void> {
        const core = this.kc.makeApiClient(clientModule().CoreV1Api);
        // The pod's shell exits on SIGTERM: the default grace period costs nothing, and the volume is released cleanly.
        await orUndefinedIfNotFound(() => core.deleteNamespacedPod({ name, namespace: this.namespace }));
    }

    exec(pod: string, container: string, command: string[], output: ExecOutput): Promise<number> {
        const k8s = clientModule();
        const sink = (stream: "stdout" | "stderr"): Writable => new Writable({
            write(chunk: Buffer, _encoding, done): void {
                output(chunk.toString("utf8"), stream);
                done();
            },
        });
        return new Promise<number>((resolve, reject) => {
            let settled = false;
            const settle = (result: number | Error): void => {
                if (!settled) {
                    settled = true;
                    if (result instanceof Error) {
                        reject(result);
                    } else {
                        resolve(result);
                    }
                }
            };
            new k8s.Exec(this.kc).exec(this.namespace, pod, container, command, sink("stdout"), sink("stderr"), null, false,
                status => settle(exitCodeOf(status, pod)))
                .then(socket => {
                    // The status channel comes before the close; a close without it means the stream was cut.
                    socket.onclose = (): void => settle(new Error(`the exec stream to pod ${pod} closed before the command's exit status ` +
                        `arrived (${this.describe()})`));
                }, (err: unknown) => settle(new Error(`could not exec in pod ${pod} (${this.describe()}): ${messageOf(err)}`)));
        });
    }
}

/**
 * The exit code in the exec API's status channel (channel 3): `Success`, or `Failure` with reason
 * `NonZeroExitCode` and the code in a cause of reason `ExitCode`. Any other failure (the command was not
 * found, the container is gone) is an error.
 */
export function exitCodeOf(status: k8sClient.V1Status, pod: string): number | Error {
    if (status.status === "Success") {
        return 0;
    }
    if (status.reason === "NonZeroExitCode") {
        const code = Number(status.details?.causes?.find(c => c.reason === "ExitCode")?.message);
        if (Number.isInteger(code)) {
            return code;
        }
    }
    return new Error(`exec in pod ${pod} failed: ${status.message ?? status.reason ?? JSON.stringify(status)}`);
}

export function messageOf(err: unknown): string {
    if (err instanceof Error) {
        return err.message;
    }
    // The websocket library reports a failed connection as an ErrorEvent, whose message says why.
    const message = typeof err === "object" && err !== null ? (err as { message?: unknown }).message : undefined;
    return typeof message === "string" ? message : String(err);
}
