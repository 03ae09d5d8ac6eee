/**
 * The lifecycle providers (create/diff/update/delete) against the TDengine stand-in (tests/standin, each
 * behaviour citing the docs/tdengine.md section it reproduces) and a fake Kubernetes API, driven in the
 * engine's order around the StatefulSet (tests/lifecycle/engine.ts).
 */
import { strict as assert } from "node:assert";
import { TDengineRest } from "../../components/tdengine/rest";
import { PASSWORD, endpoint, mnodeEndpoints, setup, sqlEvents, teardown, waitForDnodeGone, waitForDnodeStatus, waitForMnodeCount, waitUntil } from "./standin-setup";

describe("lifecycle providers against the TDengine stand-in", function () {
    this.timeout(60_000);

    afterEach(teardown);

    it("fresh 3 dnodes: mnodes on all 3, one leader and two followers, reported as outputs", async () => {
        const s = await setup();
        const result = await s.engine.up(s.inputs(3));
        const mnodes = await s.sql.showMnodes();
        assert.deepEqual(mnodes.map(m => m.endpoint).sort(), [endpoint(0), endpoint(1), endpoint(2)]);
        assert.deepEqual(mnodes.map(m => m.role).sort(), ["follower", "follower", "leader"]);
        assert.equal(await s.sql.clusterAlive(), 1);
        assert.deepEqual((result.after?.dnodes as Array<{ endpoint: string; status: string }>).map(d => [d.endpoint, d.status]),
            [[endpoint(0), "ready"], [endpoint(1), "ready"], [endpoint(2), "ready"]]);
        assert.equal((result.after?.mnodes as unknown[]).length, 3);
        assert.deepEqual(sqlEvents(s, "create mnode"), ["create mnode on dnode 2", "create mnode on dnode 3"]);
    });

    it("a second `pulumi up` with nothing changed does nothing", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(3));
        const statements = s.standin.events().filter(e => e.kind === "sql").length;
        const again = await s.engine.up(s.inputs(3));
        assert.deepEqual([again.beforeRan, again.afterRan], [false, false]);
        assert.equal(s.standin.events().filter(e => e.kind === "sql").length, statements, "no statement sent");
    });

    it("1 → 3: the new dnodes join and mnodes are created on them", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(1));
        assert.deepEqual(await mnodeEndpoints(s), [endpoint(0)], "one dnode keeps its single mnode");
        await s.engine.up(s.inputs(3));
        assert.deepEqual(await mnodeEndpoints(s), [endpoint(0), endpoint(1), endpoint(2)]);
    });

    it("3 → 4: the 4th dnode joins and no 4th mnode is created (at most 3: docs/tdengine.md#create-mnode)", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(3));
        await s.engine.up(s.inputs(4));
        assert.equal((await s.sql.showDnodes()).length, 4);
        assert.deepEqual(await mnodeEndpoints(s), [endpoint(0), endpoint(1), endpoint(2)]);
        assert.equal(sqlEvents(s, "create mnode").length, 2);
    });

    it("4 → 3: the leaving dnode is dropped before its pod is deleted, then its PVC is deleted", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(4));
        await s.sql.query("create database test1 replica 3", { retry: "only-if-not-sent" });
        const dnode4 = (await s.sql.showDnodes()).find(d => d.endpoint === endpoint(3));
        assert.ok(dnode4);
        await s.engine.up(s.inputs(3));

        const dropped = s.standin.events().find(e => e.kind === "dnode.dropped" && e.detail.includes(endpoint(3)));
        const podDeleted = s.kube.eventTime("pod.deleted", "tdengine-3");
        const pvcDeleted = s.kube.eventTime("pvc.deleted", "taosdata-tdengine-3");
        assert.ok(dropped && podDeleted && pvcDeleted, JSON.stringify({ dropped, podDeleted, pvcDeleted }));
        assert.ok(dropped.at <= podDeleted, "dnode dropped before the StatefulSet shrank");
        assert.ok(podDeleted <= pvcDeleted, "PVC deleted after its pod");
        assert.deepEqual(sqlEvents(s, "drop dnode"), [`drop dnode ${dnode4.id}`]);
        assert.deepEqual((await s.sql.showDnodes()).map(d => d.endpoint), [endpoint(0), endpoint(1), endpoint(2)]);
        assert.equal(s.kube.volumes.has(3), false);
        assert.equal(await s.sql.clusterAlive(), 1);
    });

    it("5 → 3 drops the leaving dnodes highest ordinal first, one at a time", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(5));
        const ids = new Map((await s.sql.showDnodes()).map(d => [d.endpoint, d.id]));
        await s.engine.up(s.inputs(3));
        assert.deepEqual(sqlEvents(s, "drop dnode"), [`drop dnode ${ids.get(endpoint(4))}`, `drop dnode ${ids.get(endpoint(3))}`]);
        const gone4 = s.standin.events().find(e => e.kind === "dnode.dropped" && e.detail.includes(endpoint(4)))?.at ?? Infinity;
        const sent3 = s.standin.events().find(e => e.kind === "sql" && e.detail === `drop dnode ${ids.get(endpoint(3))}`)?.at ?? -1;
        assert.ok(gone4 <= sent3, "the second drop waits until the first dnode has left show dnodes");
    });

    it("3 → 2 with a replica-3 database is refused with a clear message, nothing dropped, StatefulSet unchanged", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(3));
        await s.sql.query("create database test1 replica 3");
        await assert.rejects(s.engine.up(s.inputs(2)),
            /cannot scale from 3 to 2 dnodes: database 'test1' has replica 3; nothing was changed/);
        assert.deepEqual(sqlEvents(s, "drop"), []);
        assert.equal(s.kube.replicas, 3, "the StatefulSet was not shrunk");
        assert.equal((await s.sql.showDnodes()).length, 3);
    });

    it("a leaving dnode with an mnode: the mnode moves to a staying dnode first, and 3 mnodes serve throughout the drop", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(4));
        // An mnode on the 4th dnode instead of the 3rd (as after an operator's manual change).
        const ids = new Map((await s.sql.showDnodes()).map(d => [d.endpoint, d.id]));
        await s.sql.dropMnode(ids.get(endpoint(2)) as number);
        await waitForMnodeCount(s, 2);
        await s.sql.createMnode(ids.get(endpoint(3)) as number);
        await waitForMnodeCount(s, 3);
        await s.engine.up(s.inputs(3));
        const order = s.standin.events().filter(e => e.kind === "sql" && /^(drop|create) (mnode|dnode)/.test(e.detail)).map(e => e.detail);
        const at = (stmt: string): number => order.lastIndexOf(stmt);
        assert.ok(at(`drop mnode on dnode ${ids.get(endpoint(3))}`) >= 0, order.join(" | "));
        assert.ok(at(`drop mnode on dnode ${ids.get(endpoint(3))}`) < at(`create mnode on dnode ${ids.get(endpoint(2))}`), order.join(" | "));
        assert.ok(at(`create mnode on dnode ${ids.get(endpoint(2))}`) < at(`drop dnode ${ids.get(endpoint(3))}`), order.join(" | "));
        // The new mnode served (follower: docs/tdengine.md#create-mnode) before the long drop began.
        const events = s.standin.events();
        const served = events.filter(e => e.kind === "mnode.role" && e.detail.includes(endpoint(2)) && e.detail.endsWith("follower")).pop();
        const dropSent = events.find(e => e.kind === "sql" && e.detail === `drop dnode ${ids.get(endpoint(3))}`);
        assert.ok(served && dropSent && served.at <= dropSent.at, JSON.stringify({ served, dropSent }));
        const mnodes = await s.sql.showMnodes();
        assert.deepEqual(mnodes.map(m => m.endpoint).sort(), [endpoint(0), endpoint(1), endpoint(2)]);
        assert.ok(mnodes.every(m => m.role === "leader" || m.role === "follower"));
    });

    it("a leaving dnode holding the mnode leader: its pod is restarted so a follower leads, then it is dropped", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(3));
        // Pod 0 restarts: the highest-id follower (pod 2's dnode) becomes leader (docs/tdengine.md#mnode-leader-failover).
        s.kube.deletePod(0);
        await waitUntil("pod 2's mnode to lead", async () => (await s.sql.showMnodes()).some(m => m.endpoint === endpoint(2) && m.role === "leader"));
        s.kube.startPod(0);
        await waitForMnodeCount(s, 3);
        await s.engine.up(s.inputs(2));
        const restarted = s.kube.eventTime("pod.deleted", "tdengine-2") ?? Infinity;
        const mnodeDropped = s.standin.events().find(e => e.kind === "sql" && e.detail === "drop mnode on dnode 3")?.at ?? -1;
        assert.ok(restarted <= mnodeDropped, "the leader's pod was restarted before its mnode was dropped");
        assert.deepEqual(sqlEvents(s, "drop dnode"), ["drop dnode 3"]);
        const mnodes = await s.sql.showMnodes();
        assert.equal(mnodes.length, 1, "2 dnodes keep 1 mnode (docs/tdengine.md#two-mnodes)");
        assert.equal(mnodes[0].role, "leader");
        assert.deepEqual((await s.sql.showDnodes()).map(d => d.endpoint), [endpoint(0), endpoint(1)]);
    });

    it("a leaving dnode that is offline: refused (never force/unsafe: docs/tdengine.md#offline-dnode), nothing dropped", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(4));
        s.standin.stopDnode(endpoint(3)); // its taosd dies; the pod is still there
        s.kube.notReady.add(3);
        await waitForDnodeStatus(s, endpoint(3), "offline");
        await assert.rejects(s.engine.up(s.inputs(3)),
            /cannot drop leaving dnodes: dnode \d+ \(pod tdengine-3\) is offline \(status msg timeout\); nothing was changed/);
        assert.deepEqual(sqlEvents(s, "drop"), []);
        assert.equal(s.kube.replicas, 4);
    });

    it("3 → 2 while a staying follower's dnode is down: refused before any mnode is dropped (2 mnodes, 1 serving, would have no majority)", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(3));
        const leader = (await s.sql.showMnodes()).find(m => m.role === "leader")?.endpoint;
        const follower = [endpoint(0), endpoint(1)].find(e => e !== leader) ?? "";
        const ordinal = [endpoint(0), endpoint(1)].indexOf(follower);
        s.standin.stopDnode(follower);
        s.kube.notReady.add(ordinal);
        await waitUntil("its mnode to show offline", async () => (await s.sql.showMnodes()).some(m => m.endpoint === follower && m.status === "offline"));
        await assert.rejects(s.engine.up(s.inputs(2)), (err: Error) => {
            assert.match(err.message, /cannot bring the mnodes to 1 for 2 dnode\(s\): an mnode is not serving \(.* is offline\/offline\), /);
            assert.match(err.message, /would leave 1 of 2 mnodes serving, no majority .*; no mnode was changed/);
            return true;
        });
        assert.deepEqual(sqlEvents(s, "drop"), []);
        assert.equal((await s.sql.showMnodes()).length, 3);
        assert.equal(s.kube.replicas, 3);
    });

    it("a drop that outlives its HTTP connection is followed in show dnodes, not sent again", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(4));
        await s.sql.query("create database test1 replica 3 vgroups 8");
        await s.sql.query("create table test1.t1 (ts timestamp, n int)");
        await s.sql.query("insert into test1.t1 values (now, 1)(now+1s, 2)");
        s.standin.dropConnectionDuring("drop dnode");
        await s.engine.up(s.inputs(3));
        assert.equal(s.standin.events().filter(e => e.kind === "connection.dropped").length, 1, "the connection was dropped mid-call");
        assert.equal(sqlEvents(s, "drop dnode").length, 1, "drop dnode sent once");
        const followed = /drop dnode \d+: the answer was lost; looking at TDengine/;
        assert.ok(s.engine.progress.some(l => followed.test(l)), s.engine.progress.join("\n"));
        assert.equal((await s.sql.showDnodes()).length, 3);
        const count = await s.sql.query("select count(*) from test1.t1");
        assert.equal(Number(Object.values(count.rows[0])[0]), 2, "no rows lost");
    });

    it("ids that are not ordinal + 1: a re-added pod is a new dnode, and is dropped by its id", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(4));
        await s.engine.up(s.inputs(3));
        await s.engine.up(s.inputs(4));
        const back = (await s.sql.showDnodes()).find(d => d.endpoint === endpoint(3));
        assert.ok(back);
        assert.equal(back.id, 5, "the Kubernetes guide's tdengine-3 comes back as dnode 5");
        await s.engine.up(s.inputs(3));
        assert.deepEqual(sqlEvents(s, "drop dnode"), ["drop dnode 4", "drop dnode 5"]);
    });

    it("an interrupted scale-down (one dnode dropped, then the run died) is finished by the next run", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(5));
        // What an earlier `pulumi up` to 3 did before it died: it dropped the pod with ordinal 4's dnode only.
        const ids = new Map((await s.sql.showDnodes()).map(d => [d.endpoint, d.id]));
        await s.sql.dropDnode(ids.get(endpoint(4)) as number);
        await waitForDnodeGone(s, endpoint(4));
        await s.engine.up(s.inputs(3));
        assert.deepEqual(sqlEvents(s, "drop dnode"), [`drop dnode ${ids.get(endpoint(4))}`, `drop dnode ${ids.get(endpoint(3))}`]);
        assert.deepEqual([...s.kube.volumes.keys()].sort(), [0, 1, 2], "both removed pods' PVCs deleted");
    });

    it("a PVC left by an interrupted scale-down is deleted before the scale-up that would reuse it", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(4));
        // An earlier run dropped dnode 4 and shrank the StatefulSet, then died before deleting the PVC.
        await s.sql.dropDnode((await s.sql.showDnodes()).find(d => d.endpoint === endpoint(3))?.id as number);
        await waitForDnodeGone(s, endpoint(3));
        s.kube.applyStatefulSet(3);
        assert.ok(s.kube.volumes.has(3));
        // That run's step before the StatefulSet had completed, so its state says 3.
        assert.ok(s.engine.before);
        s.engine.before.outs = { ...s.engine.before.outs, replicas: 3 };
        await s.engine.up(s.inputs(4));
        const pvcDeleted = s.kube.eventTime("pvc.deleted", "taosdata-tdengine-3") ?? Infinity;
        const podCreated = s.kube.events.filter(e => e.kind === "pod.created" && e.detail === "tdengine-3").map(e => e.at).pop() ?? -1;
        assert.ok(pvcDeleted <= podCreated, "stale PVC deleted before the pod was created again");
        const back = (await s.sql.showDnodes()).find(d => d.endpoint === endpoint(3));
        assert.equal(back?.status, "ready", "the pod joined as a new dnode on a fresh volume (not a zombie: docs/tdengine.md#dropped-dnode-returns)");
    });

    it("TDengine unreachable: an error that says what was tried, and the StatefulSet is left as it was", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(4));
        await s.standin.setUnreachable(true);
        await assert.rejects(s.engine.up(s.inputs(3)), (err: Error) => {
            assert.match(err.message, /Could not reach TDengine's REST API \(taosAdapter\) at http:\/\/127\.0\.0\.1:\d+/);
            assert.match(err.message, /6 attempt\(s\) over [\d.]+ s failed; last error: .*ECONNREFUSED/, "bounded retries, then what was tried");
            return true;
        });
        assert.equal(s.kube.replicas, 4);
    });

    it("a wrong password (changed outside Pulumi): an error that says so and never shows a password", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(3));
        const outside = "Changed-Outside-9";
        await s.sql.alterRootPassword(outside);
        await assert.rejects(s.engine.up(s.inputs(2)), (err: Error) => {
            assert.match(err.message, /rejected the password for user root/);
            assert.match(err.message, /Check the component's rootPassword and the Kubernetes Secret/);
            assert.ok(!err.message.includes(outside) && !err.message.includes(PASSWORD), err.message);
            return true;
        });
        assert.ok(s.engine.progress.every(l => !l.includes(outside) && !l.includes(PASSWORD)));
        assert.equal(s.kube.replicas, 3);
        assert.deepEqual(sqlEvents(s, "drop"), []);
    });

    it("a changed rootPassword is rotated with `alter user root pass` using the previous one (docs/tdengine.md#alter-user-pass)", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(3));
        const next = "Td-Rotated-8";
        await s.engine.up(s.inputs(3, { password: next }));
        assert.equal(s.standin.events().filter(e => e.kind === "user.password").length, 1);
        const withNew = new TDengineRest({ url: s.inputs(3).restUrl as string, password: next });
        assert.equal(await withNew.clusterAlive(), 1);
        await assert.rejects(s.sql.clusterAlive(), /rejected the password/);
        assert.ok(s.engine.progress.every(l => !l.includes(next) && !l.includes(PASSWORD)));
    });

    it("a larger storage.size grows every PVC in place (no StatefulSet replacement), new pods' PVCs included", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(3));
        await s.engine.up(s.inputs(4, { storageSize: "10Gi" }));
        assert.deepEqual([...s.kube.volumes.values()].map(v => v.size), ["10Gi", "10Gi", "10Gi", "10Gi"]);
        assert.equal(s.kube.events.filter(e => e.kind === "pvc.resized").length, 4, "three old PVCs and the new pod's one (made from the old template)");
        assert.equal(s.kube.events.filter(e => e.kind === "statefulset.deleted").length, 0);
    });

    it("a smaller storage.size is refused before anything changes: volumes cannot shrink", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(4));
        await assert.rejects(s.engine.up(s.inputs(3, { storageSize: "1Gi" })),
            /storage\.size 1Gi is smaller than taosdata-tdengine-0 \(5Gi\), .*: Kubernetes volumes cannot shrink; nothing was changed/);
        assert.equal(s.kube.replicas, 4);
        assert.deepEqual(sqlEvents(s, "drop"), []);
    });

    it("another storage.className is refused: existing volumes cannot change class", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(3));
        await assert.rejects(s.engine.up(s.inputs(3, { storageClassName: "fast-ssd" })),
            /storage\.className fast-ssd differs from the class of taosdata-tdengine-0 \(standard\).*nothing was changed/);
    });

    it("a StorageClass without volume expansion: the error says what the class needs", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(3));
        s.kube.allowVolumeExpansion = false;
        await assert.rejects(s.engine.up(s.inputs(3, { storageSize: "8Gi" })),
            /could not expand PVC taosdata-tdengine-0 to 8Gi: .*must support resize.*allowVolumeExpansion: true/);
    });

    it("destroy deletes every data PVC once the StatefulSet is gone", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(3));
        assert.equal(s.kube.volumes.size, 3);
        await s.engine.destroy();
        assert.equal(s.kube.volumes.size, 0);
    });

    it("destroy keeps the PVCs with retainVolumesOnDestroy", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(3, { retainVolumesOnDestroy: true }));
        await s.engine.destroy();
        assert.deepEqual([...s.kube.volumes.keys()].sort(), [0, 1, 2]);
    });

    it("removing the step alone (lifecycle turned off) keeps a live cluster's PVCs", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(3));
        const { beforeStatefulSetProvider } = await import("../../components/lifecycle/before-statefulset");
        await beforeStatefulSetProvider.delete?.(s.engine.before?.id ?? "", s.engine.before?.outs ?? {});
        assert.equal(s.kube.volumes.size, 3);
    });
});
