/**
 * The runnable program: one TDengineCluster configured from the stack's config (stacks/Pulumi.<stack>.yaml).
 * Every key is optional; what a stack leaves out takes the component's default.
 */
import * as pulumi from "@pulumi/pulumi";
import { LifecycleArgs, ServiceArgs, StorageArgs, TDengineCluster, TDengineClusterArgs, UpgradeArgs } from "./components";

const config = new pulumi.Config();

const args: TDengineClusterArgs = {
    namespace: config.get("namespace"),
    createNamespace: config.getBoolean("createNamespace"),
    replicas: config.getNumber("replicas"),
    image: config.get("image"),
    storage: config.getObject<StorageArgs>("storage"),
    timezone: config.get("timezone"),
    taosConfig: config.getObject<Record<string, string | number | boolean>>("taosConfig"),
    rootPassword: config.getSecret("rootPassword"),
    resources: config.getObject<TDengineClusterArgs["resources"]>("resources"),
    nodeSelector: config.getObject<Record<string, string>>("nodeSelector"),
    tolerations: config.getObject<TDengineClusterArgs["tolerations"]>("tolerations"),
    affinity: config.getObject<TDengineClusterArgs["affinity"]>("affinity"),
    service: config.getObject<ServiceArgs>("service"),
    clusterDomain: config.get("clusterDomain"),
    retainVolumesOnDestroy: config.getBoolean("retainVolumesOnDestroy"),
    lifecycle: config.getObject<LifecycleArgs>("lifecycle"),
    upgrade: config.getObject<UpgradeArgs>("upgrade"),
};

const cluster = new TDengineCluster(config.get("name") ?? "tdengine", args);

export const restEndpoint = cluster.restEndpoint;
export const nativeEndpoint = cluster.nativeEndpoint;
export const namespace = cluster.namespace;
export const statefulSetName = cluster.statefulSetName;
export const headlessServiceName = cluster.headlessServiceName;
export const replicas = cluster.replicas;
export const dnodes = cluster.dnodes;
export const mnodes = cluster.mnodes;
