/**
 * The Kubernetes side of the lifecycle (components/kube/cluster-objects.ts) against the fake API server:
 * PVCs deleted only as they were listed, and port-forwards whose failure is seen at once.
 */
import { strict as assert } from "node:assert";
import { KubeClusterObjects } from "../../components/kube/cluster-objects";
import { openRoute } from "../../components/lifecycle/session";
import { deleteRemovedVolumes } from "../../components/lifecycle/volumes";
import { TDengineRest } from "../../components/tdengine/rest";
import { TDengineStandin } from "../standin/standin";
import { FakeKubernetes } from "./fake-kubernetes";
import { addressing, stepInputs } from "./fixture";

const PASSWORD = "Td-Objects-3";

describe("the lifecycle's Kubernetes objects against the fake API server", function () {
    let standin: TDengineStandin;
    let kube: FakeKubernetes;
    let objects: KubeClusterObjects;
    let kubeconfig: string;

    beforeEach(async () => {
        standin = new TDengineStandin({ rootPassword: PASSWORD, timeScale: 0.01 });
        await standin.start();
        kube = new FakeKubernetes(standin, addressing, "tdengine");
        kubeconfig = await kube.serve();
        objects = new KubeClusterObjects({ kubeconfig }, addressing.namespace, addressing.statefulSet, "tdengine");
    });

    afterEach(async () => {
        await standin.stop();
        await kube.close();
    });

    describe("PVCs are deleted with UID and resourceVersion preconditions", () => {
        it("a PVC the StatefulSet re-created between list and delete is kept; the one listed afresh is deleted", async () => {
            kube.applyStatefulSet(3);
            kube.applyStatefulSet(2);
            const listed = (await objects.dataVolumes()).find(v => v.ordinal === 2);
            assert.ok(listed?.uid && listed.resourceVersion, "the list carries each PVC's uid and resourceVersion");
            // Meanwhile the PVC is deleted and created again under the same name (a scale-up started pod 2 again).
            kube.volumes.delete(2);
            const recreated = kube.createVolume(2);

            assert.equal(await objects.deleteVolume(listed), false, "not the PVC that was listed");
            assert.equal(kube.volumes.get(2)?.uid, recreated.uid, "the new PVC is untouched");

            const again = (await objects.dataVolumes()).find(v => v.ordinal === 2);
            assert.ok(again);
            assert.equal(await objects.deleteVolume(again), true);
            assert.equal(kube.volumes.has(2), false);
        });

        it("a PVC deleted already counts as deleted", async () => {
            kube.applyStatefulSet(2);
            kube.applyStatefulSet(1);
            const listed = (await objects.dataVolumes()).find(v => v.ordinal === 1);
            assert.ok(listed);
            kube.volumes.delete(1);
            assert.equal(await objects.deleteVolume(listed), true);
        });

        it("the step after a scale-down keeps a removed pod's PVC that was re-created meanwhile, and says so", async () => {
            kube.applyStatefulSet(3);
            kube.applyStatefulSet(2);
            const progress: string[] = [];
            // The re-creation happens right after the step has listed the volumes.
            const racing = Object.create(objects) as KubeClusterObjects;
            racing.dataVolumes = async () => {
                const volumes = await objects.dataVolumes();
                kube.volumes.delete(2);
                kube.createVolume(2);
                return volumes;
            };
            const deleted = await deleteRemovedVolumes(racing, [], {
                addressing, replicas: 2, timeoutMs: 5_000, progress: m => progress.push(m),
            });
            assert.deepEqual(deleted, []);
            assert.equal(kube.volumes.has(2), true);
            assert.ok(progress.some(l => /^kept PVC taosdata-tdengine-2: it changed since it was listed/.test(l)), progress.join("\n"));
        });
    });

    describe("port-forward to TDengine's REST port", () => {
        const retry = { attempts: 3, initialDelayMs: 5, maxDelayMs: 20 };
        const inputs = (replicas: number) => stepInputs(replicas, { password: PASSWORD, restUrl: "", kubeconfig: "" });

        it("reaches TDengine through a forward to the lowest-ordinal ready pod", async () => {
            kube.applyStatefulSet(2);
            const route = await openRoute(objects, inputs(2));
            try {
                const td = new TDengineRest({ url: route.url, password: PASSWORD, retry });
                assert.equal((await td.showDnodes()).length, 2);
                assert.equal((await td.showDnodes()).length, 2, "a second request through a fresh forward");
                assert.match(route.via, /^a port-forward to pod tdengine-0 port 6041 in namespace db/);
            } finally {
                route.close();
            }
        });

        it("a refused forward (taosAdapter not listening yet) fails its request at once, and the route moves to another ready pod", async () => {
            kube.applyStatefulSet(3);
            kube.restNotListening.add(0);
            const log: string[] = [];
            const route = await openRoute(objects, inputs(3));
            try {
                // The default 60 s request timeout: a forward failure that went unseen would wait it out.
                const td = new TDengineRest({ url: route.url, password: PASSWORD, retry, log: m => log.push(m) });
                assert.equal((await td.showDnodes()).length, 3);
                assert.deepEqual(kube.events.filter(e => e.kind.startsWith("portforward")).map(e => `${e.kind} ${e.detail}`),
                    ["portforward.refused tdengine-0", "portforward.opened tdengine-1"]);
                assert.equal(log.length, 1, log.join("\n"));
                assert.doesNotMatch(log[0], /timed out|timeout/i, "the first attempt ended by the forward's error, not a timeout");
                assert.match(route.via, /pod tdengine-1 /, "messages name the pod now forwarded to");
            } finally {
                route.close();
            }
        });

        it("with every pod refusing, each attempt fails at once and the error says what was tried", async () => {
            kube.applyStatefulSet(1);
            kube.restNotListening.add(0);
            const route = await openRoute(objects, inputs(1));
            try {
                const td = new TDengineRest({ url: route.url, password: PASSWORD, retry });
                await assert.rejects(td.showDnodes(), (err: Error) => {
                    assert.match(err.message, /3 attempt\(s\) over [\d.]+ s failed/);
                    assert.doesNotMatch(err.message, /timed out|timeout/i);
                    return true;
                });
                assert.equal(kube.events.filter(e => e.kind === "portforward.refused").length, 3, "one refused forward per attempt");
            } finally {
                route.close();
            }
        });
    });
});
