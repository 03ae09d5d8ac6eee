/**
 * A StatefulSet (OnDelete, OrderedReady) and the TDengine cluster on its pods, in memory and on a logical
 * clock: every read the lifecycle makes (`pods()`, `showDnodes()`) advances it one tick, so a roll's waits
 * are played out without real time. What it imitates (docs/tdengine.md#rolling-restart):
 *  - a stopped dnode is still `ready` in `show dnodes` for a moment (TDengine notices it later), then
 *    `offline` until its new pod's taosd is up;
 *  - stopping the dnode that leads a vgroup leaves that vgroup without a leader (every other replica a
 *    `candidate`) until an election a few ticks later; the restarted replica is a `candidate`
 *    catching up for a tick after its dnode is back, then a `follower`;
 *  - `show cluster alive` is 2 while a dnode is not ready;
 *  - the StatefulSet recreates a deleted pod from its updateRevision, and with OrderedReady only once
 *    every lower ordinal is Ready.
 * Each pod deletion records what an observer outside the lifecycle saw at that moment, so tests can check
 * the gate's promise independently of the code under test.
 */
import { ClusterObjects, PodState, StatefulSetState, Tunnel, VolumeState } from "../../components/kube/cluster-objects";
import { DnodeAddressing, dnodeEndpointForOrdinal, podName } from "../../components/names";
import { DatabaseInfo, DnodeInfo, MnodeInfo, VgroupInfo } from "../../components/tdengine/types";

export interface ClusterEvent {
    tick: number;
    kind: "deleted" | "created" | "ready" | "elected" | "balanced";
    pod: string;
    /** For "deleted": was the cluster whole (every dnode ready, every vgroup led and in sync)? */
    wholeBefore?: boolean;
    /** For "deleted": vgroups without a leader at that moment. */
    leaderless?: number[];
    revision?: string;
}

interface Pod {
    revision: string;
    image: string;
    running: boolean;
    /** Tick at which it becomes Ready (and its dnode ready); undefined while not created. */
    readyAt?: number;
    /** Tick at which the StatefulSet recreates it, once deleted. */
    createAt?: number;
}

interface Dnode {
    id: number;
    ordinal: number;
    /** Tick from which `show dnodes` says offline (a stopped dnode is noticed a tick late). */
    offlineFrom?: number;
}

interface Replica {
    dnodeId: number;
    status: string;
    /** Tick at which a restarted replica has caught up (candidate → follower). */
    syncedAt?: number;
}

interface Vgroup {
    id: number;
    database: string;
    replicas: Replica[];
    /** Tick at which the election of a leaderless vgroup ends. */
    electAt?: number;
}

export class InMemoryCluster implements ClusterObjects {
    tick = 0;
    readonly events: ClusterEvent[] = [];
    readonly balanceCalls: number[] = [];
    replicas: number;
    image: string;
    revision = 1;
    /** Ticks the controller needs to observe a new spec. */
    observedAt = 0;
    readonly podTable = new Map<number, Pod>();
    readonly dnodes = new Map<number, Dnode>();
    readonly vgroups: Vgroup[] = [];
    /** Pods that, once recreated, never become Ready (a bad image, a crash loop). */
    readonly stuck = new Set<number>();
    private mnodeLeaderDnode = 1;

    constructor(
        readonly addressing: DnodeAddressing,
        o: { replicas: number; image: string; vgroups?: { database: string; dnodes: number[] }[] },
    ) {
        this.replicas = o.replicas;
        this.image = o.image;
        for (let i = 0; i < o.replicas; i++) {
            this.addPod(i, 0);
        }
        for (const [n, vg] of (o.vgroups ?? []).entries()) {
            this.vgroups.push({ id: n + 2, database: vg.database,
                replicas: vg.dnodes.map((dnodeId, k) => ({ dnodeId, status: k === 0 ? "leader" : "follower" })) });
        }
    }

    get updateRevision(): string {
        return `${this.addressing.statefulSet}-rev${this.revision}`;
    }

    /** `pulumi up` changed the template: a new revision; with OnDelete no pod restarts. */
    applyTemplate(image: string): void {
        this.image = image;
        this.revision++;
        this.observedAt = this.tick + 2;
    }

    /** A scale-up: new pods on the new revision, each after the one before is Ready. */
    scaleTo(replicas: number): void {
        for (let i = this.replicas; i < replicas; i++) {
            this.addPod(i, this.tick);
        }
        this.replicas = replicas;
    }

    /** An election already under way when the lifecycle starts. */
    loseLeader(vgroupId: number, forTicks: number): void {
        const vg = this.vgroups.find(v => v.id === vgroupId);
        if (vg) {
            vg.replicas.forEach(r => { r.status = "candidate"; });
            vg.electAt = this.tick + forTicks;
        }
    }

    podEvents(kind: ClusterEvent["kind"]): ClusterEvent[] {
        return this.events.filter(e => e.kind === kind);
    }

    // ---- ClusterObjects ----

    describe(): string {
        return "namespace db (in memory)";
    }

    async statefulSetReplicas(): Promise<number | undefined> {
        return this.replicas;
    }

    async statefulSetState(): Promise<StatefulSetState | undefined> {
        this.advance();
        return { replicas: this.replicas, image: this.image, updateRevision: this.updateRevision, observed: this.tick >= this.observedAt };
    }

    async pods(): Promise<PodState[]> {
        this.advance();
        return [...this.podTable.entries()].filter(([, p]) => p.running).sort(([a], [b]) => a - b).map(([ordinal, p]) => ({
            name: podName(this.addressing, ordinal), ordinal, ready: this.podReady(ordinal), terminating: false,
            revision: p.revision, image: p.image,
        }));
    }

    async dataVolumes(): Promise<VolumeState[]> {
        return [];
    }

    async deleteVolume(): Promise<boolean> {
        throw new Error("not used by a roll");
    }

    async resizeVolume(): Promise<void> {
        throw new Error("not used by a roll");
    }

    async deletePod(name: string): Promise<void> {
        const ordinal = Number(name.slice(name.lastIndexOf("-") + 1));
        const pod = this.podTable.get(ordinal);
        if (pod === undefined || !pod.running) {
            return;
        }
        const leaderless = this.vgroups.filter(v => !v.replicas.some(r => r.status === "leader")).map(v => v.id);
        this.events.push({ tick: this.tick, kind: "deleted", pod: name, wholeBefore: this.whole(), leaderless, revision: pod.revision });
        pod.running = false;
        pod.readyAt = undefined;
        pod.createAt = this.tick + 2;
        const dnode = this.dnodeOf(ordinal);
        dnode.offlineFrom = this.tick + 1;
        for (const vg of this.vgroups) {
            const mine = vg.replicas.find(r => r.dnodeId === dnode.id);
            if (mine === undefined) {
                continue;
            }
            const led = mine.status === "leader";
            mine.status = "offline";
            if (led) {
                vg.replicas.filter(r => r !== mine).forEach(r => { r.status = "candidate"; });
                vg.electAt = this.tick + 3;
            }
        }
        if (this.mnodeLeaderDnode === dnode.id) {
            this.mnodeLeaderDnode = [...this.dnodes.values()].find(d => d.id !== dnode.id && d.ordinal < 3)?.id ?? dnode.id;
        }
    }

    async openTunnel(): Promise<Tunnel> {
        throw new Error("the in-memory cluster needs no tunnel");
    }

    // ---- TDengine (ClusterReader + balanceVgroup) ----

    async showDnodes(): Promise<DnodeInfo[]> {
        this.advance();
        return [...this.dnodes.values()].sort((a, b) => a.id - b.id).map(d => ({
            id: d.id, endpoint: dnodeEndpointForOrdinal(this.addressing, d.ordinal), vnodes: this.vnodesOf(d.id),
            status: this.dnodeReady(d) ? "ready" : "offline", note: "",
        }));
    }

    async showMnodes(): Promise<MnodeInfo[]> {
        return [...this.dnodes.values()].filter(d => d.ordinal < 3).map(d => ({
            id: d.id, endpoint: dnodeEndpointForOrdinal(this.addressing, d.ordinal),
            role: !this.dnodeUp(d) ? "offline" : d.id === this.mnodeLeaderDnode ? "leader" : "follower",
            status: this.dnodeUp(d) ? "ready" : "offline",
        }));
    }

    async clusterAlive(): Promise<number> {
        return [...this.dnodes.values()].every(d => this.dnodeReady(d)) ? 1 : 2;
    }

    async showDatabases(): Promise<DatabaseInfo[]> {
        const names = [...new Set(this.vgroups.map(v => v.database))];
        return names.map(name => ({
            name,
            replica: Math.max(...this.vgroups.filter(v => v.database === name).map(v => v.replicas.length)),
        }));
    }

    async showVgroups(): Promise<VgroupInfo[]> {
        return this.vgroups.map(v => ({
            id: v.id,
            database: v.database,
            replicas: v.replicas.map(r => ({ dnodeId: r.dnodeId, status: r.status })),
        }));
    }

    /** Moves replicas from the fullest dnode to the emptiest until they differ by at most one. */
    async balanceVgroup(): Promise<void> {
        this.balanceCalls.push(this.tick);
        const ids = [...this.dnodes.values()].map(d => d.id);
        for (;;) {
            const counts = ids.map(id => ({ id, n: this.vnodesOf(id) })).sort((a, b) => a.n - b.n);
            const [least, most] = [counts[0], counts[counts.length - 1]];
            if (most.n - least.n <= 1) {
                break;
            }
            const vg = this.vgroups.find(v => v.replicas.some(r => r.dnodeId === most.id) && !v.replicas.some(r => r.dnodeId === least.id));
            if (vg === undefined) {
                break;
            }
            const moved = vg.replicas.find(r => r.dnodeId === most.id);
            if (moved) {
                moved.dnodeId = least.id;
            }
        }
        this.events.push({ tick: this.tick, kind: "balanced", pod: "" });
    }

    // ---- the clock ----

    private advance(): void {
        this.tick++;
        const ordinals = [...this.podTable.keys()].sort((a, b) => a - b);
        for (const ordinal of ordinals) {
            const pod = this.podTable.get(ordinal);
            if (pod === undefined) {
                continue;
            }
            // OrderedReady: a pod is (re)created only once every lower ordinal is Ready.
            const lowerReady = ordinals.filter(o => o < ordinal).every(o => this.podReady(o));
            if (!pod.running && pod.createAt !== undefined && this.tick >= pod.createAt && lowerReady) {
                pod.running = true;
                pod.revision = this.updateRevision;
                pod.image = this.image;
                pod.createAt = undefined;
                pod.readyAt = this.stuck.has(ordinal) ? undefined : this.tick + 2;
                this.events.push({ tick: this.tick, kind: "created", pod: podName(this.addressing, ordinal), revision: pod.revision });
            }
            if (pod.running && pod.readyAt === this.tick) {
                this.dnodeOf(ordinal).offlineFrom = undefined;
                this.events.push({ tick: this.tick, kind: "ready", pod: podName(this.addressing, ordinal) });
                for (const vg of this.vgroups) {
                    const mine = vg.replicas.find(r => r.dnodeId === this.dnodeOf(ordinal).id);
                    if (mine) {
                        mine.status = "candidate";
                        mine.syncedAt = this.tick + 1;
                    }
                }
            }
        }
        for (const vg of this.vgroups) {
            if (vg.electAt !== undefined && this.tick >= vg.electAt) {
                const up = vg.replicas.filter(r => r.status !== "offline");
                if (up.length > 0) {
                    up.forEach((r, k) => { r.status = k === 0 ? "leader" : "follower"; });
                    vg.electAt = undefined;
                    this.events.push({ tick: this.tick, kind: "elected", pod: `vgroup ${vg.id}` });
                }
            }
            for (const r of vg.replicas) {
                if (r.syncedAt !== undefined && this.tick >= r.syncedAt && vg.electAt === undefined) {
                    r.status = vg.replicas.some(x => x !== r && x.status === "leader") ? "follower" : "leader";
                    r.syncedAt = undefined;
                }
            }
        }
    }

    private addPod(ordinal: number, readyAt: number): void {
        this.podTable.set(ordinal, { revision: this.updateRevision, image: this.image, running: true, readyAt });
        this.dnodes.set(ordinal, { id: ordinal + 1, ordinal });
        if (readyAt > 0) {
            this.dnodeOf(ordinal).offlineFrom = 0;
        }
    }

    private dnodeOf(ordinal: number): Dnode {
        const dnode = this.dnodes.get(ordinal);
        if (dnode === undefined) {
            throw new Error(`no dnode for ordinal ${ordinal}`);
        }
        return dnode;
    }

    private podReady(ordinal: number): boolean {
        const pod = this.podTable.get(ordinal);
        return pod !== undefined && pod.running && pod.readyAt !== undefined && this.tick >= pod.readyAt;
    }

    private dnodeUp(d: Dnode): boolean {
        return this.podReady(d.ordinal);
    }

    private dnodeReady(d: Dnode): boolean {
        // Noticed late: a stopped dnode still looks ready until offlineFrom.
        return this.podReady(d.ordinal) || (d.offlineFrom !== undefined && this.tick < d.offlineFrom);
    }

    private vnodesOf(dnodeId: number): number {
        return this.vgroups.filter(v => v.replicas.some(r => r.dnodeId === dnodeId)).length;
    }

    /** What an outside observer calls whole: every pod Ready, every vgroup led with every replica in sync. */
    private whole(): boolean {
        return [...this.podTable.keys()].every(o => this.podReady(o))
            && this.vgroups.every(v => v.replicas.some(r => r.status === "leader") && v.replicas.every(r => ["leader", "follower"].includes(r.status)));
    }
}
