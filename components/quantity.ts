/** Kubernetes quantities (k8s.io/apimachinery/pkg/api/resource), as far as volume sizes need them. */

const SUFFIX: Record<string, number> = {
    "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

const QUANTITY = /^(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

/** A quantity in bytes, e.g. "5Gi" → 5368709120; undefined when it is not a quantity. */
export function quantityToBytes(quantity: string): number | undefined {
    const m = QUANTITY.exec(quantity.trim());
    if (m === null) {
        return undefined;
    }
    const suffix = m[2] ?? "";
    const factor = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : SUFFIX[suffix];
    return Number(m[1]) * factor;
}
