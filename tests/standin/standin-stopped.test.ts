/**
 * The stand-in's stopped dnodes against a real TDengine 3.3.7.5 cluster as docs/tdengine.md records it: offline after
 * ~4 s, leader failover, restart, unsafe drop, offline vgroups. Split from standin.test.ts so that mocha's workers run
 * these longer waits beside the rest.
 */

import { strict as assert } from "node:assert";

import { StandinOptions, TDengineStandin } from "./standin";
import { ISO_MS, EPOCH, FAST, Client, waitFor, EP, EXPECTED_DDL, eventAt, bootStandin, addFollowerMnodes } from "./standin-client";

describe("TDengine stand-in: stopped dnodes", function () {
    this.timeout(20000);
    let standin: TDengineStandin;
    let client: Client;

    async function boot(count: number, options: StandinOptions = {}): Promise<void> {
        ({ standin, client } = await bootStandin(count, options));
    }
    const addMnodes = (...ids: number[]): Promise<void> => addFollowerMnodes(client, ...ids);

    afterEach(async () => {
        await standin?.stop();
    });

    describe("stopped dnodes (docs/tdengine.md#mnode-leader-failover, #system-tables, #offline-dnode, #sigterm-and-datadir-lock)", () => {
        it("shows a stopped dnode offline / status msg timeout after ~4 s and its mnode offline; cluster alive 2 (docs/tdengine.md#system-tables, #offline-dnode)", async () => {
            await boot(3);
            await addMnodes(2, 3);
            await client.ok("create database r1 replica 1 vgroups 3");
            await client.ok("create database r3 replica 3");
            assert.deepEqual((await client.rows("show cluster alive")), [{ status: 1 }]);
            standin.stopDnode(EP(3));
            assert.equal((await client.dnodes()).find((d) => d.id === 3)?.status, "ready", "not yet noticed");
            const offline = await waitFor("offline", async () => (await client.dnodes()).find((d) => d.id === 3 && d.status === "offline"));
            assert.deepEqual([offline.note, offline.support_vnodes], ["status msg timeout", 16]);
            assert.ok(eventAt(standin, "dnode.offline", /dnode 3/) - eventAt(standin, "process.stopped", EP(3)) >= 4000 * FAST - 2);
            const mnode3 = (await client.mnodes()).find((m) => m.id === 3);
            assert.deepEqual([mnode3?.role, mnode3?.status, mnode3?.role_time], ["offline", "offline", EPOCH]);
            assert.deepEqual(await client.rows("show cluster alive"), [{ status: 2 }]);
            assert.deepEqual(await client.rows("show r1.alive"), [{ status: 2 }]);
            assert.deepEqual(await client.rows("show r3.alive"), [{ status: 1 }]);
        });

        it("brings a restarted dnode back: ready with reboot_time 0 after ~2 s, reboot_time and mnode follower after ~3 s (docs/tdengine.md#offline-dnode, #sigterm-and-datadir-lock)", async () => {
            const scale = 0.05;
            await boot(3, { timeScale: scale });
            // Three mnodes: with two, nothing would answer while dnode 3 is down (docs/tdengine.md#two-mnodes).
            await addMnodes(2, 3);
            standin.stopDnode(EP(3));
            await waitFor("offline", async () => ((await client.dnodes()).find((d) => d.id === 3)?.status === "offline" ? true : undefined));
            const restarted = Date.now();
            standin.startDnode(EP(3));
            const ready = await waitFor("ready", async () => (await client.dnodes()).find((d) => d.id === 3 && d.status === "ready"));
            assert.ok(Date.now() - restarted >= 2000 * scale - 2);
            assert.deepEqual([ready.note, ready.reboot_time], ["", EPOCH]);
            const rejoined = await waitFor("reboot_time", async () => (await client.dnodes()).find((d) => d.id === 3 && d.reboot_time !== EPOCH));
            assert.match(String(rejoined.reboot_time), ISO_MS);
            const mnode = await waitFor("follower", async () => (await client.mnodes()).find((m) => m.id === 3 && m.role === "follower"));
            assert.equal(mnode.status, "ready");
        });

        it("elects a follower leader ~5 s after the leader's dnode dies; the dead one shows status not received (docs/tdengine.md#mnode-leader-failover)", async () => {
            const scale = 0.05;
            await boot(3, { timeScale: scale });
            await addMnodes(2, 3);
            const killed = Date.now();
            standin.stopDnode(EP(1));
            const dead = await waitFor("offline", async () => (await client.dnodes()).find((d) => d.id === 1 && d.status === "offline"));
            assert.deepEqual([dead.note, dead.support_vnodes, dead.reboot_time], ["status not received", 0, EPOCH]);
            assert.ok(Date.now() - killed >= 3700 * scale - 2);
            assert.deepEqual((await client.mnodes()).map((m) => m.role), ["offline", "follower", "follower"], "docs/tdengine.md#mnode-leader-failover: no leader at +3.7 s");
            const leader = await waitFor("leader", async () => (await client.mnodes()).find((m) => m.role === "leader"));
            assert.ok(Date.now() - killed >= 5000 * scale - 2);
            assert.equal(leader.id, 3, "docs/tdengine.md#mnode-leader-failover: dnode 3 became leader");
            const roleTime = Date.parse(String(leader.role_time));
            assert.ok(Math.abs(roleTime - (killed + 3000 * scale)) < 50, "docs/tdengine.md#mnode-leader-failover: role_time 3 s after the kill");
            standin.startDnode(EP(1));
            const back = await waitFor("follower", async () => (await client.mnodes()).find((m) => m.id === 1 && m.role === "follower"));
            assert.equal(back.status, "ready", "docs/tdengine.md#mnode-leader-failover: the restarted dnode rejoins as follower");
        });

        it("refuses a plain drop of an offline dnode, refuses force for single-replica data, and lets unsafe destroy it (docs/tdengine.md#offline-dnode)", async () => {
            await boot(4);
            await client.ok("create database r19 replica 1 vgroups 6");
            await client.ok("create database r3d replica 3 vgroups 2");
            for (let t = 0; t < 6; t++) {
                await client.ok(`create table r19.d${t} (ts timestamp, v int)`);
                await client.ok(`insert into r19.d${t} values ${"(now, 1)".repeat(1000)}`);
            }
            await client.ok("create table r3d.d0 (ts timestamp, v int)");
            await client.ok(`insert into r3d.d0 values ${"(now, 1)".repeat(2000)}`);
            const held = standin.state().databases.find((d) => d.name === "r19")?.vgroups.filter((v) => v.dnodes.includes(4)).length ?? 0;
            assert.ok(held > 0);
            standin.stopDnode(EP(4));
            await waitFor("offline", async () => ((await client.dnodes()).find((d) => d.id === 4)?.status === "offline" ? true : undefined));
            assert.deepEqual((await client.sql("drop dnode 4")).body, { code: 1345, desc: "Vnode is offline" });
            assert.deepEqual((await client.sql("drop dnode 4 force")).body, {
                code: 1333,
                desc: "Single replica vnode data will lost permanently after this operation, if you make sure this, please use drop dnode <id> unsafe to execute",
            });
            const vnodes = Number((await client.dnodes()).find((d) => d.id === 4)?.vnodes);
            const started = Date.now();
            const unsafe = client.sql("drop dnode 4 unsafe");
            const during = await waitFor("dropping*", async () => (await client.dnodes()).find((d) => d.id === 4 && d.status === "dropping*"));
            assert.equal(during.note, "status msg timeout");
            assert.deepEqual((await unsafe).body, EXPECTED_DDL);
            assert.ok(Date.now() - started >= vnodes * 1400 * FAST - 2, "docs/tdengine.md#offline-dnode: 9.77 s for 7 vnodes");
            let rows = 0;
            let gone = 0;
            for (let t = 0; t < 6; t++) {
                const answer = await client.sql(`select count(*) from r19.d${t}`);
                if (answer.body.code === 0) rows += Number(answer.body.data?.[0][0]);
                else {
                    assert.deepEqual(answer.body, { code: 9731, desc: "Table does not exist" });
                    gone++;
                }
            }
            assert.equal(gone, held, "one table per vgroup on the dropped dnode vanished");
            assert.equal(rows, 6000 - 1000 * held, "docs/tdengine.md#offline-dnode: 6000 rows → fewer, silently");
            assert.deepEqual((await client.sql("select count(*) from r3d.d0")).body.data, [[2000]], "replica-3 data survives");
            assert.equal(standin.events().filter((e) => e.kind === "data.lost").length, held);
        });

        it("fails a read of a vgroup whose only replica is offline after ~20 s with `Unable to establish connection` (docs/tdengine.md#offline-dnode)", async () => {
            await boot(2);
            await client.ok("create database r1 replica 1 vgroups 2");
            // Tables take the vgroups in turn: `a` the first, `b` the second.
            await client.ok("create table r1.a (ts timestamp, v int)");
            await client.ok("create table r1.b (ts timestamp, v int)");
            const [first] = standin.state().databases[0].vgroups;
            const onDnode2 = first.dnodes.includes(2) ? "a" : "b";
            const elsewhere = onDnode2 === "a" ? "b" : "a";
            standin.stopDnode(EP(2));
            await waitFor("offline", async () => ((await client.dnodes()).find((d) => d.id === 2)?.status === "offline" ? true : undefined));
            assert.deepEqual((await client.sql(`select count(*) from r1.${elsewhere}`)).body.data, [[0]]);
            const started = Date.now();
            assert.deepEqual((await client.sql(`select count(*) from r1.${onDnode2}`)).body, { code: 11, desc: "Unable to establish connection" });
            assert.ok(Date.now() - started >= 20300 * FAST - 2);
        });

        it("keeps show cluster alive at 1 when the down dnode holds no vgroup (TDengine system test checkClusterEmptyDB)", async () => {
            await boot(3);
            standin.stopDnode(EP(3));
            await waitFor("offline", async () => ((await client.dnodes()).find((d) => d.id === 3)?.status === "offline" ? true : undefined));
            assert.deepEqual(await client.rows("show cluster alive"), [{ status: 1 }]);
        });
    });
});
