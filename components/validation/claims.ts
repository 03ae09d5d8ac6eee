/**
 * Kubernetes objects claimed by the TDengineClusters of one program: two clusters that would create the
 * same object (namespace `shared` twice; clusters `db` and `db-taosd` in one namespace both wanting the
 * Service `db-taosd`) would overwrite or delete each other's. The second one is refused, naming both.
 */
import { clusterNames } from "../names";
import { Problem } from "./problems";

interface Claim {
    owner: string;
    cluster: string;
    what: string;
}

const claims = new Map<string, Claim>();

/** The objects a cluster creates, keyed by kind, namespace and name, with what each is to the cluster. */
function objectsOf(name: string, namespace: string, createNamespace: boolean): Array<[string, string]> {
    const n = clusterNames(name);
    const objects: Array<[string, string]> = [
        [`Service ${namespace}/${n.headlessService}`, "its headless Service"],
        [`Service ${namespace}/${n.clientService}`, "its client Service"],
        [`StatefulSet ${namespace}/${n.statefulSet}`, "its StatefulSet"],
        [`Secret ${namespace}/${n.secret}`, "its root password Secret"],
        [`PodDisruptionBudget ${namespace}/${n.podDisruptionBudget}`, "its PodDisruptionBudget"],
    ];
    if (createNamespace) {
        objects.push([`Namespace ${namespace}`, "the namespace it creates"]);
    }
    return objects;
}

/**
 * Records the cluster's objects, or returns a problem when another cluster of this program (another
 * `owner`) already claims one. `owner` tells one component instance from another: registering the same
 * one again (a test, a re-run of a program in one process) replaces its claims.
 */
export function claimObjects(owner: string, name: string, namespace: string, createNamespace: boolean): Problem | undefined {
    const objects = objectsOf(name, namespace, createNamespace);
    for (const [key, what] of objects) {
        const other = claims.get(key);
        if (other !== undefined && other.owner !== owner) {
            return {
                path: "namespace",
                problem: `"${namespace}" makes ${key} ${what}, and TDengineCluster "${other.cluster}" of this program already claims it as ${other.what}`,
                fix: `Give TDengineCluster "${name}" or TDengineCluster "${other.cluster}" another namespace or name` +
                    (key.startsWith("Namespace") ? ", or set createNamespace: false on one of them." : "."),
            };
        }
    }
    for (const [key, claim] of claims) {
        if (claim.owner === owner) {
            claims.delete(key);
        }
    }
    for (const [key, what] of objects) {
        claims.set(key, { owner, cluster: name, what });
    }
    return undefined;
}

/** Forgets every claim: for tests that run many programs in one process. */
export function forgetClaims(): void {
    claims.clear();
}
