/** What the lifecycle tests and the hook benchmark share: one cluster's names and its steps' inputs. */
import { LifecycleInputs } from "../../components/lifecycle/session";
import { DnodeAddressing } from "../../components/names";

/** The names the component gives a cluster called "tdengine" in namespace "db". */
export const addressing: DnodeAddressing = { namespace: "db", statefulSet: "tdengine", headlessService: "tdengine-taosd", clusterDomain: "cluster.local" };

export interface Connection {
    restUrl: string;
    kubeconfig: string;
    password: string;
}

/** A step's inputs as the component would pass them, with short timeouts for tests. */
export function stepInputs(replicas: number, connection: Connection, extra: Partial<LifecycleInputs> = {}): LifecycleInputs {
    return {
        instance: "tdengine", ...addressing, replicas, ...connection, storageSize: "5Gi",
        dropDnodeTimeoutSeconds: 60, readyTimeoutSeconds: 30, retainVolumesOnDestroy: false, ...extra,
    };
}
