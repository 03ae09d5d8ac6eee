/**
 * What the backup script is asked to do, and how the component hands it over: environment variables of the
 * `local.Command` that runs it. The component sets them (backup/index.ts), the script reads them back with
 * {@link readBackupRequest}; both use the names below, so they cannot drift apart. An empty value is unset.
 * The root password is not among them: the backup pod reads it from the component's Secret.
 */

/** The argument `upgrade.backup`: when a taosdump backup is taken before an image change. */
export type BackupMode = "offline" | "always" | "never";

export interface BackupRequest {
    /** The component's name: the instance label of the backup pod and volume. */
    instance: string;
    namespace: string;
    statefulSet: string;
    /** The client Service's DNS name: where taosdump connects (native protocol, 6030). */
    host: string;
    /** The component's Secret with the root password under `passwordKey`. */
    secretName: string;
    passwordKey: string;
    /** The image the StatefulSet is about to run. */
    image: string;
    /** `upgrade.version`: the TDengine version `image` runs, when its tag does not say. */
    version?: string;
    allowOffline: boolean;
    unknownVersionChange: "feature" | "maintenance";
    mode: Exclude<BackupMode, "never">;
    /** Size of the backup volume, a Kubernetes quantity. */
    volumeSize: string;
    /** StorageClass of the backup volume; undefined = the cluster's default. */
    storageClassName?: string;
    /** The dnodes' `nodeSelector` and `tolerations` as JSON, so the backup pod may run where they may. */
    placement?: string;
    /** Kubeconfig contents or path; undefined = the default kubeconfig. */
    kubeconfig?: string;
    context?: string;
}

/** The environment variable of each field. */
export const BACKUP_ENV: { readonly [K in keyof BackupRequest]-?: string } = {
    instance: "TDENGINE_BACKUP_INSTANCE",
    namespace: "TDENGINE_BACKUP_NAMESPACE",
    statefulSet: "TDENGINE_BACKUP_STATEFULSET",
    host: "TDENGINE_BACKUP_HOST",
    secretName: "TDENGINE_BACKUP_SECRET",
    passwordKey: "TDENGINE_BACKUP_SECRET_KEY",
    image: "TDENGINE_BACKUP_IMAGE",
    version: "TDENGINE_BACKUP_VERSION",
    allowOffline: "TDENGINE_BACKUP_ALLOW_OFFLINE",
    unknownVersionChange: "TDENGINE_BACKUP_UNKNOWN_VERSION_CHANGE",
    mode: "TDENGINE_BACKUP_MODE",
    volumeSize: "TDENGINE_BACKUP_VOLUME_SIZE",
    storageClassName: "TDENGINE_BACKUP_STORAGE_CLASS",
    placement: "TDENGINE_BACKUP_PLACEMENT",
    kubeconfig: "TDENGINE_BACKUP_KUBECONFIG",
    context: "TDENGINE_BACKUP_CONTEXT",
};

/** A request the script cannot carry out: names the variable, never prints a value that may be secret. */
export class BackupRequestError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "BackupRequestError";
    }
}

/** Reads the request from the environment the component gave the command. */
export function readBackupRequest(env: NodeJS.ProcessEnv): BackupRequest {
    const optional = (key: keyof BackupRequest): string | undefined => {
        const value = env[BACKUP_ENV[key]];
        return value === undefined || value === "" ? undefined : value;
    };
    const required = (key: keyof BackupRequest): string => {
        const value = optional(key);
        if (value === undefined) {
            throw new BackupRequestError(`${BACKUP_ENV[key]} is not set: this script is run by the TDengineCluster component's ` +
                "backup command, which sets it");
        }
        return value;
    };
    const oneOf = <T extends string>(key: keyof BackupRequest, allowed: readonly T[]): T => {
        const value = required(key);
        if (!(allowed as readonly string[]).includes(value)) {
            throw new BackupRequestError(`${BACKUP_ENV[key]} must be one of ${allowed.join(", ")} (got "${value}")`);
        }
        return value as T;
    };
    return {
        instance: required("instance"),
        namespace: required("namespace"),
        statefulSet: required("statefulSet"),
        host: required("host"),
        secretName: required("secretName"),
        passwordKey: required("passwordKey"),
        image: required("image"),
        version: optional("version"),
        allowOffline: oneOf("allowOffline", ["true", "false"]) === "true",
        unknownVersionChange: oneOf("unknownVersionChange", ["feature", "maintenance"]),
        mode: oneOf("mode", ["offline", "always"]),
        volumeSize: required("volumeSize"),
        storageClassName: optional("storageClassName"),
        placement: optional("placement"),
        kubeconfig: optional("kubeconfig"),
        context: optional("context"),
    };
}
