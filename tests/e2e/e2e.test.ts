/**
 * End to end: the real Pulumi CLI, its Node.js language host and Kubernetes provider, on a copy of this
 * project and its stack files, against a real kube-apiserver (with kube-controller-manager, the scheduler
 * and kwok for kubelets) on loopback. Every pod's REST port is port-forwarded by kwok to the TDengine
 * stand-in, which a pod watcher keeps in step with the pods the way the image's entrypoint would.
 *
 *   npm run test:e2e      (builds the toolchain first if needed: tests/e2e/toolchain/build.sh)
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as k8sClient from "@kubernetes/client-node";
import { TDengineRest } from "../../components/tdengine/rest";
import { clientModule } from "../../components/kube/cluster-objects";
import { LocalCluster, startLocalCluster } from "./cluster/local-cluster";
import { PodWatcher, watchPods } from "./cluster/pod-watcher";
import { Entrypoint } from "./harness/entrypoint";
import { PulumiWorkspace, repoRoot, toolchainBin } from "./harness/pulumi";
import { StandinProcess } from "./harness/standin-process";

const PASSWORD = "Td-E2e-Pass-3";
const STACK = "dev";
/** What stacks/Pulumi.dev.yaml names them. */
const NAMESPACE = "tdengine-dev";
const NAME = "tdengine";
const HEADLESS = "tdengine-taosd";
/** Pod `ordinal`'s dnode endpoint in `namespace`, spelled out here rather than taken from the component's names.ts. */
const endpointIn = (namespace: string) => (ordinal: number): string => `${NAME}-${ordinal}.${HEADLESS}.${namespace}.svc.cluster.local:6030`;
const endpoint = endpointIn(NAMESPACE);

interface Env {
    workDir: string;
    cluster: LocalCluster;
    core: k8sClient.CoreV1Api;
    apps: k8sClient.AppsV1Api;
}

/** One TDengine cluster's stand-in: its process, the port-forward of its namespace's pods, the pod watcher. */
interface TDengineFixture {
    standin: StandinProcess;
    entrypoint: Entrypoint;
    sql: TDengineRest;
    stop(): Promise<void>;
}

/** `password`: what the image sets from TAOS_ROOT_PASSWORD on the first pod's first start. */
async function tdengineFor(env: Env, namespace: string, name: string, password = PASSWORD): Promise<TDengineFixture> {
    const standin = await StandinProcess.start({ password, timeScale: 0.1 });
    const forward = await env.cluster.forwardPodPort(6041, standin.port, { namespaces: [namespace], name: `forward-${namespace}` });
    const entrypoint = new Entrypoint(standin, name, `${name}-taosd`);
    const watcher: PodWatcher = watchPods({
        kubeconfig: env.cluster.kubeconfig, namespace, labelSelector: "app.kubernetes.io/name=tdengine", volumeName: "taosdata",
        onStarted: pod => entrypoint.started(pod), onStopped: pod => entrypoint.stopped(pod),
        onError: err => process.stderr.write(`pod watcher (${namespace}): ${String(err)}\n`),
    });
    await watcher.synced;
    return {
        standin, entrypoint, sql: new TDengineRest({ url: standin.url, password }),
        stop: async () => {
            await watcher.stop();
            await env.cluster.removePortForward(forward);
            await standin.stop();
        },
    };
}

/** Phase timings for the closing note and the benchmark. */
export const timings: Array<{ phase: string; seconds: number }> = [];

async function timed<T>(phase: string, work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
        return await work();
    } finally {
        timings.push({ phase, seconds: (Date.now() - started) / 1000 });
    }
}

async function statusOf<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
        return await call();
    } catch (err) {
        if ((err as { code?: number }).code === 404) {
            return undefined;
        }
        throw err;
    }
}

async function pvcNames(env: Env): Promise<string[]> {
    const list = await env.core.listNamespacedPersistentVolumeClaim({ namespace: NAMESPACE });
    return list.items.filter(p => p.metadata?.deletionTimestamp === undefined).map(p => p.metadata?.name ?? "").sort();
}

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
        if (Date.now() > deadline) {
            throw new Error(`timed out waiting for ${what}`);
        }
        await new Promise(resolve => setTimeout(resolve, 250));
    }
}

describe("e2e: pulumi up, scale and destroy with the real engine and a real API server", function () {
    this.timeout(20 * 60_000);
    let env: Env;

    before(async function () {
        this.timeout(10 * 60_000);
        const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "tdengine-e2e-"));
        const cluster = await timed("start the local cluster", () => startLocalCluster({
            workDir: path.join(workDir, "kwok"), binDir: toolchainBin(), keepLogsIn: path.join(workDir, "logs"),
        }));
        const kc = cluster.kubeConfig();
        const k8s = clientModule();
        env = { workDir, cluster, core: kc.makeApiClient(k8s.CoreV1Api), apps: kc.makeApiClient(k8s.AppsV1Api) };
    });

    after(async function () {
        this.timeout(5 * 60_000);
        await env?.cluster.stop();
        if (env && process.env.KEEP_E2E_WORKDIR === undefined) {
            fs.rmSync(env.workDir, { recursive: true, force: true });
        }
        process.stdout.write(`\n  e2e phases:\n${timings.map(t => `    ${t.phase.padEnd(52)} ${t.seconds.toFixed(1)} s`).join("\n")}\n`);
    });

    describe("the dev stack, scaled 3 → 4 → 3 → (refused) 2, resized, destroyed", () => {
        let td: TDengineFixture;
        let ws: PulumiWorkspace;

        before(async () => {
            td = await tdengineFor(env, NAMESPACE, NAME);
            ws = PulumiWorkspace.copyOfThisProject(path.join(env.workDir, "main"), env.cluster.kubeconfigPath, "e2e-passphrase");
            ws.neverPrint.push(PASSWORD);
            await ws.pulumi(["stack", "init", STACK]);
            await ws.pulumi(["config", "set", "replicas", "3", "--stack", STACK]);
            await ws.pulumi(["config", "set", "--secret", "rootPassword", PASSWORD, "--stack", STACK]);
        });

        after(async () => {
            await td?.stop();
        });

        it("pulumi up of a 3-dnode cluster: every object in the API server, the outputs, 3 dnodes and 3 mnodes", async () => {
            await timed("pulumi up (3 dnodes)", () => ws.pulumi(["up", "--yes", "--skip-preview", "--stack", STACK]));
            assert.ok(await env.core.readNamespace({ name: NAMESPACE }));
            const headless = await env.core.readNamespacedService({ name: HEADLESS, namespace: NAMESPACE });
            assert.equal(headless.spec?.clusterIP, "None");
            assert.equal(headless.spec?.publishNotReadyAddresses, true);
            const client = await env.core.readNamespacedService({ name: NAME, namespace: NAMESPACE });
            assert.deepEqual(client.spec?.ports?.map(p => p.port), [6030, 6041]);
            const sts = await env.apps.readNamespacedStatefulSet({ name: NAME, namespace: NAMESPACE });
            assert.equal(sts.spec?.replicas, 3);
            assert.equal(sts.status?.readyReplicas, 3);
            const k8s = clientModule();
            const policy = env.cluster.kubeConfig().makeApiClient(k8s.PolicyV1Api);
            const pdb = await policy.readNamespacedPodDisruptionBudget({ name: NAME, namespace: NAMESPACE });
            assert.equal(pdb.spec?.maxUnavailable, 1);
            const secret = await env.core.readNamespacedSecret({ name: `${NAME}-root`, namespace: NAMESPACE });
            assert.equal(Buffer.from(secret.data?.password ?? "", "base64").toString(), PASSWORD);
            assert.deepEqual(await pvcNames(env), ["taosdata-tdengine-0", "taosdata-tdengine-1", "taosdata-tdengine-2"]);

            const out = await ws.outputs(STACK);
            assert.equal(out.restEndpoint, `http://${NAME}.${NAMESPACE}.svc.cluster.local:6041`);
            assert.equal(out.nativeEndpoint, `${NAME}.${NAMESPACE}.svc.cluster.local:6030`);
            assert.equal(out.replicas, 3);
            assert.deepEqual((out.dnodes as Array<{ endpoint: string; status: string }>).map(d => [d.endpoint, d.status]),
                [0, 1, 2].map(i => [endpoint(i), "ready"]));
            assert.equal((out.mnodes as unknown[]).length, 3);

            const state = await td.standin.state();
            assert.equal(state.dnodes.length, 3);
            assert.equal(state.mnodes.length, 3);

            const exported = await ws.pulumi(["stack", "export", "--stack", STACK]);
            assert.ok(exported.stdout.includes("BeforeStatefulSet"), "the export holds the steps' state");
            assert.ok(!exported.stdout.includes(PASSWORD), "the root password is in the state only as ciphertext");
        });

        it("pulumi preview right after: no changes", async () => {
            await timed("pulumi preview (no changes)", () => ws.pulumi(["preview", "--expect-no-changes", "--stack", STACK]));
        });

        it("replicas 4: a 4th dnode joins, still 3 mnodes", async () => {
            await ws.pulumi(["config", "set", "replicas", "4", "--stack", STACK]);
            await timed("pulumi up (scale 3 -> 4)", () => ws.pulumi(["up", "--yes", "--skip-preview", "--stack", STACK]));
            const state = await td.standin.state();
            assert.deepEqual(state.dnodes.map(d => d.endpoint).sort(), [0, 1, 2, 3].map(endpoint).sort());
            assert.equal(state.mnodes.length, 3);
        });

        it("replicas 3: the dnode is dropped before its pod is deleted, and its PVC is gone", async () => {
            await ws.pulumi(["config", "set", "replicas", "3", "--stack", STACK]);
            // When the step's progress line reaches pulumi's output: while the step runs, not at the end of the run.
            let output = "";
            let progressShownAt: number | undefined;
            const run = await timed("pulumi up (scale 4 -> 3)", () => ws.pulumi(["up", "--yes", "--skip-preview", "--stack", STACK], {
                onStdout: chunk => {
                    output += chunk;
                    progressShownAt ??= /drop dnode \d+ \(pod tdengine-3\)/.test(output) ? Date.now() : undefined;
                },
            }));
            const events = await td.standin.events();
            const dropSent = events.find(e => e.kind === "sql" && e.detail.startsWith("drop dnode"));
            const dropped = events.find(e => e.kind === "dnode.dropped" && e.detail.includes(endpoint(3)));
            const podStopped = td.entrypoint.stoppedAt("tdengine-3");
            assert.ok(dropSent && dropped && podStopped, JSON.stringify({ dropSent, dropped, podStopped }));
            assert.ok(dropped.at <= podStopped, `dnode dropped (${dropped.at}) before pod tdengine-3 was deleted (${podStopped})`);
            assert.deepEqual(await pvcNames(env), ["taosdata-tdengine-0", "taosdata-tdengine-1", "taosdata-tdengine-2"]);
            assert.equal((await td.standin.state()).dnodes.length, 3);
            assert.match(run.stdout, /drop dnode \d+ \(pod tdengine-3\)/, "the step's progress is shown by `pulumi up`");
            assert.ok(progressShownAt !== undefined && progressShownAt < podStopped,
                `the drop's progress line was shown (at ${progressShownAt}) while the run went on, before the StatefulSet removed pod tdengine-3 (at ${podStopped})`);
        });

        it("replicas 2 with a replica-3 database: pulumi up fails with the clear message, nothing dropped, StatefulSet still 3", async () => {
            await td.sql.query("create database e2e replica 3");
            const dropsBefore = (await td.standin.events()).filter(e => e.kind === "sql" && e.detail.startsWith("drop")).length;
            await ws.pulumi(["config", "set", "replicas", "2", "--stack", STACK]);
            const run = await timed("pulumi up (refused 3 -> 2)", () => ws.pulumi(["up", "--yes", "--skip-preview", "--stack", STACK], { allowFailure: true }));
            assert.notEqual(run.code, 0);
            // The whole refusal, exactly as the step threw it: one line, nothing of the error's class or of serialization around it.
            const refusal = "cannot scale from 3 to 2 dnodes: database 'e2e' has replica 3; nothing was changed. " +
                "Keep at least 3 dnodes, or lower those databases' replica first.";
            // The diagnostics show it on a line of its own; the progress rows end with it.
            const lines = (run.stdout + run.stderr).split("\n").map(l => l.trim()).filter(l => l.includes("cannot scale"));
            assert.ok(lines.includes(`error: ${refusal}`), lines.join("\n"));
            assert.ok(lines.every(l => l.endsWith(`error: ${refusal}`)), lines.join("\n"));
            assert.doesNotMatch(run.stdout + run.stderr, /__f\d|ScaleDownRefusedError|failed: \{/);
            const sts = await env.apps.readNamespacedStatefulSet({ name: NAME, namespace: NAMESPACE });
            assert.equal(sts.spec?.replicas, 3);
            assert.equal((await td.standin.events()).filter(e => e.kind === "sql" && e.detail.startsWith("drop")).length, dropsBefore);
            await ws.pulumi(["config", "set", "replicas", "3", "--stack", STACK]);
            await ws.pulumi(["preview", "--expect-no-changes", "--stack", STACK]);
        });

        it("a larger storage size: the plan updates the steps, not the StatefulSet, and the PVCs grow in place", async () => {
            const uids = async (): Promise<string[]> => (await env.core.listNamespacedPersistentVolumeClaim({ namespace: NAMESPACE })).items
                .map(p => p.metadata?.uid ?? "").sort();
            const before = await uids();
            await ws.pulumi(["config", "set", "--path", "storage.size", "2Gi", "--stack", STACK]);
            const preview = await ws.pulumi(["preview", "--json", "--stack", STACK]);
            const steps = (JSON.parse(preview.stdout) as { steps: Array<{ op: string; urn: string }> }).steps;
            const opOf = (type: string): string | undefined => steps.find(s => s.urn.includes(type))?.op;
            // An unchanged resource is listed as "same" or not at all; never replaced.
            assert.ok([undefined, "same"].includes(opOf("kubernetes:apps/v1:StatefulSet")), JSON.stringify(steps.map(s => [s.op, s.urn])));
            assert.equal(opOf("tdengine:AfterStatefulSet"), "update");
            await timed("pulumi up (storage 1Gi -> 2Gi)", () => ws.pulumi(["up", "--yes", "--skip-preview", "--stack", STACK]));
            const pvcs = (await env.core.listNamespacedPersistentVolumeClaim({ namespace: NAMESPACE })).items;
            assert.deepEqual(pvcs.map(p => p.spec?.resources?.requests?.storage), ["2Gi", "2Gi", "2Gi"]);
            assert.deepEqual(await uids(), before, "no data volume was deleted or replaced");
        });

        it("pulumi destroy: nothing of the cluster remains, PVCs included; then pulumi stack rm", async () => {
            await timed("pulumi destroy", () => ws.pulumi(["destroy", "--yes", "--skip-preview", "--stack", STACK]));
            await eventually("the namespace to be gone", async () =>
                await statusOf(() => env.core.readNamespace({ name: NAMESPACE })) === undefined);
            const pvs = await env.core.listPersistentVolume();
            assert.deepEqual(pvs.items.filter(pv => pv.spec?.claimRef?.namespace === NAMESPACE).map(pv => pv.metadata?.name), []);
            await ws.pulumi(["stack", "rm", "--yes", STACK]);
        });
    });

    describe("mnodes follow the cluster's size: 3 → 2 → 3 (docs/tdengine.md#two-mnodes)", () => {
        const ns = "tdengine-mnodes";
        const stack = "mnodes";
        const ep = endpointIn(ns);
        let td: TDengineFixture;
        let ws: PulumiWorkspace;

        const upTo = async (replicas: number): Promise<{ outputs: number; standin: string[] }> => {
            await ws.pulumi(["config", "set", "replicas", String(replicas), "--stack", stack]);
            await timed(`pulumi up (mnodes, ${replicas} dnodes)`, () => ws.pulumi(["up", "--yes", "--skip-preview", "--stack", stack]));
            const out = await ws.outputs(stack);
            return { outputs: (out.mnodes as unknown[]).length, standin: (await td.standin.state()).mnodes.map(m => m.endpoint).sort() };
        };

        before(async () => {
            td = await tdengineFor(env, ns, NAME);
            ws = PulumiWorkspace.copyOfThisProject(path.join(env.workDir, "mnodes"), env.cluster.kubeconfigPath, "e2e-passphrase");
            ws.neverPrint.push(PASSWORD);
            await ws.pulumi(["stack", "init", stack]);
            await ws.pulumi(["config", "set", "namespace", ns, "--stack", stack]);
            await ws.pulumi(["config", "set", "--path", "storage.size", "1Gi", "--stack", stack]);
            await ws.pulumi(["config", "set", "--secret", "rootPassword", PASSWORD, "--stack", stack]);
        });

        after(async () => {
            try {
                await ws?.pulumi(["destroy", "--yes", "--skip-preview", "--stack", stack]);
                await ws?.pulumi(["stack", "rm", "--yes", stack]);
            } finally {
                await td?.stop();
            }
        });

        it("3 dnodes: 3 mnodes", async () => {
            assert.deepEqual(await upTo(3), { outputs: 3, standin: [0, 1, 2].map(ep).sort() });
        });

        it("3 → 2: 1 mnode, the leader kept, both mnodes dropped before the dnode", async () => {
            const leader = (await td.standin.state()).mnodes.find(m => m.role === "leader")?.endpoint;
            assert.deepEqual(await upTo(2), { outputs: 1, standin: [leader] });
            const order = (await td.standin.events()).filter(e => e.kind === "sql" && /^drop (mnode|dnode)/.test(e.detail)).map(e => e.detail);
            assert.deepEqual(order.map(d => d.replace(/\d+$/, "N")), ["drop mnode on dnode N", "drop mnode on dnode N", "drop dnode N"]);
        });

        it("2 → 3: 3 mnodes again", async () => {
            assert.deepEqual(await upTo(3), { outputs: 3, standin: [0, 1, 2].map(ep).sort() });
            await timed("pulumi preview (mnodes, no changes)", () => ws.pulumi(["preview", "--expect-no-changes", "--stack", stack]));
        });
    });

    describe("upgrades: a Maintenance roll behind the health gate, a Feature change refused then done offline, a rebalance", () => {
        const UPGRADE_NS = "tdengine-upgrade";
        const STACK_U = "upgrade";
        const at = endpointIn(UPGRADE_NS);
        let td: TDengineFixture;
        let ws: PulumiWorkspace;

        const podImages = async (): Promise<string[]> => (await env.core.listNamespacedPod({ namespace: UPGRADE_NS }))
            .items.filter(p => p.metadata?.deletionTimestamp === undefined)
            .sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""))
            .map(p => p.spec?.containers[0]?.image ?? "");

        /** Replays the stand-in's events: at each taosd stop, the vgroups without a leader and the dnodes not ready. */
        const stops = async (since: number): Promise<Array<{ endpoint: string; leaderless: string[]; notReady: string[] }>> => {
            const leaderless = new Set<string>();
            const ready = new Map<string, boolean>();
            const seen: Array<{ endpoint: string; leaderless: string[]; notReady: string[] }> = [];
            for (const e of await td.standin.events()) {
                const vgroup = /^vgroup (\d+)/.exec(e.detail)?.[1];
                if (e.kind === "vgroup.leaderless" && vgroup) { leaderless.add(vgroup); }
                if (e.kind === "vgroup.leader" && vgroup) { leaderless.delete(vgroup); }
                const dnodeEndpoint = /^dnode \d+ (\S+)/.exec(e.detail)?.[1];
                if (e.kind === "dnode.ready" && dnodeEndpoint) { ready.set(dnodeEndpoint, true); }
                if (e.kind === "dnode.offline" && dnodeEndpoint) { ready.set(dnodeEndpoint, false); }
                if (e.kind === "process.stopped" && e.at >= since) {
                    const endpoint = e.detail.split(" ")[0];
                    const notReady = [...ready].filter(([ep, r]) => !r && ep !== endpoint).map(([ep]) => ep);
                    seen.push({ endpoint, leaderless: [...leaderless], notReady });
                }
            }
            return seen;
        };

        before(async () => {
            td = await tdengineFor(env, UPGRADE_NS, NAME);
            ws = PulumiWorkspace.copyOfThisProject(path.join(env.workDir, "upgrade"), env.cluster.kubeconfigPath, "e2e-passphrase");
            ws.neverPrint.push(PASSWORD);
            await ws.pulumi(["stack", "init", STACK_U]);
            await ws.pulumi(["config", "set", "namespace", UPGRADE_NS, "--stack", STACK_U]);
            await ws.pulumi(["config", "set", "replicas", "3", "--stack", STACK_U]);
            await ws.pulumi(["config", "set", "image", "tdengine/tdengine:3.3.7.5", "--stack", STACK_U]);
            await ws.pulumi(["config", "set", "--secret", "rootPassword", PASSWORD, "--stack", STACK_U]);
            await timed("pulumi up (upgrade stack, 3 dnodes)", () => ws.pulumi(["up", "--yes", "--skip-preview", "--stack", STACK_U]));
            await td.sql.query("create database r3 replica 3 vgroups 4");
        });

        after(async () => {
            await ws?.pulumi(["destroy", "--yes", "--skip-preview", "--stack", STACK_U], { allowFailure: true });
            await td?.stop();
        });

        it("the StatefulSet leaves restarts to the lifecycle (OnDelete)", async () => {
            const sts = await env.apps.readNamespacedStatefulSet({ name: NAME, namespace: UPGRADE_NS });
            assert.equal(sts.spec?.updateStrategy?.type, "OnDelete");
        });

        it("3.3.7.5 → 3.3.7.6: the preview says it rolls; pods restart highest first, each only once the one before is ready and the cluster whole", async () => {
            await ws.pulumi(["config", "set", "image", "tdengine/tdengine:3.3.7.6", "--stack", STACK_U]);
            const preview = await ws.pulumi(["preview", "--stack", STACK_U]);
            assert.match(preview.stdout + preview.stderr, /is a Maintenance upgrade \(3\.3\.7\.5 → 3\.3\.7\.6\): the dnodes are restarted one at a time/);
            const started = Date.now();
            const run = await timed("pulumi up (maintenance roll of 3 dnodes)", () => ws.pulumi(["up", "--yes", "--skip-preview", "--stack", STACK_U]));
            const seen = await stops(started);
            assert.deepEqual(seen.map(s => s.endpoint), [at(2), at(1), at(0)], JSON.stringify(seen));
            for (const s of seen) {
                assert.deepEqual(s.leaderless, [], `no vgroup without a leader when ${s.endpoint} stopped`);
                assert.deepEqual(s.notReady, [], `every other dnode ready when ${s.endpoint} stopped`);
            }
            assert.deepEqual(await podImages(), ["tdengine/tdengine:3.3.7.6", "tdengine/tdengine:3.3.7.6", "tdengine/tdengine:3.3.7.6"]);
            assert.match(run.stdout, /restarting pod tdengine-2 \(1\/3\)/);
            assert.equal(await td.sql.clusterAlive(), 1);
        });

        it("3.3.7.6 → 3.3.8.0 is refused at preview with the rule and the way out; nothing changes", async () => {
            await ws.pulumi(["config", "set", "image", "tdengine/tdengine:3.3.8.0", "--stack", STACK_U]);
            const preview = await ws.pulumi(["preview", "--stack", STACK_U], { allowFailure: true });
            assert.notEqual(preview.code, 0);
            assert.match(preview.stdout + preview.stderr, /is a Feature upgrade \(3\.3\.7\.6 → 3\.3\.8\.0\), which TDengine cannot roll/);
            assert.match(preview.stdout + preview.stderr, /Set upgrade\.allowOffline: true/);
            const up = await ws.pulumi(["up", "--yes", "--stack", STACK_U], { allowFailure: true });
            assert.notEqual(up.code, 0);
            assert.deepEqual(await podImages(), ["tdengine/tdengine:3.3.7.6", "tdengine/tdengine:3.3.7.6", "tdengine/tdengine:3.3.7.6"]);
            const sts = await env.apps.readNamespacedStatefulSet({ name: NAME, namespace: UPGRADE_NS });
            assert.equal(sts.spec?.template.spec?.containers[0]?.image, "tdengine/tdengine:3.3.7.6");
        });

        it("with upgrade.allowOffline: every dnode stopped, all started on 3.3.8.0, the cluster whole", async () => {
            await ws.pulumi(["config", "set", "--path", "upgrade.allowOffline", "true", "--stack", STACK_U]);
            // allowOffline alone would register the taosdump backup, a local.Command whose provider plugin
            // (pulumi-resource-command) cannot be built from the Go module proxy here; the backup is proven
            // under mocks and against a fake API server (tests/unit/backup.test.ts, tests/lifecycle/backup.test.ts).
            await ws.pulumi(["config", "set", "--path", "upgrade.backup", "never", "--stack", STACK_U]);
            const started = Date.now();
            await timed("pulumi up (offline feature upgrade)", () => ws.pulumi(["up", "--yes", "--skip-preview", "--stack", STACK_U]));
            const events = (await td.standin.events()).filter(e => e.at >= started);
            const lastStop = Math.max(...events.filter(e => e.kind === "process.stopped").map(e => events.indexOf(e)));
            const firstStart = Math.min(...events.filter(e => e.kind === "process.started").map(e => events.indexOf(e)));
            assert.equal(events.filter(e => e.kind === "process.stopped").length, 3);
            assert.ok(lastStop < firstStart, "every taosd stopped before the first started on the new image");
            assert.deepEqual(await podImages(), ["tdengine/tdengine:3.3.8.0", "tdengine/tdengine:3.3.8.0", "tdengine/tdengine:3.3.8.0"]);
            assert.equal(await td.sql.clusterAlive(), 1);
        });

        it("replicas 5: the new dnodes join and balance vgroup moves replicas onto them", async () => {
            await ws.pulumi(["config", "set", "replicas", "5", "--stack", STACK_U]);
            const run = await timed("pulumi up (scale 3 -> 5 with rebalance)", () => ws.pulumi(["up", "--yes", "--skip-preview", "--stack", STACK_U]));
            const balances = (await td.standin.events()).filter(e => e.kind === "sql" && e.detail === "balance vgroup");
            assert.equal(balances.length, 1);
            const dnodes = await td.sql.showDnodes();
            assert.ok([at(3), at(4)].every(ep => (dnodes.find(d => d.endpoint === ep)?.vnodes ?? 0) > 0), JSON.stringify(dnodes));
            assert.match(run.stdout, /balance vgroup done/);
        });
    });

    describe("a program of a user's own", () => it("installs the packed package and composes TDengineCluster with an explicit k8s.Provider", async () => {
        const programDir = path.join(env.workDir, "composed");
        fs.mkdirSync(programDir);
        const composed = PulumiWorkspace.at(programDir, env.workDir, env.cluster.kubeconfigPath, "e2e-passphrase");
        composed.neverPrint.push(PASSWORD);
        const pack = await timed("npm pack", () => composed.command("npm", ["pack", "--pack-destination", programDir, repoRoot]));
        const tarball = pack.stdout.trim().split("\n").pop() ?? "";
        fs.writeFileSync(path.join(programDir, "package.json"), JSON.stringify({
            name: "composed", private: true, main: "index.js",
            dependencies: { "pulumi-tdengine": `file:./${tarball}`, "@pulumi/pulumi": "3.248.0", "@pulumi/kubernetes": "4.34.2" },
        }, null, 2));
        fs.writeFileSync(path.join(programDir, "Pulumi.yaml"), "name: composed\nruntime: nodejs\n");
        fs.copyFileSync(path.join(__dirname, "composed", "index.js"), path.join(programDir, "index.js"));
        await timed("npm install of the packed package", () => composed.command("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"]));

        // Its own TDengine stand-in, pods and port-forward, in its own namespace.
        const analytics = await tdengineFor(env, "analytics", "analytics-db");
        try {
            await composed.pulumi(["stack", "init", "composed"]);
            await composed.pulumi(["config", "set", "--secret", "kubeconfig", env.cluster.kubeconfig, "--stack", "composed"]);
            await composed.pulumi(["config", "set", "--secret", "rootPassword", PASSWORD, "--stack", "composed"]);
            await timed("pulumi up (composed program)", () => composed.pulumi(["up", "--yes", "--skip-preview", "--stack", "composed"]));
            const out = await composed.outputs("composed");
            assert.equal(out.restEndpoint, "http://analytics-db.analytics.svc.cluster.local:6041");
            assert.deepEqual((out.dnodes as Array<{ status: string }>).map(d => d.status), ["ready"], "its lifecycle step ran from the installed package");
            const sts = await env.apps.readNamespacedStatefulSet({ name: "analytics-db", namespace: "analytics" });
            assert.equal(sts.spec?.replicas, 1);
            await composed.pulumi(["destroy", "--yes", "--skip-preview", "--stack", "composed"]);
            await composed.pulumi(["stack", "rm", "--yes", "composed"]);
        } finally {
            await analytics.stop();
        }
    }));

    describe("the README's quick start", () => it("`npm run up -- dev` on the dev stack as committed, then `npm run destroy -- dev`", async () => {
        // stacks/Pulumi.dev.yaml sets no rootPassword: the image keeps TDengine's default.
        const td = await tdengineFor(env, NAMESPACE, NAME, "taosdata");
        try {
            const ws = PulumiWorkspace.copyOfThisProject(path.join(env.workDir, "readme"), env.cluster.kubeconfigPath, "unused");
            // The script's own defaults: a local backend under PULUMI_TDENGINE_HOME and a generated passphrase.
            const scriptEnv = { PULUMI_TDENGINE_HOME: path.join(env.workDir, "readme-home"), PULUMI_BACKEND_URL: undefined, PULUMI_CONFIG_PASSPHRASE: undefined };
            try {
                await timed("npm run up -- dev (README)", () => ws.command("npm", ["run", "up", "--", "dev", "--yes", "--skip-preview"], { env: scriptEnv }));
                const sts = await env.apps.readNamespacedStatefulSet({ name: NAME, namespace: NAMESPACE });
                assert.equal(sts.spec?.replicas, 1, "stacks/Pulumi.dev.yaml: one dnode");
                assert.deepEqual((await td.standin.state()).mnodes.map(m => m.role), ["leader"]);
            } finally {
                await timed("npm run destroy -- dev (README)", () => ws.command("npm", ["run", "destroy", "--", "dev", "--yes", "--skip-preview"], { env: scriptEnv }));
            }
            assert.equal(await statusOf(() => env.apps.readNamespacedStatefulSet({ name: NAME, namespace: NAMESPACE })), undefined);
        } finally {
            await td.stop();
        }
    }));

    // Issue 7: bad input is refused by the real CLI before anything exists. Its own project copy, stack and
    // namespace, after the other specs, so it changes nothing they rely on.
    describe("bad input is refused at preview, before anything exists", () => {
        const BAD_NS = "e2e-bad-input";
        let ws: PulumiWorkspace;

        before(async () => {
            ws = PulumiWorkspace.copyOfThisProject(path.join(env.workDir, "bad-input"), env.cluster.kubeconfigPath, "e2e-passphrase");
            await ws.pulumi(["stack", "init", "bad"]);
            await ws.pulumi(["config", "set", "namespace", BAD_NS, "--stack", "bad"]);
        });

        const nothingExists = async (): Promise<void> => {
            assert.equal(await statusOf(() => env.core.readNamespace({ name: BAD_NS })), undefined, "the namespace was not created");
            assert.equal(await statusOf(() => env.apps.readNamespacedStatefulSet({ name: NAME, namespace: BAD_NS })), undefined);
        };

        it("a mistyped stack key: pulumi preview exits non-zero naming it and the nearest key", async () => {
            await ws.pulumi(["config", "set", "replica", "1", "--stack", "bad"]);
            const run = await ws.pulumi(["preview", "--stack", "bad"], { allowFailure: true });
            assert.notEqual(run.code, 0);
            assert.match(run.stdout + run.stderr, /tdengine-cluster:replica is not a config key of this program .* Did you mean `tdengine-cluster:replicas`\?/);
            await ws.pulumi(["config", "rm", "replica", "--stack", "bad"]);
            await nothingExists();
        });

        it("taosConfig.dataDir: pulumi up exits non-zero with the argument and the fix, and nothing is created", async () => {
            await ws.pulumi(["config", "set", "--path", "taosConfig.dataDir", "/tmp/x", "--stack", "bad"]);
            const run = await ws.pulumi(["up", "--yes", "--skip-preview", "--stack", "bad"], { allowFailure: true });
            assert.notEqual(run.code, 0);
            assert.match(run.stdout + run.stderr, /TDengineCluster "tdengine": taosConfig\.dataDir is set by the component .* Remove it/);
            await ws.pulumi(["config", "rm", "--path", "taosConfig.dataDir", "--stack", "bad"]);
            await nothingExists();
        });

        it("a secret rootPassword the rotation cannot use: pulumi up ends with the message, never the password, and nothing is created", async () => {
            const bad = "Bad:Pass-1";
            ws.neverPrint.push(bad);
            await ws.pulumi(["config", "set", "--secret", "rootPassword", bad, "--stack", "bad"]);
            const preview = await ws.pulumi(["preview", "--stack", "bad"], { allowFailure: true });
            assert.notEqual(preview.code, 0);
            assert.match(preview.stdout + preview.stderr, /rootPassword has a character TDengine or its REST API does not take \(got a secret string, not shown\)/);
            const up = await ws.pulumi(["up", "--yes", "--skip-preview", "--stack", "bad"], { allowFailure: true });
            assert.notEqual(up.code, 0);
            assert.match(up.stdout + up.stderr, /rootPassword has a character TDengine/);
            await nothingExists();
            await ws.pulumi(["stack", "rm", "--yes", "--force", "bad"]);
        });
    });
});
