/**
 * Kubernetes' name syntax (k8s.io/apimachinery/pkg/util/validation), which the OpenAPI schema does not
 * carry: the API server applies it, so a value breaking it would fail only at `pulumi up`.
 */

export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

export function isDns1123Label(value: string): boolean {
    return value.length <= 63 && DNS1123_LABEL.test(value);
}

export function isDns1123Subdomain(value: string): boolean {
    return value.length <= 253 && DNS1123_SUBDOMAIN.test(value);
}

/** A label or annotation key: an optional DNS subdomain prefix and `/`, then a name of at most 63 characters. */
export function isQualifiedName(key: string): boolean {
    const parts = key.split("/");
    if (parts.length > 2) {
        return false;
    }
    const name = parts[parts.length - 1];
    if (name.length > 63 || !QUALIFIED_NAME_PART.test(name)) {
        return false;
    }
    return parts.length === 1 || (parts[0] !== "" && isDns1123Subdomain(parts[0]));
}

/** A label value: empty, or at most 63 alphanumerics, `-`, `_` and `.`, starting and ending alphanumeric. */
export function isLabelValue(value: string): boolean {
    return value === "" || (value.length <= 63 && QUALIFIED_NAME_PART.test(value));
}
