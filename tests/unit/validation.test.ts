import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { TDengineCluster, TDengineClusterArgs, TDengineClusterArgumentError } from "../../components";
import { checkReplicas, checked } from "../../components/validate";
import { installMocks, settle, startRecording } from "./harness";

interface BadInput {
    what: string;
    name?: string;
    args: TDengineClusterArgs;
    /** The error names the argument and says the fix. */
    message: RegExp;
}

const badInputs: BadInput[] = [
    { what: "zero replicas", args: { replicas: 0 }, message: /replicas must be a positive integer \(got 0\)\. Set replicas to 1 or more/ },
    { what: "negative replicas", args: { replicas: -2 }, message: /replicas must be a positive integer \(got -2\)/ },
    { what: "fractional replicas", args: { replicas: 2.5 }, message: /replicas must be a positive integer \(got 2\.5\)/ },
    { what: "replicas as a string", args: { replicas: "3" as unknown as number }, message: /replicas must be a positive integer \(got 3\)/ },
    { what: "a storage size that is no quantity", args: { storage: { size: "5GB" } }, message: /storage\.size is not a Kubernetes quantity \(got "5GB"\)\. Use a size such as "5Gi"/ },
    { what: "a zero storage size", args: { storage: { size: "0" } }, message: /storage\.size is not a Kubernetes quantity \(got "0"\)/ },
    { what: "a storage class that is no name", args: { storage: { className: "Fast SSD" } }, message: /storage\.className is not a StorageClass name/ },
    { what: "an empty image", args: { image: "" }, message: /image must be a container image reference \(got ""\)/ },
    { what: "a blank image", args: { image: "  " }, message: /image must be a container image reference/ },
    { what: "a namespace with capitals", args: { namespace: "TDengine" }, message: /namespace is not a DNS-1123 label \(got "TDengine"\)\. Use lower-case letters/ },
    { what: "a namespace with underscores", args: { namespace: "td_engine" }, message: /namespace is not a DNS-1123 label/ },
    { what: "a namespace over 63 characters", args: { namespace: "a".repeat(64) }, message: /namespace is not a DNS-1123 label/ },
    { what: "a resource name with capitals", name: "TDengine", args: {}, message: /the resource name is not usable as a Kubernetes name \(got "TDengine"\)/ },
    { what: "a resource name starting with a digit", name: "3dengine", args: {}, message: /the resource name is not usable as a Kubernetes name/ },
    { what: "a resource name too long for pod labels", name: "t".repeat(53), args: {}, message: /at most 52 characters/ },
    { what: "an unknown service type", args: { service: { type: "Ingress" as "ClusterIP" } }, message: /service\.type is not a supported Service type \(got "Ingress"\)\. Use one of ClusterIP, NodePort, LoadBalancer/ },
    { what: "a cluster domain with spaces", args: { clusterDomain: "cluster local" }, message: /clusterDomain is not a DNS domain/ },
    { what: "a managed taos.cfg key", args: { taosConfig: { firstEp: "x:6030" } }, message: /taosConfig\.firstEp is managed by the component/ },
    { what: "a taos.cfg key in the wrong case", args: { taosConfig: { SupportVnodes: 3 } }, message: /taosConfig\.SupportVnodes is not a taos\.cfg key/ },
    { what: "a taos.cfg value that is an object", args: { taosConfig: { supportVnodes: { n: 1 } as unknown as number } }, message: /taosConfig\.supportVnodes must be a string, number or boolean/ },
    { what: "a REST URL with credentials", args: { lifecycle: { restUrl: "http://root:taosdata@db:6041" } }, message: /lifecycle\.restUrl is not an http\(s\) URL without credentials/ },
    { what: "a negative drop timeout", args: { lifecycle: { dropDnodeTimeoutSeconds: -1 } }, message: /lifecycle\.dropDnodeTimeoutSeconds must be a positive number of seconds/ },
    { what: "endpoints too long for TDengine", name: "t".repeat(50), args: { namespace: "n".repeat(63), clusterDomain: "c".repeat(30) }, message: /make dnode endpoints too long for TDengine/ },
];

/** An Output's value or its failure (`promise()` is the SDK's own accessor, hidden from its typings). */
function resultOf<T>(output: pulumi.Output<T>): Promise<T> {
    return (output as unknown as { promise(): Promise<T> }).promise();
}

describe("TDengineCluster: bad input fails before anything is registered", function () {
    before(() => installMocks());

    for (const bad of badInputs) {
        it(`refuses ${bad.what}, naming the argument and the fix`, async () => {
            const rec = startRecording();
            const name = bad.name ?? "tdengine";
            assert.throws(() => new TDengineCluster(name, { rootPassword: "x", ...bad.args }, { transformations: [rec.transformation] }),
                (err: unknown) => {
                    assert.ok(err instanceof TDengineClusterArgumentError, String(err));
                    assert.match(err.message, bad.message);
                    assert.ok(err.message.startsWith(`TDengineCluster "${name}": `), err.message);
                    return true;
                });
            await settle(rec);
            assert.deepEqual(rec.registered.map(r => `${r.type} ${r.name}`), [], "nothing registered");
        });
    }

    it("checks an argument that comes from another resource once it is known, and registers no StatefulSet", async () => {
        const rec = startRecording();
        new TDengineCluster("tdengine", { rootPassword: "x", replicas: pulumi.output(0) }, { transformations: [rec.transformation] });
        await settle(rec);
        assert.equal(rec.ofType("kubernetes:apps/v1:StatefulSet").length, 0);
        // The same check, on the Output the StatefulSet's inputs are built from:
        await assert.rejects(resultOf(checked("tdengine", pulumi.output(0), 3, checkReplicas)),
            /TDengineCluster "tdengine": replicas must be a positive integer \(got 0\)/);
    });

    it("accepts every default", () => {
        assert.doesNotThrow(() => new TDengineCluster("tdengine", { rootPassword: "x" }));
    });
});
