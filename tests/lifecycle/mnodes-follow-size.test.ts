/**
 * Mnodes follow the cluster's size, and answers lost on the way are followed, not resent: the lifecycle providers
 * against the TDengine stand-in and a fake Kubernetes API, driven in the engine's order (tests/lifecycle/engine.ts).
 */
import { strict as assert } from "node:assert";
import { ensureMnodes } from "../../components/lifecycle/mnodes";
import { TDengineRest } from "../../components/tdengine/rest";
import { addressing } from "./fixture";
import { PASSWORD, Setup, endpoint, setup, sqlEvents, teardown, waitForMnodeCount, waitUntil } from "./standin-setup";

// docs/tdengine.md#two-mnodes, #conflict-transaction
describe("mnodes follow the cluster's size, and lost answers are followed, not resent", function () {
    this.timeout(60_000);

    afterEach(teardown);

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
