/**
 * How a given value is shown in an error message: its type and its value, so the string "3" and the
 * number 3 are told apart, and a secret is never shown.
 */
import * as pulumi from "@pulumi/pulumi";

const MAX_SHOWN = 60;

/** The value's type as a user would name it: string, number, boolean, null, array, object, Output, ... */
export function typeName(value: unknown): string {
    if (value === null) {
        return "null";
    }
    if (Array.isArray(value)) {
        return "array";
    }
    if (pulumi.Output.isInstance(value)) {
        return "Output";
    }
    if (isPromiseLike(value)) {
        return "Promise";
    }
    return typeof value;
}

/** E.g. `string "3"`, `number 3`, `boolean true`, `null`, `object {"size":"5Gi"}`, `a secret string`. */
export function describeValue(value: unknown, secret = false): string {
    const type = typeName(value);
    if (secret) {
        return `a secret ${type}, not shown`;
    }
    switch (type) {
        case "string":
            return `string ${shorten(JSON.stringify(value))}`;
        case "number":
        case "boolean":
        case "bigint":
            return `${type} ${String(value)}`;
        case "null":
        case "undefined":
            return type;
        case "array":
        case "object": {
            let json: string | undefined;
            try {
                json = JSON.stringify(value);
            } catch {
                json = undefined;
            }
            return json === undefined ? type : `${type} ${shorten(json)}`;
        }
        default:
            return /^[aeiouAEIOU]/.test(type) ? `an ${type}` : `a ${type}`;
    }
}

function shorten(text: string): string {
    return text.length <= MAX_SHOWN ? text : `${text.slice(0, MAX_SHOWN - 1)}…`;
}

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
    return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/** An Output or a Promise: a value the program does not hold yet. */
export function isEventual(value: unknown): boolean {
    return pulumi.Output.isInstance(value) || isPromiseLike(value);
}

/** True when `value` is, or holds somewhere inside, an Output or a Promise. */
export function holdsEventual(value: unknown, depth = 0): boolean {
    if (isEventual(value)) {
        return true;
    }
    if (depth > 20 || typeof value !== "object" || value === null) {
        return false;
    }
    return Object.values(value as Record<string, unknown>).some(v => holdsEventual(v, depth + 1));
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
    if (typeof value !== "object" || value === null || Array.isArray(value) || isEventual(value)) {
        return false;
    }
    const proto = Object.getPrototypeOf(value) as unknown;
    return proto === Object.prototype || proto === null;
}

/** The known key nearest to a mistyped one (`replica` → `replicas`), or undefined when none is close. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
    const k = key.toLowerCase();
    let best: { key: string; distance: number } | undefined;
    for (const candidate of known) {
        const c = candidate.toLowerCase();
        const distance = c === k ? 0 : editDistance(k, c);
        if (best === undefined || distance < best.distance) {
            best = { key: candidate, distance };
        }
    }
    if (best === undefined) {
        return undefined;
    }
    const close = best.distance <= Math.max(1, Math.floor(key.length / 3));
    const contained = k.length >= 4 && (best.key.toLowerCase().includes(k) || k.includes(best.key.toLowerCase()));
    if (close) {
        return best.key;
    }
    return contained ? best.key : known.find(c => k.length >= 4 && (c.toLowerCase().includes(k) || k.includes(c.toLowerCase())));
}

function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const row = [i];
        for (let j = 1; j <= b.length; j++) {
            row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        previous = row;
    }
    return previous[b.length];
}
