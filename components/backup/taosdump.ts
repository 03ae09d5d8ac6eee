/**
 * The backup before an upgrade, as the component's `local.Command` runs it: `node taosdump.js`, with the
 * request in its environment (request.ts). It decides itself whether this run is an upgrade that needs a
 * backup (the Command also runs on a first deploy and whenever its inputs change), and if so:
 *
 *   1. makes sure the backup volume `<statefulSet>-backup` exists (it is kept: it holds the backups);
 *   2. starts the pod `<statefulSet>-backup` on the image the cluster runs NOW, which has the taos tools
 *      of the version that wrote the data, with the volume mounted at /backup;
 *   3. checks that the image has taosdump, and says so plainly when it has not;
 *   4. runs `taosdump -A` against the client Service into /backup/<from>-to-<to>-<time>/, streaming its output;
 *   5. deletes the pod, whatever happened, and says where the backup is and how to restore it.
 *
 * The root password reaches taosdump from the component's Secret, through the pod's environment: it is
 * never in this process, a command line it builds, the exec request, or a message.
 */
import type * as k8sClient from "@kubernetes/client-node";
import { planVersionChange } from "../lifecycle/version";
import { WaitTimeoutError, waitFor } from "../lifecycle/wait";
import { NATIVE_PORT } from "../names";
import { BackupKube, KubeBackupObjects, messageOf } from "./kube";
import { BackupRequest, readBackupRequest } from "./request";

/** Where the backup volume is mounted in the backup pod, and the directory commands run in. */
export const BACKUP_MOUNT = "/backup";
/** The backup pod's container. */
export const BACKUP_CONTAINER = "taosdump";
/** The pod's variable holding the root password, filled from the Secret. Not TAOS_*: the client reads those as config. */
export const PASSWORD_VARIABLE = "BACKUP_ROOT_PASSWORD";

export interface BackupOptions {
    /** One line of progress. */
    log(line: string): void;
    /** How often to look at the backup pod while it starts or goes. Default 2 s. */
    pollMs?: number;
    /** How long the backup pod may take to run (image pull included). Default 10 minutes. */
    podTimeoutMs?: number;
    /** The clock that names the backup directory. */
    now?: () => Date;
}

export interface BackupResult {
    /** Whether taosdump ran. */
    dumped: boolean;
    /** Why (not): one sentence. */
    why: string;
    /** The backup's directory in the volume, e.g. /backup/3.3.7.5-to-3.3.8.0-20261129T225500Z. */
    directory?: string;
    volume?: string;
}

/** Whether this run needs a backup: the live StatefulSet's image against the new one, by TDengine's rules. */
export interface BackupDecision {
    dump: boolean;
    why: string;
    /** For the directory name: the versions as read from the images ("unknown" when unreadable). */
    from?: string;
    to?: string;
}

export function decideBackup(req: BackupRequest, liveImage: string | undefined): BackupDecision {
    if (liveImage === undefined) {
        return { dump: false, why: `no StatefulSet ${req.statefulSet} in namespace ${req.namespace} yet (a first deploy): ` +
            "nothing to back up" };
    }
    const change = planVersionChange(liveImage, req.image, {
        toVersion: req.version, allowOffline: req.allowOffline, unknownVersionChange: req.unknownVersionChange,
    });
    const versions = { from: change.from?.text ?? "unknown", to: change.to?.text ?? "unknown" };
    switch (change.plan) {
        case "nothing":
            return { dump: false, why: `the image stays ${req.image}: no upgrade, no backup`, ...versions };
        case "refused":
            return { dump: false, why: `the image change is refused, so nothing changes and no backup is taken: ${change.explanation}`,
                ...versions };
        case "roll":
            if (req.mode === "offline") {
                return { dump: false, why: `${change.explanation}. That is not an offline upgrade and upgrade.backup is "offline", ` +
                    "so no backup is taken (set upgrade.backup: \"always\" for a backup before every image change)", ...versions };
            }
            return { dump: true, why: `${change.explanation}. upgrade.backup is "always": every database is backed up first`, ...versions };
        case "offline":
            return { dump: true, why: `${change.explanation}. upgrade.backup is "${req.mode}": every database is backed up first`,
                ...versions };
    }
    throw new Error(`unreachable: plan ${String(change.plan)}`);
}

/** The volume and pod names of a StatefulSet's backups. */
export function backupName(statefulSet: string): string {
    return `${statefulSet}-backup`;
}

function backupLabels(req: BackupRequest): Record<string, string> {
    // Not the cluster's selector labels: the client Service and the PDB must never pick this pod.
    return {
        "app.kubernetes.io/name": "tdengine-backup",
        "app.kubernetes.io/instance": req.instance,
        "app.kubernetes.io/managed-by": "pulumi",
    };
}

export function backupVolumeManifest(req: BackupRequest): k8sClient.V1PersistentVolumeClaim {
    return {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: backupName(req.statefulSet), namespace: req.namespace, labels: backupLabels(req) },
        spec: {
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: req.volumeSize } },
            storageClassName: req.storageClassName,
        },
    };
}

/**
 * A pod that idles on `image` with the backup volume mounted, the directory exec'd commands run in, and
 * the root password in its environment by reference to the Secret.
 */
export function backupPodManifest(req: BackupRequest, image: string): k8sClient.V1Pod {
    const name = backupName(req.statefulSet);
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: req.namespace, labels: backupLabels(req) },
        spec: {
            restartPolicy: "Never",
            ...placementOf(req),
            containers: [{
                name: BACKUP_CONTAINER,
                image,
                // Not the image's entrypoint (that starts taosd): idle until deleted, and go at once on SIGTERM.
                command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"],
                workingDir: BACKUP_MOUNT,
                env: [{ name: PASSWORD_VARIABLE, valueFrom: { secretKeyRef: { name: req.secretName, key: req.passwordKey } } }],
                volumeMounts: [{ name: "backup", mountPath: BACKUP_MOUNT }],
            }],
            volumes: [{ name: "backup", persistentVolumeClaim: { claimName: name } }],
        },
    };
}

/** The dnodes' nodeSelector and tolerations, for the backup pod. */
function placementOf(req: BackupRequest): Pick<k8sClient.V1PodSpec, "nodeSelector" | "tolerations"> {
    if (req.placement === undefined) {
        return {};
    }
    const p = JSON.parse(req.placement) as Pick<k8sClient.V1PodSpec, "nodeSelector" | "tolerations">;
    return { nodeSelector: p.nodeSelector, tolerations: p.tolerations };
}

/** `command -v taosdump`: exit 0 when the image has it. */
export const HAS_TAOSDUMP_COMMAND = ["sh", "-c", "command -v taosdump"];

/**
 * taosdump of every database into `directory` (relative to the pod's working directory, the volume).
 * The password is expanded by the pod's shell from its environment (`-p<password>`, taosdump's only
 * non-interactive form), so it is in no request; `-A` dumps every database but the system ones.
 */
export function dumpCommand(host: string, directory: string): string[] {
    return ["sh", "-c", `out="$1"; shift; mkdir -p "$out" && exec taosdump -p"$${PASSWORD_VARIABLE}" -o "$out" "$@"`,
        "taosdump-backup", directory, "-h", host, "-P", String(NATIVE_PORT), "-u", "root", "-A"];
}

/** `20261129T225500Z`: sortable, and a valid directory name everywhere. */
function stamp(at: Date): string {
    return at.toISOString().replace(/\.\d+Z$/, "Z").replace(/[-:]/g, "");
}

export async function runBackup(req: BackupRequest, kube: BackupKube, o: BackupOptions): Promise<BackupResult> {
    const liveImage = await kube.statefulSetImage(req.statefulSet);
    const decision = decideBackup(req, liveImage);
    o.log(decision.why);
    if (!decision.dump || liveImage === undefined) {
        return { dumped: false, why: decision.why };
    }
    // The volume and the pod share one name, <statefulSet>-backup.
    const name = backupName(req.statefulSet);
    const directory = `${decision.from}-to-${decision.to}-${stamp((o.now ?? (() => new Date()))())}`;
    await ensureBackupVolume(req, kube, o);
    let failed = false;
    try {
        await startBackupPod(req, kube, liveImage, o);
        await requireTaosdump(kube, name, liveImage);
        await dumpEveryDatabase(req, kube, name, directory, o);
    } catch (err) {
        failed = true;
        throw err;
    } finally {
        await removeBackupPod(kube, name, o).catch((err: unknown) => {
            // After a failure, that failure is the news; a pod left behind is removed by the next run.
            if (!failed) {
                throw err;
            }
            o.log(`could not remove backup pod ${name} (the next run does): ${messageOf(err)}`);
        });
    }
    const where = `${BACKUP_MOUNT}/${directory}`;
    o.log(`backup of every database written to ${where} on volume ${name} in ${kube.describe()}. ` +
        `To restore it, mount that volume in a pod running ${liveImage} and run: taosdump -i ${where} -h <a TDengine host>`);
    return { dumped: true, why: decision.why, directory: where, volume: name };
}

async function ensureBackupVolume(req: BackupRequest, kube: BackupKube, o: BackupOptions): Promise<void> {
    const name = backupName(req.statefulSet);
    const outcome = await kube.ensureVolume(backupVolumeManifest(req));
    const size = `${req.volumeSize}${req.storageClassName ? `, class ${req.storageClassName}` : ""}`;
    o.log(outcome === "created" ? `created backup volume ${name} (${size})` : `using existing backup volume ${name}`);
}

/** Starts the backup pod on `image` and waits until it runs, after removing one an interrupted run left. */
async function startBackupPod(req: BackupRequest, kube: BackupKube, image: string, o: BackupOptions): Promise<void> {
    const name = backupName(req.statefulSet);
    const left = await kube.podState(name);
    const reusable = left !== undefined && !left.terminating && left.image === image && left.phase === "Running";
    if (left !== undefined && !reusable) {
        o.log(`removing backup pod ${name} left by an earlier run`);
        await removeBackupPod(kube, name, o);
    }
    if (!reusable) {
        o.log(`starting backup pod ${name} on ${image} (the image the cluster runs now)`);
        await kube.createPod(backupPodManifest(req, image));
    }
    await waitForPod(kube, name, o, state => {
        if (state === undefined || state.phase === "Failed" || state.phase === "Succeeded") {
            const how = state === undefined ? "deleted" : `phase ${state.phase}`;
            throw new Error(`backup pod ${name} stopped before the backup (${how}, ${kube.describe()})`);
        }
        return state.phase === "Running" && !state.terminating;
    }, "run");
}

async function requireTaosdump(kube: BackupKube, pod: string, image: string): Promise<void> {
    const code = await kube.exec(pod, BACKUP_CONTAINER, HAS_TAOSDUMP_COMMAND, () => undefined);
    if (code !== 0) {
        throw new Error(`image ${image} has no taosdump, so no backup can be taken before this upgrade; set upgrade.backup: "never" ` +
            "to upgrade without one, or use an image with the taos tools (the official tdengine/tdengine images have them)");
    }
}

async function dumpEveryDatabase(req: BackupRequest, kube: BackupKube, pod: string, directory: string, o: BackupOptions): Promise<void> {
    o.log(`taosdump of every database from ${req.host}:${NATIVE_PORT} into ${BACKUP_MOUNT}/${directory}`);
    const lines = new ProgressLines(line => o.log(`taosdump: ${line}`));
    const code = await kube.exec(pod, BACKUP_CONTAINER, dumpCommand(req.host, directory), text => lines.push(text));
    lines.flush();
    if (code !== 0) {
        throw new Error(`taosdump exited with code ${code} (its output is above); the upgrade did not start. ` +
            `The partial dump in ${BACKUP_MOUNT}/${directory} on volume ${backupName(req.statefulSet)} can be deleted; ` +
            "run pulumi up again to retry, or set upgrade.backup: \"never\" to upgrade without a backup");
    }
}

async function removeBackupPod(kube: BackupKube, name: string, o: BackupOptions): Promise<void> {
    await kube.deletePod(name);
    await waitForPod(kube, name, o, state => state === undefined, "be deleted");
}

async function waitForPod(kube: BackupKube, name: string, o: BackupOptions,
    done: (state: Awaited<ReturnType<BackupKube["podState"]>>) => boolean, what: string): Promise<void> {
    const timeoutMs = o.podTimeoutMs ?? 600_000;
    let lastSeen = "";
    try {
        await waitFor(async () => {
            const state = await kube.podState(name);
            lastSeen = state === undefined ? "gone"
                : [state.phase, state.waiting, state.terminating ? "terminating" : undefined].filter(Boolean).join(", ");
            return { done: done(state), seen: lastSeen };
        }, { what: `backup pod ${name} to ${what}`, timeoutMs, intervalMs: o.pollMs ?? 2000, progress: o.log });
    } catch (err) {
        if (err instanceof WaitTimeoutError) {
            throw new Error(`backup pod ${name} did not ${what} within ${Math.round(timeoutMs / 1000)} s ` +
                `(last seen: ${lastSeen}; ${kube.describe()})`);
        }
        throw err;
    }
}

/**
 * Output arrives in chunks; progress is reported in whole lines, without the terminal colours taosdump
 * prints. It ends up in the Command's stdout, kept in the stack's state: past the first lines of a long
 * dump only errors, warnings and results are kept.
 */
export class ProgressLines {
    private rest = "";
    private shown = 0;
    private skipped = 0;

    constructor(private readonly line: (text: string) => void, private readonly keepAll = 200) { }

    push(text: string): void {
        const parts = (this.rest + text).split(/\r?\n/);
        this.rest = parts.pop() ?? "";
        parts.forEach(p => this.emit(p));
    }

    flush(): void {
        this.emit(this.rest);
        this.rest = "";
        if (this.skipped > 0) {
            this.line(`(${this.skipped} more lines of progress not shown)`);
            this.skipped = 0;
        }
    }

    private emit(text: string): void {
        const clean = text.replace(/\x1b\[[0-9;]*m/g, "").trimEnd(); // eslint-disable-line no-control-regex
        if (clean === "") {
            return;
        }
        if (this.shown < this.keepAll || /error|warn|fail|ok:|total|success|done/i.test(clean)) {
            this.shown++;
            this.line(clean);
        } else {
            this.skipped++;
        }
    }
}

async function main(): Promise<void> {
    const req = readBackupRequest(process.env);
    const kube = new KubeBackupObjects({ kubeconfig: req.kubeconfig, context: req.context }, req.namespace);
    await runBackup(req, kube, { log: line => console.log(line) });
}

if (require.main === module) {
    main().catch((err: unknown) => {
        console.error(`TDengine backup before the upgrade failed: ${messageOf(err)}`);
        process.exitCode = 1;
    });
}
