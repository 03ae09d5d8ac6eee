/**
 * The controlled roll, the offline upgrade, the health gate and the rebalance after a scale-up, against an
 * in-memory StatefulSet and TDengine on a logical clock (in-memory-cluster.ts, imitating
 * docs/tdengine.md#rolling-restart): every branch, with no real time spent waiting.
 */
import { strict as assert } from "node:assert";
import { clusterHealth, unsettledVgroups, waitUntilWhole } from "../../components/lifecycle/health";
import { TDengineConnectionLostError } from "../../components/tdengine/errors";
import { rebalanceAfterScaleUp, rebalanceDue } from "../../components/lifecycle/rebalance";
import { RollStoppedError, offlineUpgrade, planPodImageChange, readTemplateState, rollOutdatedPods } from "../../components/lifecycle/roll";
import { addressing } from "./fixture";
import { InMemoryCluster } from "./in-memory-cluster";

const OLD = "tdengine/tdengine:3.3.7.5";
const MAINTENANCE = "tdengine/tdengine:3.3.7.6";
const FEATURE = "tdengine/tdengine:3.3.8.0";
/** A replica-3 database of 4 vgroups, leaders spread as in docs/tdengine.md#rolling-restart. */
const R3 = [
    { database: "r3", dnodes: [1, 2, 3] }, { database: "r3", dnodes: [2, 3, 1] },
    { database: "r3", dnodes: [3, 1, 2] }, { database: "r3", dnodes: [1, 3, 2] },
];

function setup(replicas = 3, vgroups = R3): { cluster: InMemoryCluster; progress: string[]; o: Parameters<typeof rollOutdatedPods>[2] } {
    const cluster = new InMemoryCluster(addressing, { replicas, image: OLD, vgroups });
    const progress: string[] = [];
    return { cluster, progress, o: { addressing, replicas, timeoutMs: 2000, pollIntervalMs: 0, progress: m => progress.push(m) } };
}

describe("health gate: is the cluster whole?", () => {
    it("whole: every dnode ready, mnodes serving, cluster alive 1, every vgroup led and in sync", async () => {
        const { cluster, o } = setup();
        const health = await clusterHealth(cluster, o);
        assert.deepEqual(health.problems, []);
        assert.equal(health.whole, true);
    });

    it("names each thing that is not whole: a missing dnode, an offline one, a leaderless vgroup", async () => {
        const { cluster, o } = setup();
        cluster.loseLeader(3, 100);
        const health = await clusterHealth(cluster, { ...o, replicas: 4 });
        assert.equal(health.whole, false);
        assert.ok(health.problems.includes("tdengine-3 has not joined"), health.problems.join("; "));
        assert.ok(health.problems.some(p => /^vgroup 3 \(r3\) has no leader \(dnode 2 candidate/.test(p)), health.problems.join("; "));
    });

    it("a replica still catching up is not in sync, though its vgroup has a leader", () => {
        assert.deepEqual(unsettledVgroups([{ id: 2, database: "d", replicas: [
            { dnodeId: 1, status: "leader" }, { dnodeId: 2, status: "follower" }, { dnodeId: 3, status: "candidate" }] }]),
        ["vgroup 2 (d) has a replica not in sync (dnode 1 leader, dnode 2 follower, dnode 3 candidate)"]);
    });

    it("waits through an election, and times out naming what it last saw", async () => {
        const { cluster, o } = setup();
        cluster.loseLeader(2, 5);
        await waitUntilWhole(cluster, o);
        assert.ok(cluster.podEvents("elected").length === 1);
        cluster.loseLeader(2, 1_000_000);
        await assert.rejects(waitUntilWhole(cluster, { ...o, timeoutMs: 20 }), /timed out after 0 s waiting for the cluster to be whole; last seen: vgroup 2 \(r3\) has no leader/);
    });
});

describe("controlled roll (OnDelete): one dnode at a time, behind the health gate", () => {
    it("restarts the outdated pods highest ordinal first; each delete only once the previous pod is ready and the cluster whole", async () => {
        const { cluster, progress, o } = setup();
        cluster.applyTemplate(MAINTENANCE);
        const restarted = await rollOutdatedPods(cluster, cluster, o);
        assert.deepEqual(restarted, ["tdengine-2", "tdengine-1", "tdengine-0"]);
        const deletes = cluster.podEvents("deleted");
        assert.deepEqual(deletes.map(e => e.pod), ["tdengine-2", "tdengine-1", "tdengine-0"]);
        for (const d of deletes) {
            assert.equal(d.wholeBefore, true, `cluster whole when ${d.pod} was deleted`);
            assert.deepEqual(d.leaderless, [], `no vgroup without a leader when ${d.pod} was deleted`);
        }
        // Pod N+1's delete comes after pod N is Ready again on the new template.
        const readyAt = (pod: string): number => cluster.podEvents("ready").find(e => e.pod === pod)?.tick ?? Infinity;
        assert.ok(deletes[1].tick > readyAt("tdengine-2") && deletes[2].tick > readyAt("tdengine-1"),
            JSON.stringify(cluster.events));
        // Each stop of a leader-holding dnode caused an election, and the next pod was stopped only after it.
        const elections = cluster.podEvents("elected").map(e => e.tick);
        for (const k of [1, 2]) {
            assert.ok(elections.some(t => t > deletes[k - 1].tick && t <= deletes[k].tick), `an election between deletes ${k - 1} and ${k}`);
        }
        const pods = await cluster.pods();
        assert.deepEqual(pods.map(p => [p.revision, p.image]), pods.map(() => [cluster.updateRevision, MAINTENANCE]));
        assert.deepEqual(progress.filter(m => /^restarting pod|runs the new template/.test(m)), [
            `restarting pod tdengine-2 (1/3) on the new template: ${OLD} → ${MAINTENANCE}`,
            "pod tdengine-2 (1/3) runs the new template; the cluster is whole",
            `restarting pod tdengine-1 (2/3) on the new template: ${OLD} → ${MAINTENANCE}`,
            "pod tdengine-1 (2/3) runs the new template; the cluster is whole",
            `restarting pod tdengine-0 (3/3) on the new template: ${OLD} → ${MAINTENANCE}`,
            "pod tdengine-0 (3/3) runs the new template; the cluster is whole",
        ]);
    });

    it("does not stop a pod while a vgroup is electing a leader: the first delete waits for the election", async () => {
        const { cluster, o } = setup();
        cluster.applyTemplate(MAINTENANCE);
        cluster.loseLeader(4, 30);
        await rollOutdatedPods(cluster, cluster, o);
        const elected = cluster.podEvents("elected")[0];
        assert.ok(elected.tick >= 30 && cluster.podEvents("deleted")[0].tick >= elected.tick, JSON.stringify(cluster.events));
    });

    it("does not stop a pod while another dnode is down, even with no vgroup to show it (mnode quorum)", async () => {
        const { cluster, o } = setup(3, []);
        cluster.applyTemplate(MAINTENANCE);
        await cluster.deletePod("tdengine-0"); // a node drain, say: it comes back on the new template, later
        const pod0 = cluster.podTable.get(0);
        if (pod0) {
            pod0.createAt = cluster.tick + 20;
        }
        await rollOutdatedPods(cluster, cluster, o);
        const deletes = cluster.podEvents("deleted");
        const pod0Ready = cluster.podEvents("ready").find(e => e.pod === "tdengine-0")?.tick ?? Infinity;
        assert.deepEqual(deletes.map(e => e.pod), ["tdengine-0", "tdengine-2", "tdengine-1"]);
        assert.ok(deletes[1].tick >= pod0Ready && deletes.slice(1).every(d => d.wholeBefore), JSON.stringify(cluster.events));
    });

    it("nothing outdated: no pod is touched", async () => {
        const { cluster, o } = setup();
        assert.deepEqual(await rollOutdatedPods(cluster, cluster, o), []);
        assert.deepEqual(cluster.podEvents("deleted"), []);
    });

    it("waits for the StatefulSet controller to observe the new spec before reading its updateRevision", async () => {
        const { cluster, o } = setup();
        cluster.applyTemplate(MAINTENANCE);
        const tickBefore = cluster.tick;
        const state = await readTemplateState(cluster, o);
        assert.ok(cluster.tick >= tickBefore + 2);
        assert.deepEqual(state.outdated.map(p => p.name), ["tdengine-2", "tdengine-1", "tdengine-0"]);
    });

    it("a pod that never gets ready stops the roll with which pods run what; a rerun continues where it stopped", async () => {
        const { cluster, o } = setup();
        cluster.applyTemplate(MAINTENANCE);
        cluster.stuck.add(1);
        const failed = await rollOutdatedPods(cluster, cluster, { ...o, timeoutMs: 50 }).then(() => undefined, (e: unknown) => e);
        assert.ok(failed instanceof RollStoppedError, String(failed));
        const message = failed.message;
        assert.match(message, /^the rolling restart \(at pod tdengine-1, 2\/3\) stopped: timed out after 0 s waiting for pod tdengine-1 to run the new template/);
        assert.match(message, new RegExp(`tdengine-0 on revision tdengine-rev1 \\(old template, ${OLD.replace(/\./g, "\\.")}\\)`));
        assert.match(message, new RegExp(`tdengine-1 on revision tdengine-rev2 \\(new template, ${MAINTENANCE.replace(/\./g, "\\.")}, not ready\\)`));
        assert.match(message, new RegExp(`tdengine-2 on revision tdengine-rev2 \\(new template, ${MAINTENANCE.replace(/\./g, "\\.")}\\)`));
        assert.match(message, /run `pulumi up` again to continue from here/);
        assert.deepEqual(cluster.podEvents("deleted").map(e => e.pod), ["tdengine-2", "tdengine-1"], "tdengine-0 was not stopped");

        // The pod gets well (say, the node had no room); the rerun restarts only what is still outdated.
        cluster.stuck.delete(1);
        const pod1 = cluster.podTable.get(1);
        if (pod1) {
            pod1.readyAt = cluster.tick + 1;
        }
        const restarted = await rollOutdatedPods(cluster, cluster, o);
        assert.deepEqual(restarted, ["tdengine-0"]);
        assert.deepEqual(cluster.podEvents("deleted").map(e => e.pod), ["tdengine-2", "tdengine-1", "tdengine-0"]);
        assert.ok(cluster.podEvents("deleted").every(d => d.wholeBefore && d.leaderless?.length === 0));
    });
});

describe("which way the pods move onto a new image", () => {
    const rules = { allowOffline: false, unknownVersionChange: "feature" as const };

    it("Maintenance: roll; Feature: refused, or offline when allowed", async () => {
        const { cluster, o } = setup();
        cluster.applyTemplate(MAINTENANCE);
        assert.equal(planPodImageChange(await readTemplateState(cluster, o), { image: MAINTENANCE }, { image: OLD }, rules).plan, "roll");
        cluster.applyTemplate(FEATURE);
        const state = await readTemplateState(cluster, o);
        assert.equal(planPodImageChange(state, { image: FEATURE }, { image: OLD }, rules).plan, "refused");
        assert.equal(planPodImageChange(state, { image: FEATURE }, { image: OLD }, { ...rules, allowOffline: true }).plan, "offline");
    });

    it("judges the images the pods run now: after a half-done roll, the worst of them decides", async () => {
        const { cluster, o } = setup();
        cluster.applyTemplate(MAINTENANCE);
        cluster.stuck.add(1);
        await rollOutdatedPods(cluster, cluster, { ...o, timeoutMs: 30 }).catch(() => undefined);
        cluster.applyTemplate(FEATURE); // pods now run 3.3.7.5 (tdengine-0) and 3.3.7.6 (tdengine-2)
        const change = planPodImageChange(await readTemplateState(cluster, o), { image: FEATURE }, { image: MAINTENANCE }, rules);
        assert.equal(change.plan, "refused");
        assert.equal(change.kind, "feature");
    });

    it("a pod on a digest: its version is the previous upgrade.version when that image was the previous one", async () => {
        const digest = "tdengine/tdengine@sha256:" + "c".repeat(64);
        const cluster = new InMemoryCluster(addressing, { replicas: 3, image: digest, vgroups: R3 });
        cluster.applyTemplate(MAINTENANCE);
        const o = { replicas: 3, timeoutMs: 1000, pollIntervalMs: 0, progress: (): void => undefined };
        const state = await readTemplateState(cluster, o);
        assert.equal(planPodImageChange(state, { image: MAINTENANCE }, { image: digest, version: "3.3.7.5" }, rules).plan, "roll");
        assert.equal(planPodImageChange(state, { image: MAINTENANCE }, { image: OLD, version: "3.3.7.5" }, rules).plan, "refused",
            "a version said for another image says nothing about this one");
    });
});

describe("offline upgrade", () => {
    it("stops every dnode before any starts on the new image, then waits until the cluster is whole", async () => {
        const { cluster, progress, o } = setup();
        cluster.applyTemplate(FEATURE);
        const state = await readTemplateState(cluster, o);
        const change = planPodImageChange(state, { image: FEATURE }, { image: OLD }, { allowOffline: true, unknownVersionChange: "feature" });
        assert.equal(change.plan, "offline");
        const stopped = await offlineUpgrade(cluster, cluster, o, change);
        assert.deepEqual(stopped, ["tdengine-0", "tdengine-1", "tdengine-2"]);
        const deletes = cluster.podEvents("deleted");
        const creates = cluster.podEvents("created");
        assert.equal(deletes.length, 3);
        assert.ok(Math.max(...deletes.map(e => e.tick)) < Math.min(...creates.map(e => e.tick)), "all stopped before any started");
        // OrderedReady: pods come back in ordinal order, each once the one before is Ready.
        assert.deepEqual(creates.map(e => e.pod), ["tdengine-0", "tdengine-1", "tdengine-2"]);
        assert.equal((await clusterHealth(cluster, o)).whole, true);
        assert.ok(progress.some(m => m.startsWith("offline upgrade: ") && m.includes("Feature upgrade")));
        assert.ok(progress.some(m => /^stopping every dnode still on the old template \(tdengine-0, tdengine-1, tdengine-2\)/.test(m)));
    });

    it("a rerun after it stopped stops only the pods still on the old template", async () => {
        const { cluster, o } = setup();
        cluster.applyTemplate(FEATURE);
        cluster.stuck.add(1);
        const change = planPodImageChange(await readTemplateState(cluster, o), { image: FEATURE }, { image: OLD }, { allowOffline: true, unknownVersionChange: "feature" });
        await assert.rejects(offlineUpgrade(cluster, cluster, { ...o, timeoutMs: 40 }, change), (e: unknown) =>
            e instanceof RollStoppedError && /^the offline upgrade stopped: timed out .* pod tdengine-1 /.test(e.message) && /tdengine-2 not running/.test(e.message));
        cluster.stuck.delete(1);
        const pod1 = cluster.podTable.get(1);
        if (pod1) {
            pod1.readyAt = cluster.tick + 1;
        }
        assert.deepEqual(await offlineUpgrade(cluster, cluster, o, change), [], "every pod is on the new template already: none stopped again");
        await waitUntilWhole(cluster, o);
        assert.equal(cluster.podEvents("deleted").length, 3);
    });
});

describe("rebalance after a scale-up", () => {
    it("3 → 5: balance vgroup once the new dnodes are ready; the new dnodes then hold vnodes", async () => {
        const { cluster, progress, o } = setup();
        cluster.scaleTo(5);
        const ran = await rebalanceAfterScaleUp(cluster, { ...o, replicas: 5, previousReplicas: 3, progressIntervalMs: 1 });
        assert.equal(ran, true);
        assert.equal(cluster.balanceCalls.length, 1);
        const vnodes = (await cluster.showDnodes()).map(d => d.vnodes);
        assert.ok(vnodes[3] > 0 && vnodes[4] > 0, JSON.stringify(vnodes));
        assert.match(progress.join("\n"), /balance vgroup: moving vgroup replicas onto the new dnodes \(vnodes now dnode 1: 4, dnode 2: 4, dnode 3: 4, dnode 4: 0, dnode 5: 0\)/);
        assert.match(progress.join("\n"), /balance vgroup done: vnodes dnode 1: \d, dnode 2: \d, dnode 3: \d, dnode 4: [1-9], dnode 5: [1-9]/);
    });

    it("not when the cluster did not grow, nor on the first deploy, nor when the new dnodes already hold their share", async () => {
        const { cluster, o } = setup();
        assert.equal(await rebalanceAfterScaleUp(cluster, { ...o, previousReplicas: 3 }), false);
        assert.equal(await rebalanceAfterScaleUp(cluster, { ...o, previousReplicas: undefined }), false);
        assert.equal(await rebalanceAfterScaleUp(cluster, { ...o, replicas: 2, previousReplicas: 3 }), false);
        const dnodes = await cluster.showDnodes();
        assert.equal(rebalanceDue(dnodes, addressing, 3, 2), false, "dnode 3 holds as many vnodes as the others");
        assert.deepEqual(cluster.balanceCalls, []);
    });

    it("a lost answer to balance vgroup is not resent: the step looks at the vnodes and finds the moves done", async () => {
        const { cluster, progress, o } = setup();
        cluster.scaleTo(5);
        const balance = cluster.balanceVgroup.bind(cluster);
        cluster.balanceVgroup = async () => {
            await balance();
            throw new TDengineConnectionLostError({ url: "http://tunnel", statement: "balance vgroup", cause: "socket hang up" });
        };
        assert.equal(await rebalanceAfterScaleUp(cluster, { ...o, replicas: 5, previousReplicas: 3 }), true);
        assert.equal(cluster.balanceCalls.length, 1, "sent once");
        assert.match(progress.join("\n"), /balance vgroup: the answer was lost; looking at TDengine instead of sending it again/);
        assert.match(progress.join("\n"), /balance vgroup: TDengine shows it done/);
    });

    it("a grown cluster with no vgroups has nothing to balance", async () => {
        const { cluster, o } = setup(3, []);
        cluster.scaleTo(4);
        assert.equal(await rebalanceAfterScaleUp(cluster, { ...o, replicas: 4, previousReplicas: 3 }), false);
        assert.deepEqual(cluster.balanceCalls, []);
    });
});
