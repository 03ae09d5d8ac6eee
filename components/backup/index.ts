/**
 * The backup before an upgrade, on the Pulumi side: a `local.Command` that runs the package's own script
 * (taosdump.ts) before the StatefulSet changes. The script reads the live StatefulSet and decides itself
 * whether this run is an upgrade that needs a backup, so the Command may run on a first deploy or on any
 * change of its inputs without harm; its triggers (the image and `upgrade.version`) make it run again,
 * exactly once, for each image change.
 */
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import { UpgradeArgs } from "../types";
import { BACKUP_ENV, BackupMode, BackupRequest } from "./request";

/** `upgrade.backup`, defaulted. */
export function backupModeOf(upgrade: UpgradeArgs | undefined): BackupMode {
    return upgrade?.backup ?? "offline";
}

/**
 * Whether any image change of this configuration can need a backup: always with "always"; with "offline"
 * only when an offline upgrade is allowed at all. Only then is the Command registered, so a cluster that
 * never needs one never needs the `pulumi-resource-command` plugin either.
 */
export function backupMayBeNeeded(upgrade: UpgradeArgs | undefined): boolean {
    const mode = backupModeOf(upgrade);
    return mode === "always" || (mode === "offline" && upgrade?.allowOffline === true);
}

/** What the component knows of its cluster that the backup needs. */
export interface BackupInputs {
    /** The component's name. */
    instance: string;
    namespace: pulumi.Input<string>;
    statefulSet: string;
    /** The client Service's DNS name. */
    host: pulumi.Input<string>;
    /** The Secret holding the root password, and its key. */
    secretName: pulumi.Input<string>;
    passwordKey: string;
    /** The image the StatefulSet is given now. */
    image: pulumi.Input<string>;
    /** storage.size and storage.className, the backup volume's defaults. */
    storageSize: pulumi.Input<string>;
    storageClassName: pulumi.Input<string | undefined>;
    /** The dnodes' placement: the backup pod goes where they may (tainted dedicated nodes, say). */
    nodeSelector?: pulumi.Input<Record<string, pulumi.Input<string>> | undefined>;
    tolerations?: pulumi.Input<pulumi.Input<k8s.types.input.core.v1.Toleration>[] | undefined>;
    /** lifecycle.kubeconfig and lifecycle.context: the backup reaches the cluster as the lifecycle steps do. */
    kubeconfig?: pulumi.Input<string | undefined>;
    context?: pulumi.Input<string | undefined>;
}

/**
 * The backup before an upgrade as a `local.Command`, or undefined when this configuration can never need
 * one ({@link backupMayBeNeeded}). Make the StatefulSet depend on it.
 */
export function backupBeforeUpgrade(name: string, inputs: BackupInputs, upgrade: UpgradeArgs | undefined,
    opts: pulumi.CustomResourceOptions): command.local.Command | undefined {
    if (!backupMayBeNeeded(upgrade)) {
        return undefined;
    }
    const request: { [K in keyof BackupRequest]: pulumi.Input<BackupRequest[K]> | undefined } = {
        instance: inputs.instance,
        namespace: inputs.namespace,
        statefulSet: inputs.statefulSet,
        host: inputs.host,
        secretName: inputs.secretName,
        passwordKey: inputs.passwordKey,
        image: inputs.image,
        version: upgrade?.version,
        allowOffline: upgrade?.allowOffline === true,
        unknownVersionChange: upgrade?.unknownVersionChange ?? "feature",
        mode: backupModeOf(upgrade) as BackupRequest["mode"],
        // Resolved, not `??` on the inputs: an Output of undefined (the checked arguments) is not undefined.
        volumeSize: pulumi.all([upgrade?.backupVolumeSize, inputs.storageSize]).apply(([size, storageSize]) => size ?? storageSize),
        storageClassName: inputs.storageClassName,
        placement: pulumi.output({ nodeSelector: inputs.nodeSelector, tolerations: inputs.tolerations })
            .apply(p => p.nodeSelector === undefined && p.tolerations === undefined ? undefined : JSON.stringify(p)),
        // A kubeconfig holds credentials: a secret in the state, like the lifecycle steps' copy.
        kubeconfig: inputs.kubeconfig === undefined ? undefined : pulumi.secret(inputs.kubeconfig),
        context: inputs.context,
    };
    const script = backupScript();
    const environment: Record<string, pulumi.Input<string>> = { ...script.environment };
    for (const key of Object.keys(BACKUP_ENV) as (keyof BackupRequest)[]) {
        // An unset value is sent as "", which the script reads as unset (the provider wants strings).
        environment[BACKUP_ENV[key]] = pulumi.output(request[key]).apply(v => v === undefined ? "" : String(v));
    }
    return new command.local.Command(name, {
        create: script.create,
        environment,
        triggers: [inputs.image, pulumi.output(upgrade?.version).apply(v => v ?? "")],
        // The previous run's output is of no use to the next one, and taosdump's can be long.
        addPreviousOutputInEnv: false,
    }, opts);
}

/** How to run the script: a command line, and what its environment needs besides the request. */
export interface BackupScript {
    create: string;
    environment: Record<string, string>;
}

/**
 * `node <script>`, with this Node.js and the script next to this file: bin/components/backup/taosdump.js in
 * the installed package; taosdump.ts through ts-node when the component itself runs from its sources (with
 * the sources' tsconfig.json: ts-node would look for one in the directory the command runs in).
 */
export function backupScript(): BackupScript {
    const quote = (s: string): string => JSON.stringify(s);
    if (path.extname(__filename) === ".ts") {
        const tsNode = require.resolve("ts-node/register/transpile-only");
        return {
            create: `${quote(process.execPath)} -r ${quote(tsNode)} ${quote(path.join(__dirname, "taosdump.ts"))}`,
            environment: { TS_NODE_PROJECT: path.join(__dirname, "..", "..", "tsconfig.json") },
        };
    }
    return { create: `${quote(process.execPath)} ${quote(path.join(__dirname, "taosdump.js"))}`, environment: {} };
}
