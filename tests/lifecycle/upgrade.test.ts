/**
 * Pod template changes through the lifecycle providers, against the TDengine stand-in (vgroup elections
 * after a restart, docs/tdengine.md#rolling-restart; `balance vgroup`, #balance-vgroup) and the fake
 * Kubernetes (an OnDelete StatefulSet with revisions), driven in the engine's order (engine.ts): preview's
 * check, the step before, the StatefulSet, the step after.
 */
import { strict as assert } from "node:assert";
import { dnodeEndpointForOrdinal } from "../../components/names";
import { addressing } from "./fixture";
import { Setup, setup as setupStandin, sqlEvents, teardown } from "./standin-setup";

const V5 = "tdengine/tdengine:3.3.7.5";
const V6 = "tdengine/tdengine:3.3.7.6";
const FEATURE = "tdengine/tdengine:3.3.8.0";

/** The stand-in and fake Kubernetes of standin-setup.ts, every step's inputs starting from image V5. */
function setup(): Promise<Setup> {
    return setupStandin({ defaults: extra => ({ image: V5, podTemplateHash: `hash-of-${extra.image ?? V5}` }) });
}

/** A 3-dnode cluster with a replica-3 database of 4 vgroups, its leaders spread over the dnodes. */
async function threeDnodesWithData(): Promise<Setup> {
    const s = await setup();
    await s.engine.up(s.inputs(3));
    await s.sql.query("create database r3 replica 3 vgroups 4", { retry: "only-if-not-sent" });
    return s;
}

function deletedPods(s: Setup): string[] {
    return s.kube.events.filter(e => e.kind === "pod.deleted").map(e => e.detail);
}

describe("upgrades and configuration changes through the lifecycle steps (stand-in)", function () {
    this.timeout(60_000);

    afterEach(teardown);

    it("a Maintenance image change rolls one pod at a time, highest first, never stopping one while a vgroup has no leader", async () => {
        const s = await threeDnodesWithData();
        const result = await s.engine.up(s.inputs(3, { image: V6, podTemplateHash: "hash-of-v6" }));
        assert.deepEqual(deletedPods(s), ["tdengine-2", "tdengine-1", "tdengine-0"]);
        for (const d of s.kube.deletions) {
            assert.deepEqual(d.leaderless, [], `no vgroup without a leader when ${d.pod} was deleted`);
            assert.deepEqual(d.notReady, [], `every dnode ready when ${d.pod} was deleted`);
        }
        assert.deepEqual(
            [...s.kube.podRevisions.values()].map(r => [r.revision, r.image]),
            [0, 1, 2].map(() => [s.kube.updateRevision, V6]),
        );
        assert.equal(await s.sql.clusterAlive(), 1);
        assert.ok((await s.sql.showVgroups()).every(v => v.replicas.some(r => r.status === "leader")));
        assert.deepEqual((result.after?.dnodes as Array<{ status: string }>).map(d => d.status), ["ready", "ready", "ready"]);
        const progress = s.engine.progress.join("\n");
        assert.match(progress, /restarting pod tdengine-2 \(1\/3\) on the new template: tdengine\/tdengine:3\.3\.7\.5 → tdengine\/tdengine:3\.3\.7\.6/);
        assert.match(progress, /pod tdengine-0 \(3\/3\) runs the new template; the cluster is whole/);
        assert.match(progress, /image change: tdengine\/tdengine:3\.3\.7\.5 → tdengine\/tdengine:3\.3\.7\.6 is a Maintenance upgrade/);
    });

    it("a taosConfig change (the template, not the image) rolls the same way", async () => {
        const s = await threeDnodesWithData();
        await s.engine.up(s.inputs(3, { podTemplateHash: "hash-with-supportVnodes-64" }));
        assert.deepEqual(deletedPods(s), ["tdengine-2", "tdengine-1", "tdengine-0"]);
        assert.ok(s.kube.deletions.every(d => d.leaderless.length === 0));
    });

    it("a Feature upgrade is refused at preview: nothing runs, no pod restarts, the StatefulSet keeps its template", async () => {
        const s = await threeDnodesWithData();
        const revision = s.kube.updateRevision;
        await assert.rejects(s.engine.up(s.inputs(3, { image: FEATURE })),
            /has a problem: image: .* is a Feature upgrade \(3\.3\.7\.5 → 3\.3\.8\.0\).*Set upgrade\.allowOffline: true/);
        assert.deepEqual(deletedPods(s), []);
        assert.equal(s.kube.updateRevision, revision);
        assert.equal(s.kube.podTemplate.image, V5);
    });

    it("the same Feature upgrade with allowOffline: every dnode stopped, all started on the new image, the cluster whole again", async () => {
        const s = await threeDnodesWithData();
        await s.engine.up(s.inputs(3, { image: FEATURE, allowOfflineUpgrade: true }));
        assert.deepEqual(deletedPods(s), ["tdengine-0", "tdengine-1", "tdengine-2"]);
        const lastDelete = Math.max(...s.kube.events.filter(e => e.kind === "pod.deleted").map(e => e.at));
        const restarts = s.kube.events.filter(e => e.kind === "pod.created" && e.at >= lastDelete);
        assert.equal(restarts.length, 3, "all three came back after the last was stopped");
        assert.deepEqual([...s.kube.podRevisions.values()].map(r => r.image), [FEATURE, FEATURE, FEATURE]);
        assert.equal(await s.sql.clusterAlive(), 1);
        assert.match(s.engine.progress.join("\n"), /offline upgrade: .* is a Feature upgrade/);
    });

    it("a step the roll cannot finish stops with which pods run what; the next up continues where it stopped", async () => {
        const s = await threeDnodesWithData();
        s.kube.notReady.add(1);
        // Half a second, not the 1 s a user can give: the inputs are not validated here, and the message rounds it to "1 s".
        await assert.rejects(s.engine.up(s.inputs(3, { image: V6, podTemplateHash: "hash-of-v6", readyTimeoutSeconds: 0.5 })), (err: Error) => {
            assert.match(err.message, /the rolling restart \(at pod tdengine-1, 2\/3\) stopped: timed out after 1 s waiting for pod tdengine-1/);
            assert.match(err.message, /tdengine-0 on revision tdengine-r\d+ \(old template, tdengine\/tdengine:3\.3\.7\.5\)/);
            assert.match(err.message, /tdengine-1 on revision tdengine-r\d+ \(new template, tdengine\/tdengine:3\.3\.7\.6, not ready\)/);
            assert.match(err.message, /tdengine-2 on revision tdengine-r\d+ \(new template, tdengine\/tdengine:3\.3\.7\.6\)/);
            assert.match(err.message, /run `pulumi up` again to continue from here/);
            return true;
        });
        assert.deepEqual(deletedPods(s), ["tdengine-2", "tdengine-1"]);
        s.kube.notReady.delete(1);
        await s.engine.up(s.inputs(3, { image: V6, podTemplateHash: "hash-of-v6" }));
        assert.deepEqual(deletedPods(s), ["tdengine-2", "tdengine-1", "tdengine-0"], "only tdengine-0 was left to restart");
    });

    it("3 → 5 with data: balance vgroup once the new dnodes are ready; not again on the next up", async () => {
        const s = await threeDnodesWithData();
        await s.engine.up(s.inputs(5));
        assert.deepEqual(sqlEvents(s, "balance vgroup"), ["balance vgroup"]);
        const dnodes = await s.sql.showDnodes();
        const added = [dnodeEndpointForOrdinal(addressing, 3), dnodeEndpointForOrdinal(addressing, 4)];
        const joined = dnodes.filter(d => added.includes(d.endpoint));
        assert.ok(joined.length === 2 && joined.every(d => d.vnodes > 0), JSON.stringify(dnodes));
        assert.match(s.engine.progress.join("\n"), /balance vgroup done: vnodes dnode 1: \d+, .*dnode 5: [1-9]/);
        await s.engine.up(s.inputs(5, { readyTimeoutSeconds: 31 }));
        assert.deepEqual(sqlEvents(s, "balance vgroup"), ["balance vgroup"], "a run that did not grow the cluster leaves it alone");
    });

    it("3 → 4 with rebalanceAfterScaleUp false: no balance vgroup", async () => {
        const s = await threeDnodesWithData();
        await s.engine.up(s.inputs(4, { rebalanceAfterScaleUp: false }));
        assert.deepEqual(sqlEvents(s, "balance vgroup"), []);
    });
});
