/**
 * The lifecycle providers (create/diff/update/delete) against the TDengine stand-in (tests/standin, each
 * behaviour citing the docs/tdengine.md section it reproduces) and a fake Kubernetes API, driven in the
 * engine's order around the StatefulSet (tests/lifecycle/engine.ts).
 */
import { strict as assert } from "node:assert";
import { ensureMnodes } from "../../components/lifecycle/mnodes";
import { LifecycleInputs } from "../../components/lifecycle/session";
import { dnodeEndpointForOrdinal } from "../../components/names";
import { TDengineRest } from "../../components/tdengine/rest";
import { TDengineStandin } from "../standin/standin";
import { Engine } from "./engine";
import { FakeKubernetes } from "./fake-kubernetes";
import { addressing, stepInputs } from "./fixture";
import { pollUntil } from "../poll";

const PASSWORD = "Td-Lifecycle-7";
const endpoint = (ordinal: number): string => dnodeEndpointForOrdinal(addressing, ordinal);

interface Setup {
    standin: TDengineStandin;
    kube: FakeKubernetes;
    engine: Engine;
    sql: TDengineRest;
    inputs(replicas: number, extra?: Partial<LifecycleInputs>): LifecycleInputs;
}

let current: Setup | undefined;

async function setup(options: { timeScale?: number } = {}): Promise<Setup> {
    // The image sets TAOS_ROOT_PASSWORD on the first start of the first pod (README, facts that follow).
    const standin = new TDengineStandin({ rootPassword: PASSWORD, timeScale: options.timeScale ?? 0.01 });
    const url = await standin.start();
    const kube = new FakeKubernetes(standin, addressing, "tdengine");
    const kubeconfig = await kube.serve();
    const engine = new Engine(kube);
    const sql = new TDengineRest({ url, password: PASSWORD, retry: { attempts: 1, initialDelayMs: 10, maxDelayMs: 10 } });
    current = {
        standin, kube, engine, sql,
        inputs: (replicas, extra = {}) => stepInputs(replicas, { password: PASSWORD, restUrl: url, kubeconfig }, extra),
    };
    return current;
}

async function mnodeEndpoints(s: Setup): Promise<string[]> {
    return (await s.sql.showMnodes()).map(m => m.endpoint).sort();
}

function sqlEvents(s: Setup, prefix: string): string[] {
    return s.standin.events().filter(e => e.kind === "sql" && e.detail.startsWith(prefix)).map(e => e.detail);
}

describe("lifecycle providers against the TDengine stand-in", function () {
    this.timeout(60_000);

    afterEach(async () => {
        await current?.standin.stop();
        await current?.kube.close();
        current = undefined;
    });

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

function waitUntil(what: string, check: () => Promise<boolean>): Promise<void> {
    return pollUntil(what, check, { timeoutMs: 10_000, intervalMs: 20 });
}

function waitForMnodeCount(s: Setup, n: number): Promise<void> {
    return waitUntil(`${n} serving mnodes`, async () => {
        const mnodes = await s.sql.showMnodes();
        return mnodes.length === n && mnodes.every(m => m.role === "leader" || m.role === "follower");
    });
}

function waitForDnodeStatus(s: Setup, ep: string, status: string): Promise<void> {
    return waitUntil(`${ep} ${status}`, async () => (await s.sql.showDnodes()).some(d => d.endpoint === ep && d.status === status));
}

function waitForDnodeGone(s: Setup, ep: string): Promise<void> {
    return waitUntil(`${ep} gone`, async () => !(await s.sql.showDnodes()).some(d => d.endpoint === ep));
}

// docs/tdengine.md#two-mnodes, #conflict-transaction
describe("mnodes follow the cluster's size, and lost answers are followed, not resent", function () {
    this.timeout(60_000);

    afterEach(async () => {
        await current?.standin.stop();
        await current?.kube.close();
        current = undefined;
    });

    const sent = (s: Setup, statement: string): number => sqlEvents(s, statement).filter(d => d === statement).length;

    it("3 → 2 ends with 1 mnode, the leader kept, and both mnodes go before the dnode's drop", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(3));
        const leader = (await s.sql.showMnodes()).find(m => m.role === "leader");
        await s.engine.up(s.inputs(2));
        const mnodes = await s.sql.showMnodes();
        assert.deepEqual(mnodes.map(m => [m.endpoint, m.role]), [[leader?.endpoint, "leader"]]);
        const order = s.standin.events().filter(e => e.kind === "sql" && /^drop (mnode|dnode)/.test(e.detail)).map(e => e.detail);
        assert.deepEqual(order, ["drop mnode on dnode 3", "drop mnode on dnode 2", "drop dnode 3"]);
    });

    it("2 → 3 ends with 3 mnodes, as 1 → 3 does", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(3));
        await s.engine.up(s.inputs(2));
        assert.equal((await s.sql.showMnodes()).length, 1);
        await s.engine.up(s.inputs(3));
        const mnodes = await s.sql.showMnodes();
        assert.deepEqual(mnodes.map(m => m.endpoint).sort(), [endpoint(0), endpoint(1), endpoint(2)]);
        assert.ok(mnodes.every(m => m.role === "leader" || m.role === "follower"));
    });

    it("1 → 2 keeps 1 mnode", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(1));
        await s.engine.up(s.inputs(2));
        assert.deepEqual((await s.sql.showMnodes()).map(m => [m.endpoint, m.role]), [[endpoint(0), "leader"]]);
        assert.deepEqual(sqlEvents(s, "create mnode"), []);
    });

    it("2 dnodes left holding 2 mnodes by an earlier version are brought to 1 by the next `pulumi up`", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(2));
        await s.sql.createMnode(2);
        await waitForMnodeCount(s, 2);
        assert.ok(s.engine.after);
        const recorded = [{ endpoint: endpoint(0), role: "leader" }, { endpoint: endpoint(1), role: "follower" }];
        s.engine.after.outs = { ...s.engine.after.outs, mnodes: recorded };
        const again = await s.engine.up(s.inputs(2));
        assert.equal(again.afterRan, true, "the recorded 2 mnodes make the step run");
        assert.deepEqual((await s.sql.showMnodes()).map(m => [m.endpoint, m.role]), [[endpoint(0), "leader"]]);
    });

    it("2 → 1 with the only mnode on the leaving dnode: a follower on pod 0, pod 1 restarted so it leads, then dropped", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(2));
        // Move the single mnode to pod 1: a second mnode, pod 0 restarted (docs/tdengine.md#two-mnodes: with 2
        // mnodes nothing answers meanwhile, and the one that stayed up leads afterwards), pod 0's mnode dropped.
        await s.sql.createMnode(2);
        await waitForMnodeCount(s, 2);
        s.kube.deletePod(0);
        await waitUntil("pod 0's dnode offline", async () => s.standin.state().dnodes.some(d => d.id === 1 && d.status === "offline"));
        s.kube.startPod(0);
        await waitUntil("pod 1's mnode to lead", async () => (await s.sql.showMnodes()).some(m => m.id === 2 && m.role === "leader"));
        await waitForMnodeCount(s, 2);
        await s.sql.dropMnode(1);
        await waitForMnodeCount(s, 1);

        await s.engine.up(s.inputs(1));

        const order = s.standin.events().filter(e => e.kind === "sql" && /^(create|drop) (mnode|dnode)/.test(e.detail)).map(e => e.detail);
        assert.deepEqual(order.slice(-3), ["create mnode on dnode 1", "drop mnode on dnode 2", "drop dnode 2"]);
        assert.ok(s.kube.eventTime("pod.deleted", "tdengine-1") !== undefined, "pod 1 was restarted to hand the leadership over");
        assert.deepEqual((await s.sql.showMnodes()).map(m => [m.endpoint, m.role]), [[endpoint(0), "leader"]]);
        assert.deepEqual((await s.sql.showDnodes()).map(d => d.endpoint), [endpoint(0)]);
    });

    it("a lost answer to `create mnode` (Unable to establish connection) is followed in show mnodes: sent once, 3 mnodes", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(1));
        s.standin.loseAnswerTo("create mnode", "unable-to-connect");
        await s.engine.up(s.inputs(3));
        assert.equal(sent(s, "create mnode on dnode 2"), 1, "not resent while it ran");
        assert.equal((await s.sql.showMnodes()).length, 3);
        const followed = /create mnode on dnode 2: the answer was lost; looking at TDengine/;
        assert.ok(s.engine.progress.some(l => followed.test(l)), s.engine.progress.join("\n"));
    });

    it("a lost answer to `drop mnode` (connection reset) is followed in show mnodes: sent once, 1 mnode", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(3));
        s.standin.loseAnswerTo("drop mnode", "reset");
        await s.engine.up(s.inputs(2));
        assert.equal(sent(s, "drop mnode on dnode 3"), 1);
        assert.equal((await s.sql.showMnodes()).length, 1);
        assert.equal((await s.sql.showDnodes()).length, 2);
    });

    it("a lost answer to `drop dnode` (Unable to establish connection) is followed in show dnodes: sent once", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(4));
        s.standin.loseAnswerTo("drop dnode", "unable-to-connect");
        await s.engine.up(s.inputs(3));
        assert.equal(sent(s, "drop dnode 4"), 1);
        assert.deepEqual((await s.sql.showDnodes()).map(d => d.endpoint), [endpoint(0), endpoint(1), endpoint(2)]);
    });

    it("a lost answer to `alter user root pass` is settled by a login with the new password: sent once", async () => {
        const s = await setup();
        await s.engine.up(s.inputs(3));
        s.standin.loseAnswerTo("alter user", "unable-to-connect");
        const next = "Td-Rotated-9";
        await s.engine.up(s.inputs(3, { password: next }));
        assert.equal(s.standin.events().filter(e => e.kind === "sql" && e.detail.startsWith("alter user")).length, 1);
        assert.equal(await new TDengineRest({ url: s.inputs(3).restUrl as string, password: next }).clusterAlive(), 1);
        assert.ok(s.engine.progress.every(l => !l.includes(next) && !l.includes(PASSWORD)));
    });

    it("`Conflict transaction not completed` (0x03D3) is waited out, then the mnode is created", async () => {
        const s = await setup({ timeScale: 0.02 });
        await s.engine.up(s.inputs(3));
        // Back to one mnode, then another client's `create mnode on dnode 3` still running when the step sends its own.
        await s.sql.dropMnode(3);
        await s.sql.dropMnode(2);
        await waitForMnodeCount(s, 1);
        const before = s.standin.events().length;
        const other = s.sql.createMnode(3);
        const progress: string[] = [];
        const mnodes = await ensureMnodes(s.sql, { addressing, replicas: 3, timeoutMs: 30_000, progress: l => progress.push(l) });
        await other;
        const results = s.standin.events().slice(before)
            .filter(e => e.kind === "sql.result" && e.detail.endsWith("create mnode on dnode 2")).map(e => e.detail.split(" ")[0]);
        assert.deepEqual([results[0], results[results.length - 1]], [String(0x03d3), "0"], results.join(", "));
        assert.deepEqual(mnodes.map(m => m.endpoint).sort(), [endpoint(0), endpoint(1), endpoint(2)]);
        assert.ok(progress.some(l => /Conflict transaction not completed\): waiting for it/.test(l)), progress.join("\n"));
    });
});
