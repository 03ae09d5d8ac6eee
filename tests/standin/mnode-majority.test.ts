/**
 * The stand-in's mnode majority and mnode transactions, as a real TDengine 3.3.7.5 showed them
 * (docs/tdengine.md#two-mnodes, #conflict-transaction), seen through the REST client the lifecycle uses.
 */
import { strict as assert } from "node:assert";
import { TDengineConnectionLostError, TDengineError, TDengineUnreachableError, TdCode, isCode } from "../../components/tdengine/errors";
import { TDengineRest } from "../../components/tdengine/rest";
import { TDengineStandin } from "./standin";

const ONCE = { attempts: 1, initialDelayMs: 1, maxDelayMs: 1 };
const EP = (n: number): string => `localhost:${6030 + 100 * (n - 1)}`;

describe("TDengine stand-in: mnode majority and mnode transactions", function () {
    this.timeout(20_000);
    let standin: TDengineStandin;
    let td: TDengineRest;
    /** A client that gives up quickly: a held request must time out, as the 6 s client of docs/tdengine.md#two-mnodes did. */
    let impatient: TDengineRest;

    async function boot(dnodes: number, timeScale = 0.01): Promise<void> {
        standin = new TDengineStandin({ timeScale });
        const url = await standin.start();
        td = new TDengineRest({ url, password: "taosdata", retry: ONCE });
        impatient = new TDengineRest({ url, password: "taosdata", requestTimeoutMs: 60, retry: ONCE });
        for (let n = 1; n <= dnodes; n++) standin.startDnode(EP(n));
    }

    async function until(what: string, check: () => Promise<boolean>): Promise<void> {
        const deadline = Date.now() + 10_000;
        while (!(await check())) {
            if (Date.now() > deadline) throw new Error(`test timed out waiting for ${what}`);
            await new Promise((resolve) => setTimeout(resolve, 10));
        }
    }

    const serving = async (n: number): Promise<boolean> => {
        const mnodes = await td.showMnodes();
        return mnodes.length === n && mnodes.every((m) => m.role === "leader" || m.role === "follower");
    };

    afterEach(async () => {
        await standin?.stop();
    });

    it("2 mnodes: nothing answers while either mnode's dnode is down, all once it is back (docs/tdengine.md#two-mnodes)", async () => {
        await boot(2);
        await td.createMnode(2);
        await until("2 serving mnodes", () => serving(2));

        for (const down of [EP(2), EP(1)]) {
            standin.stopDnode(down);
            const reads = [(): Promise<unknown> => impatient.showDatabases(), () => impatient.showDnodes(), () => impatient.clusterAlive()];
            for (const read of reads) {
                const err = await read().then(() => undefined, (e: unknown) => e);
                assert.ok(err instanceof TDengineUnreachableError, `no answer while ${down} is down, got ${String(err)}`);
                assert.match(err.lastError, /no response within 60 ms/);
            }
            standin.startDnode(down);
            await until(`answers after ${down} is back`, async () => (await td.showDnodes()).every((d) => d.status === "ready"));
        }
        assert.ok(standin.events().some((e) => e.kind === "request.held"));
        await until("a leader", async () => (await td.showMnodes()).some((m) => m.role === "leader"));
        assert.deepEqual((await td.showMnodes()).map((m) => [m.id, m.role]), [[1, "follower"], [2, "leader"]],
            "the leader's dnode (1) was stopped last: the mnode that stayed up leads afterwards");
    });

    it("1 mnode: the cluster keeps answering while the dnode without an mnode is down (docs/tdengine.md#two-mnodes)", async () => {
        await boot(2);
        standin.stopDnode(EP(2));
        await until("dnode 2 offline", async () => (await impatient.showDnodes()).some((d) => d.id === 2 && d.status === "offline"));
        assert.deepEqual((await impatient.showMnodes()).map((m) => [m.id, m.role]), [[1, "leader"]]);
        assert.equal(await impatient.clusterAlive(), 1);
        assert.deepEqual(await impatient.showDatabases(), []);
    });

    // docs/tdengine.md#conflict-transaction
    it("`create mnode` sent again while the first runs is refused with 0x03D3 and does not run; the first completes", async () => {
        await boot(3, 0.1);
        const first = td.createMnode(2);
        await until("the first create to show", async () => (await td.showMnodes()).some((m) => m.id === 2));

        const again = await td.createMnode(2).then(() => undefined, (e: unknown) => e);
        const other = await td.dropMnode(2).then(() => undefined, (e: unknown) => e);

        assert.ok(isCode(again, TdCode.ConflictTransaction), String(again));
        assert.equal((again as TDengineError).desc, "Conflict transaction not completed");
        assert.ok(isCode(other, TdCode.ConflictTransaction), "any mnode transaction conflicts with a running one");
        await first;
        await until("2 serving mnodes", () => serving(2));
        assert.equal(standin.events().filter((e) => e.kind === "mnode.created" && e.detail.startsWith("dnode 2 ")).length, 1);
    });

    // docs/tdengine.md#conflict-transaction
    it("a lost answer (`Unable to establish connection`, HTTP 200): the statement runs on, the client learns nothing", async () => {
        await boot(2);
        standin.loseAnswerTo("create mnode", "unable-to-connect");

        const err = await td.createMnode(2).then(() => undefined, (e: unknown) => e);

        assert.ok(err instanceof TDengineConnectionLostError, String(err));
        assert.match(err.reason, /Unable to establish connection/);
        await until("the mnode on dnode 2 to serve", () => serving(2));
        assert.equal(standin.events().filter((e) => e.kind === "sql" && e.detail === "create mnode on dnode 2").length, 1);
    });
});
