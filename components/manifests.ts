/**
 * The YAML of TDengine's Kubernetes guide as pure functions: a checked, defaulted cluster description in, the Kubernetes
 * objects' metadata and specs out. No Pulumi resources here, so every field can be tested as plain data.
 */
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import {
    ClusterNames, DATA_VOLUME, NATIVE_PORT, PASSWORD_KEY, REST_PORT, TDENGINE_CONTAINER, clusterLabels, clusterNames, selectorLabels,
} from "./names";

/** Everything the manifests depend on, with defaults applied and every value known. */
export interface ClusterSpec {
    /** The component's resource name: the base of every Kubernetes name. */
    name: string;
    namespace: string;
    replicas: number;
    image: string;
    imagePullPolicy: string;
    storageSize: string;
    storageClassName?: string;
    timezone: string;
    taosConfig: Record<string, string | number | boolean>;
    resources?: k8s.types.input.core.v1.ResourceRequirements;
    nodeSelector?: Record<string, string>;
    tolerations?: k8s.types.input.core.v1.Toleration[];
    affinity?: k8s.types.input.core.v1.Affinity;
    serviceType: string;
    serviceAnnotations?: Record<string, string>;
    clusterDomain: string;
    /**
     * Who restarts the pods when their template changes: "lifecycle" (the step after the StatefulSet, one
     * dnode at a time behind the health gate, or offline by TDengine's version rules) or "statefulset"
     * (the controller's own RollingUpdate, when the lifecycle automation is off). Default "statefulset".
     */
    podRestarts?: "lifecycle" | "statefulset";
}

/** An object's metadata and spec, ready to hand to its Pulumi resource. */
export interface Manifest<Spec> {
    metadata: k8s.types.input.meta.v1.ObjectMeta;
    spec: Spec;
}

function metadata(spec: ClusterSpec, name: string): k8s.types.input.meta.v1.ObjectMeta {
    return { name, namespace: spec.namespace, labels: clusterLabels(spec.name) };
}

export function namespaceMetadata(name: string, namespace: string): k8s.types.input.meta.v1.ObjectMeta {
    return { name: namespace, labels: clusterLabels(name) };
}

const servicePorts: k8s.types.input.core.v1.ServicePort[] = [
    { name: "tcp6030", protocol: "TCP", port: NATIVE_PORT, targetPort: NATIVE_PORT },
    { name: "tcp6041", protocol: "TCP", port: REST_PORT, targetPort: REST_PORT },
];

/**
 * The StatefulSet's governing Service. The Kubernetes guide's Service `taosd` is not headless, yet the FQDNs it
 * gives the dnodes (`tdengine-0.taosd.<ns>.svc.cluster.local`) only resolve through a headless one: a
 * ClusterIP Service has no per-pod DNS records. `publishNotReadyAddresses` lets a joining pod resolve
 * pod 0 (and itself) before they pass their readiness probes, which they cannot do until they have joined.
 */
export function headlessService(spec: ClusterSpec): Manifest<k8s.types.input.core.v1.ServiceSpec> {
    const names = clusterNames(spec.name);
    return {
        metadata: metadata(spec, names.headlessService),
        spec: {
            clusterIP: "None",
            publishNotReadyAddresses: true,
            ports: servicePorts,
            selector: selectorLabels(spec.name),
        },
    };
}

/** The Service other programs use; its DNS name is the exported REST and native endpoint. */
export function clientService(spec: ClusterSpec): Manifest<k8s.types.input.core.v1.ServiceSpec> {
    const names = clusterNames(spec.name);
    return {
        metadata: { ...metadata(spec, names.clientService), annotations: spec.serviceAnnotations },
        spec: { type: spec.serviceType, ports: servicePorts, selector: selectorLabels(spec.name) },
    };
}

/** A node drain may take at most one dnode at a time: two down at once breaks the mnodes' RAFT quorum. */
export function podDisruptionBudget(spec: ClusterSpec): Manifest<k8s.types.input.policy.v1.PodDisruptionBudgetSpec> {
    return {
        metadata: metadata(spec, clusterNames(spec.name).podDisruptionBudget),
        spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(spec.name) } },
    };
}

/** The Secret's metadata; its data is set by the component so the password never enters these specs. */
export function secretMetadata(spec: ClusterSpec): k8s.types.input.meta.v1.ObjectMeta {
    return metadata(spec, clusterNames(spec.name).secret);
}

/** A taos.cfg key as the `TAOS_*` variable taosd reads (strip TAOS_, camelCase: docs/tdengine.md#environment-variables). */
export function taosEnvName(configKey: string): string {
    return `TAOS_${configKey.replace(/([A-Z])/g, "_$1").toUpperCase()}`;
}

function taosEnvValue(value: string | number | boolean): string {
    if (typeof value === "boolean") {
        return value ? "1" : "0";
    }
    return String(value);
}

/** The container's environment, built exactly as TDengine's Kubernetes guide builds it, plus the second endpoint. */
export function dnodeEnv(spec: ClusterSpec, names: ClusterNames = clusterNames(spec.name)): k8s.types.input.core.v1.EnvVar[] {
    const podDomain = `$(SERVICE_NAME).$(STS_NAMESPACE).svc.${spec.clusterDomain}`;
    const env: k8s.types.input.core.v1.EnvVar[] = [
        { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        { name: "SERVICE_NAME", value: names.headlessService },
        { name: "STS_NAME", value: names.statefulSet },
        { name: "STS_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
        { name: "TZ", value: spec.timezone },
        { name: "TAOS_SERVER_PORT", value: String(NATIVE_PORT) },
        { name: "TAOS_FIRST_EP", value: `$(STS_NAME)-0.${podDomain}:$(TAOS_SERVER_PORT)` },
    ];
    if (spec.replicas >= 2) {
        // Without it a dnode restarting while pod 0 is down cannot find the cluster.
        env.push({ name: "TAOS_SECOND_EP", value: `$(STS_NAME)-1.${podDomain}:$(TAOS_SERVER_PORT)` });
    }
    env.push(
        { name: "TAOS_FQDN", value: `$(POD_NAME).${podDomain}` },
        // The image applies it once, on the first start of the first pod (3.3.6.6 and later).
        { name: "TAOS_ROOT_PASSWORD", valueFrom: { secretKeyRef: { name: names.secret, key: PASSWORD_KEY } } },
    );
    for (const [key, value] of Object.entries(spec.taosConfig).sort(([a], [b]) => a.localeCompare(b))) {
        env.push({ name: taosEnvName(key), value: taosEnvValue(value) });
    }
    return env;
}

const taosCheck = { exec: { command: ["taos-check"] } };

/**
 * The probes of TDengine's Kubernetes guide, with two corrections. Its readiness probe has `timeoutSeconds: 5000`: a hung
 * taos-check would hold a pod "ready" for 83 minutes; 5 s is ample for a check of the pod's own port.
 * Exec probes default to a 1 s timeout, too short for taos-check on a loaded node, so every probe gets
 * the same 5 s (a liveness failure restarts the dnode, and a SIGTERM'd taosd can spin in shutdown for
 * over a minute: docs/tdengine.md#sigterm-and-datadir-lock).
 */
export function dnodeProbes(): Pick<k8s.types.input.core.v1.Container, "startupProbe" | "readinessProbe" | "livenessProbe"> {
    return {
        // Long on purpose (TDengine's Kubernetes guide explains): a dnode back from a long absence is briefly unavailable.
        startupProbe: { ...taosCheck, failureThreshold: 360, periodSeconds: 10, timeoutSeconds: 5 },
        readinessProbe: { ...taosCheck, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 5 },
        livenessProbe: { ...taosCheck, initialDelaySeconds: 15, periodSeconds: 20, timeoutSeconds: 5 },
    };
}

/** Spread dnodes across nodes when the scheduler can: one node's loss then takes one dnode. */
export function defaultAffinity(spec: ClusterSpec): k8s.types.input.core.v1.Affinity {
    return {
        podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [{
                weight: 100,
                podAffinityTerm: {
                    labelSelector: { matchLabels: selectorLabels(spec.name) },
                    topologyKey: "kubernetes.io/hostname",
                },
            }],
        },
    };
}

/**
 * With the lifecycle on, `OnDelete`: a new template restarts no pod until the step after the StatefulSet
 * deletes it, so that step decides the order, the pace (the health gate between two pods) and whether it
 * is a roll at all (an offline upgrade stops them all). Not a partitioned RollingUpdate: a pod below the
 * partition that dies would come back on the OLD template, and the step would have to patch the partition
 * behind Pulumi's back (a field Pulumi also sets). The Kubernetes provider's await logic for an OnDelete
 * StatefulSet (generation > 1) waits only for the replicas to be ready, not for the pods to reach the new
 * revision, so `pulumi up` does not wait on a roll that only the step will do. Only the strategy changes;
 * podManagementPolicy is immutable and stays OrderedReady.
 */
function updateStrategy(spec: ClusterSpec): k8s.types.input.apps.v1.StatefulSetUpdateStrategy {
    return spec.podRestarts === "lifecycle" ? { type: "OnDelete" } : { type: "RollingUpdate" };
}

/**
 * A short hash of the pod template: an input of the step after the StatefulSet, so that step runs (and
 * restarts the pods onto it) whenever the template changes: image, taosConfig, resources, timezone,
 * scheduling, pull policy.
 */
export function podTemplateHash(spec: ClusterSpec): string {
    const template = statefulSet(spec).spec.template;
    return createHash("sha256").update(JSON.stringify(template)).digest("hex").slice(0, 16);
}

export function statefulSet(spec: ClusterSpec): Manifest<k8s.types.input.apps.v1.StatefulSetSpec> {
    const names = clusterNames(spec.name);
    return {
        metadata: metadata(spec, names.statefulSet),
        spec: {
            serviceName: names.headlessService,
            replicas: spec.replicas,
            // Pods start one at a time: each joining dnode must find the ones before it.
            podManagementPolicy: "OrderedReady",
            updateStrategy: updateStrategy(spec),
            selector: { matchLabels: selectorLabels(spec.name) },
            template: {
                metadata: { labels: clusterLabels(spec.name) },
                spec: {
                    affinity: spec.affinity ?? defaultAffinity(spec),
                    nodeSelector: spec.nodeSelector,
                    tolerations: spec.tolerations,
                    containers: [{
                        name: TDENGINE_CONTAINER,
                        image: spec.image,
                        imagePullPolicy: spec.imagePullPolicy,
                        ports: [
                            { name: "tcp6030", protocol: "TCP", containerPort: NATIVE_PORT },
                            { name: "tcp6041", protocol: "TCP", containerPort: REST_PORT },
                        ],
                        env: dnodeEnv(spec, names),
                        resources: spec.resources,
                        volumeMounts: [{ name: DATA_VOLUME, mountPath: "/var/lib/taos" }],
                        ...dnodeProbes(),
                    }],
                },
            },
            volumeClaimTemplates: [{
                metadata: { name: DATA_VOLUME, labels: clusterLabels(spec.name) },
                spec: {
                    accessModes: ["ReadWriteOnce"],
                    storageClassName: spec.storageClassName,
                    resources: { requests: { storage: spec.storageSize } },
                },
            }],
        },
    };
}
