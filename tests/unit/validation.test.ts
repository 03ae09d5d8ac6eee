/**
 * Bad input through the component, as a new user (with or without TypeScript) would write it: each is
 * refused (or warned) at preview, the message names the argument's path and the fix, and nothing is
 * registered. A value given as a secret or an Output is refused the same way, once known, before any
 * child resource is registered; a value unknown at preview is accepted and checked at `pulumi up`.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { TDengineCluster, TDengineClusterArgs, TDengineClusterArgumentError } from "../../components";
import { checkArgs } from "../../components/validate";
import { Recorder, installMocks, promiseOf, settle, startRecording } from "./harness";

const PASSWORD = "Td-Unit-Pass-1";

interface BadInput {
    what: string;
    name?: string;
    /** Free-form: callers without TypeScript pass anything. */
    args: unknown;
    /** The argument's path, as the message names it. */
    path: string;
    /** The fix the message gives. */
    fix: RegExp;
    /** What was given, as the message shows it. */
    got?: string;
}

const out = <T>(v: T): T => pulumi.output(v) as unknown as T;
const long = (n: number): string => "a".repeat(n);

const badInputs: BadInput[] = [
    // The arguments object itself, and unknown keys, with the nearest known one suggested.
    { what: "null arguments", args: null, path: "args", fix: /Pass an object of arguments/, got: "null" },
    { what: "a string for the arguments", args: "replicas: 3", path: "args", fix: /Pass an object of arguments/, got: 'string "replicas: 3"' },
    { what: "a list for the arguments", args: [], path: "args", fix: /Pass an object of arguments/, got: "array []" },
    { what: "a typo: replica", args: { replica: 1 }, path: "replica", fix: /Did you mean `replicas`\?/, got: "number 1" },
    { what: "a key in the wrong case: nameSpace", args: { nameSpace: "db" }, path: "nameSpace", fix: /Did you mean `namespace`\?/ },
    { what: "password for rootPassword", args: { password: "Td-Pass-123" }, path: "password", fix: /Did you mean `rootPassword`\?/ },
    { what: "kubeconfig at the top level", args: { kubeconfig: "apiVersion: v1" }, path: "kubeconfig", fix: /Did you mean `lifecycle\.kubeconfig`\?/ },
    { what: "a key nothing resembles", args: { flavour: "large" }, path: "flavour", fix: /Remove it; the arguments here are `namespace`/ },
    { what: "a typo inside storage", args: { storage: { sizee: "100Gi" } }, path: "storage.sizee", fix: /Did you mean `size`\?/ },
    { what: "a typo inside lifecycle", args: { lifecycle: { enable: false } }, path: "lifecycle.enable", fix: /Did you mean `enabled`\?/ },
    { what: "a typo inside service", args: { service: { annotation: {} } }, path: "service.annotation", fix: /Did you mean `annotations`\?/ },
    { what: "a typo inside upgrade", args: { upgrade: { allowOfline: true } }, path: "upgrade.allowOfline", fix: /Did you mean `allowOffline`\?/ },
    // Strict types: a string is not a number or a boolean, and says so.
    { what: "replicas as a string", args: { replicas: "3" }, path: "replicas", fix: /Give the number of dnodes as a number/, got: 'string "3"' },
    { what: "zero replicas", args: { replicas: 0 }, path: "replicas", fix: /Set replicas to 1 or more/, got: "number 0" },
    { what: "negative replicas", args: { replicas: -2 }, path: "replicas", fix: /Set replicas to 1 or more/, got: "number -2" },
    { what: "fractional replicas", args: { replicas: 2.5 }, path: "replicas", fix: /Set replicas to 1 or more/, got: "number 2.5" },
    { what: "NaN replicas", args: { replicas: NaN }, path: "replicas", fix: /as a number/, got: "number NaN" },
    { what: "infinite replicas", args: { replicas: Infinity }, path: "replicas", fix: /as a number/, got: "number Infinity" },
    { what: "replicas above int32", args: { replicas: 2 ** 31 }, path: "replicas", fix: /Set replicas to 1 or more/, got: "number 2147483648" },
    { what: "replicas as a boolean", args: { replicas: true }, path: "replicas", fix: /as a number/, got: "boolean true" },
    { what: "replicas as null", args: { replicas: null }, path: "replicas", fix: /as a number/, got: "null" },
    { what: "createNamespace as a string", args: { createNamespace: "false" }, path: "createNamespace", fix: /Write true or false \(not a string\)/, got: 'string "false"' },
    { what: "createNamespace as a number", args: { createNamespace: 0 }, path: "createNamespace", fix: /Write true or false/, got: "number 0" },
    { what: "retainVolumesOnDestroy as a string", args: { retainVolumesOnDestroy: "true" }, path: "retainVolumesOnDestroy", fix: /Write true or false \(not a string\)/, got: 'string "true"' },
    { what: "retainVolumesOnDestroy as a number", args: { retainVolumesOnDestroy: 1 }, path: "retainVolumesOnDestroy", fix: /Write true or false/ },
    { what: "lifecycle.enabled as a string", args: { lifecycle: { enabled: "false" } }, path: "lifecycle.enabled", fix: /Write true or false/, got: 'string "false"' },
    { what: "lifecycle.rebalanceAfterScaleUp as a string", args: { lifecycle: { rebalanceAfterScaleUp: "yes" } }, path: "lifecycle.rebalanceAfterScaleUp", fix: /Write true or false/ },
    { what: "upgrade.allowOffline as a string", args: { upgrade: { allowOffline: "true" } }, path: "upgrade.allowOffline", fix: /Write true or false/ },
    { what: "createNamespace as an Output", args: { createNamespace: out(false) }, path: "createNamespace", fix: /Write true or false/, got: "an Output" },
    { what: "retainVolumesOnDestroy as a Promise", args: { retainVolumesOnDestroy: Promise.resolve(true) }, path: "retainVolumesOnDestroy", fix: /Write true or false/, got: "a Promise" },
    { what: "upgrade.unknownVersionChange as an Output", args: { upgrade: { unknownVersionChange: out("maintenance") } }, path: "upgrade.unknownVersionChange", fix: /"feature" or "maintenance"/ },
    // Objects where objects belong.
    { what: "storage as a string", args: { storage: "10Gi" }, path: "storage", fix: /Write storage as an object, e\.g\. \{ size: "100Gi"/, got: 'string "10Gi"' },
    { what: "storage as a list", args: { storage: ["10Gi"] }, path: "storage", fix: /Write storage as an object/ },
    { what: "storage as an Output", args: { storage: out({ size: "10Gi" }) }, path: "storage", fix: /Only the values inside it may be Outputs/ },
    { what: "service as a string", args: { service: "LoadBalancer" }, path: "service", fix: /Write service as an object, e\.g\. \{ type: "LoadBalancer" \}/ },
    { what: "lifecycle as a string", args: { lifecycle: "off" }, path: "lifecycle", fix: /Write lifecycle as an object/ },
    { what: "upgrade as a boolean", args: { upgrade: true }, path: "upgrade", fix: /Write upgrade as an object/ },
    { what: "taosConfig as a string", args: { taosConfig: "supportVnodes=8" }, path: "taosConfig", fix: /as an object, e\.g\. \{ supportVnodes: 32 \}/ },
    { what: "resources as a string", args: { resources: "2 cpus" }, path: "resources", fix: /requests and limits as an object/ },
    { what: "nodeSelector as a string", args: { nodeSelector: "pool=db" }, path: "nodeSelector", fix: /label keys and values as an object/ },
    { what: "tolerations as an object", args: { tolerations: { key: "a" } }, path: "tolerations", fix: /Write tolerations as a list/ },
    { what: "affinity as a list", args: { affinity: [] }, path: "affinity", fix: /Kubernetes Affinity object/ },
    // Namespace and names.
    { what: "a namespace as a number", args: { namespace: 42 }, path: "namespace", fix: /Give a namespace name/, got: "number 42" },
    { what: "a namespace with capitals", args: { namespace: "TDengine" }, path: "namespace", fix: /Use lower-case letters/, got: 'string "TDengine"' },
    { what: "a namespace with underscores", args: { namespace: "td_engine" }, path: "namespace", fix: /Use lower-case letters/ },
    { what: "a namespace over 63 characters", args: { namespace: long(64) }, path: "namespace", fix: /at most 63 characters/ },
    { what: "an empty namespace", args: { namespace: "" }, path: "namespace", fix: /Use lower-case letters/ },
    { what: "namespace default, created", args: { namespace: "default" }, path: "namespace", fix: /set createNamespace: false/ },
    { what: "namespace kube-system, created", args: { namespace: "kube-system" }, path: "namespace", fix: /set createNamespace: false/ },
    { what: "namespace kube-public, created", args: { namespace: "kube-public" }, path: "namespace", fix: /set createNamespace: false/ },
    { what: "namespace kube-node-lease, created", args: { namespace: "kube-node-lease" }, path: "namespace", fix: /set createNamespace: false/ },
    { what: "a resource name that makes namespace default", name: "default", args: {}, path: "namespace", fix: /set createNamespace: false/ },
    { what: "a resource name with capitals", name: "TDengine", args: {}, path: "the resource name", fix: /Use lower-case letters/, got: 'string "TDengine"' },
    { what: "a resource name starting with a digit", name: "3dengine", args: {}, path: "the resource name", fix: /starting with a letter/ },
    { what: "a resource name too long for pod labels", name: "t".repeat(53), args: {}, path: "the resource name", fix: /at most 52 characters/ },
    { what: "endpoints too long for TDengine", name: "t".repeat(50), args: { namespace: "n".repeat(63), clusterDomain: "c".repeat(30) },
        path: "the resource name and namespace", fix: /Choose a shorter resource name/ },
    // Image.
    { what: "an empty image", args: { image: "" }, path: "image", fix: /e\.g\. "tdengine\/tdengine:3\.3\.7\.5"/, got: 'string ""' },
    { what: "a blank image", args: { image: "  " }, path: "image", fix: /no spaces/ },
    { what: "an image with a trailing space", args: { image: "tdengine/tdengine:3.3.7.5 " }, path: "image", fix: /no spaces/ },
    { what: "an image in capitals", args: { image: "TDengine/TDengine:latest" }, path: "image", fix: /lower-case repository/ },
    { what: "an image as a number", args: { image: 3375 }, path: "image", fix: /Give an image reference/, got: "number 3375" },
    { what: "imagePullPolicy sometimes", args: { imagePullPolicy: "sometimes" }, path: "imagePullPolicy", fix: /Use Always, IfNotPresent or Never/, got: 'string "sometimes"' },
    { what: "imagePullPolicy in the wrong case", args: { imagePullPolicy: "always" }, path: "imagePullPolicy", fix: /Use Always, IfNotPresent or Never/ },
    { what: "imagePullPolicy as a boolean", args: { imagePullPolicy: true }, path: "imagePullPolicy", fix: /Use Always, IfNotPresent or Never/ },
    // Storage.
    { what: "a storage size that is no quantity", args: { storage: { size: "5GB" } }, path: "storage.size", fix: /Use a size such as "5Gi", "500Mi" or "1Ti"/, got: 'string "5GB"' },
    { what: "a zero storage size", args: { storage: { size: "0" } }, path: "storage.size", fix: /Use a size such as/ },
    { what: "half a byte of storage", args: { storage: { size: "500m" } }, path: "storage.size", fix: /lower-case "m" means thousandths/, got: 'string "500m"' },
    { what: "a storage size as a number", args: { storage: { size: 10 } }, path: "storage.size", fix: /as a string, e\.g\. "100Gi"/, got: "number 10" },
    { what: "a negative storage size", args: { storage: { size: "-5Gi" } }, path: "storage.size", fix: /Use a size such as/ },
    { what: "a storage class that is no name", args: { storage: { className: "Fast SSD" } }, path: "storage.className", fix: /kubectl get storageclass/ },
    { what: "a storage class as a number", args: { storage: { className: 7 } }, path: "storage.className", fix: /name of a StorageClass/ },
    // Timezone.
    { what: "a timezone that is no IANA zone", args: { timezone: "Mars/Olympus" }, path: "timezone", fix: /IANA zone name such as "UTC"/, got: 'string "Mars/Olympus"' },
    { what: "a timezone in the wrong case", args: { timezone: "asia/shanghai" }, path: "timezone", fix: /Write it as "Asia\/Shanghai"/ },
    { what: "a timezone as an offset", args: { timezone: "+08:00" }, path: "timezone", fix: /IANA zone name/ },
    { what: "an empty timezone", args: { timezone: "" }, path: "timezone", fix: /IANA zone name/ },
    // taos.cfg keys, matched without regard to case.
    { what: "taosConfig.firstEp", args: { taosConfig: { firstEp: "x:6030" } }, path: "taosConfig.firstEp", fix: /refused in any spelling/ },
    { what: "taosConfig.firstEP", args: { taosConfig: { firstEP: "x:6030" } }, path: "taosConfig.firstEP", fix: /refused in any spelling/ },
    { what: "taosConfig.secondEp", args: { taosConfig: { secondEp: "x:6030" } }, path: "taosConfig.secondEp", fix: /Remove it/ },
    { what: "taosConfig.serverport", args: { taosConfig: { serverport: 7000 } }, path: "taosConfig.serverport", fix: /Remove it/ },
    { what: "taosConfig.SERVERPORT", args: { taosConfig: { SERVERPORT: 7000 } }, path: "taosConfig.SERVERPORT", fix: /Remove it/ },
    { what: "taosConfig.fqdn", args: { taosConfig: { fqdn: "db" } }, path: "taosConfig.fqdn", fix: /Remove it/ },
    { what: "taosConfig.dataDir", args: { taosConfig: { dataDir: "/tmp/x" } }, path: "taosConfig.dataDir", fix: /Remove it/ },
    { what: "taosConfig.datadir", args: { taosConfig: { datadir: "/tmp/x" } }, path: "taosConfig.datadir", fix: /Remove it/ },
    { what: "taosConfig.logDir", args: { taosConfig: { logDir: "/tmp/log" } }, path: "taosConfig.logDir", fix: /Remove it/ },
    { what: "taosConfig.tempDir", args: { taosConfig: { tempDir: "/tmp" } }, path: "taosConfig.tempDir", fix: /Remove it/ },
    { what: "taosConfig.timezone", args: { taosConfig: { timezone: "UTC" } }, path: "taosConfig.timezone", fix: /Remove it/ },
    { what: "a taos.cfg key not in camelCase", args: { taosConfig: { SupportVnodes: 3 } }, path: "taosConfig.SupportVnodes", fix: /camelCase/ },
    { what: "one taos.cfg key spelt twice", args: { taosConfig: { supportVnodes: 3, supportvnodes: 4 } }, path: "taosConfig.supportvnodes", fix: /Keep one of them/ },
    { what: "a taos.cfg value that is an object", args: { taosConfig: { supportVnodes: { n: 1 } } }, path: "taosConfig.supportVnodes", fix: /as it would appear in taos\.cfg/, got: 'object {"n":1}' },
    { what: "a taos.cfg value that is infinite", args: { taosConfig: { supportVnodes: Infinity } }, path: "taosConfig.supportVnodes", fix: /as it would appear in taos\.cfg/ },
    { what: "a taos.cfg value over two lines", args: { taosConfig: { monitorFqdn: "a\nfqdn b" } }, path: "taosConfig.monitorFqdn", fix: /on one line/ },
    // rootPassword: the rotation's own rule, never shown.
    { what: "an empty rootPassword", args: { rootPassword: "" }, path: "rootPassword", fix: /the same rule the rotation/, got: "a secret string, not shown" },
    { what: "a short rootPassword", args: { rootPassword: "short" }, path: "rootPassword", fix: /Use 8 to 255 characters/ },
    { what: "a rootPassword over 255 characters", args: { rootPassword: long(256) }, path: "rootPassword", fix: /Use 8 to 255 characters/ },
    { what: "a rootPassword with a colon", args: { rootPassword: "pass:word-1" }, path: "rootPassword", fix: /no spaces, quotes, backslashes, colons/ },
    { what: "a rootPassword with a quote", args: { rootPassword: "it's-a-pass-1" }, path: "rootPassword", fix: /quotes/ },
    { what: "a rootPassword with a space", args: { rootPassword: "with space 1" }, path: "rootPassword", fix: /spaces/ },
    { what: "a non-ASCII rootPassword", args: { rootPassword: "Pässwort-123" }, path: "rootPassword", fix: /non-ASCII/ },
    { what: "a rootPassword as a number", args: { rootPassword: 12345678 }, path: "rootPassword", fix: /as a secret/, got: "a secret number, not shown" },
    // Kubernetes fragments against the Kubernetes schema.
    { what: "a CPU limit of 8GB", args: { resources: { limits: { cpu: "8GB" } } }, path: "resources.limits.cpu", fix: /Kubernetes quantities/, got: 'string "8GB"' },
    { what: "a memory request above its limit", args: { resources: { requests: { memory: "8Gi" }, limits: { memory: "4Gi" } } },
        path: "resources.requests.memory", fix: /Request at most the limit/ },
    { what: "a CPU request above its limit", args: { resources: { requests: { cpu: "2" }, limits: { cpu: "500m" } } }, path: "resources.requests.cpu", fix: /Request at most the limit/ },
    { what: "a memory limit that is an object", args: { resources: { limits: { memory: {} } } }, path: "resources.limits.memory", fix: /Kubernetes quantities/ },
    { what: "resources.limit for limits", args: { resources: { limit: { cpu: "1" } } }, path: "resources.limit", fix: /Kubernetes quantities/ },
    { what: "a toleration operator Equals", args: { tolerations: [{ key: "a", operator: "Equals" }] }, path: "tolerations[0].operator", fix: /Write tolerations as a list/, got: 'string "Equals"' },
    { what: "a toleration effect misspelt", args: { tolerations: [{ key: "a", effect: "NoSchedul" }] }, path: "tolerations[0].effect", fix: /Write tolerations/ },
    { what: "tolerationSeconds as a string", args: { tolerations: [{ key: "a", tolerationSeconds: "60" }] }, path: "tolerations[0].tolerationSeconds", fix: /Write tolerations/ },
    { what: "a toleration field misspelt", args: { tolerations: [{ keyy: "a" }] }, path: "tolerations[0].keyy", fix: /Write tolerations/ },
    { what: "a number as a nodeSelector value", args: { nodeSelector: { pool: 3 } }, path: "nodeSelector.pool", fix: /Quote the label value/, got: "number 3" },
    { what: "a nodeSelector key with a space", args: { nodeSelector: { "bad key!": "x" } }, path: 'nodeSelector["bad key!"]', fix: /Use a label key/ },
    { what: "a nodeSelector value with a space", args: { nodeSelector: { pool: "has space" } }, path: "nodeSelector.pool", fix: /at most 63 letters/ },
    { what: "an affinity weight that is a string", args: { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: "x", podAffinityTerm: { topologyKey: "h" } }] } } },
        path: "affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight", fix: /Kubernetes Affinity/ },
    { what: "an affinity field misspelt", args: { affinity: { nodeAffinty: {} } }, path: "affinity.nodeAffinty", fix: /Kubernetes Affinity/ },
    { what: "an annotation key bad key!", args: { service: { annotations: { "bad key!": "x" } } }, path: 'service.annotations["bad key!"]', fix: /an optional DNS prefix/ },
    { what: "an annotation value that is a number", args: { service: { annotations: { a: 1 } } }, path: "service.annotations.a", fix: /Quote the annotation value/ },
    // Service and domain.
    { what: "an unknown service type", args: { service: { type: "Ingress" } }, path: "service.type", fix: /Use one of ClusterIP, NodePort, LoadBalancer/, got: 'string "Ingress"' },
    { what: "a service type in the wrong case", args: { service: { type: "loadbalancer" } }, path: "service.type", fix: /Use one of ClusterIP/ },
    { what: "a cluster domain with spaces", args: { clusterDomain: "cluster local" }, path: "clusterDomain", fix: /usually "cluster\.local"/ },
    { what: "a cluster domain with capitals", args: { clusterDomain: "Cluster.Local" }, path: "clusterDomain", fix: /usually "cluster\.local"/ },
    // Lifecycle.
    { what: "a REST URL with credentials", args: { lifecycle: { restUrl: "http://root:taosdata@db:6041" } }, path: "lifecycle.restUrl", fix: /the password comes from rootPassword/ },
    { what: "a REST URL that is ftp", args: { lifecycle: { restUrl: "ftp://db:6041" } }, path: "lifecycle.restUrl", fix: /http:\/\/tdengine\.db\.svc/ },
    { what: "a REST URL that is no URL", args: { lifecycle: { restUrl: "tdengine:6041 please" } }, path: "lifecycle.restUrl", fix: /http:\/\/tdengine/ },
    { what: "a negative drop timeout", args: { lifecycle: { dropDnodeTimeoutSeconds: -1 } }, path: "lifecycle.dropDnodeTimeoutSeconds", fix: /duration in seconds/ },
    { what: "a drop timeout as a string", args: { lifecycle: { dropDnodeTimeoutSeconds: "3600" } }, path: "lifecycle.dropDnodeTimeoutSeconds", fix: /number of seconds/, got: 'string "3600"' },
    { what: "a zero ready timeout", args: { lifecycle: { readyTimeoutSeconds: 0 } }, path: "lifecycle.readyTimeoutSeconds", fix: /duration in seconds/ },
    { what: "a ready timeout beyond Node's timers", args: { lifecycle: { readyTimeoutSeconds: 1e9 } }, path: "lifecycle.readyTimeoutSeconds", fix: /duration in seconds/ },
    { what: "an empty kubeconfig", args: { lifecycle: { kubeconfig: "" } }, path: "lifecycle.kubeconfig", fix: /kubeconfig's contents/, got: "a secret string, not shown" },
    { what: "a kubeconfig as a number", args: { lifecycle: { kubeconfig: 5 } }, path: "lifecycle.kubeconfig", fix: /kubeconfig's contents/, got: "a secret number, not shown" },
    { what: "an empty context", args: { lifecycle: { context: "" } }, path: "lifecycle.context", fix: /context's name/ },
    // Upgrade.
    { what: "upgrade.version latest", args: { upgrade: { version: "latest" } }, path: "upgrade.version", fix: /3 or 4 numbers separated by dots/ },
    { what: "upgrade.version with two parts", args: { upgrade: { version: "3.3" } }, path: "upgrade.version", fix: /3 or 4 numbers/ },
    { what: "upgrade.version as a number", args: { upgrade: { version: 3.3 } }, path: "upgrade.version", fix: /e\.g\. "3\.3\.7\.6"/, got: "number 3.3" },
    { what: "upgrade.unknownVersionChange major", args: { upgrade: { unknownVersionChange: "major" } }, path: "upgrade.unknownVersionChange", fix: /"feature"/ },
    { what: "upgrade.backup sometimes", args: { upgrade: { backup: "sometimes" } }, path: "upgrade.backup", fix: /"offline", "always" or "never"/ },
    { what: "upgrade.backupVolumeSize 500m", args: { upgrade: { backupVolumeSize: "500m" } }, path: "upgrade.backupVolumeSize", fix: /thousandths/ },
    { what: "upgrade.backupVolumeSize 10 GB", args: { upgrade: { backupVolumeSize: "10 GB" } }, path: "upgrade.backupVolumeSize", fix: /Use a size such as/ },
];

/** Asserts the error names the path (at the start of a problem) and the fix, and shows what was given. */
function assertNames(err: unknown, name: string, bad: Pick<BadInput, "path" | "fix" | "got">): void {
    assert.ok(err instanceof TDengineClusterArgumentError, String(err));
    assert.ok(err.message.startsWith(`TDengineCluster "${name}": `), err.message);
    const problem = err.problems.find(p => p.path === bad.path);
    assert.ok(problem, `no problem at ${bad.path}: ${err.message}`);
    assert.ok(err.message.includes(`${bad.path} ${problem.problem}. ${problem.fix}`), err.message);
    assert.match(problem.fix, bad.fix);
    if (bad.got !== undefined) {
        assert.ok(problem.problem.includes(`(got ${bad.got}`), `shows what was given (${bad.got}): ${err.message}`);
    }
}

describe("TDengineCluster: bad input is refused before anything is registered", function () {
    let rec: Recorder;
    before(() => {
        installMocks();
        rec = startRecording();
    });

    it(`has a table of at least 80 bad inputs (${badInputs.length})`, () => assert.ok(badInputs.length >= 80));

    for (const bad of badInputs) {
        it(`refuses ${bad.what}: names ${bad.path} and the fix`, () => {
            const name = bad.name ?? "tdengine";
            const args = (bad.args !== null && typeof bad.args === "object" && !Array.isArray(bad.args) ? { rootPassword: PASSWORD, ...bad.args } : bad.args) as TDengineClusterArgs;
            assert.throws(() => new TDengineCluster(name, args, { transformations: [rec.transformation] }), err => {
                assertNames(err, name, bad);
                return true;
            });
            // Thrown before super(): not even the component was constructed, so nothing can be registered.
            assert.deepEqual(rec.constructed, []);
        });
    }

    it("lists every problem of one set of arguments in one error", () => {
        assert.throws(() => new TDengineCluster("tdengine", { replicas: "3", storage: { size: "5GB" }, timezone: "Mars/Olympus" } as unknown as TDengineClusterArgs),
            (err: unknown) => {
                assert.ok(err instanceof TDengineClusterArgumentError);
                assert.deepEqual(err.problems.map(p => p.path), ["replicas", "storage.size", "timezone"]);
                assert.match(err.message, /3 problems with the arguments:\n {2}- replicas must be a finite number \(got string "3"\)/);
                return true;
            });
    });

    it("never shows a password, however it was given", () => {
        for (const rootPassword of ["short", "pass:word-1", "Pässwort-123"]) {
            assert.throws(() => new TDengineCluster("tdengine", { rootPassword }), (err: unknown) => !(err as Error).message.includes(rootPassword));
        }
    });

    it("registered nothing at all for the whole table", async () => {
        await settle(rec);
        assert.deepEqual(rec.registered, []);
    });

    it("accepts every default, and a fully specified valid set", () => {
        assert.doesNotThrow(() => new TDengineCluster("defaults", { rootPassword: PASSWORD }));
        assert.doesNotThrow(() => new TDengineCluster("full", {
            namespace: "full", createNamespace: true, replicas: 3, image: "registry.example.com:5000/tdengine/tdengine:3.3.7.5", imagePullPolicy: "Always",
            storage: { size: "100Gi", className: "fast-ssd" }, timezone: "Europe/Berlin", taosConfig: { supportVnodes: 32, monitor: true, locale: "en_US.UTF-8" },
            rootPassword: PASSWORD, resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "1Gi" } },
            nodeSelector: { "example.com/pool": "db" }, tolerations: [{ key: "db", operator: "Exists", effect: "NoSchedule" }],
            affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "a", operator: "In", values: ["b"] }] }] } } },
            service: { type: "LoadBalancer", annotations: { "service.beta.kubernetes.io/aws-load-balancer-type": "nlb" } }, clusterDomain: "k8s.internal",
            retainVolumesOnDestroy: true,
            lifecycle: { enabled: true, restUrl: "https://db.example.com:6041", dropDnodeTimeoutSeconds: 14400, readyTimeoutSeconds: 900, rebalanceAfterScaleUp: false },
            upgrade: { allowOffline: false, version: "3.3.7.5", unknownVersionChange: "maintenance", backup: "always", backupVolumeSize: "50Gi" },
        }));
    });
});

/** Unhandled rejections seen while `work` runs: a gate's failure reaches the program as one per rejected input. */
async function rejectionsDuring(work: () => Promise<void>): Promise<Error[]> {
    const seen: Error[] = [];
    const listener = (reason: unknown): void => { seen.push(reason as Error); };
    process.on("unhandledRejection", listener);
    try {
        await work();
        await new Promise(resolve => setTimeout(resolve, 10));
    } finally {
        process.off("unhandledRejection", listener);
    }
    return seen;
}

interface EventualBadInput {
    what: string;
    args: (() => TDengineClusterArgs);
    path: string;
    fix: RegExp;
    /** Text that must never appear in the message (a secret). */
    hidden?: string;
    /** Also run under `pulumi up` (every case runs under preview; a few suffice to show up behaves alike). */
    upToo?: boolean;
}

const eventualBadInputs: EventualBadInput[] = [
    { what: "a short rootPassword as a secret", args: () => ({ rootPassword: pulumi.secret("short") }), path: "rootPassword", fix: /Use 8 to 255 characters/, hidden: "short", upToo: true },
    { what: "a rootPassword with a colon from a Promise", args: () => ({ rootPassword: Promise.resolve("pass:word-1") }), path: "rootPassword", fix: /colons/, hidden: "pass:word-1" },
    { what: "replicas \"3\" as an Output", args: () => ({ replicas: pulumi.output("3" as unknown as number) }), path: "replicas", fix: /as a number/ },
    { what: "zero replicas as an Output", args: () => ({ replicas: pulumi.output(0) }), path: "replicas", fix: /Set replicas to 1 or more/, upToo: true },
    { what: "namespace kube-system as a secret", args: () => ({ namespace: pulumi.secret("kube-system") }), path: "namespace", fix: /createNamespace: false/, upToo: true },
    { what: "half a byte of storage as an Output", args: () => ({ storage: { size: pulumi.output("500m") } }), path: "storage.size", fix: /thousandths/ },
    { what: "taosConfig.serverPort inside an Output", args: () => ({ taosConfig: pulumi.output({ serverPort: 7000 }) }), path: "taosConfig.serverPort", fix: /Remove it/ },
    { what: "a secret taos.cfg value that is an object", args: () => ({ taosConfig: { supportVnodes: pulumi.secret({ n: 42424242 }) as unknown as number } }),
        path: "taosConfig.supportVnodes", fix: /as it would appear/, hidden: "42424242" },
    { what: "a CPU limit of 8GB inside an Output", args: () => ({ resources: pulumi.output({ limits: { cpu: "8GB" } }) }), path: "resources.limits.cpu", fix: /quantities/ },
    { what: "a toleration operator Equals from an Output", args: () => ({ tolerations: [pulumi.output({ key: "a", operator: "Equals" })] }), path: "tolerations[0].operator", fix: /tolerations/ },
    { what: "a timezone from a Promise", args: () => ({ timezone: Promise.resolve("Mars/Olympus") }), path: "timezone", fix: /IANA/ },
    { what: "a REST URL with credentials as a secret", args: () => ({ lifecycle: { restUrl: pulumi.secret("http://root:Secret-99@db:6041") } }), path: "lifecycle.restUrl", fix: /rootPassword/, hidden: "Secret-99" },
    { what: "upgrade.version latest as an Output", args: () => ({ upgrade: { version: pulumi.output("latest") } }), path: "upgrade.version", fix: /3 or 4 numbers/ },
    { what: "a secret kubeconfig that is empty", args: () => ({ lifecycle: { kubeconfig: pulumi.secret("") } }), path: "lifecycle.kubeconfig", fix: /kubeconfig's contents/ },
];

for (const preview of [true, false]) {
    describe(`TDengineCluster: a bad value given as a secret or an Output is refused once known, nothing registered (${preview ? "pulumi preview" : "pulumi up"})`, function () {
        before(() => installMocks({ preview }));

        it("runs under the mode asked for", () => assert.equal(pulumi.runtime.isDryRun(), preview));

        for (const bad of eventualBadInputs.filter(b => preview || b.upToo === true)) {
            it(`refuses ${bad.what}: names ${bad.path} and the fix; no child resource, namespace included`, async () => {
                const rec = startRecording();
                const seen = await rejectionsDuring(async () => {
                    new TDengineCluster("tdengine", { rootPassword: PASSWORD, ...bad.args() }, { transformations: [rec.transformation] });
                    await settle(rec);
                });
                assert.deepEqual(rec.children().map(r => `${r.type} ${r.name}`), [], "no child resource registered");
                const ours = seen.find(e => e.message.includes('TDengineCluster "tdengine": '));
                assert.ok(ours, `the program failed with the argument's message: ${seen.map(e => e.message).join("\n")}`);
                const message = ours.message.slice(ours.message.indexOf('TDengineCluster "tdengine": '));
                assert.ok(message.includes(`${bad.path} `), message);
                assert.match(message, bad.fix);
                if (bad.hidden !== undefined) {
                    assert.ok(seen.every(e => !e.message.includes(bad.hidden as string)), "the secret is never shown");
                }
            });
        }
    });
}

describe("TDengineCluster: a value unknown at preview", function () {
    it("is accepted by pulumi preview (children planned with unknown values)", async () => {
        installMocks({ preview: true });
        const rec = startRecording();
        new TDengineCluster("tdengine", { rootPassword: PASSWORD, namespace: pulumi.output(pulumi.unknown) as pulumi.Output<string> },
            { transformations: [rec.transformation] });
        await settle(rec);
        assert.ok(rec.ofType("kubernetes:apps/v1:StatefulSet").length === 1, rec.registered.map(r => r.type).join(", "));
    });
});

describe("TDengineCluster: two clusters of one program claiming the same Kubernetes object", function () {
    before(() => installMocks());

    it("refuses a second cluster creating the same namespace, naming both", () => {
        startRecording();
        new TDengineCluster("db-a", { rootPassword: PASSWORD, namespace: "shared" });
        assert.throws(() => new TDengineCluster("db-b", { rootPassword: PASSWORD, namespace: "shared" }), (err: unknown) => {
            assertNames(err, "db-b", { path: "namespace", fix: /TDengineCluster "db-b" or TDengineCluster "db-a".*createNamespace: false/ });
            assert.match((err as Error).message, /Namespace shared the namespace it creates, and TDengineCluster "db-a" of this program already claims it/);
            return true;
        });
    });

    it("refuses clusters db and db-taosd in one namespace: both want Service db-taosd", () => {
        startRecording();
        new TDengineCluster("db", { rootPassword: PASSWORD, namespace: "tsdb" });
        assert.throws(() => new TDengineCluster("db-taosd", { rootPassword: PASSWORD, namespace: "tsdb", createNamespace: false }), (err: unknown) => {
            assert.match((err as Error).message, /TDengineCluster "db-taosd": namespace "tsdb" makes Service tsdb\/db-taosd its client Service, and TDengineCluster "db" of this program already claims it as its headless Service/);
            return true;
        });
    });

    it("refuses the same clash when the namespace is only known later, registering nothing of the second", async () => {
        const rec = startRecording();
        new TDengineCluster("db-a", { rootPassword: PASSWORD, namespace: "shared" });
        const seen = await rejectionsDuring(async () => {
            new TDengineCluster("db-b", { rootPassword: PASSWORD, namespace: pulumi.secret("shared") }, { transformations: [rec.transformation] });
            await settle(rec);
        });
        assert.deepEqual(rec.children().filter(r => r.name.startsWith("db-b")).map(r => r.name), []);
        assert.ok(seen.some(e => /TDengineCluster "db-b": namespace "shared" makes/.test(e.message)), seen.map(e => e.message).join("\n"));
    });

    it("accepts two clusters in one namespace created once, and in two namespaces", () => {
        startRecording();
        new TDengineCluster("db-a", { rootPassword: PASSWORD, namespace: "team" });
        assert.doesNotThrow(() => new TDengineCluster("db-b", { rootPassword: PASSWORD, namespace: "team", createNamespace: false }));
        assert.doesNotThrow(() => new TDengineCluster("db-c", { rootPassword: PASSWORD, namespace: "other" }));
    });
});

describe("TDengineCluster: inputs that work but are probably a mistake are warned, not refused", function () {
    let warnings: string[];
    let original: typeof pulumi.log.warn;
    before(() => installMocks());
    beforeEach(() => {
        warnings = [];
        original = pulumi.log.warn;
        pulumi.log.warn = (msg: string) => { warnings.push(msg); return Promise.resolve(); };
    });
    afterEach(() => { pulumi.log.warn = original; });

    const warned: Array<{ what: string; args: TDengineClusterArgs; warning: RegExp }> = [
        { what: "2 replicas", args: { replicas: 2 }, warning: /replicas is 2: with 2 dnodes the cluster keeps 1 mnode .* Use 1 for a small cluster, or 3 or more/ },
        { what: "a volume under 1Gi", args: { storage: { size: "500Mi" } }, warning: /storage\.size is 500Mi, under 1Gi.*Use 1Gi or more/ },
        { what: "a backup volume under 1Gi", args: { upgrade: { backupVolumeSize: "100Mi" } }, warning: /upgrade\.backupVolumeSize is 100Mi, under 1Gi/ },
        { what: "an image older than 3.3.6.6 with rootPassword", args: { image: "tdengine/tdengine:3.3.6.5" },
            warning: /image tdengine\/tdengine:3\.3\.6\.5 is TDengine 3\.3\.6\.5, older than 3\.3\.6\.6, which ignores TAOS_ROOT_PASSWORD.*Use tdengine\/tdengine:3\.3\.6\.6 or later/ },
        { what: "an image whose declared version is older than 3.3.6.6 with rootPassword", args: { image: "registry/td@sha256:" + "a".repeat(64), upgrade: { version: "3.3.5.0" } },
            warning: /older than 3\.3\.6\.6/ },
        { what: "2 replicas given as a secret", args: { replicas: pulumi.secret(2) }, warning: /replicas is 2/ },
    ];
    for (const w of warned) {
        it(`warns about ${w.what}`, async () => {
            const checked = checkArgs("tdengine", { rootPassword: PASSWORD, ...w.args });
            await promiseOf(checked.gate);
            assert.ok(warnings.some(x => w.warning.test(x)), warnings.join("\n"));
        });
    }

    it("warns through the component, and still deploys", async () => {
        const rec = startRecording();
        new TDengineCluster("tdengine", { rootPassword: PASSWORD, replicas: 2 }, { transformations: [rec.transformation] });
        await settle(rec);
        assert.ok(warnings.some(x => /replicas is 2/.test(x)), warnings.join("\n"));
        assert.equal(rec.ofType("kubernetes:apps/v1:StatefulSet").length, 1);
    });

    it("warns about nothing for 3 replicas on the default image", async () => {
        const rec = startRecording();
        new TDengineCluster("tdengine", { rootPassword: PASSWORD }, { transformations: [rec.transformation] });
        await settle(rec);
        assert.deepEqual(warnings, []);
    });
});
