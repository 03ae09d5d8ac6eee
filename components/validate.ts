/**
 * Argument validation: one pass, run in the component's constructor before anything is registered, so a
 * bad argument fails `pulumi preview` with every problem named (its path, what was given, the fix) and
 * changes nothing. The rules are in ./validation/*; this file runs them in order:
 *
 *  1. the arguments known now (plain values) are checked at once, and a problem throws before `super()`;
 *  2. values not known yet (secrets, Outputs of other resources) are checked by one combined Output, the
 *     gate, whose failure rejects every child resource's inputs: the SDK only registers a resource once its
 *     inputs resolve, so nothing is created when a value turns out bad. A value that stays unknown during
 *     preview is checked when it is known, at `pulumi up`, still before anything depending on it.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { DEFAULT_IMAGE, DEFAULT_ROOT_PASSWORD, TDengineClusterArgs } from "./types";
import { adviceFor } from "./validation/advice";
import { Context, Deferred, NOT_YET_KNOWN, checkAcrossArguments, checkResourceName, walkArguments } from "./validation/args";
import { claimObjects } from "./validation/claims";
import { Problem, TDengineClusterArgumentError } from "./validation/problems";

export { TDengineClusterArgumentError, Problem } from "./validation/problems";

/** Paths whose values are secrets by nature: never shown in a message, whether or not they came as secrets. */
const ALWAYS_SECRET = ["rootPassword", "lifecycle.kubeconfig"];

function context(resourceName: string, secretPaths: readonly string[]): Context {
    const secret = [...ALWAYS_SECRET, ...secretPaths];
    return {
        resourceName,
        problems: [],
        secret: path => secret.some(s => path === s || path.startsWith(`${s}.`) || path.startsWith(`${s}[`)),
    };
}

/** Every argument, defaulted and checked; each an Output that resolves only once every argument has passed. */
export interface CheckedArgs {
    /** Resolves to true once every argument is known and valid; rejects (and with it every child) otherwise. */
    gate: pulumi.Output<boolean>;
    /** `value`, resolved only after the gate: a refusal rejects it at once, without waiting on `value`. */
    afterGate<T>(value: pulumi.Output<T>): pulumi.Output<T>;
    namespace: pulumi.Output<string>;
    createNamespace: boolean;
    replicas: pulumi.Output<number>;
    image: pulumi.Output<string>;
    imagePullPolicy: pulumi.Output<string>;
    storageSize: pulumi.Output<string>;
    storageClassName: pulumi.Output<string | undefined>;
    timezone: pulumi.Output<string>;
    taosConfig: pulumi.Output<Record<string, string | number | boolean>>;
    /** The root password (TDengine's default when none was given), a secret. */
    rootPassword: pulumi.Output<string>;
    rootPasswordGiven: boolean;
    resources: pulumi.Output<TDengineClusterArgs["resources"]>;
    nodeSelector: pulumi.Output<Record<string, string> | undefined>;
    tolerations: pulumi.Output<k8s.types.input.core.v1.Toleration[] | undefined>;
    affinity: pulumi.Output<TDengineClusterArgs["affinity"]>;
    serviceType: pulumi.Output<string>;
    serviceAnnotations: pulumi.Output<Record<string, string> | undefined>;
    clusterDomain: pulumi.Output<string>;
    retainVolumesOnDestroy: boolean;
    lifecycleEnabled: boolean;
    restUrl: pulumi.Output<string | undefined>;
    /** Undefined when not given. */
    kubeconfig?: pulumi.Output<string>;
    context: pulumi.Output<string | undefined>;
    dropDnodeTimeoutSeconds: pulumi.Output<number>;
    readyTimeoutSeconds: pulumi.Output<number>;
    rebalanceAfterScaleUp: boolean;
    /** The `upgrade` arguments, checked (not wired here: the upgrade work uses them). */
    upgradeVersion: pulumi.Output<string | undefined>;
    allowOfflineUpgrade: boolean;
    unknownVersionChange: "feature" | "maintenance";
    backup: "offline" | "always" | "never";
    backupVolumeSize: pulumi.Output<string | undefined>;
}

/** Tells one component instance from another for {@link claimObjects}: its name under its parent. */
const parentIds = new WeakMap<object, number>();
let parentsSeen = 0;
function ownerOf(name: string, parent: pulumi.Resource | undefined): string {
    if (parent === undefined) {
        return name;
    }
    if (!parentIds.has(parent)) {
        parentIds.set(parent, ++parentsSeen);
    }
    return `${parentIds.get(parent)}/${name}`;
}

/**
 * Checks every argument and returns them defaulted, gated on the check. Throws a
 * {@link TDengineClusterArgumentError} now for every problem among the values known now.
 */
export function checkArgs(resourceName: string, args: unknown, parent?: pulumi.Resource): CheckedArgs {
    const ctx = context(resourceName, []);
    checkResourceName(ctx, resourceName);
    const deferred: Deferred[] = [];
    const view = walkArguments(ctx, args, deferred);
    checkAcrossArguments(ctx, view);
    throwIfAny(resourceName, ctx.problems);

    const owner = ownerOf(resourceName, parent);
    const warned = new Set<string>();
    warnOnce(adviceFor(resourceName, view), warned);
    if (view.namespace !== NOT_YET_KNOWN) {
        throwIfAny(resourceName, claim(owner, resourceName, view));
    }

    const gate = deferred.length === 0
        ? pulumi.output(true)
        : checkWhenKnown(resourceName, args as Record<string, unknown>, deferred, owner, warned);
    return defaulted(resourceName, gate, (args ?? {}) as TDengineClusterArgs);
}

function checkWhenKnown(resourceName: string, args: Record<string, unknown>, deferred: Deferred[], owner: string,
    warned: Set<string>): pulumi.Output<boolean> {
    const outputs = deferred.map(d => pulumi.output(d.value));
    const checkedValues = pulumi.all(outputs).apply(values => endProgramOnRefusal(async () => {
        const secrets = await Promise.all(outputs.map(o => pulumi.isSecret(o)));
        const full = substitute(args, deferred, values);
        const ctx = context(resourceName, deferred.filter((_, i) => secrets[i]).map(d => d.path.join(".")));
        const view = walkArguments(ctx, full, []);
        checkAcrossArguments(ctx, view);
        throwIfAny(resourceName, ctx.problems);
        if (deferred.some(d => d.path[0] === "namespace")) {
            throwIfAny(resourceName, claim(owner, resourceName, view));
        }
        warnOnce(adviceFor(resourceName, view), warned);
        return true;
    }));
    // Only `true` flows out: the gate itself carries no secret, so it does not make every input secret.
    return pulumi.unsecret(checkedValues);
}

/**
 * Under the engine, a refusal found once a value is known ends the program after logging it. Rejecting the
 * gate alone is not enough there: a child whose registration failed never resolves its outputs, and the
 * Node.js SDK then waits for ever instead of ending the run (pulumi/pulumi#14980). Exit code 32 tells the
 * language host the error was already reported. Under `pulumi.runtime.setMocks` (tests) the gate rejects.
 */
async function endProgramOnRefusal<T>(check: () => Promise<T>): Promise<T> {
    try {
        return await check();
    } catch (err) {
        if (err instanceof TDengineClusterArgumentError && underEngine()) {
            await pulumi.log.error(err.message);
            process.exit(32);
        }
        throw err;
    }
}

/** True when a real engine runs the program, false under `pulumi.runtime.setMocks`. */
function underEngine(): boolean {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks") as { MockMonitor: new (...args: never[]) => unknown };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { getMonitor } = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): unknown };
    const monitor = getMonitor();
    return monitor !== undefined && !(monitor instanceof MockMonitor);
}

function substitute(args: Record<string, unknown>, deferred: Deferred[], values: unknown[]): Record<string, unknown> {
    const full: Record<string, unknown> = { ...args };
    deferred.forEach((d, i) => {
        let target = full;
        for (const key of d.path.slice(0, -1)) {
            target[key] = { ...(target[key] as Record<string, unknown>) };
            target = target[key] as Record<string, unknown>;
        }
        target[d.path[d.path.length - 1]] = values[i];
    });
    return full;
}

function claim(owner: string, resourceName: string, view: Record<string, unknown>): Problem[] {
    const namespace = (view.namespace as string | undefined) ?? resourceName;
    const problem = claimObjects(owner, resourceName, namespace, view.createNamespace !== false);
    return problem === undefined ? [] : [problem];
}

function throwIfAny(resourceName: string, problems: Problem[]): void {
    if (problems.length > 0) {
        throw new TDengineClusterArgumentError(resourceName, problems);
    }
}

function warnOnce(warnings: string[], warned: Set<string>): void {
    for (const w of warnings.filter(x => !warned.has(x))) {
        warned.add(w);
        void pulumi.log.warn(w);
    }
}

/**
 * An argument's value, with its default, resolved only once the gate has passed. The gate comes first:
 * Outputs are awaited in order, so a refusal rejects this without waiting on `value`.
 */
function gated<T>(gate: pulumi.Output<boolean>, value: pulumi.Input<T> | undefined, fallback: T): pulumi.Output<T> {
    return pulumi.all([gate, value]).apply(([, v]) => (v === undefined ? fallback : v) as T) as pulumi.Output<T>;
}

function defaulted(resourceName: string, gate: pulumi.Output<boolean>, args: TDengineClusterArgs): CheckedArgs {
    const g = <T>(value: pulumi.Input<T> | undefined, fallback: T): pulumi.Output<T> => gated(gate, value, fallback);
    const lifecycle = args.lifecycle ?? {};
    return {
        gate,
        afterGate: <T>(value: pulumi.Output<T>): pulumi.Output<T> => gated(gate, value, undefined as T),
        namespace: g<string>(args.namespace, resourceName),
        createNamespace: args.createNamespace !== false,
        replicas: g<number>(args.replicas, 3),
        image: g<string>(args.image, DEFAULT_IMAGE),
        imagePullPolicy: g<string>(args.imagePullPolicy, "IfNotPresent"),
        storageSize: g<string>(args.storage?.size, "5Gi"),
        storageClassName: g<string | undefined>(args.storage?.className, undefined),
        timezone: g<string>(args.timezone, "Asia/Shanghai"),
        taosConfig: g(args.taosConfig as pulumi.Input<Record<string, string | number | boolean>> | undefined, {}),
        rootPassword: pulumi.secret(g<string>(args.rootPassword, DEFAULT_ROOT_PASSWORD)),
        rootPasswordGiven: args.rootPassword !== undefined,
        resources: g(args.resources, undefined),
        nodeSelector: g(args.nodeSelector as pulumi.Input<Record<string, string>> | undefined, undefined),
        tolerations: g(args.tolerations as pulumi.Input<k8s.types.input.core.v1.Toleration[]> | undefined, undefined),
        affinity: g(args.affinity, undefined),
        serviceType: g<string>(args.service?.type, "ClusterIP"),
        serviceAnnotations: g(args.service?.annotations as pulumi.Input<Record<string, string>> | undefined, undefined),
        clusterDomain: g<string>(args.clusterDomain, "cluster.local"),
        retainVolumesOnDestroy: args.retainVolumesOnDestroy === true,
        lifecycleEnabled: lifecycle.enabled !== false,
        restUrl: g<string | undefined>(lifecycle.restUrl, undefined),
        kubeconfig: lifecycle.kubeconfig === undefined ? undefined : pulumi.secret(g<string>(lifecycle.kubeconfig, "")),
        context: g<string | undefined>(lifecycle.context, undefined),
        dropDnodeTimeoutSeconds: g<number>(lifecycle.dropDnodeTimeoutSeconds, 3600),
        readyTimeoutSeconds: g<number>(lifecycle.readyTimeoutSeconds, 600),
        rebalanceAfterScaleUp: lifecycle.rebalanceAfterScaleUp !== false,
        upgradeVersion: g<string | undefined>(args.upgrade?.version, undefined),
        allowOfflineUpgrade: args.upgrade?.allowOffline === true,
        unknownVersionChange: args.upgrade?.unknownVersionChange ?? "feature",
        backup: args.upgrade?.backup ?? "offline",
        backupVolumeSize: g<string | undefined>(args.upgrade?.backupVolumeSize, undefined),
    };
}
