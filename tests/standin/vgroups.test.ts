/**
 * Vgroup leaders, elections, restarts and balancing in the TDengine stand-in, over HTTP as a client sees
 * them, each test naming the docs/tdengine.md section it reproduces. At timeScale 0.005 an election of
 * 6-8.4 s takes 30-42 ms. Durations are checked as lower bounds only and
 * orderings through the stand-in's event log: load can slow a test, never make it pass wrongly.
 */

import { strict as assert } from "node:assert";

import { StandinEvent, StandinOptions, TDengineStandin } from "./standin";
import { Client as StandinClient, EP, send, waitFor as waitUntilDefined } from "./standin-client";
import { TIMING } from "./timing";

const FAST = 0.005;
/** For a test that reads a state lasting one election right after causing it: 60-84 ms of margin. */
const ELECTION_VISIBLE = 0.01;
/** A balance makes 21.3 s moves: 43 ms each. */
const BALANCE = 0.002;
/** The stand-in's REST client, plus what these tests read: cluster alive and the vgroups' replicas. */
class Client extends StandinClient {
    async alive(): Promise<unknown> {
        return (await this.rows("show cluster alive"))[0].status;
    }

    /** vgroup id → the statuses of its replicas by dnode id, from ins_vgroups. */
    async vgroups(db: string): Promise<Map<number, Map<number, string>>> {
        const rows = await this.rows(`select * from information_schema.ins_vgroups where db_name = '${db}'`);
        return new Map(rows.map((r) => {
            const replicas = new Map<number, string>();
            for (const n of [1, 2, 3, 4]) if (r[`v${n}_dnode`] !== null) replicas.set(Number(r[`v${n}_dnode`]), String(r[`v${n}_status`]));
            return [Number(r.vgroup_id), replicas];
        }));
    }
}

function leaderOf(replicas: Map<number, string>): number | undefined {
    return [...replicas].find(([, status]) => status === "leader")?.[0];
}

/** Elections and moves are slower than the stand-in tests' default wait allows. */
const waitFor = <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => waitUntilDefined(what, probe, 5000);

function eventIndex(events: StandinEvent[], kind: string, detail: string | RegExp, from = 0): number {
    const i = events.findIndex((e, n) => n >= from && e.kind === kind && (typeof detail === "string" ? e.detail === detail : detail.test(e.detail)));
    assert.ok(i >= 0, `no event ${kind} ${String(detail)} after #${from}`);
    return i;
}

describe("TDengine stand-in: vgroup leaders, restarts and balancing", function () {
    this.timeout(10000);
    let standin: TDengineStandin;
    let client: Client;

    async function boot(count: number, options: StandinOptions = {}): Promise<void> {
        standin = new TDengineStandin({ timeScale: FAST, ...options });
        client = new Client(await standin.start());
        for (let n = 1; n <= count; n++) standin.startDnode(EP(n));
    }

    /** A replica-3 database `r3` with 4 vgroups and one table per vgroup (t0..t3, tables go round the vgroups). */
    async function replica3Database(): Promise<void> {
        await client.ok("create database r3 replica 3 vgroups 4");
        for (let i = 0; i < 4; i++) await client.ok(`create table r3.t${i} (ts timestamp, v int)`);
    }

    afterEach(async () => {
        await standin?.stop();
    });

    it("shows each vgroup's replicas in ins_vgroups and show <db>.vgroups: one leader, the others followers, v4 NULL (docs/tdengine.md#system-tables)", async () => {
        await boot(3);
        await replica3Database();
        const rows = await client.rows("show r3.vgroups");
        assert.deepEqual(rows.map((r) => r.vgroup_id), [2, 3, 4, 5]);
        for (const r of rows) {
            assert.deepEqual([r.v1_dnode, r.v2_dnode, r.v3_dnode, r.v4_dnode, r.v4_status], [1, 2, 3, null, null]);
            assert.deepEqual([r.v1_status, r.v2_status, r.v3_status].sort(), ["follower", "follower", "leader"]);
            assert.equal(r.tables, 1);
        }
        const leaders = [...(await client.vgroups("r3")).values()].map(leaderOf);
        assert.deepEqual(new Set(leaders), new Set([1, 2, 3]), "leaders spread over the dnodes");
    });

    it("leaves the vgroups a stopped dnode led without a leader for one election; writes to them wait for it, the others go on; cluster alive 2 (docs/tdengine.md#rolling-restart)", async () => {
        await boot(3, { timeScale: ELECTION_VISIBLE });
        await replica3Database();
        const before = await client.vgroups("r3");
        // Not dnode 1: it holds the only mnode, without which nothing answers (docs/tdengine.md#two-mnodes).
        const stoppedDnode = 2;
        const stalledVgroup = [...before].find(([, replicas]) => leaderOf(replicas) === stoppedDnode)?.[0] ?? 0;
        const servingVgroup = [...before].find(([, replicas]) => leaderOf(replicas) !== stoppedDnode)?.[0];
        const table = (vgroupId: number | undefined): string => `r3.t${[...before.keys()].indexOf(vgroupId ?? -1)}`;

        standin.stopDnode(EP(stoppedDnode));
        const stopped = Date.now();
        const during = await client.vgroups("r3");
        assert.equal(leaderOf(during.get(stalledVgroup) ?? new Map()), undefined, "no leader right after the stop");
        assert.equal(during.get(stalledVgroup)?.get(stoppedDnode), "offline");
        assert.equal(await client.alive(), 2);
        await client.ok(`insert into ${table(servingVgroup)} values (now, 1)`);
        const served = standin.events().length;

        await client.ok(`insert into ${table(stalledVgroup)} values (now, 2)`);
        const events = standin.events();
        const elected = eventIndex(events, "vgroup.leader", new RegExp(`^vgroup ${stalledVgroup} dnode`), served);
        const written = eventIndex(events, "sql.result", `0 insert into ${table(stalledVgroup)} values (now, 2)`, served);
        assert.ok(elected < written, "the write returned only once the vgroup had a new leader");
        assert.ok(events[elected].at - stopped >= TIMING.vgroupElectionMinMs * ELECTION_VISIBLE - 2, "an election takes at least 6 s");
        assert.notEqual(leaderOf((await client.vgroups("r3")).get(stalledVgroup) ?? new Map()), stoppedDnode);
    });

    it("brings a restarted dnode's replicas back offline, then followers once caught up; cluster alive 1 again (docs/tdengine.md#rolling-restart)", async () => {
        await boot(3);
        await replica3Database();
        standin.stopDnode(EP(3));
        standin.startDnode(EP(3));
        await waitFor("dnode 3 ready", async () => ((await client.rows("show dnodes")).find((d) => d.id === 3)?.status === "ready" ? true : undefined));
        const readyAt = standin.events().map((e) => e.kind).lastIndexOf("dnode.ready");
        const synced = await waitFor("followers", async () => {
            const statuses = [...(await client.vgroups("r3")).values()].map((r) => r.get(3));
            return statuses.every((s) => s === "follower" || s === "leader") ? statuses : undefined;
        });
        assert.ok(synced.every((s) => s === "follower"), "a restarted replica comes back as a follower");
        const events = standin.events();
        assert.ok(eventIndex(events, "vnode.synced", /dnode 3$/, readyAt) > readyAt, "caught up after the dnode was ready");
        await waitFor("cluster alive 1", async () => ((await client.alive()) === 1 ? true : undefined));
    });

    it("elects no leader while two of three replicas are down; one back and caught up is enough (docs/tdengine.md#rolling-restart)", async () => {
        await boot(3);
        await replica3Database();
        standin.stopDnode(EP(2));
        standin.stopDnode(EP(3));
        const writing = client.ok("insert into r3.t0 values (now, 1) r3.t1 values (now, 2) r3.t2 values (now, 3) r3.t3 values (now, 4)");
        assert.equal(await client.alive(), 0, "no vgroup has a leader");
        standin.startDnode(EP(3));
        await writing;
        const events = standin.events();
        const back = eventIndex(events, "vnode.synced", /dnode 3$/);
        assert.ok(eventIndex(events, "sql.result", /^0 insert into r3\.t0/) > back, "written only after dnode 3 caught up and an election");
        assert.deepEqual(standin.state().databases[0].tables, { t0: 1, t1: 1, t2: 1, t3: 1 });
    });

    it("plays a pod restart from the admin API: stop now, start on the dnode's own data after downMs (docs/tdengine.md#rolling-restart)", async () => {
        await boot(3, { adminApi: true });
        const answer = await send(client.base, "POST", "/admin/dnodes/restart", JSON.stringify({ endpoint: EP(2), downMs: 500 }), {});
        assert.equal(answer.status, 200, answer.text);
        await waitFor("restarted", async () => (standin.events().some((e) => e.kind === "process.started" && e.detail === `${EP(2)} (own data)`) ? true : undefined));
        const events = standin.events();
        const stop = eventIndex(events, "process.stopped", EP(2));
        const start = eventIndex(events, "process.started", `${EP(2)} (own data)`, stop);
        assert.ok(events[start].at - events[stop].at >= 500 * FAST - 2);
        const refused = await send(client.base, "POST", "/admin/dnodes/restart", JSON.stringify({ endpoint: EP(2), downMs: -1 }), {});
        assert.deepEqual([refused.status, JSON.parse(refused.text)], [400, { error: '"downMs" must be a count' }]);
    });

    it("balance vgroup moves replicas onto new, empty dnodes and blocks until done, as recorded for 3 -> 5 dnodes (docs/tdengine.md#balance-vgroup)", async () => {
        await boot(3, { timeScale: BALANCE });
        for (const id of [2, 3]) await client.ok(`create mnode on dnode ${id}`);
        await client.ok("create database r3 replica 3 vgroups 4");
        standin.startDnode(EP(4));
        standin.startDnode(EP(5));
        await client.ok("create database r1 replica 1 vgroups 6");
        assert.deepEqual((await client.rows("show dnodes")).map((d) => d.vnodes), [4, 4, 4, 3, 3]);

        const started = Date.now();
        assert.deepEqual((await client.sql("balance vgroup")).body, { code: 0, column_meta: [["affected_rows", "INT", 4]], data: [[0]], rows: 1 });
        assert.ok(Date.now() - started >= 2 * TIMING.balanceMoveMs * BALANCE - 2, "two moves, 21.3 s each");

        const placed = await client.rows("select vgroup_id, v1_dnode, v2_dnode, v3_dnode from information_schema.ins_vgroups where db_name = 'r3'");
        assert.deepEqual(
            placed.map((r) => [r.vgroup_id, r.v1_dnode, r.v2_dnode, r.v3_dnode]),
            [[2, 1, 2, 4], [3, 1, 5, 3], [4, 1, 2, 3], [5, 1, 2, 3]],
        );
        assert.deepEqual((await client.rows("show dnodes")).map((d) => d.vnodes), [4, 3, 3, 4, 4]);
    });

    it("balance vgroup leader spreads the leaders; balance vgroup leader on <id> returns OK and moves none (docs/tdengine.md#balance-vgroup, #rolling-restart)", async () => {
        await boot(3);
        await replica3Database();
        standin.stopDnode(EP(3));
        await waitFor("the vgroup dnode 3 led elects another", async () => ([...(await client.vgroups("r3")).values()].every((r) => leaderOf(r)) ? true : undefined));
        standin.startDnode(EP(3));
        const leadersOf = async (): Promise<number[]> => [...(await client.vgroups("r3")).values()].map((r) => leaderOf(r) ?? 0);
        const concentrated = await waitFor("dnode 3 back, leading nothing", async () => {
            const statuses = [...(await client.vgroups("r3")).values()];
            return statuses.every((r) => r.get(3) === "follower") && statuses.every((r) => leaderOf(r) !== undefined) ? leadersOf() : undefined;
        });
        assert.ok(!concentrated.includes(3));

        const from = standin.events().length;
        for (const id of [2, 3, 4, 5]) await client.ok(`balance vgroup leader on ${id}`);
        await client.ok("show cluster alive");
        assert.ok(!standin.events().slice(from).some((e) => e.kind === "vgroup.leader"), "no leader moved");
        assert.deepEqual(await leadersOf(), concentrated);

        await client.ok("balance vgroup leader");
        const spread = await waitFor("dnode 3 leads", async () => ((await leadersOf()).includes(3) ? leadersOf() : undefined));
        assert.deepEqual(new Set(spread), new Set([1, 2, 3]));
    });

    it("answers select server_version() with the version the taosd runs, also after a restart on a new image (docs/tdengine.md#version-rules)", async () => {
        await boot(1);
        assert.deepEqual((await client.sql("select server_version()")).body, {
            code: 0, column_meta: [["server_version()", "VARCHAR", 24]], data: [["3.3.7.5"]], rows: 1,
        });
        standin.restartDnode(EP(1), { version: "3.3.7.6" });
        const version = await waitFor("the new version", async () => {
            const { body } = await client.sql("select server_version()");
            return body.code === 0 && body.data?.[0][0] === "3.3.7.6" ? body.data[0][0] : undefined;
        });
        assert.equal(version, "3.3.7.6");
    });

    it("writes several tables in one insert, all or nothing (docs/tdengine.md#rolling-restart's writer)", async () => {
        await boot(3);
        await replica3Database();
        const { body } = await client.ok("insert into r3.t0 values (now, 1)(now+1s, 2) r3.t1 (ts, v) values (now, 3)");
        assert.deepEqual(body.data, [[3]]);
        const { body: missing } = await client.sql("insert into r3.t2 values (now, 4) r3.nosuch values (now, 5)");
        assert.equal(missing.code, 0x2603);
        assert.deepEqual(standin.state().databases[0].tables, { t0: 2, t1: 1, t2: 0, t3: 0 });
    });
});
