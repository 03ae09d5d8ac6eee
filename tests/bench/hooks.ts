/**
 * What each lifecycle step adds on top of TDengine's own work, against the stand-in at real speed
 * (timeScale 1: create mnode ~4.6 s, drop of an empty dnode 0.25 s + 0.5 s until it is gone, as captured).
 *
 * Run by `npm run bench` (tests/e2e/bench.ts), or alone:  npx ts-node --transpile-only tests/bench/hooks.ts
 *
 * For each phase it prints the wall time, the time TDengine was busy (from the stand-in's event log: each
 * statement from its start to its result, and each new mnode from `Create OK`'s start until it serves),
 * and what the steps added on top: connecting, polling latency, our own work.
 */
import { tdengineBusy, union } from "./tdengine-busy";
import { TDengineStandin } from "../standin/standin";
import { Engine } from "../lifecycle/engine";
import { FakeKubernetes } from "../lifecycle/fake-kubernetes";
import { addressing, stepInputs } from "../lifecycle/fixture";


/** The table: a header row, then one row per phase. */
export async function hookBenchmark(): Promise<string[][]> {
    const standin = new TDengineStandin({ rootPassword: "Td-Bench-1", timeScale: 1 });
    const url = await standin.start();
    const kube = new FakeKubernetes(standin, addressing, "tdengine");
    const kubeconfig = await kube.serve();
    const engine = new Engine(kube, {});
    const inputs = (replicas: number) => stepInputs(replicas, { password: "Td-Bench-1", restUrl: url, kubeconfig },
        { dropDnodeTimeoutSeconds: 600, readyTimeoutSeconds: 120 });
    const rows: string[][] = [["phase", "wall s", "TDengine busy s", "added by the steps s", "statements"]];
    const phase = async (name: string, run: () => Promise<unknown>): Promise<void> => {
        const from = standin.events().length;
        const started = Date.now();
        await run();
        const wall = (Date.now() - started) / 1000;
        const events = standin.events().slice(from);
        const busy = tdengineBusy(events);
        const busyMs = union(busy);
        const statements = events.filter(e => e.kind === "sql").length;
        rows.push([name, wall.toFixed(2), (busyMs / 1000).toFixed(2), (wall - busyMs / 1000).toFixed(2), String(statements)]);
    };
    await phase("up 3 dnodes (2 mnodes created)", () => engine.up(inputs(3)));
    await phase("up again, nothing changed", () => engine.up(inputs(3)));
    await phase("scale 3 -> 4", () => engine.up(inputs(4)));
    await phase("scale 4 -> 3 (empty dnode dropped)", () => engine.up(inputs(3)));
    await phase("destroy", () => engine.destroy());
    await standin.stop();
    await kube.close();
    return rows;
}

/** Columns padded to their widest cell. */
export function table(rows: string[][]): string {
    const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)));
    return rows.map(r => r.map((c, i) => c.padEnd(widths[i])).join("  ")).join("\n");
}

if (require.main === module) {
    hookBenchmark().then(rows => console.log(table(rows)), err => { console.error(err); process.exit(1); });
}
