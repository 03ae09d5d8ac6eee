/**
 * pulumi-tdengine: a Pulumi component that deploys and operates a highly available TDengine 3.x
 * cluster on Kubernetes.
 */
export { TDengineCluster } from "./cluster";
export {
    DEFAULT_IMAGE, DnodeStatus, LifecycleArgs, MnodeStatus, ServiceArgs, ServiceType, StorageArgs, TDengineClusterArgs, UpgradeArgs,
} from "./types";
export { TDengineClusterArgumentError } from "./validate";
