/**
 * The benchmark's baselines: a plain Pulumi program registering the same bare Kubernetes objects as the
 * component (from the same pure manifests), without the component or its lifecycle steps; and, with the
 * config `dynamicStep: true`, the same objects plus the least a dynamic resource can be: a provider whose
 * text is a constant (nothing serialized, as the component's steps) and that does no work. The second is the
 * floor of any design whose steps are dynamic resources: what Pulumi's dynamic provider host costs by itself.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as manifests from "../../components/manifests";

const config = new pulumi.Config();
// Its own namespace when it is deployed next to the component's cluster (the no-change preview's baseline).
const spec: manifests.ClusterSpec = {
    name: "tdengine", namespace: config.get("namespace") ?? "tdengine-bench", replicas: config.getNumber("replicas") ?? 3,
    image: "tdengine/tdengine:3.3.7.5", imagePullPolicy: "IfNotPresent",
    storageSize: "5Gi", timezone: "UTC", taosConfig: {}, serviceType: "ClusterIP", clusterDomain: "cluster.local",
};
new k8s.core.v1.Namespace("namespace", { metadata: manifests.namespaceMetadata(spec.name, spec.namespace) });
new k8s.core.v1.Secret("root-password", { metadata: manifests.secretMetadata(spec), stringData: { password: pulumi.secret("plain-bench") } });
new k8s.core.v1.Service("headless", manifests.headlessService(spec));
new k8s.core.v1.Service("client", manifests.clientService(spec));
new k8s.policy.v1.PodDisruptionBudget("pdb", manifests.podDisruptionBudget(spec));
const statefulSet = new k8s.apps.v1.StatefulSet("statefulset", manifests.statefulSet(spec));

/** A dynamic provider that answers at once: a change of `replicas` is an update that does nothing. */
const NOOP_PROVIDER = `"use strict";
exports.handler = () => ({
    diff: async (id, olds, news) => ({ changes: olds.replicas !== news.replicas }),
    create: async inputs => ({ id: "noop", outs: inputs }),
    update: async (id, olds, news) => ({ outs: news }),
});
`;
/** Registered as `pulumi.dynamic.Resource` registers one, with the provider's text given (the component's steps do the same). */
class NoopStep extends pulumi.CustomResource {
    constructor(name: string, replicas: number, opts: pulumi.CustomResourceOptions) {
        super("pulumi-nodejs:dynamic:Resource", name, { replicas, __provider: NOOP_PROVIDER }, opts);
    }
}
if (config.getBoolean("dynamicStep")) {
    new NoopStep("noop-step", spec.replicas, { dependsOn: [statefulSet] });
}
