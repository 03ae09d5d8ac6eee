/**
 * `npm run bench`: real runs of the real Pulumi CLI against the local cluster (tests/e2e/cluster), with the
 * TDengine stand-in at real speed (timeScale 1: create mnode ~4.6 s as captured). Prints, for each phase,
 * the wall time split into: waiting on Kubernetes (the Kubernetes resources' steps, mostly the StatefulSet
 * rollout), TDengine's own work (statements and mnode start-up, from the stand-in's log), what our
 * lifecycle steps add on top, and the rest (engine, language host, program). Then `pulumi preview` of the
 * component against a plain program registering the same bare Kubernetes objects, as ratios (from scratch and
 * with no changes), beside the same plain program with one dynamic resource that does nothing (bench-plain.ts:
 * the floor of any step that is a dynamic resource; its scale steps too), the size of each serialized
 * lifecycle step (in the state and as serialized now), module load times, and the hook benchmark
 * (tests/bench/hooks.ts).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startLocalCluster } from "./cluster/local-cluster";
import { watchPods } from "./cluster/pod-watcher";
import { Entrypoint } from "./harness/entrypoint";
import { PulumiWorkspace, repoRoot, toolchainBin } from "./harness/pulumi";
import { hookBenchmark, table } from "../bench/hooks";
import { Interval, tdengineBusy, union } from "../bench/tdengine-busy";
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

/**
 * Each lifecycle step's `__provider`: a constant text (components/lifecycle/provider-source.ts), made when
 * the program loads the component, never serialized. Timed in a fresh node process, with @pulumi/pulumi loaded.
 */
function providerTexts(): string[][] {
    const code = `require("@pulumi/pulumi"); const t = process.hrtime.bigint(); const r = require("./components/lifecycle/resources");
        process.stdout.write(JSON.stringify({ ms: Number(process.hrtime.bigint() - t) / 1e6,
            before: r.BEFORE_STATEFULSET_SOURCE.length, after: r.AFTER_STATEFULSET_SOURCE.length }))`;
    const out = JSON.parse(execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", code], { cwd: repoRoot, encoding: "utf8" })) as {
        ms: number; before: number; after: number;
    };
    return [["step", "__provider characters", "serializing ms"],
        ["before the StatefulSet", String(out.before), "0 (constant text)"], ["after the StatefulSet", String(out.after), "0 (constant text)"],
        ["(loading resources.ts, both texts made)", "", out.ms.toFixed(0)]];
}

/** What loading the program's modules costs in a fresh node process (the language host loads them at every run). */
function moduleLoading(): string[][] {
    const rows = [["module (fresh node process)", "load ms"]];
    const load = (label: string, code: string, preload: string[] = []): void => {
        const out = execFileSync(process.execPath, [...preload, "-e",
            `const t = process.hrtime.bigint(); ${code}; process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6))`],
        { cwd: repoRoot, encoding: "utf8" });
        rows.push([label, Number(out).toFixed(0)]);
    };
    load("@pulumi/pulumi", `require("@pulumi/pulumi")`);
    load("@pulumi/kubernetes", `require("@pulumi/kubernetes")`);
    load("the component (ts-node, transpile only)", `require("./components")`, ["-r", "ts-node/register/transpile-only"]);
    return rows;
}

/** `__provider` of each dynamic resource in the stack's state: what the provider host deserializes. */
async function providersInState(ws: PulumiWorkspace, stack: string): Promise<string[][]> {
    const exported = JSON.parse((await ws.pulumi(["stack", "export", "--stack", stack])).stdout) as {
        deployment: { resources?: Array<{ urn: string; type: string; inputs?: { __provider?: string } }> };
    };
    return [["resource", "__provider characters"], ...(exported.deployment.resources ?? [])
        .filter(r => r.type.startsWith("pulumi-nodejs:dynamic"))
        .map(r => [r.urn.split("::").pop() ?? r.urn, String(r.inputs?.__provider?.length ?? 0)])];
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
    const rows: string[][] = [["phase", "wall s", "Kubernetes s", "TDengine s", "our steps add s", "engine+program s", "wall - K8s - TDengine s"]];
    const out: string[] = [];
    try {
        const ws = PulumiWorkspace.copyOfThisProject(path.join(workDir, "component"), cluster.kubeconfigPath, "bench");
        const configure = async (stack: string): Promise<void> => {
            await ws.pulumi(["stack", "init", stack]);
            for (const [key, value] of [["namespace", NAMESPACE], ["replicas", "3"], ["timezone", "UTC"]]) {
                await ws.pulumi(["config", "set", key, value, "--stack", stack]);
            }
            await ws.pulumi(["config", "set", "--secret", "rootPassword", PASSWORD, "--stack", stack]);
        };
        await configure("bench");

        const phase = async (name: string, args: string[], where: { ws: PulumiWorkspace; stack: string } = { ws, stack: "bench" }): Promise<void> => {
            const eventLog = path.join(workDir, `${rows.length}.events.jsonl`);
            const seen = (await standin.events()).length;
            // --event-log (the engine's events with timestamps) is one of the CLI's debug flags.
            const run = await where.ws.command("pulumi",
                [...args, "--yes", "--skip-preview", "--non-interactive", "--stack", where.stack, "--event-log", eventLog],
                { env: { PULUMI_DEBUG_COMMANDS: "true" } });
            const steps = resourceSteps(eventLog);
            const kubernetes = union(steps.filter(s => s.type.startsWith("kubernetes:")).map(s => s.interval));
            const lifecycle = union(steps.filter(s => s.type.startsWith("pulumi-nodejs:dynamic/tdengine")).map(s => s.interval));
            const tdengine = union(tdengineBusy((await standin.events()).slice(seen)));
            const anyStep = union(steps.map(s => s.interval));
            rows.push([name, run.seconds.toFixed(1), (kubernetes / 1000).toFixed(1), (tdengine / 1000).toFixed(1),
                (Math.max(lifecycle - tdengine, 0) / 1000).toFixed(1), (Math.max(run.seconds * 1000 - anyStep, 0) / 1000).toFixed(1),
                (run.seconds - kubernetes / 1000 - tdengine / 1000).toFixed(1)]);
        };
        await phase("up (3 dnodes, 2 mnodes created)", ["up"]);
        const inState = await providersInState(ws, "bench");

        // The same bare objects without the component: manifests.ts's specs, registered directly.
        const plain = PulumiWorkspace.copyOfThisProject(path.join(workDir, "plain"), cluster.kubeconfigPath, "bench");
        // The baseline program, moved to the project's root where the manifests are "./components".
        fs.writeFileSync(path.join(plain.dir, "index.ts"), fs.readFileSync(path.join(__dirname, "bench-plain.ts"), "utf8")
            .replace("../../components/manifests", "./components/manifests"));
        // Its stacks: the bare objects ("scratch", never deployed; "deployed"), and the same with one dynamic
        // resource that does nothing ("floor-scratch", "floor-deployed"): the least any dynamic-resource step costs.
        for (const [stack, namespace, dynamicStep] of [["scratch", "tdengine-plain", "false"], ["deployed", "tdengine-plain", "false"],
            ["floor-scratch", "tdengine-floor", "true"], ["floor-deployed", "tdengine-floor", "true"]]) {
            await plain.pulumi(["stack", "init", stack]);
            await plain.pulumi(["config", "set", "namespace", namespace, "--stack", stack]);
            await plain.pulumi(["config", "set", "dynamicStep", dynamicStep, "--stack", stack]);
        }
        await plain.pulumi(["up", "--yes", "--skip-preview", "--stack", "deployed"]);
        await plain.pulumi(["up", "--yes", "--skip-preview", "--stack", "floor-deployed"]);

        const previews = { component: [] as number[], plain: [] as number[], floor: [] as number[],
            componentSame: [] as number[], plainSame: [] as number[], floorSame: [] as number[] };
        for (let i = 0; i < 3; i++) {
            previews.componentSame.push((await ws.pulumi(["preview", "--stack", "bench"])).seconds);
            previews.plainSame.push((await plain.pulumi(["preview", "--stack", "deployed"])).seconds);
            previews.floorSame.push((await plain.pulumi(["preview", "--stack", "floor-deployed"])).seconds);
        }
        // The previews from scratch plan the same creates: the component on a stack of its own that was never deployed.
        await configure("preview");
        for (let i = 0; i < 3; i++) {
            previews.component.push((await ws.pulumi(["preview", "--stack", "preview"])).seconds);
            previews.plain.push((await plain.pulumi(["preview", "--stack", "scratch"])).seconds);
            previews.floor.push((await plain.pulumi(["preview", "--stack", "floor-scratch"])).seconds);
        }
        // What type-checking the program at every run (ts-node's default, undone by tsconfig.json) costs: swc
        // cannot type-check, so the copy's tsconfig.json goes without it for this one run.
        const tsconfig = path.join(ws.dir, "tsconfig.json");
        const fast = fs.readFileSync(tsconfig, "utf8");
        fs.writeFileSync(tsconfig, fast.replace(/,\s*"swc": true/, ""));
        const typeChecked = (await ws.command("pulumi", ["preview", "--non-interactive", "--stack", "preview"],
            { env: { PULUMI_NODEJS_TRANSPILE_ONLY: "false" } })).seconds;
        fs.writeFileSync(tsconfig, fast);
        // The floor of any `pulumi up`: the bare program's, with nothing to change (CLI, plugins, program, no step).
        const plainUps: number[] = [];
        for (let i = 0; i < 3; i++) {
            plainUps.push((await plain.pulumi(["up", "--yes", "--skip-preview", "--stack", "deployed"])).seconds);
        }

        await ws.pulumi(["config", "set", "replicas", "4", "--stack", "bench"]);
        await phase("scale up 3 -> 4", ["up"]);
        await ws.pulumi(["config", "set", "replicas", "3", "--stack", "bench"]);
        await phase("scale down 4 -> 3", ["up"]);
        // The same scale steps of the bare objects, and of the bare objects with the do-nothing dynamic resource.
        for (const [label, stack] of [["plain objects", "deployed"], ["plain objects + no-op dynamic resource", "floor-deployed"]]) {
            for (const replicas of ["4", "3"]) {
                await plain.pulumi(["config", "set", "replicas", replicas, "--stack", stack]);
                await phase(`  ${label}: scale to ${replicas}`, ["up"], { ws: plain, stack });
            }
        }
        await phase("destroy", ["destroy"]);
        await plain.pulumi(["destroy", "--yes", "--skip-preview", "--stack", "deployed"]);
        await plain.pulumi(["destroy", "--yes", "--skip-preview", "--stack", "floor-deployed"]);

        out.push(table(rows),
            "(Kubernetes and our steps from the engine's event log, whose timestamps are whole seconds; TDengine from the stand-in's log, in ms.",
            " Target for a scale step: wall - K8s - TDengine <= 2 s. The indented rows are the same scale steps of the bare objects,",
            " alone and with one dynamic resource that does nothing: what any program pays, and what any dynamic-resource step pays.)",
            `A \`pulumi up\` of the plain objects with nothing to change (what any run costs), median of 3: ${median(plainUps).toFixed(1)} s`, "");
        const ratio = (a: number[], b: number[], label: string, target: number): string => {
            const c = median(a);
            const p = median(b);
            return `  ${label}: component ${c.toFixed(1)} s   plain objects ${p.toFixed(1)} s   ratio ${(c / p).toFixed(2)} (target <= ${target})`;
        };
        const floor = (a: number[], b: number[], label: string): string =>
            `  ${label}: plain objects + one no-op dynamic resource ${median(a).toFixed(1)} s   ratio ${(median(a) / median(b)).toFixed(2)}` +
            " (the floor of any step that is a dynamic resource)";
        out.push("pulumi preview, median of 3, alternating component, plain program, and plain program with a no-op dynamic resource:",
            ratio(previews.component, previews.plain, "from scratch      ", 1.2),
            floor(previews.floor, previews.plain, "from scratch      "),
            ratio(previews.componentSame, previews.plainSame, "no changes        ", 1.2),
            floor(previews.floorSame, previews.plainSame, "no changes        "),
            `  from scratch with the program type-checked (without swc, PULUMI_NODEJS_TRANSPILE_ONLY=false): ${typeChecked.toFixed(1)} s`, "");
        out.push(table(inState), "", table(providerTexts()), "", table(moduleLoading()), "");
    } finally {
        await watcher.stop();
        await cluster.stop();
        await standin.stop();
        fs.rmSync(workDir, { recursive: true, force: true });
    }
    out.push("What each lifecycle step adds on top of TDengine's own work (tests/bench/hooks.ts: stand-in at real speed, fake Kubernetes):",
        table(await hookBenchmark()));
    process.stdout.write(`\n${out.join("\n")}\n`);
}

main().catch(err => { console.error(err); process.exit(1); });
