/**
 * The arguments of a TDengineCluster as data: for every key, the type it must have, whether it may be an
 * Output (`pulumi.Input`) or must be written in the program, and the rule its value must follow. One walk
 * over this table checks what callers without TypeScript can get wrong: strict types (`"true"` is not a
 * boolean, `"3"` not a number), unknown keys (with the nearest known one), and every value's rule.
 */
import { dnodeEndpointForOrdinal, clusterNames } from "../names";
import { quantityToBytes } from "../quantity";
import { PASSWORD_RULE, passwordProblem } from "../tdengine/password";
import { describeValue, holdsEventual, isEventual, nearestKey, typeName } from "./describe";
import {
    affinityProblems, annotationsProblems, imagePullPolicyProblems, nodeSelectorProblems, resourcesProblems, tolerationsProblems,
} from "./kubernetes";
import { DNS1035_LABEL, isDns1123Label, isDns1123Subdomain } from "./kubernetes-names";
import { Problem } from "./problems";
import { taosConfigProblems } from "./taos-config";
import { timezoneProblem } from "./timezone";

/** Where problems are collected while one set of arguments is checked. */
export interface Context {
    readonly resourceName: string;
    readonly problems: Problem[];
    /** Whether the value at `path` arrived as a secret (it is then never shown). */
    secret(path: string): boolean;
}

type Expect = "string" | "number" | "boolean" | "object" | "array";
type Rule = (ctx: Context, path: string, value: never) => void;

interface Leaf {
    kind: "leaf";
    expect: Expect;
    /** May be an Output or a Promise (declared `pulumi.Input<...>`); otherwise it must be a plain value. */
    input: boolean;
    /** What to write instead: used for a wrong type and by rules without a fix of their own. */
    fix: string;
    rule?: Rule;
    /** Never shown, even when given in plain text. */
    secret?: boolean;
}

interface Group {
    kind: "group";
    fields: Record<string, Spec>;
    fix: string;
}

type Spec = Leaf | Group;

const leaf = (expect: Expect, input: boolean, fix: string, rule?: Rule, secret?: boolean): Leaf => ({ kind: "leaf", expect, input, fix, rule, secret });
const group = (fix: string, fields: Record<string, Spec>): Group => ({ kind: "group", fields, fix });

function fail(ctx: Context, path: string, value: unknown, problem: string, fix: string): void {
    ctx.problems.push({ path, problem: `${problem} (got ${describeValue(value, ctx.secret(path))})`, fix });
}

const INT32_MAX = 2147483647;
/** Node's timers hold at most 2^31-1 ms; a longer timeout would fire at once. */
const MAX_TIMEOUT_SECONDS = Math.floor(INT32_MAX / 1000);

const kubernetesName = (what: string): Rule => (ctx, path, value: string) => {
    if (!isDns1123Label(value)) {
        fail(ctx, path, value, `is not a DNS-1123 label`, `Use lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters (${what}).`);
    }
};

const quantity = (what: string): Rule => (ctx, path, value: string) => {
    const bytes = quantityToBytes(value);
    if (bytes === undefined) {
        fail(ctx, path, value, "is not a Kubernetes quantity", `Use a size such as "5Gi", "500Mi" or "1Ti" (${what}).`);
    } else if (bytes < 1 || !Number.isInteger(bytes)) {
        fail(ctx, path, value, bytes <= 0 ? "is not a positive size" : "is not a whole number of bytes",
            `Use a size such as "5Gi", "500Mi" or "1Ti" (${what}; a lower-case "m" means thousandths, not mega).`);
    }
};

const seconds: Rule = (ctx, path, value: number) => {
    if (value <= 0 || value > MAX_TIMEOUT_SECONDS) {
        fail(ctx, path, value, `must be a number of seconds between 0 and ${MAX_TIMEOUT_SECONDS}`, "Give a duration in seconds, or leave it unset for the default.");
    }
};

const nonEmpty = (fix: string): Rule => (ctx, path, value: string) => {
    if (value.trim() === "") {
        fail(ctx, path, value, "is empty", fix);
    }
};

const oneOf = (values: readonly string[], fix: string): Rule => (ctx, path, value: string) => {
    if (!values.includes(value)) {
        fail(ctx, path, value, `must be one of ${values.map(v => `"${v}"`).join(", ")}`, fix);
    }
};

/** docker/distribution's reference grammar, loosely: [registry/]path[:tag][@digest]. */
const IMAGE_REFERENCE = /^(?:[A-Za-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::\w[\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
/** A TDengine version as the image tags write it: 3.3.7.5 (or 3 parts). */
export const VERSION = /^\d+\.\d+\.\d+(\.\d+)?$/;

const STORAGE_FIX = "Write storage as an object, e.g. { size: \"100Gi\", className: \"fast-ssd\" }.";

/** Every argument of TDengineCluster (components/types.ts), keep in step with it. */
export const ARGUMENTS: Group = group("Pass an object of arguments, e.g. { replicas: 3 }, or nothing for every default.", {
    namespace: leaf("string", true, "Give a namespace name, e.g. \"tdengine\", or leave it unset for the resource name.",
        kubernetesName("a Kubernetes namespace")),
    createNamespace: leaf("boolean", false, "Write true or false (not a string), or leave it unset for true."),
    replicas: leaf("number", true, "Give the number of dnodes as a number, e.g. 3.", (ctx, path, value: number) => {
        if (!Number.isInteger(value) || value < 1 || value > INT32_MAX) {
            fail(ctx, path, value, `must be a whole number from 1 to ${INT32_MAX}`, "Set replicas to 1 or more; 3 or more keeps the cluster available when a dnode is lost.");
        }
    }),
    image: leaf("string", true, "Give an image reference, e.g. \"tdengine/tdengine:3.3.7.5\", or leave it unset for the default.",
        (ctx, path, value: string) => {
            if (!IMAGE_REFERENCE.test(value)) {
                fail(ctx, path, value, "is not a container image reference", "Give an image reference, e.g. \"tdengine/tdengine:3.3.7.5\" (lower-case repository, no spaces).");
            }
        }),
    imagePullPolicy: leaf("string", true, "Use Always, IfNotPresent or Never, or leave it unset for IfNotPresent.",
        (ctx, path, value: string) => { ctx.problems.push(...imagePullPolicyProblems(path, value)); }),
    storage: group(STORAGE_FIX, {
        size: leaf("string", true, "Give a Kubernetes quantity as a string, e.g. \"100Gi\".", quantity("each dnode's volume")),
        className: leaf("string", true, "Give the name of a StorageClass, or leave it unset for the cluster's default.",
            (ctx, path, value: string) => {
                if (!isDns1123Subdomain(value)) {
                    fail(ctx, path, value, "is not a StorageClass name", "Use the name of a StorageClass (`kubectl get storageclass`), or leave it unset for the cluster's default.");
                }
            }),
    }),
    timezone: leaf("string", true, "Give an IANA zone name, e.g. \"UTC\".", (ctx, path, value: string) => {
        const p = timezoneProblem(value);
        if (p !== undefined) {
            fail(ctx, path, value, p.problem, p.fix);
        }
    }),
    taosConfig: leaf("object", true, "Give taos.cfg keys and values as an object, e.g. { supportVnodes: 32 }.",
        (ctx, path, value: Record<string, unknown>) => { ctx.problems.push(...taosConfigProblems(path, value, ctx.secret(path))); }),
    rootPassword: leaf("string", true, `Give a string of ${PASSWORD_RULE}, as a secret.`, (ctx, path, value: string) => {
        const problem = passwordProblem(value);
        if (problem !== undefined) {
            fail(ctx, path, value, problem, `Use ${PASSWORD_RULE}: the same rule the rotation (alter user root pass) applies.`);
        }
    }, true),
    resources: leaf("object", true, "Give requests and limits as an object, e.g. { requests: { cpu: \"2\", memory: \"8Gi\" } }.",
        (ctx, path, value: unknown) => { ctx.problems.push(...resourcesProblems(path, value)); }),
    nodeSelector: leaf("object", true, "Give label keys and values as an object of strings, e.g. { pool: \"db\" }.",
        (ctx, path, value: Record<string, unknown>) => { ctx.problems.push(...nodeSelectorProblems(path, value)); }),
    tolerations: leaf("array", true, "Write tolerations as a list, e.g. [{ key: \"dedicated\", operator: \"Exists\" }].",
        (ctx, path, value: unknown) => { ctx.problems.push(...tolerationsProblems(path, value)); }),
    affinity: leaf("object", true, "Give a Kubernetes Affinity object, or leave it unset to spread dnodes across nodes.",
        (ctx, path, value: unknown) => { ctx.problems.push(...affinityProblems(path, value)); }),
    service: group("Write service as an object, e.g. { type: \"LoadBalancer\" }.", {
        type: leaf("string", true, "Use ClusterIP, NodePort or LoadBalancer.", oneOf(["ClusterIP", "NodePort", "LoadBalancer"], "Use one of ClusterIP, NodePort, LoadBalancer.")),
        annotations: leaf("object", true, "Give annotations as an object of strings.",
            (ctx, path, value: Record<string, unknown>) => { ctx.problems.push(...annotationsProblems(path, value)); }),
    }),
    clusterDomain: leaf("string", true, "Give the cluster's DNS domain, usually \"cluster.local\".", (ctx, path, value: string) => {
        if (!isDns1123Subdomain(value)) {
            fail(ctx, path, value, "is not a DNS domain", "Use the cluster's DNS domain, usually \"cluster.local\".");
        }
    }),
    retainVolumesOnDestroy: leaf("boolean", false, "Write true or false (not a string), or leave it unset for false."),
    lifecycle: group("Write lifecycle as an object, e.g. { dropDnodeTimeoutSeconds: 14400 }.", {
        enabled: leaf("boolean", false, "Write true or false (not a string), or leave it unset for true."),
        restUrl: leaf("string", true, "Give a URL such as \"http://tdengine.db.svc.cluster.local:6041\".", (ctx, path, value: string) => {
            let url: URL | undefined;
            try {
                url = new URL(value);
            } catch {
                url = undefined;
            }
            if (url === undefined || !["http:", "https:"].includes(url.protocol)) {
                fail(ctx, path, value, "is not an http(s) URL", "Use e.g. \"http://tdengine.db.svc.cluster.local:6041\".");
            } else if (url.username !== "" || url.password !== "") {
                ctx.problems.push({ path, problem: "holds credentials", fix: "Remove them from the URL; the password comes from rootPassword." });
            }
        }),
        kubeconfig: leaf("string", true, "Give the kubeconfig's contents (not its path) as a string, as a secret.",
            nonEmpty("Give the kubeconfig's contents, or leave it unset for the default kubeconfig."), true),
        context: leaf("string", true, "Give the name of a context of the kubeconfig.", nonEmpty("Give a context's name, or leave it unset for the current context.")),
        dropDnodeTimeoutSeconds: leaf("number", true, "Give a number of seconds, e.g. 3600.", seconds),
        readyTimeoutSeconds: leaf("number", true, "Give a number of seconds, e.g. 600.", seconds),
        rebalanceAfterScaleUp: leaf("boolean", false, "Write true or false (not a string), or leave it unset for true."),
    }),
    upgrade: group("Write upgrade as an object, e.g. { allowOffline: true }.", {
        allowOffline: leaf("boolean", false, "Write true or false (not a string), or leave it unset for false."),
        version: leaf("string", true, "Give the TDengine version the image runs, e.g. \"3.3.7.6\".", (ctx, path, value: string) => {
            if (!VERSION.test(value)) {
                fail(ctx, path, value, "is not a TDengine version", "Give 3 or 4 numbers separated by dots, e.g. \"3.3.7.6\".");
            }
        }),
        unknownVersionChange: leaf("string", false, "Use \"feature\" or \"maintenance\".",
            oneOf(["feature", "maintenance"], "Use \"feature\" (refused unless allowOffline) or \"maintenance\" (rolled).")),
        backup: leaf("string", false, "Use \"offline\", \"always\" or \"never\".", oneOf(["offline", "always", "never"], "Use \"offline\", \"always\" or \"never\".")),
        backupVolumeSize: leaf("string", true, "Give a Kubernetes quantity as a string, e.g. \"100Gi\".", quantity("the backup volume")),
    }),
});

/** A value not known yet (an Output or Promise) where one may be; checked once it is known. */
export interface Deferred {
    path: string[];
    value: unknown;
}

/** Marks a value that is not known yet in the view the cross-argument checks read. */
export const NOT_YET_KNOWN = Symbol("not yet known");

/**
 * Walks `args` against {@link ARGUMENTS}. Values not known yet are listed in `deferred` (where an Input
 * is allowed) and shown as {@link NOT_YET_KNOWN} in the returned view; everything known is checked now.
 */
export function walkArguments(ctx: Context, args: unknown, deferred: Deferred[]): Record<string, unknown> {
    if (args === undefined) {
        return {};
    }
    return walkGroup(ctx, ARGUMENTS, args, [], deferred, "args") ?? {};
}

function walkGroup(
    ctx: Context, spec: Group, value: unknown, path: string[], deferred: Deferred[], label: string,
): Record<string, unknown> | undefined {
    if (isEventual(value)) {
        fail(ctx, label, value, "must be an object written in the program, not an Output or Promise", `${spec.fix} Only the values inside it may be Outputs.`);
        return undefined;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        fail(ctx, label, value, "must be an object", spec.fix);
        return undefined;
    }
    const view: Record<string, unknown> = {};
    const known = Object.keys(spec.fields);
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        const here = [...path, key];
        const field = spec.fields[key];
        if (field === undefined) {
            if (v === undefined) {
                continue;
            }
            const near = nestedKey(spec, key) ?? nearestKey(key, known);
            ctx.problems.push({
                path: here.join("."),
                problem: `is not an argument of TDengineCluster${path.length > 0 ? `'s ${path.join(".")}` : ""} (got ${describeValue(v, ctx.secret(here.join(".")))})`,
                fix: near !== undefined ? `Did you mean \`${near}\`?` : `Remove it; the arguments here are ${known.map(k => `\`${k}\``).join(", ")}.`,
            });
            continue;
        }
        if (v === undefined) {
            continue;
        }
        view[key] = field.kind === "group"
            ? walkGroup(ctx, field, v, here, deferred, here.join("."))
            : walkLeaf(ctx, field, v, here, deferred);
    }
    return view;
}

/** `kubeconfig` at the top level is `lifecycle.kubeconfig`: a key that exists one level down, in any case. */
function nestedKey(spec: Group, key: string): string | undefined {
    for (const [name, field] of Object.entries(spec.fields)) {
        if (field.kind === "group") {
            const inner = Object.keys(field.fields).find(k => k.toLowerCase() === key.toLowerCase());
            if (inner !== undefined) {
                return `${name}.${inner}`;
            }
        }
    }
    return undefined;
}

function walkLeaf(ctx: Context, spec: Leaf, value: unknown, path: string[], deferred: Deferred[]): unknown {
    const label = path.join(".");
    if (holdsEventual(value)) {
        if (!spec.input) {
            fail(ctx, label, value, "must be written in the program, not an Output or Promise (the component reads it while planning)", spec.fix);
            return undefined;
        }
        deferred.push({ path, value });
        return NOT_YET_KNOWN;
    }
    checkLeaf(ctx, spec, value, label);
    return value;
}

function checkLeaf(ctx: Context, spec: Leaf, value: unknown, label: string): void {
    const type = typeName(value);
    const matches = spec.expect === "number" ? type === "number" && Number.isFinite(value) : type === spec.expect;
    if (!matches) {
        const expected = { string: "a string", number: "a finite number", boolean: "true or false", object: "an object", array: "a list" }[spec.expect];
        fail(ctx, label, value, `must be ${expected}`, spec.fix);
        return;
    }
    spec.rule?.(ctx, label, value as never);
}

/** Checks every argument of a fully known view, as {@link walkArguments} checks the known ones. */
export function checkKnownArguments(ctx: Context, view: Record<string, unknown>): void {
    walkArguments(ctx, view, []);
}

/** The namespaces a component must never own: deleting it on destroy would delete the cluster's own machinery. */
const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];
/**
 * A StatefulSet's pods carry the label `controller-revision-hash: <name>-<hash of up to 10 chars>`,
 * and label values are at most 63 characters.
 */
const MAX_NAME_LENGTH = 52;
/** TDengine keeps an endpoint in a fixed buffer (TSDB_EP_LEN, `fqdn:port`, 134 bytes with the NUL). */
const MAX_ENDPOINT_LENGTH = 133;

export function checkResourceName(ctx: Context, name: unknown): void {
    if (typeof name !== "string" || name.length > MAX_NAME_LENGTH || !DNS1035_LABEL.test(name)) {
        ctx.problems.push({
            path: "the resource name", problem: `is not usable as a Kubernetes name (got ${describeValue(name)})`,
            fix: `Use lower-case letters, digits and '-', starting with a letter, at most ${MAX_NAME_LENGTH} characters.`,
        });
    }
}

const knownValue = <T>(v: unknown, fallback: T): T | undefined => v === NOT_YET_KNOWN ? undefined : (v === undefined ? fallback : v as T);

/** Checks that need several arguments at once, each run only when all it needs is known. */
export function checkAcrossArguments(ctx: Context, view: Record<string, unknown>): void {
    const namespace = knownValue<string>(view.namespace, ctx.resourceName);
    const createNamespace = view.createNamespace !== false;
    if (namespace !== undefined && createNamespace && SYSTEM_NAMESPACES.includes(namespace)) {
        ctx.problems.push({
            path: "namespace", problem: `is "${namespace}", a namespace Kubernetes itself needs, and createNamespace is on`,
            fix: "Use a namespace of the cluster's own (the component creates it and deletes it on destroy), or set createNamespace: false to deploy into an existing one.",
        });
    }
    const clusterDomain = knownValue<string>(view.clusterDomain, "cluster.local");
    const replicas = knownValue<number>(view.replicas, 3);
    if (namespace !== undefined && clusterDomain !== undefined && replicas !== undefined && ctx.problems.length === 0) {
        const names = clusterNames(ctx.resourceName);
        const longest = dnodeEndpointForOrdinal(
            { namespace, clusterDomain, statefulSet: names.statefulSet, headlessService: names.headlessService },
            Math.max(replicas - 1, 0),
        );
        if (longest.length > MAX_ENDPOINT_LENGTH) {
            ctx.problems.push({
                path: "the resource name and namespace",
                problem: `make dnode endpoints too long for TDengine (${longest.length} > ${MAX_ENDPOINT_LENGTH} characters: ${longest})`,
                fix: "Choose a shorter resource name, namespace or clusterDomain.",
            });
        }
    }
}
