/**
 * The runnable program: one TDengineCluster configured from the stack's config (stacks/Pulumi.<stack>.yaml).
 * Every key is declared in Pulumi.yaml and optional; what a stack leaves out takes the component's default.
 * Every `tdengine-cluster:*` key is checked first: a typo or a value of the wrong type fails the preview.
 */
import * as pulumi from "@pulumi/pulumi";
import { TDengineCluster } from "./components";
import { programFromStackConfig } from "./components/validation/stack-config";

/** `pulumi.runtime.isConfigSecret` exists at run time but is not in the SDK's typings. */
const isConfigSecret = (key: string): boolean =>
    (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret?.(key) ?? false;

const program = programFromStackConfig(pulumi.getProject(), pulumi.runtime.allConfig(), isConfigSecret);
for (const warning of program.warnings) {
    void pulumi.log.warn(warning);
}

const cluster = new TDengineCluster(program.name, program.args);

export const restEndpoint = cluster.restEndpoint;
export const nativeEndpoint = cluster.nativeEndpoint;
export const namespace = cluster.namespace;
export const statefulSetName = cluster.statefulSetName;
export const headlessServiceName = cluster.headlessServiceName;
export const replicas = cluster.replicas;
export const dnodes = cluster.dnodes;
export const mnodes = cluster.mnodes;
