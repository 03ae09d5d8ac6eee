/**
 * `npm run bench`: real runs of the real Pulumi CLI against the local cluster (tests/e2e/cluster), with the
 * TDengine stand-in at real speed (timeScale 1: create mnode ~4.6 s as captured). Prints, for each phase,
 * the wall time split into: waiting on Kubernetes (the Kubernetes resources' steps, mostly the StatefulSet
 * rollout), TDengine's own work (statements and mnode start-up, from the stand-in's log), what our
 * lifecycle steps add on top, and the rest (engine, language host, program). Then `pulumi preview` of the
 * component against a plain program registering the same bare Kubernetes objects, as a ratio.
 */
import { Interval, tdengineBusy, union } from "../bench/tdengine-busy";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startLocalCluster } from "./cluster/local-cluster";
import { watchPods } from "./cluster/pod-watcher";
import { Entrypoint } from "./harness/entrypoint";
import { PulumiWorkspace, toolchainBin } from "./harness/pulumi";
import { StandinProcess } from "./harness/standin-process";

const PASSWORD = "Td-Bench-Pass-2";
const NAMESPACE = "tdengine-bench";

interface EngineEvent {
    timestamp: number;
    resourcePreEvent?: { metadata: { urn: string; type: string; op: string } };
    resOutputsEvent?: { metadata: { urn: string; type: string; op: string } };
}

/** Each resource's step, from the engine's event log: [start, end] in ms, by resource type. */
function resourceSteps(eventLog: string): Array<{ type: string; interval: Interval }> {
    const starts = new Map<string, number>();
    const steps: Array<{ type: string; interval: Interval }> = [];
    for (const line of fs.readFileSync(eventLog, "utf8").split("\n").filter(l => l.trim() !== "")) {
        const e = JSON.parse(line) as EngineEvent;
        if (e.resourcePreEvent && e.resourcePreEvent.metadata.op !== "same") {
            starts.set(e.resourcePreEvent.metadata.urn, e.timestamp * 1000);
        }
        const done = e.resOutputsEvent?.metadata;
        if (done && starts.has(done.urn)) {
            steps.push({ type: done.type, interval: [starts.get(done.urn) ?? 0, e.timestamp * 1000] });
        }
    }
    return steps;
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "tdengine-bench-"));
    const standin = await StandinProcess.start({ password: PASSWORD, timeScale: 1 });
    const cluster = await startLocalCluster({ workDir: path.join(workDir, "kwok"), binDir: toolchainBin(),
        portForwards: [{ podPort: 6041, targetPort: standin.port, namespaces: [NAMESPACE] }] });
    const entrypoint = new Entrypoint(standin, "tdengine", "tdengine-taosd");
    const watcher = watchPods({ kubeconfig: cluster.kubeconfig, namespace: NAMESPACE, labelSelector: "app.kubernetes.io/name=tdengine",
        volumeName: "taosdata", onStarted: pod => entrypoint.started(pod), onStopped: pod => entrypoint.stopped(pod) });
    await watcher.synced;
    const rows: string[][] = [["phase", "wall s", "Kubernetes s", "TDengine s", "our steps add s", "engine+program s"]];
    try {
        const ws = PulumiWorkspace.copyOfThisProject(path.join(workDir, "component"), cluster.kubeconfigPath, "bench");
        await ws.pulumi(["stack", "init", "bench"]);
        for (const [key, value] of [["namespace", NAMESPACE], ["replicas", "3"], ["timezone", "UTC"]]) {
            await ws.pulumi(["config", "set", key, value, "--stack", "bench"]);
        }
        await ws.pulumi(["config", "set", "--secret", "rootPassword", PASSWORD, "--stack", "bench"]);

        const phase = async (name: string, args: string[]): Promise<void> => {
            const eventLog = path.join(workDir, `${rows.length}.events.jsonl`);
            const seen = (await standin.events()).length;
            // --event-log (the engine's events with timestamps) is one of the CLI's debug flags.
            const run = await ws.command("pulumi", [...args, "--yes", "--skip-preview", "--non-interactive", "--stack", "bench", "--event-log", eventLog],
                { env: { PULUMI_DEBUG_COMMANDS: "true" } });
            const steps = resourceSteps(eventLog);
            const kubernetes = union(steps.filter(s => s.type.startsWith("kubernetes:")).map(s => s.interval));
            const lifecycle = union(steps.filter(s => s.type.startsWith("pulumi-nodejs:dynamic/tdengine")).map(s => s.interval));
            const tdengine = union(tdengineBusy((await standin.events()).slice(seen)));
            const anyStep = union(steps.map(s => s.interval));
            rows.push([name, run.seconds.toFixed(1), (kubernetes / 1000).toFixed(1), (tdengine / 1000).toFixed(1),
                (Math.max(lifecycle - tdengine, 0) / 1000).toFixed(1), (Math.max(run.seconds * 1000 - anyStep, 0) / 1000).toFixed(1)]);
        };
        await phase("up (3 dnodes, 2 mnodes created)", ["up"]);
        await ws.pulumi(["config", "set", "replicas", "4", "--stack", "bench"]);
        await phase("scale up 3 -> 4", ["up"]);
        await ws.pulumi(["config", "set", "replicas", "3", "--stack", "bench"]);
        await phase("scale down 4 -> 3", ["up"]);

        // The same bare objects without the component: manifests.ts's specs, registered directly.
        const plain = PulumiWorkspace.copyOfThisProject(path.join(workDir, "plain"), cluster.kubeconfigPath, "bench");
        // The baseline program, moved to the project's root where the manifests are "./components".
        fs.writeFileSync(path.join(plain.dir, "index.ts"), fs.readFileSync(path.join(__dirname, "bench-plain.ts"), "utf8")
            .replace("../../components/manifests", "./components/manifests"));
        await plain.pulumi(["stack", "init", "bench"]);
        // Both previews plan the same creates: the component on a stack of its own that was never deployed.
        await ws.pulumi(["stack", "init", "preview"]);
        for (const [key, value] of [["namespace", NAMESPACE], ["replicas", "3"], ["timezone", "UTC"]]) {
            await ws.pulumi(["config", "set", key, value, "--stack", "preview"]);
        }
        await ws.pulumi(["config", "set", "--secret", "rootPassword", PASSWORD, "--stack", "preview"]);
        const previews = { component: [] as number[], plain: [] as number[] };
        for (let i = 0; i < 3; i++) {
            previews.component.push((await ws.pulumi(["preview", "--stack", "preview"])).seconds);
            previews.plain.push((await plain.pulumi(["preview", "--stack", "bench"])).seconds);
        }
        await phase("destroy", ["destroy"]);

        const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)));
        process.stdout.write(`\n${rows.map(r => r.map((c, i) => c.padEnd(widths[i])).join("  ")).join("\n")}\n` +
            "(Kubernetes and our steps from the engine's event log, whose timestamps are whole seconds; TDengine from the stand-in's log, in ms)\n\n");
        const c = median(previews.component);
        const p = median(previews.plain);
        process.stdout.write(`pulumi preview of the same objects from scratch, median of 3, alternating:\n` +
            `  component ${c.toFixed(1)} s   plain objects ${p.toFixed(1)} s   ratio ${(c / p).toFixed(2)}\n`);
    } finally {
        await watcher.stop();
        await cluster.stop();
        await standin.stop();
        fs.rmSync(workDir, { recursive: true, force: true });
    }
}

main().catch(err => { console.error(err); process.exit(1); });
