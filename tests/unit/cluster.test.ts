import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { TDengineCluster, TDengineClusterArgs } from "../../components";
import { REPORTED_DNODES, REPORTED_MNODES, Recorder, Registered, installMocks, promiseOf, settle, startRecording } from "./harness";
import { unknownFields, validateManifest } from "./schema";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- registered inputs are free-form JSON

const STS = "kubernetes:apps/v1:StatefulSet";
const SERVICE = "kubernetes:core/v1:Service";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const SECRET = "kubernetes:core/v1:Secret";
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
const DYNAMIC = "pulumi-nodejs:dynamic";
const BEFORE = "pulumi-nodejs:dynamic/tdengine:BeforeStatefulSet";
const AFTER = "pulumi-nodejs:dynamic/tdengine:AfterStatefulSet";

const apiVersions: Record<string, [string, string]> = {
    [STS]: ["apps/v1", "StatefulSet"],
    [SERVICE]: ["v1", "Service"],
    [NAMESPACE]: ["v1", "Namespace"],
    [SECRET]: ["v1", "Secret"],
    [PDB]: ["policy/v1", "PodDisruptionBudget"],
};

async function deploy(
    name: string, args: TDengineClusterArgs = {}, opts: pulumi.ComponentResourceOptions = {},
): Promise<{ rec: Recorder; cluster: TDengineCluster }> {
    const rec = startRecording();
    const withPassword = "rootPassword" in args ? args : { ...args, rootPassword: pulumi.secret("unit-test-password") };
    const cluster = new TDengineCluster(name, withPassword, { ...opts, transformations: [rec.transformation] });
    await promiseOf(pulumi.all([cluster.restEndpoint, cluster.statefulSetName, cluster.secretName, cluster.replicas]));
    await settle(rec);
    return { rec, cluster };
}

function container(rec: Recorder): Obj {
    return (rec.one(STS).inputs as Obj).spec.template.spec.containers[0];
}

function envOf(rec: Recorder): Map<string, Obj> {
    return new Map((container(rec).env as Obj[]).map(e => [e.name as string, e]));
}

describe("TDengineCluster: the objects of TDengine's Kubernetes guide", function () {
    before(() => installMocks());

    it("registers a Namespace, a Secret, a headless and a client Service, a PodDisruptionBudget and a StatefulSet, all children of the component", async () => {
        const { rec } = await deploy("tdengine");
        const kinds = rec.children().filter(r => r.type.startsWith("kubernetes:")).map(r => r.type).sort();
        assert.deepEqual(kinds, [STS, NAMESPACE, SECRET, SERVICE, SERVICE, PDB].sort());
        const component = rec.one("tdengine:kubernetes:Cluster");
        for (const child of rec.children()) {
            assert.equal(child.parent, component.resource, `${child.type} ${child.name} must be a child of the component`);
        }
    });

    it("defaults the namespace to the resource name and puts every object in it", async () => {
        const { rec, cluster } = await deploy("tdengine");
        assert.equal((rec.one(NAMESPACE).inputs as Obj).metadata.name, "tdengine");
        for (const r of rec.children().filter(c => c.type !== NAMESPACE && c.type.startsWith("kubernetes:"))) {
            assert.equal((r.inputs as Obj).metadata.namespace, "tdengine", `${r.type} ${r.name}`);
        }
        assert.equal(await promiseOf(cluster.namespace), "tdengine");
    });

    it("uses an existing namespace without creating or owning it when createNamespace is false", async () => {
        const { rec } = await deploy("tdengine", { namespace: "shared-db", createNamespace: false });
        assert.equal(rec.ofType(NAMESPACE).length, 0);
        assert.equal((rec.one(STS).inputs as Obj).metadata.namespace, "shared-db");
    });

    it("makes the governing Service headless and publishes not-ready pods, so joining dnodes resolve pod 0", async () => {
        const { rec } = await deploy("tdengine");
        const headless = rec.ofType(SERVICE).map(r => r.inputs as Obj).find(s => s.spec.clusterIP === "None");
        assert.ok(headless, "a headless Service");
        assert.equal(headless.metadata.name, "tdengine-taosd");
        assert.equal(headless.spec.publishNotReadyAddresses, true);
        assert.deepEqual(headless.spec.ports.map((p: Obj) => [p.name, p.port]), [["tcp6030", 6030], ["tcp6041", 6041]]);
        assert.equal((rec.one(STS).inputs as Obj).spec.serviceName, "tdengine-taosd");
    });

    it("creates a ClusterIP client Service on 6030 and 6041 by default, and NodePort/LoadBalancer with annotations on request", async () => {
        const byDefault = (await deploy("tdengine")).rec.ofType(SERVICE).map(r => r.inputs as Obj).find(s => s.spec.clusterIP !== "None");
        assert.ok(byDefault);
        assert.equal(byDefault.spec.type, "ClusterIP");
        assert.deepEqual(byDefault.spec.ports.map((p: Obj) => p.port), [6030, 6041]);
        assert.deepEqual(byDefault.spec.selector, { "app.kubernetes.io/name": "tdengine", "app.kubernetes.io/instance": "tdengine" });

        const { rec } = await deploy("tdengine", { service: { type: "LoadBalancer", annotations: { "lb.example/internal": "true" } } });
        const lb = rec.ofType(SERVICE).map(r => r.inputs as Obj).find(s => s.spec.clusterIP !== "None");
        assert.ok(lb);
        assert.equal(lb.spec.type, "LoadBalancer");
        assert.deepEqual(lb.metadata.annotations, { "lb.example/internal": "true" });
    });

    it("builds the container env exactly as TDengine's Kubernetes guide does, in its order", async () => {
        const { rec } = await deploy("tdengine", { namespace: "tdengine-test", timezone: "Asia/Shanghai" });
        const env = container(rec).env as Obj[];
        assert.deepEqual(env.map(e => e.name), [
            "POD_NAME", "SERVICE_NAME", "STS_NAME", "STS_NAMESPACE", "TZ", "TAOS_SERVER_PORT", "TAOS_FIRST_EP",
            "TAOS_SECOND_EP", "TAOS_FQDN", "TAOS_ROOT_PASSWORD",
        ]);
        const byName = envOf(rec);
        assert.deepEqual(byName.get("POD_NAME")?.valueFrom, { fieldRef: { fieldPath: "metadata.name" } });
        assert.equal(byName.get("SERVICE_NAME")?.value, "tdengine-taosd");
        assert.equal(byName.get("STS_NAME")?.value, "tdengine");
        assert.deepEqual(byName.get("STS_NAMESPACE")?.valueFrom, { fieldRef: { fieldPath: "metadata.namespace" } });
        assert.equal(byName.get("TZ")?.value, "Asia/Shanghai");
        assert.equal(byName.get("TAOS_SERVER_PORT")?.value, "6030");
        assert.equal(byName.get("TAOS_FIRST_EP")?.value,
            "$(STS_NAME)-0.$(SERVICE_NAME).$(STS_NAMESPACE).svc.cluster.local:$(TAOS_SERVER_PORT)");
        assert.equal(byName.get("TAOS_SECOND_EP")?.value,
            "$(STS_NAME)-1.$(SERVICE_NAME).$(STS_NAMESPACE).svc.cluster.local:$(TAOS_SERVER_PORT)");
        assert.equal(byName.get("TAOS_FQDN")?.value, "$(POD_NAME).$(SERVICE_NAME).$(STS_NAMESPACE).svc.cluster.local");
    });

    it("names pod 1 as the second endpoint only when there are 2 or more dnodes", async () => {
        assert.equal(envOf((await deploy("tdengine", { replicas: 1 })).rec).has("TAOS_SECOND_EP"), false);
        assert.equal(envOf((await deploy("tdengine", { replicas: 2 })).rec).has("TAOS_SECOND_EP"), true);
    });

    it("uses the cluster domain in every FQDN", async () => {
        const env = envOf((await deploy("tdengine", { clusterDomain: "k8s.internal" })).rec);
        assert.equal(env.get("TAOS_FQDN")?.value, "$(POD_NAME).$(SERVICE_NAME).$(STS_NAMESPACE).svc.k8s.internal");
        assert.match(env.get("TAOS_FIRST_EP")?.value, /\.svc\.k8s\.internal:\$\(TAOS_SERVER_PORT\)$/);
    });

    it("gives the root password from the Secret, never inline, and keeps it secret", async () => {
        const password = "s3cret-Value-42";
        const { rec } = await deploy("tdengine", { rootPassword: pulumi.secret(password) });
        assert.deepEqual(envOf(rec).get("TAOS_ROOT_PASSWORD")?.valueFrom, { secretKeyRef: { name: "tdengine-root", key: "password" } });
        for (const r of rec.registered.filter(x => x.type !== SECRET && !x.type.startsWith(DYNAMIC))) {
            assert.ok(!JSON.stringify(r.inputs).includes(password), `${r.type} ${r.name} must not contain the password`);
        }
        for (const step of rec.registered.filter(x => x.type.startsWith(DYNAMIC))) {
            assertSentAsSecret(step, "password");
        }
        const secret = rec.one(SECRET).inputs as Obj;
        assert.equal(secret.metadata.name, "tdengine-root");
        assert.equal(secret.stringData.password, password);
        assertSentAsSecret(rec.one(SECRET), "stringData.password");
    });

    it("marks the default root password secret too, and warns that it is the default", async () => {
        const warnings: string[] = [];
        const original = pulumi.log.warn;
        pulumi.log.warn = (msg: string) => { warnings.push(msg); return Promise.resolve(); };
        try {
            const { rec } = await deploy("tdengine", { rootPassword: undefined });
            assertSentAsSecret(rec.one(SECRET), "stringData.password");
        } finally {
            pulumi.log.warn = original;
        }
        assert.ok(warnings.some(w => w.includes("no rootPassword given")), warnings.join("\n"));
    });

    it("passes taosConfig keys as TAOS_* variables (strip TAOS_, camelCase: docs/tdengine.md#environment-variables)", async () => {
        const env = envOf((await deploy("tdengine", { taosConfig: { supportVnodes: 32, numOfMnodeReadThreads: 2, monitor: true } })).rec);
        assert.equal(env.get("TAOS_SUPPORT_VNODES")?.value, "32");
        assert.equal(env.get("TAOS_NUM_OF_MNODE_READ_THREADS")?.value, "2");
        assert.equal(env.get("TAOS_MONITOR")?.value, "1");
    });

    it("keeps the Kubernetes guide's startupProbe and liveness probe and fixes the readiness timeout", async () => {
        const c = container((await deploy("tdengine")).rec);
        assert.deepEqual(c.startupProbe, { exec: { command: ["taos-check"] }, failureThreshold: 360, periodSeconds: 10, timeoutSeconds: 5 });
        assert.deepEqual(c.livenessProbe, { exec: { command: ["taos-check"] }, initialDelaySeconds: 15, periodSeconds: 20, timeoutSeconds: 5 });
        assert.deepEqual(c.readinessProbe.exec, { command: ["taos-check"] });
        assert.equal(c.readinessProbe.initialDelaySeconds, 5);
        assert.ok(c.readinessProbe.timeoutSeconds <= 10, "the Kubernetes guide's 5000 s readiness timeout is fixed");
    });

    it("gives each pod one ReadWriteOnce PVC, mounted at /var/lib/taos, of the Kubernetes guide's 5Gi by default", async () => {
        const { rec } = await deploy("tdengine");
        const sts = rec.one(STS).inputs as Obj;
        assert.deepEqual(sts.spec.volumeClaimTemplates, [{
            metadata: { name: "taosdata", labels: {
                "app.kubernetes.io/name": "tdengine", "app.kubernetes.io/instance": "tdengine",
                "app.kubernetes.io/managed-by": "pulumi", app: "tdengine" } },
            spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "5Gi" } } },
        }]);
        assert.deepEqual(container(rec).volumeMounts, [{ name: "taosdata", mountPath: "/var/lib/taos" }]);
        assert.equal(sts.spec.persistentVolumeClaimRetentionPolicy, undefined,
            "volumes are deleted by the lifecycle, not by a StatefulSet replacement");

        const sized = (await deploy("tdengine", { storage: { size: "100Gi", className: "fast-ssd" } })).rec.one(STS).inputs as Obj;
        assert.equal(sized.spec.volumeClaimTemplates[0].spec.storageClassName, "fast-ssd");
        assert.equal(sized.spec.volumeClaimTemplates[0].spec.resources.requests.storage, "100Gi");
    });

    it("starts pods one at a time and spreads them across nodes by default", async () => {
        const spec = (((await deploy("tdengine")).rec.one(STS).inputs) as Obj).spec;
        assert.equal(spec.podManagementPolicy, "OrderedReady");
        assert.equal(spec.replicas, 3);
        assert.deepEqual(spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution, [{
            weight: 100,
            podAffinityTerm: {
                labelSelector: { matchLabels: { "app.kubernetes.io/name": "tdengine", "app.kubernetes.io/instance": "tdengine" } },
                topologyKey: "kubernetes.io/hostname",
            },
        }]);
    });

    it("passes image, resources, nodeSelector, tolerations and a user affinity through", async () => {
        const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }] }] } } };
        const { rec } = await deploy("tdengine", {
            image: "registry.example/tdengine:3.3.6.6",
            resources: { requests: { cpu: "1", memory: "2Gi" } },
            nodeSelector: { pool: "db" },
            tolerations: [{ key: "db", operator: "Exists", effect: "NoSchedule" }],
            affinity,
        });
        const pod = (rec.one(STS).inputs as Obj).spec.template.spec;
        assert.equal(pod.containers[0].image, "registry.example/tdengine:3.3.6.6");
        assert.deepEqual(pod.containers[0].resources, { requests: { cpu: "1", memory: "2Gi" } });
        assert.deepEqual(pod.nodeSelector, { pool: "db" });
        assert.deepEqual(pod.tolerations, [{ key: "db", operator: "Exists", effect: "NoSchedule" }]);
        assert.deepEqual(pod.affinity, affinity);
    });

    it("limits voluntary disruption to one dnode at a time", async () => {
        const pdb = (await deploy("tdengine")).rec.one(PDB).inputs as Obj;
        assert.equal(pdb.spec.maxUnavailable, 1);
        assert.deepEqual(pdb.spec.selector.matchLabels, { "app.kubernetes.io/name": "tdengine", "app.kubernetes.io/instance": "tdengine" });
    });

    it("exports the REST and native endpoints and the names other programs need", async () => {
        const { cluster } = await deploy("tdengine", { namespace: "db" });
        assert.equal(await promiseOf(cluster.restEndpoint), "http://tdengine.db.svc.cluster.local:6041");
        assert.equal(await promiseOf(cluster.nativeEndpoint), "tdengine.db.svc.cluster.local:6030");
        assert.equal(await promiseOf(cluster.namespace), "db");
        assert.equal(await promiseOf(cluster.headlessServiceName), "tdengine-taosd");
        assert.equal(await promiseOf(cluster.statefulSetName), "tdengine");
        assert.equal(await promiseOf(cluster.replicas), 3);
    });

    it("sends every child to the caller's Kubernetes provider", async () => {
        const rec = startRecording();
        const provider = new k8s.Provider("target", { kubeconfig: "{}" });
        const cluster = new TDengineCluster("tdengine", {}, { provider, transformations: [rec.transformation] });
        await promiseOf(pulumi.all([cluster.restEndpoint, cluster.statefulSetName]));
        await settle(rec);
        const kube = rec.children().filter(r => r.type.startsWith("kubernetes:"));
        assert.ok(kube.length >= 6);
        for (const r of kube) {
            assert.match(r.provider ?? "", /::target_id$/, `${r.type} ${r.name} uses the caller's provider`);
        }
    });

    it("also honours a providers map", async () => {
        const rec = startRecording();
        const provider = new k8s.Provider("mapped", { kubeconfig: "{}" });
        const cluster = new TDengineCluster("tdengine", {}, { providers: { kubernetes: provider }, transformations: [rec.transformation] });
        await promiseOf(cluster.statefulSetName);
        await settle(rec);
        for (const r of rec.children().filter(c => c.type.startsWith("kubernetes:"))) {
            assert.match(r.provider ?? "", /::mapped_id$/, `${r.type} ${r.name}`);
        }
    });

    it("builds its own Kubernetes provider from lifecycle.kubeconfig when none is passed", async () => {
        const { rec } = await deploy("tdengine", { lifecycle: { kubeconfig: "apiVersion: v1\nkind: Config\n", context: "kind-a" } });
        const own = rec.one("pulumi:providers:kubernetes");
        assert.equal((own.inputs as Obj).context, "kind-a");
        for (const r of rec.children().filter(c => c.type.startsWith("kubernetes:"))) {
            assert.match(r.provider ?? "", /tdengine-kubernetes/, `${r.type} ${r.name}`);
        }
    });

    describe("pod template changes (docs/tdengine.md#rolling-restart, #version-rules)", () => {
        it("with the lifecycle on, the StatefulSet restarts no pod itself (OnDelete): the step after it does, one at a time", async () => {
            const { rec } = await deploy("tdengine");
            const spec = (rec.one(STS).inputs as Obj).spec;
            assert.deepEqual(spec.updateStrategy, { type: "OnDelete" });
            assert.equal(spec.podManagementPolicy, "OrderedReady", "immutable: changing it would replace the StatefulSet");
        });

        it("with the lifecycle off, the StatefulSet's own RollingUpdate restarts the pods", async () => {
            const { rec } = await deploy("tdengine", { lifecycle: { enabled: false } });
            assert.deepEqual((rec.one(STS).inputs as Obj).spec.updateStrategy, { type: "RollingUpdate" });
        });

        it("gives the steps the image, a hash of the pod template and the upgrade rules", async () => {
            const { rec } = await deploy("tdengine", { image: "registry.local:5000/tdengine:3.3.7.6",
                upgrade: { allowOffline: true, version: "3.3.7.6", unknownVersionChange: "maintenance" }, lifecycle: { rebalanceAfterScaleUp: false } });
            for (const step of [rec.one(BEFORE), rec.one(AFTER)]) {
                const i = step.inputs as Obj;
                assert.equal(i.image, "registry.local:5000/tdengine:3.3.7.6");
                assert.match(i.podTemplateHash, /^[0-9a-f]{16}$/);
                assert.equal(i.upgradeVersion, "3.3.7.6");
                assert.equal(i.allowOfflineUpgrade, true);
                assert.equal(i.unknownVersionChange, "maintenance");
                assert.equal(i.rebalanceAfterScaleUp, false);
            }
            const defaults = (await deploy("tdengine")).rec.one(AFTER).inputs as Obj;
            assert.deepEqual(
                [defaults.allowOfflineUpgrade, defaults.unknownVersionChange, defaults.rebalanceAfterScaleUp, defaults.upgradeVersion],
                [false, "feature", true, undefined],
            );
        });

        it("the template hash changes with every pod setting, and not with the replica count or the volume size", async () => {
            const hashOf = async (args: TDengineClusterArgs): Promise<string> =>
                ((await deploy("tdengine", { replicas: 3, ...args })).rec.one(AFTER).inputs as Obj).podTemplateHash as string;
            const base = await hashOf({});
            const changes: TDengineClusterArgs[] = [
                { image: "tdengine/tdengine:3.3.7.6" }, { taosConfig: { supportVnodes: 64 } }, { timezone: "UTC" },
                { resources: { limits: { memory: "8Gi" } } }, { nodeSelector: { disk: "ssd" } }, { imagePullPolicy: "Always" },
                { tolerations: [{ key: "db", operator: "Exists" }] }, { affinity: { podAntiAffinity: {} } },
            ];
            for (const change of changes) {
                assert.notEqual(await hashOf(change), base, JSON.stringify(change));
            }
            assert.equal(await hashOf({ replicas: 5 }), base);
            assert.equal(await hashOf({ storage: { size: "50Gi" } }), base);
        });
    });

    describe("the lifecycle steps around the StatefulSet", () => {
        it("makes the StatefulSet depend on the scale-down step and the mnode step depend on the StatefulSet", async () => {
            const { rec } = await deploy("tdengine");
            const before = rec.one(BEFORE);
            const sts = rec.one(STS);
            const after = rec.one(AFTER);
            assert.ok(sts.dependsOn.includes(before.resource as pulumi.Resource), "StatefulSet dependsOn the step that drops leaving dnodes");
            assert.ok(after.dependsOn.includes(sts.resource as pulumi.Resource), "the mnode step dependsOn the StatefulSet");
            assert.ok(!before.dependsOn.includes(sts.resource as pulumi.Resource), "no cycle");
        });

        it("gives both steps what they need to find the cluster, as the component names it", async () => {
            const { rec } = await deploy("tdengine", { namespace: "db", replicas: 4, clusterDomain: "k8s.internal",
                lifecycle: { dropDnodeTimeoutSeconds: 7200, restUrl: "http://tdengine.db:6041" }, retainVolumesOnDestroy: true });
            for (const step of [rec.one(BEFORE), rec.one(AFTER)]) {
                const i = step.inputs as Obj;
                assert.equal(i.instance, "tdengine");
                assert.equal(i.namespace, "db");
                assert.equal(i.statefulSet, "tdengine");
                assert.equal(i.headlessService, "tdengine-taosd");
                assert.equal(i.clusterDomain, "k8s.internal");
                assert.equal(i.replicas, 4);
                assert.equal(i.dropDnodeTimeoutSeconds, 7200);
                assert.equal(i.readyTimeoutSeconds, 600);
                assert.equal(i.storageSize, "5Gi");
                assert.equal(i.restUrl, "http://tdengine.db:6041");
                assert.equal(i.retainVolumesOnDestroy, true);
                assert.equal(typeof i.__provider, "string", "the provider is serialized into the inputs");
                assert.equal(step.parent, rec.one("tdengine:kubernetes:Cluster").resource);
            }
        });

        it("exports the dnodes and mnodes the step after the StatefulSet reported", async () => {
            const { cluster } = await deploy("tdengine");
            assert.deepEqual(await promiseOf(cluster.dnodes), REPORTED_DNODES);
            assert.deepEqual(await promiseOf(cluster.mnodes), REPORTED_MNODES);
        });

        it("keeps the namespace on destroy when the volumes are to be kept", async () => {
            const { rec } = await deploy("tdengine", { retainVolumesOnDestroy: true });
            assert.ok(rec.one(NAMESPACE));
            // retainOnDelete is an engine option: the transformation saw it on the Namespace.
            const rec2 = startRecording();
            let retained: boolean | undefined;
            const cluster = new TDengineCluster("tdengine", { rootPassword: "Unit-Test-Pass-1", retainVolumesOnDestroy: true }, {
                transformations: [
                    a => {
                        if (a.type === NAMESPACE) { retained = a.opts.retainOnDelete; }
                        return undefined;
                    },
                    rec2.transformation,
                ],
            });
            await promiseOf(cluster.namespace);
            assert.equal(retained, true);
        });

        it("never replaces the StatefulSet for a volume change: the steps resize PVCs instead", async () => {
            const seen = new Map<string, string[] | undefined>();
            const spy: pulumi.ResourceTransformation = a => { seen.set(a.type, a.opts.ignoreChanges); return undefined; };
            const on = new TDengineCluster("tdengine", { rootPassword: "Unit-Test-Pass-1" }, { transformations: [spy] });
            await promiseOf(on.statefulSetName);
            assert.deepEqual(seen.get(STS), ["spec.volumeClaimTemplates"]);
            const off = new TDengineCluster("plain", { rootPassword: "Unit-Test-Pass-1", lifecycle: { enabled: false } }, { transformations: [spy] });
            await promiseOf(off.statefulSetName);
            assert.equal(seen.get(STS), undefined, "without the lifecycle nothing would resize them: let Pulumi show the replacement");
        });

        it("registers no step when the lifecycle automation is off", async () => {
            const { rec, cluster } = await deploy("tdengine", { lifecycle: { enabled: false } });
            assert.equal(rec.registered.filter(r => r.type.startsWith(DYNAMIC)).length, 0);
            assert.deepEqual(rec.one(STS).dependsOn.map(d => d.constructor.name).sort(), ["Secret", "Service"]);
            assert.deepEqual(await promiseOf(cluster.dnodes), []);
        });
    });

    describe("every manifest against the Kubernetes OpenAPI schema", () => {
        const variants: Array<[string, TDengineClusterArgs]> = [
            ["defaults", {}],
            ["one dnode", { replicas: 1 }],
            ["everything set", {
                replicas: 5, image: "tdengine/tdengine:3.3.6.6", storage: { size: "20Gi", className: "ssd" }, timezone: "UTC",
                taosConfig: { supportVnodes: 64 }, rootPassword: pulumi.secret("x-y-z-Pass-1"),
                resources: { requests: { cpu: "2", memory: "4Gi" }, limits: { memory: "4Gi" } },
                nodeSelector: { pool: "db" }, tolerations: [{ key: "db", operator: "Exists" }],
                service: { type: "NodePort", annotations: { a: "b" } }, clusterDomain: "example.org",
            }],
        ];
        for (const [label, args] of variants) {
            it(`validates with ${label}, with no unknown fields`, async () => {
                const { rec } = await deploy("tdengine", args);
                const kube = rec.children().filter(r => r.type in apiVersions);
                assert.equal(kube.length, 6);
                for (const r of kube) {
                    validateManifest(asManifest(r));
                }
            });
        }

        it("catches an unknown field the validators alone accept (spec.replicaz)", () => {
            const bad = { apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "x" },
                spec: { replicaz: 3, selector: {}, serviceName: "x", template: { spec: { containers: [{ name: "c", imagePullPolizy: "x" }] } } } };
            assert.deepEqual(unknownFields(bad, "V1StatefulSet"), ["spec.replicaz", "spec.template.spec.containers[0].imagePullPolizy"]);
            assert.throws(() => validateManifest(bad), /spec\.replicaz/);
        });

        it("catches a wrongly typed field (the validators' part)", () => {
            const bad = { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "x" }, spec: { maxUnavailable: true } };
            assert.throws(() => validateManifest(bad));
        });
    });
});

/** The value at `path` reached the engine as a secret (itself, or inside a secret parent). */
function assertSentAsSecret(r: Registered, path: string): void {
    assert.ok(r.secretPaths.some(p => path === p || path.startsWith(`${p}.`)), `${path} is secret (secret paths: ${r.secretPaths.join(", ")})`);
}

function asManifest(r: Registered): { kind: string } & Record<string, unknown> {
    const [apiVersion, kind] = apiVersions[r.type];
    return { apiVersion, kind, ...(r.inputs as Obj) };
}
