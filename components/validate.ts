/**
 * Argument validation, run in the component's constructor before anything is registered, so a bad
 * argument fails `pulumi preview` with a message that names the argument and the fix, and changes nothing.
 * Arguments that are still unknown (outputs of other resources) are checked the same way once known.
 */
import { ClearError } from "./errors";
import * as pulumi from "@pulumi/pulumi";
import { clusterNames, dnodeEndpointForOrdinal } from "./names";
import { quantityToBytes } from "./quantity";
import { DEFAULT_IMAGE, ServiceType, TDengineClusterArgs } from "./types";

/** A bad argument of a TDengineCluster: `field` is the argument's path, the message says the fix. */
export class TDengineClusterArgumentError extends ClearError {
    constructor(readonly resourceName: string, readonly field: string, problem: string, fix: string) {
        super(`TDengineCluster "${resourceName}": ${field} ${problem}. ${fix}`);
        this.name = "TDengineClusterArgumentError";
    }
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const TAOS_CONFIG_KEY = /^[a-z][a-zA-Z0-9]*$/;
/** Set by the component from the StatefulSet's names; a user value would break cluster membership. */
const MANAGED_TAOS_KEYS = ["fqdn", "firstEp", "secondEp", "serverPort"];
const SERVICE_TYPES: readonly ServiceType[] = ["ClusterIP", "NodePort", "LoadBalancer"];
/**
 * A StatefulSet's pods carry the label `controller-revision-hash: <name>-<hash of up to 10 chars>`,
 * and label values are at most 63 characters.
 */
const MAX_NAME_LENGTH = 52;
/** TDengine keeps an endpoint in a fixed buffer (TSDB_EP_LEN, `fqdn:port`, 134 bytes with the NUL). */
const MAX_ENDPOINT_LENGTH = 133;

/** Checks one argument's value; throws TDengineClusterArgumentError when it is bad. */
type Check<T> = (resourceName: string, value: T) => void;

export const checkName: Check<string> = (resourceName, value) => {
    if (value.length > MAX_NAME_LENGTH || !DNS1035_LABEL.test(value)) {
        throw new TDengineClusterArgumentError(resourceName, "the resource name",
            `is not usable as a Kubernetes name (got "${value}")`,
            `Use lower-case letters, digits and '-', starting with a letter, at most ${MAX_NAME_LENGTH} characters.`);
    }
};

export const checkNamespace: Check<string> = (resourceName, value) => {
    if (value.length > 63 || !DNS1123_LABEL.test(value)) {
        throw new TDengineClusterArgumentError(resourceName, "namespace", `is not a DNS-1123 label (got "${value}")`,
            "Use lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters.");
    }
};

export const checkReplicas: Check<number> = (resourceName, value) => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
        throw new TDengineClusterArgumentError(resourceName, "replicas", `must be a positive integer (got ${String(value)})`,
            "Set replicas to 1 or more; 3 or more keeps the cluster available when a dnode is lost.");
    }
};

export const checkImage: Check<string> = (resourceName, value) => {
    if (typeof value !== "string" || value.trim() === "" || /\s/.test(value)) {
        throw new TDengineClusterArgumentError(resourceName, "image", `must be a container image reference (got "${String(value)}")`,
            "Set image to e.g. \"tdengine/tdengine:3.3.7.5\", or leave it unset for the default.");
    }
};

export const checkStorageSize: Check<string> = (resourceName, value) => {
    const bytes = typeof value === "string" ? quantityToBytes(value) : undefined;
    if (bytes === undefined || bytes <= 0) {
        throw new TDengineClusterArgumentError(resourceName, "storage.size", `is not a Kubernetes quantity (got "${String(value)}")`,
            "Use a size such as \"5Gi\", \"500Mi\" or \"1Ti\".");
    }
};

export const checkStorageClassName: Check<string> = (resourceName, value) => {
    if (typeof value !== "string" || value.length > 253 || !DNS1123_SUBDOMAIN.test(value)) {
        throw new TDengineClusterArgumentError(resourceName, "storage.className", `is not a StorageClass name (got "${String(value)}")`,
            "Use the name of a StorageClass (`kubectl get storageclass`), or leave it unset for the cluster's default.");
    }
};

export const checkServiceType: Check<string> = (resourceName, value) => {
    if (!(SERVICE_TYPES as readonly string[]).includes(value)) {
        throw new TDengineClusterArgumentError(resourceName, "service.type", `is not a supported Service type (got "${String(value)}")`,
            `Use one of ${SERVICE_TYPES.join(", ")}.`);
    }
};

export const checkClusterDomain: Check<string> = (resourceName, value) => {
    if (typeof value !== "string" || value.length > 253 || !DNS1123_SUBDOMAIN.test(value)) {
        throw new TDengineClusterArgumentError(resourceName, "clusterDomain", `is not a DNS domain (got "${String(value)}")`,
            "Use the cluster's DNS domain, usually \"cluster.local\".");
    }
};

export const checkTimezone: Check<string> = (resourceName, value) => {
    if (typeof value !== "string" || value.trim() === "" || /\s/.test(value)) {
        throw new TDengineClusterArgumentError(resourceName, "timezone", `must be a time zone name (got "${String(value)}")`,
            "Use an IANA name such as \"UTC\" or \"Asia/Shanghai\".");
    }
};

export const checkTaosConfig: Check<Record<string, unknown>> = (resourceName, value) => {
    for (const [key, v] of Object.entries(value)) {
        if (MANAGED_TAOS_KEYS.includes(key)) {
            throw new TDengineClusterArgumentError(resourceName, `taosConfig.${key}`, "is managed by the component",
                "Remove it: every pod's fqdn, firstEp, secondEp and serverPort follow from the StatefulSet's names.");
        }
        if (!TAOS_CONFIG_KEY.test(key)) {
            throw new TDengineClusterArgumentError(resourceName, `taosConfig.${key}`, "is not a taos.cfg key",
                "Write keys in taos.cfg's camelCase, e.g. supportVnodes or numOfMnodeReadThreads.");
        }
        if (!["string", "number", "boolean"].includes(typeof v)) {
            throw new TDengineClusterArgumentError(resourceName, `taosConfig.${key}`, `must be a string, number or boolean (got ${typeof v})`,
                "Give the value as it would appear in taos.cfg.");
        }
    }
};

const checkPositiveSeconds = (field: string): Check<number> => (resourceName, value) => {
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
        throw new TDengineClusterArgumentError(resourceName, field, `must be a positive number of seconds (got ${String(value)})`,
            "Give a duration in seconds, or leave it unset for the default.");
    }
};
export const checkDropDnodeTimeout = checkPositiveSeconds("lifecycle.dropDnodeTimeoutSeconds");
export const checkReadyTimeout = checkPositiveSeconds("lifecycle.readyTimeoutSeconds");

export const checkRestUrl: Check<string> = (resourceName, value) => {
    let url: URL | undefined;
    try {
        url = new URL(value);
    } catch {
        url = undefined;
    }
    if (url === undefined || !["http:", "https:"].includes(url.protocol) || url.username !== "" || url.password !== "") {
        throw new TDengineClusterArgumentError(resourceName, "lifecycle.restUrl", "is not an http(s) URL without credentials",
            "Use e.g. \"http://tdengine.db.svc.cluster.local:6041\"; the password comes from rootPassword.");
    }
};

/** TDengine keeps endpoints in a fixed-size buffer: the longest pod endpoint must fit. */
export function checkEndpointLength(resourceName: string, namespace: string, clusterDomain: string, replicas: number): void {
    const names = clusterNames(resourceName);
    const longest = dnodeEndpointForOrdinal(
        { namespace, clusterDomain, statefulSet: names.statefulSet, headlessService: names.headlessService },
        Math.max(replicas - 1, 0));
    if (longest.length > MAX_ENDPOINT_LENGTH) {
        throw new TDengineClusterArgumentError(resourceName, "the resource name and namespace",
            `make dnode endpoints too long for TDengine (${longest.length} > ${MAX_ENDPOINT_LENGTH} characters: ${longest})`,
            "Choose a shorter resource name or namespace.");
    }
}

/**
 * Runs `check` now when the value is known, so a bad value fails before anything is registered;
 * otherwise once the value is known (it comes from another resource). Returns the value as an Output.
 */
export function checked<T>(resourceName: string, value: pulumi.Input<T> | undefined, fallback: T, check: Check<T>): pulumi.Output<T> {
    if (!pulumi.Output.isInstance(value) && !isPromise(value)) {
        const v = value === undefined ? fallback : value as T;
        check(resourceName, v);
        return pulumi.output(v) as pulumi.Output<T>;
    }
    return pulumi.output(value).apply(v => {
        const known = (v === undefined ? fallback : v) as T;
        check(resourceName, known);
        return known;
    }) as pulumi.Output<T>;
}

/** The same as {@link checked} for an optional argument without a default. */
export function checkedOptional<T>(
    resourceName: string, value: pulumi.Input<T> | undefined, check: Check<T>,
): pulumi.Output<T | undefined> {
    if (value === undefined) {
        return pulumi.output(undefined);
    }
    return checked<T>(resourceName, value, undefined as unknown as T, check) as pulumi.Output<T | undefined>;
}

function isPromise(value: unknown): value is Promise<unknown> {
    return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/** Every argument, defaulted and checked; each is an Output because any may come from another resource. */
export interface CheckedArgs {
    namespace: pulumi.Output<string>;
    replicas: pulumi.Output<number>;
    image: pulumi.Output<string>;
    storageSize: pulumi.Output<string>;
    storageClassName: pulumi.Output<string | undefined>;
    serviceType: pulumi.Output<string>;
    clusterDomain: pulumi.Output<string>;
    timezone: pulumi.Output<string>;
    taosConfig: pulumi.Output<Record<string, string | number | boolean>>;
    restUrl: pulumi.Output<string | undefined>;
    dropDnodeTimeoutSeconds: pulumi.Output<number>;
    readyTimeoutSeconds: pulumi.Output<number>;
}

/**
 * Defaults and checks every argument. Known values are checked now and throw at once, so the caller
 * can run this before registering anything; unknown ones are checked when they resolve.
 */
export function checkArgs(resourceName: string, args: TDengineClusterArgs): CheckedArgs {
    checkName(resourceName, resourceName);
    const checkedArgs: CheckedArgs = {
        namespace: checked(resourceName, args.namespace, resourceName, checkNamespace),
        replicas: checked(resourceName, args.replicas, 3, checkReplicas),
        image: checked(resourceName, args.image, DEFAULT_IMAGE, checkImage),
        storageSize: checked(resourceName, args.storage?.size, "5Gi", checkStorageSize),
        storageClassName: checkedOptional(resourceName, args.storage?.className, checkStorageClassName),
        serviceType: checked<string>(resourceName, args.service?.type, "ClusterIP", checkServiceType),
        clusterDomain: checked(resourceName, args.clusterDomain, "cluster.local", checkClusterDomain),
        timezone: checked(resourceName, args.timezone, "Asia/Shanghai", checkTimezone),
        taosConfig: checked<Record<string, string | number | boolean>>(resourceName,
            args.taosConfig as pulumi.Input<Record<string, string | number | boolean>> | undefined, {}, checkTaosConfig),
        restUrl: checkedOptional(resourceName, args.lifecycle?.restUrl, checkRestUrl),
        dropDnodeTimeoutSeconds: checked(resourceName, args.lifecycle?.dropDnodeTimeoutSeconds, 3600, checkDropDnodeTimeout),
        readyTimeoutSeconds: checked(resourceName, args.lifecycle?.readyTimeoutSeconds, 600, checkReadyTimeout),
    };
    const known = <T>(v: pulumi.Input<T> | undefined): boolean => !pulumi.Output.isInstance(v) && !isPromise(v);
    if (known(args.namespace) && known(args.clusterDomain) && known(args.replicas)) {
        checkEndpointLength(resourceName, (args.namespace as string | undefined) ?? resourceName,
            (args.clusterDomain as string | undefined) ?? "cluster.local", (args.replicas as number | undefined) ?? 3);
    } else {
        const lengthChecked = pulumi.all([checkedArgs.namespace, checkedArgs.clusterDomain, checkedArgs.replicas])
            .apply(([ns, domain, replicas]) => { checkEndpointLength(resourceName, ns, domain, replicas); return ns; });
        checkedArgs.namespace = lengthChecked;
    }
    return checkedArgs;
}
