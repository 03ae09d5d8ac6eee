/**
 * How Kubernetes names map to TDengine names. Everything that turns a pod ordinal into a dnode endpoint
 * (or back) lives here, so the StatefulSet's env, the PVC clean-up and the lifecycle steps agree.
 */

/** The native port every dnode listens on (`TAOS_SERVER_PORT`), as in TDengine's Kubernetes guide. */
export const NATIVE_PORT = 6030;
/** taosAdapter's REST port, started by the official image in the same container. */
export const REST_PORT = 6041;
/** The volumeClaimTemplate's name, as in TDengine's Kubernetes guide: PVCs are `taosdata-<statefulset>-<ordinal>`. */
export const DATA_VOLUME = "taosdata";
/** The name of the StatefulSet's TDengine container. */
export const TDENGINE_CONTAINER = "tdengine";
/** The key of the root password in the component's Kubernetes Secret. */
export const PASSWORD_KEY = "password";

/** The Kubernetes names of one cluster's objects, all derived from the component's name. */
export interface ClusterNames {
    statefulSet: string;
    /** The headless governing Service that gives each pod its DNS name. */
    headlessService: string;
    /** The Service clients use (ClusterIP, NodePort or LoadBalancer). */
    clientService: string;
    secret: string;
    podDisruptionBudget: string;
}

export function clusterNames(name: string): ClusterNames {
    return {
        statefulSet: name,
        headlessService: `${name}-taosd`,
        clientService: name,
        secret: `${name}-root`,
        podDisruptionBudget: name,
    };
}

/** Where one cluster lives: what is needed to name a pod's dnode. */
export interface DnodeAddressing {
    namespace: string;
    statefulSet: string;
    headlessService: string;
    clusterDomain: string;
}

export function podName(a: Pick<DnodeAddressing, "statefulSet">, ordinal: number): string {
    return `${a.statefulSet}-${ordinal}`;
}

/** The pod's fully qualified name, as TDengine's Kubernetes guide builds `TAOS_FQDN`. */
export function dnodeFqdnForOrdinal(a: DnodeAddressing, ordinal: number): string {
    return `${podName(a, ordinal)}.${a.headlessService}.${a.namespace}.svc.${a.clusterDomain}`;
}

/** The endpoint TDengine lists in `show dnodes` for the pod with this ordinal. */
export function dnodeEndpointForOrdinal(a: DnodeAddressing, ordinal: number): string {
    return `${dnodeFqdnForOrdinal(a, ordinal)}:${NATIVE_PORT}`;
}

/**
 * The pod ordinal a dnode endpoint belongs to, or undefined when the endpoint is not one of this
 * StatefulSet's pods. Dnodes are matched to pods by endpoint, never by id: ids change when a dnode is
 * dropped and re-added (the Kubernetes guide's tdengine-3 comes back as dnode 5).
 */
export function ordinalOfDnodeEndpoint(a: DnodeAddressing, endpoint: string): number | undefined {
    const prefix = `${a.statefulSet}-`;
    const suffix = `.${a.headlessService}.${a.namespace}.svc.${a.clusterDomain}:${NATIVE_PORT}`;
    if (!endpoint.startsWith(prefix) || !endpoint.endsWith(suffix)) {
        return undefined;
    }
    return parseOrdinal(endpoint.slice(prefix.length, endpoint.length - suffix.length));
}

export function pvcNameForOrdinal(statefulSet: string, ordinal: number): string {
    return `${DATA_VOLUME}-${statefulSet}-${ordinal}`;
}

/** The ordinal of a data PVC of this StatefulSet, or undefined for any other claim. */
export function ordinalOfPvc(statefulSet: string, pvcName: string): number | undefined {
    const prefix = `${DATA_VOLUME}-${statefulSet}-`;
    return pvcName.startsWith(prefix) ? parseOrdinal(pvcName.slice(prefix.length)) : undefined;
}

/** The ordinal of a pod of this StatefulSet, or undefined for any other pod. */
export function ordinalOfPod(statefulSet: string, name: string): number | undefined {
    const prefix = `${statefulSet}-`;
    return name.startsWith(prefix) ? parseOrdinal(name.slice(prefix.length)) : undefined;
}

function parseOrdinal(text: string): number | undefined {
    return /^(0|[1-9][0-9]*)$/.test(text) ? Number(text) : undefined;
}

/** Labels every object of the cluster carries; the selector uses the first two only (it is immutable). */
export function clusterLabels(name: string): Record<string, string> {
    return { ...selectorLabels(name), "app.kubernetes.io/managed-by": "pulumi", app: "tdengine" };
}

export function selectorLabels(name: string): Record<string, string> {
    return { "app.kubernetes.io/name": "tdengine", "app.kubernetes.io/instance": name };
}
