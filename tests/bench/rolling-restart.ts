/**
 * A rolling restart of 3 dnodes under a steady writer, against the TDengine stand-in with the election
 * timing docs/tdengine.md#rolling-restart records, played three ways on identical clusters:
 *  - gated by the component: components/lifecycle/roll.ts `rollOutdatedPods` with its health gate
 *    (health.ts `waitUntilWhole`), exactly as the lifecycle step runs it;
 *  - gated on readiness alone: the next pod deleted as soon as the restarted dnode serves again (what
 *    a StatefulSet RollingUpdate does with the image's `taos --check` readiness probe);
 *  - no gate: the next pod deleted as soon as the previous one was created again.
 * For each: failed writes, the longest time without an acknowledged write, the pod stops made while a
 * vgroup had no leader, the elections and the roll's duration. Figures are in TDengine seconds (wall time
 * divided by the time scale). Prints figures only; nothing is asserted.
 *
 *   node -r ts-node/register/transpile-only tests/bench/rolling-restart.ts
 *   ROLL_BENCH_TIME_SCALE=1 ...   real speed (default 0.25: every TDengine duration four times faster)
 *
 * The cluster: 3 dnodes, mnodes on all three, a replica-3 database of 4 vgroups and 8 tables; the writer
 * inserts 8 rows (one per table, every vgroup) in one statement every 50 ms with a 10 s timeout, as the
 * recorded writer did. A pod restart stops the dnode at once and starts it again 1.7 s later on its own
 * data; it serves 2 s after that (3.7 s in all, as recorded). The stand-in spreads the 4 vgroups' leaders
 * over the 3 dnodes, so every stop is of a dnode that leads: the hardest case for a roll (a real cluster
 * after earlier restarts often has them on fewer dnodes, docs/tdengine.md#rolling-restart).
 */
import { ClusterObjects, PodState, StatefulSetState, Tunnel, VolumeState } from "../../components/kube/cluster-objects";
import { GateOptions, clusterHealth } from "../../components/lifecycle/health";
import { rollOutdatedPods } from "../../components/lifecycle/roll";
import { POLL_INTERVAL_MS } from "../../components/lifecycle/wait";
import { DnodeAddressing, dnodeEndpointForOrdinal, ordinalOfPod, podName } from "../../components/names";
import { TDengineRest } from "../../components/tdengine/rest";
import { TDengineStandin } from "../standin/standin";
import { TIMING } from "../standin/timing";

const SCALE = Number(process.env.ROLL_BENCH_TIME_SCALE ?? "0.25");
const PASSWORD = "Td-Bench-Roll-1";
const REPLICAS = 3;
const TABLES = 8;
/** The recorded writer: one insert every 50 ms, a 10 s client timeout. */
const WRITE_EVERY_MS = 50;
const WRITE_TIMEOUT_MS = 10_000;
const addressing: DnodeAddressing = { namespace: "bench", statefulSet: "tdengine", headlessService: "tdengine-taosd", clusterDomain: "cluster.local" };

const wall = (realMs: number): number => realMs * SCALE;
const real = (wallMs: number): number => wallMs / SCALE;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Pod {
    revision: string;
    /** Deleted and not created again yet. */
    gone: boolean;
}

/**
 * The StatefulSet (OnDelete) of the cluster, as the roll sees it through ClusterObjects: a deleted pod's
 * taosd stops at once and starts again on its own data once the controller has created the pod anew, on
 * the template's revision. Ready = its dnode serves again (the image's readiness probe, `taos --check`).
 */
class StandinStatefulSet implements ClusterObjects {
    readonly podsByOrdinal = new Map<number, Pod>();
    /** Pod stops made while some vgroup had no leader. */
    stopsWhileLeaderless = 0;
    /** Pod stops of a dnode that led a vgroup: each costs one election. */
    leaderStops = 0;
    readonly stops: string[] = [];

    constructor(
        private readonly standin: TDengineStandin,
        private readonly updateRevision: string,
    ) {
        for (let i = 0; i < REPLICAS; i++) this.podsByOrdinal.set(i, { revision: "old", gone: false });
    }

    async statefulSetReplicas(): Promise<number> {
        return REPLICAS;
    }

    async statefulSetState(): Promise<StatefulSetState> {
        return { replicas: REPLICAS, image: "tdengine/tdengine:3.3.7.5", updateRevision: this.updateRevision, observed: true };
    }

    async pods(): Promise<PodState[]> {
        const dnodes = this.standin.state().dnodes;
        return [...this.podsByOrdinal].filter(([, pod]) => !pod.gone).map(([ordinal, pod]) => ({
            name: podName(addressing, ordinal),
            ordinal,
            ready: dnodes.some((d) => d.endpoint === dnodeEndpointForOrdinal(addressing, ordinal) && d.serving),
            terminating: false,
            revision: pod.revision,
            image: "tdengine/tdengine:3.3.7.5",
        }));
    }

    async deletePod(name: string): Promise<void> {
        const ordinal = ordinalOfPod(addressing.statefulSet, name);
        const pod = ordinal === undefined ? undefined : this.podsByOrdinal.get(ordinal);
        if (ordinal === undefined || pod === undefined || pod.gone) return;
        const endpoint = dnodeEndpointForOrdinal(addressing, ordinal);
        const state = this.standin.state();
        const vgroups = state.databases.flatMap((db) => db.vgroups);
        const dnodeId = state.dnodes.find((d) => d.endpoint === endpoint)?.id;
        if (vgroups.some((v) => v.leader === null)) this.stopsWhileLeaderless++;
        if (vgroups.some((v) => v.leader === dnodeId)) this.leaderStops++;
        this.stops.push(name);
        pod.gone = true;
        this.standin.stopDnode(endpoint);
        setTimeout(() => {
            Object.assign(pod, { gone: false, revision: this.updateRevision });
            this.standin.startDnode(endpoint, { data: "own" });
        }, wall(TIMING.restartDownMs));
    }

    async dataVolumes(): Promise<VolumeState[]> {
        return [];
    }

    async deleteVolume(): Promise<boolean> {
        throw new Error("the roll deletes no volume");
    }

    async resizeVolume(): Promise<void> {
        throw new Error("the roll resizes no volume");
    }

    async openTunnel(): Promise<Tunnel> {
        throw new Error("the bench reaches the stand-in directly");
    }

    describe(): string {
        return "the stand-in's StatefulSet";
    }
}

/** Inserts 8 rows every 50 ms until stopped; one statement at a time, as the recorded writer. */
class Writer {
    acks: number[] = [];
    failed = 0;
    private running = true;
    private done: Promise<void> = Promise.resolve();

    constructor(private readonly td: TDengineRest) {}

    start(): void {
        this.done = this.loop();
    }

    async stop(): Promise<void> {
        this.running = false;
        await this.done;
    }

    private async loop(): Promise<void> {
        for (let n = 0; this.running; n++) {
            const started = Date.now();
            const values = Array.from({ length: TABLES }, (_, t) => `r3.t${t} values (now, ${n})`).join(" ");
            try {
                await this.td.query(`insert into ${values}`, { timeoutMs: wall(WRITE_TIMEOUT_MS) });
                this.acks.push(Date.now());
            } catch {
                this.failed++;
            }
            await sleep(Math.max(0, started + wall(WRITE_EVERY_MS) - Date.now()));
        }
    }

    /** The longest time between two acknowledged writes within [from, to] (wall ms). */
    longestGap(from: number, to: number): number {
        const points = [from, ...this.acks.filter((t) => t > from && t < to), to];
        return Math.max(...points.slice(1).map((t, i) => t - points[i]));
    }
}

type Gate = "component" | "readiness" | "none";

interface Result {
    gate: Gate;
    failed: number;
    longestStallS: number;
    stopsWhileLeaderless: number;
    leaderStops: number;
    elections: number;
    rollS: number;
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(wall(100));
    }
}

/** Deletes the pods highest ordinal first, each once `ready` says the previous one may go. */
async function rollWithout(kube: StandinStatefulSet, ready: (ordinal: number) => Promise<boolean>): Promise<void> {
    for (let ordinal = REPLICAS - 1; ordinal >= 0; ordinal--) {
        await kube.deletePod(podName(addressing, ordinal));
        await waitUntil(`pod ${ordinal}`, () => ready(ordinal), wall(600_000));
    }
}

async function run(gate: Gate): Promise<Result> {
    const standin = new TDengineStandin({ rootPassword: PASSWORD, timeScale: SCALE });
    const url = await standin.start();
    const td = new TDengineRest({ url, password: PASSWORD, requestTimeoutMs: wall(60_000) });
    try {
        for (let i = 0; i < REPLICAS; i++) standin.startDnode(dnodeEndpointForOrdinal(addressing, i));
        for (const id of [2, 3]) await td.createMnode(id);
        await td.query("create database r3 replica 3 vgroups 4");
        for (let t = 0; t < TABLES; t++) await td.query(`create table r3.t${t} (ts timestamp, v int)`);
        const kube = new StandinStatefulSet(standin, "new");
        // The component's own poll interval, scaled like every TDengine duration.
        const options: GateOptions = {
            addressing, replicas: REPLICAS, timeoutMs: wall(600_000), pollIntervalMs: wall(POLL_INTERVAL_MS), progress: () => undefined,
        };
        const whole = async (): Promise<boolean> => (await clusterHealth(td, options)).whole;
        await waitUntil("the cluster to be whole", whole, wall(60_000));

        const writer = new Writer(td);
        writer.start();
        await sleep(wall(2_000));
        const electionsBefore = standin.events().filter((e) => e.kind === "vgroup.leader").length;
        const started = Date.now();
        if (gate === "component") {
            await rollOutdatedPods(td, kube, options);
        } else {
            const endpoint = (ordinal: number): string => dnodeEndpointForOrdinal(addressing, ordinal);
            await rollWithout(kube, async (ordinal) =>
                gate === "none"
                    ? standin.state().processes.some((p) => p.endpoint === endpoint(ordinal))
                    : standin.state().dnodes.some((d) => d.endpoint === endpoint(ordinal) && d.serving));
        }
        const rolled = Date.now();
        await waitUntil("the cluster to be whole after the roll", whole, wall(120_000));
        await sleep(wall(2_000));
        await writer.stop();
        return {
            gate,
            failed: writer.failed,
            longestStallS: real(writer.longestGap(started, Date.now())) / 1000,
            stopsWhileLeaderless: kube.stopsWhileLeaderless,
            leaderStops: kube.leaderStops,
            elections: standin.events().filter((e) => e.kind === "vgroup.leader").length - electionsBefore,
            rollS: real(rolled - started) / 1000,
        };
    } finally {
        await standin.stop();
    }
}

async function main(): Promise<void> {
    const labels: Record<Gate, string> = {
        component: "gated by the component (roll.ts + health gate)",
        readiness: "gated on dnode readiness alone",
        none: "no gate (next pod as soon as the last is created)",
    };
    const results: Result[] = [];
    for (const gate of ["component", "readiness", "none"] as const) results.push(await run(gate));
    const rows = [
        ["rolling restart of 3 dnodes, one writer", ...results.map((r) => labels[r.gate])],
        ["failed writes (errors + 10 s timeouts)", ...results.map((r) => String(r.failed))],
        ["longest time without an acknowledged write, s", ...results.map((r) => r.longestStallS.toFixed(1))],
        ["pod stops made while a vgroup had no leader", ...results.map((r) => String(r.stopsWhileLeaderless))],
        ["pod stops of a dnode that led a vgroup", ...results.map((r) => String(r.leaderStops))],
        ["leaders elected (or re-elected) during the roll", ...results.map((r) => String(r.elections))],
        ["roll duration, s", ...results.map((r) => r.rollS.toFixed(1))],
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    process.stdout.write(`\n${rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ")).join("\n")}\n`);
    const { vgroupElectionMinMs: min, vgroupElectionMaxMs: max } = TIMING;
    process.stdout.write(
        `(TDengine seconds: the stand-in ran at time scale ${SCALE}; one election takes ${min / 1000}-${max / 1000} s, docs/tdengine.md#rolling-restart.\n` +
            ` Targets for the component's roll: 0 failed writes, 0 stops while a vgroup has no leader, the longest stall at most one election.)\n`,
    );
}

main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
});
