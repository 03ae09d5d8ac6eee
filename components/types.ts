import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

/** The image used when `image` is not set: a pinned TDengine 3.x release (the one docs/tdengine.md records). */
export const DEFAULT_IMAGE = "tdengine/tdengine:3.3.7.5";
/** TDengine's own default root password; the component warns when a cluster is left with it. */
export const DEFAULT_ROOT_PASSWORD = "taosdata";

/** The kinds of client Service the component can create. */
export type ServiceType = "ClusterIP" | "NodePort" | "LoadBalancer";

/** Persistent storage for each dnode: one ReadWriteOnce PVC per pod, mounted at /var/lib/taos. */
export interface StorageArgs {
    /**
     * Size of each dnode's volume, a Kubernetes quantity of at least one whole byte (`"100Gi"`; `"500m"` is
     * half a byte and refused). Default `"5Gi"` (as in TDengine's Kubernetes guide). Under 1Gi is warned about.
     */
    size?: pulumi.Input<string>;
    /**
     * StorageClass of the volumes. Default: the cluster's default StorageClass (TDengine's Kubernetes guide names
     * `standard`, which only some clusters have). Changing it later does not move existing volumes.
     */
    className?: pulumi.Input<string>;
}

/** The client Service: how programs reach the cluster on 6030 (native) and 6041 (REST). */
export interface ServiceArgs {
    /** `ClusterIP` (default), `NodePort` or `LoadBalancer`, spelt exactly. */
    type?: pulumi.Input<ServiceType>;
    /** Annotations for the client Service (e.g. a cloud load balancer's settings): qualified-name keys, string values. */
    annotations?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** How the lifecycle steps (mnodes, safe scale-down, PVC clean-up) reach Kubernetes and TDengine. */
export interface LifecycleArgs {
    /**
     * Run the lifecycle automation. Default `true`. With `false` the component only creates the
     * Kubernetes objects, like the YAML of TDengine's Kubernetes guide: creating mnodes, `drop dnode` before a scale-down and
     * deleting PVCs are then yours to do.
     */
    enabled?: boolean;
    /**
     * A URL of TDengine's REST API (e.g. `http://tdengine.db.svc.cluster.local:6041`) for programs that
     * run inside the cluster. Default: none, and the steps port-forward to a ready pod through the
     * Kubernetes API instead, which works from any machine that can run `kubectl`.
     */
    restUrl?: pulumi.Input<string>;
    /**
     * Kubeconfig (its contents) the steps use to reach the Kubernetes API. Default: the same as the
     * default Kubernetes provider (`KUBECONFIG` or `~/.kube/config`). When you pass your own
     * `k8s.Provider`, pass the kubeconfig you built it from here too; when you set this and pass no
     * provider, the component builds its Kubernetes provider from it, so both always agree.
     */
    kubeconfig?: pulumi.Input<string>;
    /** The kubeconfig context to use. Default: the kubeconfig's current context. */
    context?: pulumi.Input<string>;
    /**
     * How long one `drop dnode` may take, in seconds. It blocks while the dnode's vnodes move to the
     * others, which takes minutes or more with real data. Default 3600.
     */
    dropDnodeTimeoutSeconds?: pulumi.Input<number>;
    /**
     * How long to wait for every dnode to be `ready` and every mnode to be serving after the StatefulSet
     * has rolled out, in seconds. Default 600.
     */
    readyTimeoutSeconds?: pulumi.Input<number>;
    /** Run `balance vgroup` once new dnodes are ready after a scale-up. Default `true`. */
    rebalanceAfterScaleUp?: boolean;
}

/** How image changes are carried out (TDengine's version rules, docs/tdengine.md#version-rules). */
export interface UpgradeArgs {
    /**
     * Allow a Feature or Major upgrade (or a Feature downgrade) by stopping every dnode, then starting all on the
     * new image. Default false: such a change is refused at preview.
     */
    allowOffline?: boolean;
    /** The TDengine version `image` runs (e.g. "3.3.7.6"), for digests and custom tags whose tag does not say it. */
    version?: pulumi.Input<string>;
    /**
     * How a change between versions that cannot be read is treated: "feature" (default, refused unless
     * allowOffline) or "maintenance" (rolled).
     */
    unknownVersionChange?: "feature" | "maintenance";
    /**
     * taosdump backup of every database before an upgrade: "offline" (default: before every offline upgrade),
     * "always" (before any image change), "never".
     */
    backup?: "offline" | "always" | "never";
    /** Size of the backup volume (a Kubernetes quantity). Default: storage.size. */
    backupVolumeSize?: pulumi.Input<string>;
}

/** The arguments of a {@link TDengineCluster}. Every argument has a default taken from TDengine's Kubernetes guide. */
export interface TDengineClusterArgs {
    /**
     * Namespace of every object, a DNS-1123 label. Default: the component's resource name. With
     * `createNamespace` on, `default`, `kube-system`, `kube-public` and `kube-node-lease` are refused.
     */
    namespace?: pulumi.Input<string>;
    /**
     * Create the namespace (default `true`). Set `false` to deploy into a namespace that already exists;
     * the component then never deletes it. `true` or `false` only, written in the program (not a string).
     */
    createNamespace?: boolean;
    /**
     * Number of dnodes (pods). Default 3: with 3 or more the component places mnodes on 3 dnodes, so
     * the cluster survives the loss of any one. Lowering it drops the leaving dnodes first (see README).
     * A whole number from 1 (not a string); 2 is warned about: 2 dnodes keep 1 mnode, so losing it stops the cluster.
     */
    replicas?: pulumi.Input<number>;
    /** Container image. Default {@link DEFAULT_IMAGE}. */
    image?: pulumi.Input<string>;
    /** Image pull policy: `Always`, `IfNotPresent` or `Never`. Default `IfNotPresent`, as in TDengine's Kubernetes guide. */
    imagePullPolicy?: pulumi.Input<string>;
    /** Per-dnode persistent storage. */
    storage?: StorageArgs;
    /** `TZ` of every dnode, an IANA zone spelt exactly (`UTC`). Default `Asia/Shanghai`, the Kubernetes guide's; set it to your own. */
    timezone?: pulumi.Input<string>;
    /**
     * Any taos.cfg key (camelCase, as in taos.cfg) and its value, passed as a `TAOS_*` environment
     * variable, which overrides taos.cfg (e.g. `{ supportVnodes: 32 }` becomes `TAOS_SUPPORT_VNODES=32`).
     * Values are strings, finite numbers or booleans. TDengine ignores the case of keys, so the keys the
     * component owns or that would move data off the volume (`fqdn`, `firstEp`, `secondEp`, `serverPort`,
     * `dataDir`, `logDir`, `tempDir`, `timezone`) are refused in any spelling.
     */
    taosConfig?: pulumi.Input<Record<string, pulumi.Input<string | number | boolean>>>;
    /**
     * The root user's password, kept in a Kubernetes Secret and given to the image as
     * `TAOS_ROOT_PASSWORD`. Pass a secret (`config.requireSecret(...)`). Default: TDengine's own
     * `taosdata`, with a warning. Changing it later rotates it in TDengine (`alter user root pass`), so it
     * follows that statement's rule, checked at preview: 8 to 255 characters of letters, digits and
     * `! @ # $ % ^ & * ( ) - _ + = [ ] { } ; > < ? | ~ , .` (no spaces, quotes, backslashes or colons).
     */
    rootPassword?: pulumi.Input<string>;
    /**
     * CPU and memory requests and limits of each dnode, checked against the Kubernetes schema (quantities,
     * requests within limits). Default: none.
     */
    resources?: pulumi.Input<k8s.types.input.core.v1.ResourceRequirements>;
    /** Node selector of the pods: label keys to string values. */
    nodeSelector?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Tolerations of the pods. */
    tolerations?: pulumi.Input<pulumi.Input<k8s.types.input.core.v1.Toleration>[]>;
    /**
     * Affinity of the pods. Default: a preferred anti-affinity that spreads dnodes across nodes (the
     * Kubernetes guide's own output shows two dnodes on one node). Setting this replaces the default.
     */
    affinity?: pulumi.Input<k8s.types.input.core.v1.Affinity>;
    /** The client Service. */
    service?: ServiceArgs;
    /** The cluster's DNS domain, used in every dnode's FQDN. Default `cluster.local`. */
    clusterDomain?: pulumi.Input<string>;
    /**
     * Keep the data volumes (PVCs) when the component is destroyed. Default `false`: `pulumi destroy`
     * deletes them, as the Kubernetes guide's clean-up does. Volumes of dnodes removed by a scale-down are always
     * deleted, because a dropped dnode can never rejoin with its old data. `true` or `false` only, written
     * in the program: the string `"true"` is refused, not read as false.
     */
    retainVolumesOnDestroy?: boolean;
    /** The lifecycle automation: mnodes, safe scale-down, PVC clean-up. */
    lifecycle?: LifecycleArgs;
    /**
     * How image changes are carried out, within TDengine's version rules: a Maintenance change is rolled one
     * dnode at a time behind a health gate; a Feature or Major change is refused at preview unless
     * `allowOffline` is set. See README "Upgrades and configuration changes".
     */
    upgrade?: UpgradeArgs;
}

/** A dnode as TDengine last reported it. */
export interface DnodeStatus {
    id: number;
    endpoint: string;
    status: string;
}

/** An mnode as TDengine last reported it. */
export interface MnodeStatus {
    endpoint: string;
    role: string;
}
