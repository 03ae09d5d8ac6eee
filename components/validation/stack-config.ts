/**
 * The runnable program's stack config (stacks/Pulumi.<stack>.yaml, declared in Pulumi.yaml's `config:`
 * block): every `<project>:*` key checked against the known list (a typo is refused with the nearest key),
 * each value parsed strictly for its type, then handed to the component, which checks the values.
 * The engine hands config to the program as strings, objects and lists as JSON.
 */
import * as pulumi from "@pulumi/pulumi";
import { TDengineClusterArgs } from "../types";
import { ARGUMENTS } from "./args";
import { describeValue, nearestKey } from "./describe";
import { Problem } from "./problems";

type Kind = "string" | "integer" | "boolean" | "object" | "array";

/**
 * Every key the program reads, with its type as Pulumi.yaml declares it. Pulumi.yaml gives each a default
 * (a declared key without one is required by the CLI); an empty string, map or list means "the
 * component's default", so that default lives in one place.
 */
export const STACK_CONFIG_KEYS: Readonly<Record<string, Kind>> = {
    name: "string",
    namespace: "string",
    createNamespace: "boolean",
    replicas: "integer",
    image: "string",
    imagePullPolicy: "string",
    storage: "object",
    timezone: "string",
    taosConfig: "object",
    rootPassword: "string",
    resources: "object",
    nodeSelector: "object",
    tolerations: "array",
    affinity: "object",
    service: "object",
    clusterDomain: "string",
    retainVolumesOnDestroy: "boolean",
    lifecycle: "object",
    upgrade: "object",
};

/** Bad stack config: every problem, each naming the `<project>:<key>` and the fix (a RunError: printed without a stack trace). */
export class StackConfigError extends pulumi.RunError {
    constructor(readonly problems: readonly Problem[]) {
        super(problems.length === 1
            ? `Stack config: ${problems[0].path} ${problems[0].problem}. ${problems[0].fix}`
            : `Stack config: ${problems.length} problems:\n${problems.map(p => `  - ${p.path} ${p.problem}. ${p.fix}`).join("\n")}`);
        this.name = "StackConfigError";
    }
}

export interface StackProgram {
    /** The component's resource name (`<project>:name`, default "tdengine"). */
    name: string;
    args: TDengineClusterArgs;
    warnings: string[];
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Reads the program's arguments from the stack config. `config` is `pulumi.runtime.allConfig()`;
 * `isSecret(key)` says whether a full key (`<project>:<key>`) holds a secret.
 */
export function programFromStackConfig(project: string, config: Record<string, string>, isSecret: (key: string) => boolean): StackProgram {
    const problems: Problem[] = [];
    const warnings: string[] = [];
    const values: Record<string, unknown> = {};
    const known = Object.keys(STACK_CONFIG_KEYS);
    for (const [fullKey, raw] of Object.entries(config)) {
        if (!fullKey.startsWith(`${project}:`)) {
            continue;
        }
        const key = fullKey.slice(project.length + 1);
        const secret = isSecret(fullKey) || key === "rootPassword";
        const kind = STACK_CONFIG_KEYS[key];
        if (kind === undefined) {
            const near = nearestKey(key, known);
            problems.push({
                path: fullKey, problem: `is not a config key of this program (got ${describeValue(raw, secret)})`,
                fix: near !== undefined
                    ? `Did you mean \`${project}:${near}\`? Rename it in the stack file, or \`pulumi config rm ${key}\` and \`pulumi config set ${near} ...\`.`
                    : `Remove it (\`pulumi config rm ${key}\`); the keys are ${known.join(", ")} (see Pulumi.yaml).`,
            });
            continue;
        }
        const parsed = parse(fullKey, key, kind, raw, secret, problems);
        if (parsed !== undefined) {
            values[key] = parsed;
        }
    }
    if (problems.length > 0) {
        throw new StackConfigError(problems);
    }
    if (values.rootPassword !== undefined && !isSecret(`${project}:rootPassword`)) {
        warnings.push(`${project}:rootPassword is in plain text in the stack file. Encrypt it: ` +
            "`pulumi config set --secret rootPassword <password>`.");
    }
    const { name, ...args } = values;
    return { name: (name as string | undefined) ?? "tdengine", args: withSecrets(args, project, isSecret) as TDengineClusterArgs, warnings };
}

function parse(fullKey: string, key: string, kind: Kind, raw: string, secret: boolean, problems: Problem[]): unknown {
    const got = describeValue(raw, secret);
    switch (kind) {
        case "string":
            return raw === "" ? undefined : raw;
        case "integer":
            if (!NUMBER.test(raw.trim())) {
                problems.push({ path: fullKey, problem: `must be a number (got ${got})`, fix: `Set a whole number, e.g. \`pulumi config set ${key} 3\`.` });
                return undefined;
            }
            return Number(raw);
        case "boolean":
            if (raw !== "true" && raw !== "false") {
                problems.push({ path: fullKey, problem: `must be true or false (got ${got})`, fix: `Write true or false, e.g. \`pulumi config set ${key} false\`.` });
                return undefined;
            }
            return raw === "true";
        case "object":
        case "array": {
            let value: unknown;
            try {
                value = JSON.parse(raw);
            } catch {
                value = raw;
            }
            const isArray = Array.isArray(value);
            const isObject = typeof value === "object" && value !== null && !isArray;
            if (kind === "object" ? !isObject : !isArray) {
                problems.push({
                    path: fullKey, problem: `must be a ${kind === "object" ? "YAML map" : "YAML list"} (got ${describeValue(value, secret)})`,
                    fix: kind === "object"
                        ? `Write it as a map in the stack file (e.g. \`${fullKey}:\` then indented \`key: value\` lines), or \`pulumi config set --path ${key}.<field> <value>\`.`
                        : `Write it as a list in the stack file (\`${fullKey}:\` then \`- key: ...\` items), or \`pulumi config set --path '${key}[0].key' <value>\`.`,
                });
                return undefined;
            }
            return Object.keys(value as object).length === 0 ? undefined : value;
        }
    }
}

/** A secret config key stays secret in the component: every value it holds that may be an Output is wrapped. */
function withSecrets(args: Record<string, unknown>, project: string, isSecret: (key: string) => boolean): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(args)) {
        const spec = ARGUMENTS.fields[key];
        if (key === "rootPassword") {
            result[key] = pulumi.secret(value);
        } else if (!isSecret(`${project}:${key}`) || spec === undefined) {
            result[key] = value;
        } else if (spec.kind === "leaf") {
            result[key] = spec.input ? pulumi.secret(value) : value;
        } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
            result[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => {
                const field = spec.fields[k];
                return [k, field?.kind === "leaf" && field.input ? pulumi.secret(v) : v];
            }));
        } else {
            result[key] = value;
        }
    }
    return result;
}
