/**
 * The benchmark's baseline: a plain Pulumi program registering the same bare Kubernetes objects as the
 * component (from the same pure manifests), without the component or its lifecycle steps.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as manifests from "../../components/manifests";

// Its own namespace when it is deployed next to the component's cluster (the no-change preview's baseline).
const spec: manifests.ClusterSpec = {
    name: "tdengine", namespace: new pulumi.Config().get("namespace") ?? "tdengine-bench", replicas: 3, image: "tdengine/tdengine:3.3.7.5", imagePullPolicy: "IfNotPresent",
    storageSize: "5Gi", timezone: "UTC", taosConfig: {}, serviceType: "ClusterIP", clusterDomain: "cluster.local",
};
new k8s.core.v1.Namespace("namespace", { metadata: manifests.namespaceMetadata(spec.name, spec.namespace) });
new k8s.core.v1.Secret("root-password", { metadata: manifests.secretMetadata(spec), stringData: { password: pulumi.secret("plain-bench") } });
new k8s.core.v1.Service("headless", manifests.headlessService(spec));
new k8s.core.v1.Service("client", manifests.clientService(spec));
new k8s.policy.v1.PodDisruptionBudget("pdb", manifests.podDisruptionBudget(spec));
new k8s.apps.v1.StatefulSet("statefulset", manifests.statefulSet(spec));
