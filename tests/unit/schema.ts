/**
 * Validates a Kubernetes object against the OpenAPI schema twice over: kubernetes-models' validators
 * (types, enums, required fields) and a walk over @kubernetes/client-node's models, which are generated
 * from the same OpenAPI document and list every known field: the validators accept unknown fields such
 * as `spec.replicaz`, which the API server would drop (or reject) without a word to the user.
 */
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";

interface AttributeType { baseName: string; type: string }
type ModelClass = { getAttributeTypeMap(): AttributeType[] };

// @kubernetes/client-node 1.x is an ES module; Node 20.19+ loads it with require().
// eslint-disable-next-line @typescript-eslint/no-require-imports
const models = require("@kubernetes/client-node") as Record<string, unknown>;

const byKind: Record<string, { model: string; validate(obj: unknown): void }> = {
    Namespace: { model: "V1Namespace", validate: o => new Namespace(o as never).validate() },
    Secret: { model: "V1Secret", validate: o => new Secret(o as never).validate() },
    Service: { model: "V1Service", validate: o => new Service(o as never).validate() },
    StatefulSet: { model: "V1StatefulSet", validate: o => new StatefulSet(o as never).validate() },
    PodDisruptionBudget: { model: "V1PodDisruptionBudget", validate: o => new PodDisruptionBudget(o as never).validate() },
};

/** Paths of fields that the schema does not know, e.g. `spec.replicaz`. */
export function unknownFields(value: unknown, type: string, path = ""): string[] {
    if (value === undefined || value === null) {
        return [];
    }
    const array = /^Array<(.+)>$/.exec(type);
    if (array) {
        return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(v, array[1], `${path}[${i}]`)) : [`${path} (not a list)`];
    }
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) {
        return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => unknownFields(v, map[1], `${path}.${k}`));
    }
    const model = models[type] as ModelClass | undefined;
    if (model === undefined || typeof model.getAttributeTypeMap !== "function") {
        return []; // a scalar, IntOrString, a quantity or free-form object
    }
    const fields = new Map(model.getAttributeTypeMap().map(a => [a.baseName, a.type]));
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => {
        const fieldType = fields.get(k);
        const here = path === "" ? k : `${path}.${k}`;
        return fieldType === undefined ? [here] : unknownFields(v, fieldType, here);
    });
}

/** Throws when the object is not valid for its kind or carries a field the schema does not know. */
export function validateManifest(obj: { kind: string } & Record<string, unknown>): void {
    const kind = byKind[obj.kind];
    if (kind === undefined) {
        throw new Error(`no schema wired for kind ${obj.kind}`);
    }
    kind.validate(obj);
    const unknown = unknownFields(obj, kind.model);
    if (unknown.length > 0) {
        throw new Error(`${obj.kind} has fields the Kubernetes schema does not know: ${unknown.join(", ")}`);
    }
}
