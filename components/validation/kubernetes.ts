/**
 * Kubernetes fragments given as arguments (`resources`, `tolerations`, `affinity`, `nodeSelector`,
 * annotations, `imagePullPolicy`), checked against the Kubernetes OpenAPI schema before they reach the API
 * server: types, enums, required fields and quantity formats by kubernetes-models' validators; field names
 * by the models of @kubernetes/client-node (the validators accept unknown fields, which the API server
 * would drop without a word); and what the schema cannot say: name syntax, requests within limits.
 */
import { quantityToBytes } from "../quantity";
import { describeValue, isPlainObject, nearestKey } from "./describe";
import { isLabelValue, isQualifiedName } from "./kubernetes-names";
import { Problem } from "./problems";

/** One finding: a path below the argument and what is wrong there (without the value). */
interface Finding {
    path: string;
    problem: string;
}

interface SchemaError {
    instancePath: string;
    keyword: string;
    params: { allowedValues?: unknown[]; type?: string; missingProperty?: string; format?: string };
}

type Model = new (data: never) => { validate(): void };

type Kind = "ResourceRequirements" | "Toleration" | "Affinity";

/**
 * A kubernetes-models class, loaded when a fragment that needs it is given: most stacks give none, and the
 * program loads this module at every preview and up.
 */
function modelOf(kind: Kind | "Container"): Model {
    return (require(`kubernetes-models/v1/${kind}`) as Record<string, Model>)[kind]; // eslint-disable-line @typescript-eslint/no-require-imports
}

/** Findings of kubernetes-models' validator, one per place, the most telling first. */
function schemaFindings(kind: Kind, value: unknown): Finding[] {
    try {
        new (modelOf(kind))(value as never).validate();
        return [];
    } catch (err) {
        const errors = (err as { errors?: SchemaError[] }).errors;
        if (!Array.isArray(errors)) {
            return [{ path: "", problem: `does not match the Kubernetes ${kind} schema (${String((err as Error).message)})` }];
        }
        return summarize(errors);
    }
}

function summarize(errors: SchemaError[]): Finding[] {
    const byPath = new Map<string, SchemaError[]>();
    for (const e of errors) {
        byPath.set(e.instancePath, [...(byPath.get(e.instancePath) ?? []), e]);
    }
    const findings: Finding[] = [];
    for (const [instancePath, list] of byPath) {
        const path = pathOf(instancePath);
        const format = list.find(e => e.keyword === "format");
        const enumError = list.find(e => e.keyword === "enum");
        const required = list.filter(e => e.keyword === "required");
        const types = [...new Set(list.filter(e => e.keyword === "type").map(e => e.params.type ?? ""))];
        if (format?.params.format === "quantity") {
            findings.push({ path, problem: "is not a Kubernetes quantity" });
        } else if (format !== undefined) {
            findings.push({ path, problem: `is not in the ${format.params.format} format` });
        } else if (enumError !== undefined) {
            findings.push({ path, problem: `must be one of ${(enumError.params.allowedValues ?? []).map(v => JSON.stringify(v)).join(", ")}` });
        } else if (types.length > 0) {
            findings.push({ path, problem: `must be ${types.map(article).join(" or ")}` });
        }
        for (const r of required) {
            findings.push({ path, problem: `needs the field \`${r.params.missingProperty ?? "?"}\`` });
        }
    }
    return findings;
}

function article(type: string): string {
    return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** `/tolerations/0/operator` → `.tolerations[0].operator` (appended to the argument's path). */
function pathOf(instancePath: string): string {
    return instancePath.split("/").slice(1).map(p => /^\d+$/.test(p) ? `[${p}]` : `.${p}`).join("");
}

interface AttributeType {
    baseName: string;
    type: string;
}

/** The field list of a @kubernetes/client-node model, loaded one small file at a time (the package index is slow to load). */
function fieldsOf(model: string): Map<string, string> | undefined {
    if (!/^[A-Za-z0-9]+$/.test(model)) {
        return undefined;
    }
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const mod = require(`@kubernetes/client-node/dist/gen/models/${model}.js`) as Record<string, { getAttributeTypeMap?(): AttributeType[] }>;
        const map = mod[model]?.getAttributeTypeMap?.();
        return map === undefined ? undefined : new Map(map.map(a => [a.baseName, a.type]));
    } catch {
        return undefined;
    }
}

/** Paths of fields that the Kubernetes schema does not know, e.g. `.limits.cpuu`. */
function unknownFields(value: unknown, type: string, path = ""): Finding[] {
    if (value === undefined || value === null) {
        return [];
    }
    const array = /^Array<(.+)>$/.exec(type);
    if (array) {
        return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(v, array[1], `${path}[${i}]`)) : [];
    }
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) {
        return isPlainObject(value) ? Object.entries(value).flatMap(([k, v]) => unknownFields(v, map[1], `${path}.${k}`)) : [];
    }
    const fields = isPlainObject(value) ? fieldsOf(type) : undefined;
    if (fields === undefined) {
        return [];
    }
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => {
        const fieldType = fields.get(k);
        return fieldType === undefined
            ? [{ path: `${path}.${k}`, problem: `is not a field of Kubernetes' ${type.replace(/^V1/, "")}${suggestion(k, [...fields.keys()])}` }]
            : unknownFields(v, fieldType, `${path}.${k}`);
    });
}

function suggestion(key: string, known: string[]): string {
    const near = nearestKey(key, known);
    return near === undefined ? ` (its fields: ${known.join(", ")})` : ` (did you mean \`${near}\`?)`;
}

function valueAt(root: unknown, relative: string): unknown {
    let value = root;
    for (const m of relative.matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)) {
        if (typeof value !== "object" || value === null) {
            return undefined;
        }
        value = (value as Record<string, unknown>)[m[1] ?? m[2]];
    }
    return value;
}

function toProblems(argPath: string, value: unknown, findings: Finding[], fix: string): Problem[] {
    return findings.map(f => ({
        path: `${argPath}${f.path}`,
        problem: `${f.problem} (got ${describeValue(valueAt(value, f.path))})`,
        fix,
    }));
}

/** `resources`: a ResourceRequirements, quantities that parse, every request within its limit. */
export function resourcesProblems(path: string, value: unknown): Problem[] {
    const fix = "Write requests and limits as Kubernetes quantities, e.g. { requests: { cpu: \"2\", memory: \"8Gi\" }, limits: { memory: \"8Gi\" } }.";
    const found = [...schemaFindings("ResourceRequirements", value), ...unknownFields(value, "V1ResourceRequirements")];
    const problems = toProblems(path, value, found, fix);
    if (problems.length > 0) {
        return problems;
    }
    const r = value as { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
    for (const [resource, request] of Object.entries(r.requests ?? {})) {
        const limit = r.limits?.[resource];
        const requested = quantityValue(request);
        const limited = quantityValue(limit);
        if (requested !== undefined && limited !== undefined && requested > limited) {
            problems.push({
                path: `${path}.requests.${resource}`,
                problem: `is above its limit (got ${describeValue(request)}, limit ${describeValue(limit)})`,
                fix: `Request at most the limit: Kubernetes refuses a pod whose ${resource} request exceeds its limit.`,
            });
        }
    }
    return problems;
}

function quantityValue(q: unknown): number | undefined {
    if (typeof q === "number") {
        return q;
    }
    return typeof q === "string" ? quantityToBytes(q) : undefined;
}

/** `tolerations`: a list of Tolerations. */
export function tolerationsProblems(path: string, value: unknown): Problem[] {
    const fix = "Write tolerations as a list, e.g. [{ key: \"dedicated\", operator: \"Equal\", value: \"tdengine\", effect: \"NoSchedule\" }].";
    if (!Array.isArray(value)) {
        return [{ path, problem: `must be a list of tolerations (got ${describeValue(value)})`, fix }];
    }
    return value.flatMap((t, i) => toProblems(`${path}[${i}]`, t,
        [...schemaFindings("Toleration", t), ...unknownFields(t, "V1Toleration")], fix));
}

/** `affinity`: an Affinity. */
export function affinityProblems(path: string, value: unknown): Problem[] {
    const fix = "Write it as a Kubernetes Affinity (nodeAffinity, podAffinity, podAntiAffinity), or leave it unset to spread dnodes across nodes.";
    return toProblems(path, value, [...schemaFindings("Affinity", value), ...unknownFields(value, "V1Affinity")], fix);
}

/** `imagePullPolicy`: one of the Container schema's values. */
export function imagePullPolicyProblems(path: string, value: unknown): Problem[] {
    try {
        new (modelOf("Container"))({ name: "tdengine", imagePullPolicy: value } as never).validate();
        return [];
    } catch (err) {
        const findings = summarize((err as { errors?: SchemaError[] }).errors ?? []).map(f => ({ ...f, path: "" }));
        return toProblems(path, value, findings.slice(0, 1), "Use Always, IfNotPresent or Never, or leave it unset for IfNotPresent.");
    }
}

/** `nodeSelector`: label keys to label values, all strings. */
export function nodeSelectorProblems(path: string, value: Record<string, unknown>): Problem[] {
    const problems: Problem[] = [];
    for (const [key, v] of Object.entries(value)) {
        if (!isQualifiedName(key)) {
            problems.push({ path: `${path}["${key}"]`, problem: `is not a Kubernetes label key (got ${describeValue(key)})`,
                fix: "Use a label key such as \"node-pool\" or \"example.com/pool\": letters, digits, '-', '_', '.', an optional DNS prefix and '/'." });
        }
        if (typeof v !== "string") {
            problems.push({ path: `${path}.${key}`, problem: `must be a string (got ${describeValue(v)})`,
                fix: "Quote the label value: node labels are strings (e.g. \"3\", \"true\")." });
        } else if (!isLabelValue(v)) {
            problems.push({ path: `${path}.${key}`, problem: `is not a Kubernetes label value (got ${describeValue(v)})`,
                fix: "Use at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit." });
        }
    }
    return problems;
}

/** Annotations: qualified-name keys to string values, 256 KiB in all. */
export function annotationsProblems(path: string, value: Record<string, unknown>): Problem[] {
    const problems: Problem[] = [];
    for (const [key, v] of Object.entries(value)) {
        if (!isQualifiedName(key)) {
            problems.push({ path: `${path}["${key}"]`, problem: `is not a Kubernetes annotation key (got ${describeValue(key)})`,
                fix: "Use a key such as \"service.beta.kubernetes.io/aws-load-balancer-type\": an optional DNS prefix and '/', then letters, digits, '-', '_' and '.'." });
        }
        if (typeof v !== "string") {
            problems.push({ path: `${path}.${key}`, problem: `must be a string (got ${describeValue(v)})`,
                fix: "Quote the annotation value: annotations are strings (e.g. \"true\", \"30\")." });
        }
    }
    const size = Object.entries(value).reduce((n, [k, v]) => n + k.length + String(v).length, 0);
    if (size > 256 * 1024) {
        problems.push({ path, problem: `are ${size} bytes in all`, fix: "Keep annotations under 256 KiB in all, as Kubernetes requires." });
    }
    return problems;
}
