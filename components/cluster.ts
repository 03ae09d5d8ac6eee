import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as manifests from "./manifests";
import { backupBeforeUpgrade } from "./backup";
import { AfterStatefulSet, BeforeStatefulSet } from "./lifecycle/resources";
import { LifecycleInputs } from "./lifecycle/session";
import { NATIVE_PORT, PASSWORD_KEY, REST_PORT, clusterNames } from "./names";
import { DnodeStatus, MnodeStatus, TDengineClusterArgs } from "./types";
import { CheckedArgs, checkArgs } from "./validate";

/**
 * A highly available TDengine 3.x cluster on Kubernetes: TDengine's Kubernetes guide's Service and StatefulSet,
 * plus everything the guide leaves to a person with `kubectl exec`.
 *
 * ```ts
 * const db = new TDengineCluster("tdengine", { replicas: 3, rootPassword: cfg.requireSecret("rootPassword") });
 * export const rest = db.restEndpoint;
 * ```
 */
export class TDengineCluster extends pulumi.ComponentResource {
    /** `http://<client service>.<namespace>.svc.<domain>:6041`: TDengine's REST API inside the cluster. */
    public readonly restEndpoint: pulumi.Output<string>;
    /** `<client service>.<namespace>.svc.<domain>:6030`: the native protocol's endpoint. */
    public readonly nativeEndpoint: pulumi.Output<string>;
    /** The namespace of every object of the cluster. */
    public readonly namespace: pulumi.Output<string>;
    /** The headless governing Service: dnodes are `<statefulSet>-<i>.<headlessService>.<ns>.svc.<domain>`. */
    public readonly headlessServiceName: pulumi.Output<string>;
    /** The name of the client Service. */
    public readonly clientServiceName: pulumi.Output<string>;
    /** The StatefulSet that runs the dnodes. */
    public readonly statefulSetName: pulumi.Output<string>;
    /** The number of dnodes asked for. */
    public readonly replicas: pulumi.Output<number>;
    /** The Secret holding the root password under the key `password`. */
    public readonly secretName: pulumi.Output<string>;
    /** The dnodes as TDengine last reported them (empty when the lifecycle automation is off). */
    public readonly dnodes: pulumi.Output<DnodeStatus[]>;
    /** The mnodes as TDengine last reported them (empty when the lifecycle automation is off). */
    public readonly mnodes: pulumi.Output<MnodeStatus[]>;

    constructor(name: string, args: TDengineClusterArgs = {}, opts: pulumi.ComponentResourceOptions = {}) {
        // Before super(): a known bad argument must fail before anything, even this component, is registered.
        // Every child's inputs come from `checked`, so a value only known later (a secret, another resource's
        // output) that turns out bad rejects them all, and nothing is created.
        const checked = checkArgs(name, args, opts.parent);
        super("tdengine:kubernetes:Cluster", name, {}, opts);

        const names = clusterNames(name);
        const childOpts: pulumi.CustomResourceOptions = { parent: this, provider: this.ownKubernetesProvider(name, checked, opts) };
        const lifecycle = checked.lifecycleEnabled;

        // A child whose registration failed never resolves its outputs (pulumi/pulumi#14980): every use of a
        // child's output by another child goes through the gate first, so a refused argument fails every
        // registration at once instead of leaving the program waiting for ever.
        const afterGate = checked.afterGate;
        const namespaceName = !checked.createNamespace
            ? checked.namespace
            : afterGate(new k8s.core.v1.Namespace(`${name}-namespace`, {
                metadata: checked.namespace.apply(ns => manifests.namespaceMetadata(name, ns)),
            }, {
                ...childOpts,
                // Deleting the namespace would delete the volumes the user asked to keep.
                retainOnDelete: checked.retainVolumesOnDestroy,
            }).metadata.name);

        const spec: pulumi.Output<manifests.ClusterSpec> = pulumi.output({
            namespace: namespaceName,
            replicas: checked.replicas,
            image: checked.image,
            imagePullPolicy: checked.imagePullPolicy,
            storageSize: checked.storageSize,
            storageClassName: checked.storageClassName,
            timezone: checked.timezone,
            taosConfig: checked.taosConfig,
            resources: checked.resources,
            nodeSelector: checked.nodeSelector,
            tolerations: checked.tolerations,
            affinity: checked.affinity,
            serviceType: checked.serviceType,
            serviceAnnotations: checked.serviceAnnotations,
            clusterDomain: checked.clusterDomain,
        }).apply(resolved => ({ name, ...resolved, podRestarts: lifecycle ? "lifecycle" : "statefulset" }) as manifests.ClusterSpec);

        if (!checked.rootPasswordGiven) {
            pulumi.log.warn(`TDengineCluster "${name}": no rootPassword given, so root keeps TDengine's default ` +
                "password. Set one with `pulumi config set --secret rootPassword ...`.", this);
        }
        const rootPassword = checked.rootPassword;
        const secret = new k8s.core.v1.Secret(`${name}-root-password`, {
            metadata: spec.apply(manifests.secretMetadata),
            type: "Opaque",
            stringData: { [PASSWORD_KEY]: rootPassword },
        }, childOpts);

        const headless = spec.apply(manifests.headlessService);
        const headlessService = new k8s.core.v1.Service(`${name}-headless`, {
            metadata: headless.metadata, spec: headless.spec,
        }, childOpts);

        const client = spec.apply(manifests.clientService);
        const clientService = new k8s.core.v1.Service(`${name}-client`, {
            metadata: client.metadata, spec: client.spec,
        }, childOpts);

        const pdb = spec.apply(manifests.podDisruptionBudget);
        new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, { metadata: pdb.metadata, spec: pdb.spec }, childOpts);

        // The runbook's order is the graph's order: leaving dnodes are dropped BEFORE the StatefulSet
        // shrinks (it depends on that step: a refusal leaves it untouched), and mnodes are created AFTER
        // its pods have rolled out (that step depends on it). On destroy the same edges run in reverse:
        // the StatefulSet goes first, then the step before it deletes the data volumes.
        const stepInputs: { [K in keyof LifecycleInputs]: pulumi.Input<LifecycleInputs[K]> } = {
            instance: name,
            namespace: namespaceName,
            statefulSet: names.statefulSet,
            headlessService: afterGate(headlessService.metadata.name),
            clusterDomain: checked.clusterDomain,
            replicas: checked.replicas,
            password: rootPassword,
            storageSize: checked.storageSize,
            storageClassName: checked.storageClassName as pulumi.Output<string>,
            restUrl: checked.restUrl as pulumi.Output<string>,
            kubeconfig: checked.kubeconfig,
            context: checked.context as pulumi.Output<string>,
            dropDnodeTimeoutSeconds: checked.dropDnodeTimeoutSeconds,
            readyTimeoutSeconds: checked.readyTimeoutSeconds,
            retainVolumesOnDestroy: checked.retainVolumesOnDestroy,
            // The pod template and the version rules: a change of the template runs the step after the
            // StatefulSet, which restarts the pods (rolled, or offline for a Feature or Major change); an
            // image change TDengine forbids is refused at preview by the step before it.
            image: checked.image,
            podTemplateHash: spec.apply(manifests.podTemplateHash),
            upgradeVersion: checked.upgradeVersion as pulumi.Output<string>,
            allowOfflineUpgrade: checked.allowOfflineUpgrade,
            unknownVersionChange: checked.unknownVersionChange,
            rebalanceAfterScaleUp: checked.rebalanceAfterScaleUp,
        };
        const beforeStatefulSet = lifecycle
            ? new BeforeStatefulSet(`${name}-drop-leaving-dnodes`, stepInputs, { parent: this, dependsOn: [secret] })
            : undefined;

        // A taosdump of every database before an (offline) upgrade: after the password is settled, before the pods change.
        const backup = backupBeforeUpgrade(`${name}-backup-before-upgrade`, {
            instance: name, namespace: namespaceName, statefulSet: names.statefulSet, image: checked.image,
            host: pulumi.interpolate`${afterGate(clientService.metadata.name)}.${namespaceName}.svc.${checked.clusterDomain}`,
            secretName: afterGate(secret.metadata.name), passwordKey: PASSWORD_KEY, storageSize: checked.storageSize,
            storageClassName: checked.storageClassName, nodeSelector: checked.nodeSelector, tolerations: checked.tolerations,
            kubeconfig: checked.kubeconfig, context: checked.context,
        }, {
            version: checked.upgradeVersion as pulumi.Output<string>, allowOffline: checked.allowOfflineUpgrade,
            unknownVersionChange: checked.unknownVersionChange,
            backup: checked.backup, backupVolumeSize: checked.backupVolumeSize as pulumi.Output<string>,
        }, { parent: this, dependsOn: beforeStatefulSet ? [secret, beforeStatefulSet] : [secret] });

        const sts = spec.apply(manifests.statefulSet);
        const statefulSet = new k8s.apps.v1.StatefulSet(`${name}-statefulset`, {
            metadata: sts.metadata, spec: sts.spec,
        }, {
            ...childOpts,
            // The Secret and the governing Service must exist before the first pod starts.
            dependsOn: [secret, headlessService, ...(beforeStatefulSet ? [beforeStatefulSet] : []), ...(backup ? [backup] : [])],
            // The guide's startupProbe allows a dnode an hour to start; the default 10 minutes would fail
            // a rollout that the StatefulSet itself still considers healthy.
            customTimeouts: { create: "60m", update: "60m" },
            // volumeClaimTemplates are immutable: a change would replace the StatefulSet and stop every dnode
            // at once. With the lifecycle on, the steps resize the PVCs themselves instead.
            ignoreChanges: lifecycle ? ["spec.volumeClaimTemplates"] : undefined,
        });

        const afterStatefulSet = lifecycle
            ? new AfterStatefulSet(`${name}-ensure-mnodes`, stepInputs, { parent: this, dependsOn: [statefulSet] })
            : undefined;

        this.namespace = namespaceName;
        this.headlessServiceName = afterGate(headlessService.metadata.name);
        this.clientServiceName = afterGate(clientService.metadata.name);
        this.statefulSetName = afterGate(statefulSet.metadata.name);
        this.secretName = afterGate(secret.metadata.name);
        this.replicas = afterGate(statefulSet.spec.replicas);
        const clientHost = pulumi.interpolate`${this.clientServiceName}.${namespaceName}.svc.${checked.clusterDomain}`;
        this.restEndpoint = pulumi.interpolate`http://${clientHost}:${REST_PORT}`;
        this.nativeEndpoint = pulumi.interpolate`${clientHost}:${NATIVE_PORT}`;
        this.dnodes = afterStatefulSet ? afterGate(afterStatefulSet.dnodes) : pulumi.output([]);
        this.mnodes = afterStatefulSet ? afterGate(afterStatefulSet.mnodes) : pulumi.output([]);

        this.registerOutputs({
            restEndpoint: this.restEndpoint,
            nativeEndpoint: this.nativeEndpoint,
            namespace: this.namespace,
            headlessServiceName: this.headlessServiceName,
            clientServiceName: this.clientServiceName,
            statefulSetName: this.statefulSetName,
            replicas: this.replicas,
            secretName: this.secretName,
            dnodes: this.dnodes,
            mnodes: this.mnodes,
        });
    }

    /**
     * With `lifecycle.kubeconfig` set and no Kubernetes provider passed, the component builds its own
     * provider from that kubeconfig, so its objects and its lifecycle steps reach the same cluster.
     */
    private ownKubernetesProvider(name: string, checked: CheckedArgs, opts: pulumi.ComponentResourceOptions): k8s.Provider | undefined {
        const kubeconfig = checked.kubeconfig;
        if (kubeconfig === undefined || opts.provider !== undefined || hasKubernetesProvider(opts.providers)) {
            return undefined;
        }
        return new k8s.Provider(`${name}-kubernetes`, { kubeconfig, context: checked.context }, { parent: this });
    }
}

function hasKubernetesProvider(providers: pulumi.ComponentResourceOptions["providers"]): boolean {
    if (providers === undefined) {
        return false;
    }
    const list = Array.isArray(providers) ? providers : Object.values(providers);
    return list.some(p => p instanceof k8s.Provider);
}
