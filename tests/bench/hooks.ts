/**
 * What each lifecycle step adds on top of TDengine's own work, against the stand-in at real speed
 * (timeScale 1: create mnode ~4.6 s, drop of an empty dnode 0.25 s + 0.5 s until it is gone, as captured).
 *
 *   npx ts-node --transpile-only tests/bench/hooks.ts
 *
 * For each step it prints the wall time, the time TDengine spent answering statements (from the
 * stand-in's event log: each statement's start to its result), and the rest: our own work plus waiting
 * for TDengine's asynchronous state changes (a new mnode becoming follower, a dropped dnode leaving).
 */
import { DnodeAddressing } from "../../components/names";
import { TDengineStandin } from "../standin/standin";
import { Engine } from "../lifecycle/engine";
import { FakeKubernetes } from "../lifecycle/fake-kubernetes";

const addressing: DnodeAddressing = { namespace: "db", statefulSet: "tdengine", headlessService: "tdengine-taosd", clusterDomain: "cluster.local" };

async function main(): Promise<void> {
    const standin = new TDengineStandin({ rootPassword: "Td-Bench-1", timeScale: 1 });
    const url = await standin.start();
    const kube = new FakeKubernetes(standin, addressing, "tdengine");
    const kubeconfig = await kube.serve();
    const engine = new Engine(kube);
    const inputs = (replicas: number) => ({
        instance: "tdengine", ...addressing, replicas, password: "Td-Bench-1", restUrl: url, kubeconfig,
        dropDnodeTimeoutSeconds: 600, readyTimeoutSeconds: 120, retainVolumesOnDestroy: false,
    });
    const rows: string[][] = [["phase", "wall s", "in TDengine statements s", "rest s", "statements"]];
    const phase = async (name: string, run: () => Promise<unknown>): Promise<void> => {
        const from = standin.events().length;
        const started = Date.now();
        await run();
        const wall = (Date.now() - started) / 1000;
        const events = standin.events().slice(from);
        let inStatements = 0;
        const open: number[] = [];
        let statements = 0;
        for (const e of events) {
            if (e.kind === "sql") { open.push(e.at); statements++; }
            if (e.kind === "sql.result" && open.length > 0) { inStatements += e.at - (open.shift() ?? e.at); }
        }
        rows.push([name, wall.toFixed(2), (inStatements / 1000).toFixed(2), (wall - inStatements / 1000).toFixed(2), String(statements)]);
    };
    await phase("up 3 dnodes (2 mnodes created)", () => engine.up(inputs(3)));
    await phase("up again, nothing changed", () => engine.up(inputs(3)));
    await phase("scale 3 -> 4", () => engine.up(inputs(4)));
    await phase("scale 4 -> 3 (empty dnode dropped)", () => engine.up(inputs(3)));
    await phase("destroy", () => engine.destroy());
    await standin.stop();
    await kube.close();
    const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)));
    for (const r of rows) {
        console.log(r.map((c, i) => c.padEnd(widths[i])).join("  "));
    }
}

main().catch(err => { console.error(err); process.exit(1); });
