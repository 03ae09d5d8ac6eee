/**
 * The lifecycle's decisions, table-driven over in-memory fakes (tests/fakes): which dnodes a scale-down
 * drops and in what order, what it refuses before changing anything, how it brings the mnodes to the
 * smaller cluster's count before any drop (1 below 3 dnodes, 3 from 3 up, docs/tdengine.md#two-mnodes),
 * how `create mnode` is followed instead of resent (docs/tdengine.md#conflict-transaction), and which PVCs
 * are deleted. No HTTP and no stand-in: each case states a cluster, runs one
 * function of components/lifecycle, and compares the statements TDengine received and the volumes
 * Kubernetes deleted. The cases follow cockroach-operator's scale and PVC pruner tests (scale down by one
 * and by several, nothing to do, volumes of staying pods never touched, stale volumes of an interrupted
 * scale-down) and TDengine's own rules (docs/tdengine.md).
 */
import { strict as assert } from "node:assert";
import { deleteAllVolumes, deleteRemovedVolumes, deleteStaleVolumes } from "../../components/lifecycle/volumes";
import { convergeMnodes, wantedMnodes } from "../../components/lifecycle/mnodes";
import { scaleDown, ScaleDownRefusedError } from "../../components/lifecycle/scale-down";
import { dnodeEndpointForOrdinal, pvcNameForOrdinal } from "../../components/names";
import { TdCode, TDengineConnectionLostError, TDengineError } from "../../components/tdengine/errors";
import { DatabaseInfo, DnodeInfo, MnodeInfo } from "../../components/tdengine/types";
import { FakeClusterObjects } from "../fakes/cluster-objects";
import { dnode, FakeTDengine, mnode } from "../fakes/tdengine";
import { addressing } from "../lifecycle/fixture";

const ep = (ordinal: number): string => dnodeEndpointForOrdinal(addressing, ordinal);
const pvc = (ordinal: number): string => pvcNameForOrdinal(addressing.statefulSet, ordinal);

interface ClusterSpec {
    /** The dnode id of pod i (ids are not ordinal + 1 once a dnode was dropped and re-added). */
    ids: number[];
    /** Pod ordinal → status (and note) other than ready. */
    status?: Record<number, { status: string; note?: string }>;
    /**
     * Pod ordinals holding an mnode; the first is the leader unless `leader` says otherwise. Default: what
     * the lifecycle leaves on a cluster of this size, the lowest ordinals ({@link wantedMnodes}).
     */
    mnodes?: number[];
    leader?: number;
    databases?: DatabaseInfo[];
    /** Dnodes of other clusters, listed by TDengine too. */
    foreign?: DnodeInfo[];
}

function tdengineOf(spec: ClusterSpec): FakeTDengine {
    const dnodes = spec.ids.map((id, ordinal) => dnode(id, ep(ordinal), spec.status?.[ordinal] ?? {}));
    const mnodeOrdinals = spec.mnodes ?? Array.from({ length: wantedMnodes(spec.ids.length) }, (_, o) => o);
    const leader = spec.leader ?? mnodeOrdinals[0];
    // An offline dnode's mnode is offline too (docs/tdengine.md#offline-dnode).
    const mnodes: MnodeInfo[] = mnodeOrdinals.map(o => spec.status?.[o]?.status === "offline"
        ? { ...mnode(spec.ids[o], ep(o)), role: "offline", status: "offline" }
        : mnode(spec.ids[o], ep(o), o === leader ? "leader" : "follower"));
    return new FakeTDengine({ dnodes: [...dnodes, ...(spec.foreign ?? [])], mnodes, databases: spec.databases });
}

interface ScaleDownCase {
    name: string;
    cluster: ClusterSpec;
    replicas: number;
    /** Shapes the fake before the run (e.g. what `drop dnode` does). */
    arrange?: (td: FakeTDengine) => void;
    /** The statements TDengine receives, in order. */
    statements: string[];
    /** Ids returned as dropped (or found dropping). */
    dropped?: number[];
    /** Pods restarted to hand mnode leadership over. */
    restarted?: number[];
    /** The mnodes at the end, as `<dnode id> <role>` in id order. */
    mnodesAfter?: string[];
    /** The refusal's message; the run must change nothing. */
    refused?: RegExp;
}

const scaleDownCases: ScaleDownCase[] = [
    {
        name: "drops the leaving dnodes by their ids, highest ordinal first, when ids are not ordinal + 1, " +
            "once the mnodes are down to the 1 that 2 dnodes want",
        cluster: { ids: [1, 2, 5, 7] },
        replicas: 2,
        statements: ["drop mnode on dnode 5", "drop mnode on dnode 2", "drop dnode 7", "drop dnode 5"],
        dropped: [7, 5],
        mnodesAfter: ["1 leader"],
    },
    {
        name: "scaling down by one drops only the highest ordinal",
        cluster: { ids: [1, 2, 3, 4] },
        replicas: 3,
        statements: ["drop dnode 4"],
        dropped: [4],
    },
    {
        name: "sends nothing when no pod leaves",
        cluster: { ids: [1, 2, 3] },
        replicas: 3,
        statements: [],
        dropped: [],
    },
    {
        name: "sends nothing when replicas grow",
        cluster: { ids: [1, 2, 3] },
        replicas: 5,
        statements: [],
        dropped: [],
    },
    {
        name: "never drops a dnode whose endpoint is not one of this StatefulSet's pods",
        cluster: { ids: [1, 2, 3], foreign: [dnode(9, "other-3.other-taosd.db.svc.cluster.local:6030")] },
        replicas: 2,
        statements: ["drop mnode on dnode 3", "drop mnode on dnode 2", "drop dnode 3"],
        dropped: [3],
        mnodesAfter: ["1 leader"],
    },
    {
        name: "refuses, sending nothing, when a database's replica exceeds the dnodes that would remain",
        cluster: { ids: [1, 2, 3, 4], databases: [{ name: "r1", replica: 1 }, { name: "r3", replica: 3 }] },
        replicas: 2,
        statements: [],
        refused: /^cannot scale from 4 to 2 dnodes: database 'r3' has replica 3; nothing was changed\. Keep at least 3 dnodes/,
    },
    {
        name: "allows a scale-down that leaves exactly a database's replica count",
        cluster: { ids: [1, 2, 3, 4], databases: [{ name: "r3", replica: 3 }] },
        replicas: 3,
        statements: ["drop dnode 4"],
        dropped: [4],
    },
    {
        name: "refuses, sending nothing, when a leaving dnode is offline (only force/unsafe could drop it)",
        cluster: { ids: [1, 2, 3, 4], status: { 3: { status: "offline", note: "status msg timeout" } } },
        replicas: 3,
        statements: [],
        refused: /dnode 4 \(pod tdengine-3\) is offline \(status msg timeout\); nothing was changed/,
    },
    {
        name: "turns TDengine's Out of dnodes at drop time into a refusal that names the pod",
        cluster: { ids: [1, 2, 3, 4], status: { 1: { status: "offline" } }, databases: [{ name: "r3", replica: 3 }] },
        replicas: 3,
        statements: ["drop dnode 4"],
        refused: /^TDengine refused to drop dnode 4 \(pod tdengine-3\): Out of dnodes; .*The StatefulSet was not changed\./,
    },
    {
        name: "does not resend a drop already running (status dropping): waits until the dnode is gone",
        cluster: { ids: [1, 2, 3, 4], status: { 3: { status: "dropping" } } },
        replicas: 3,
        arrange: td => td.dropPollsLeft.set(4, 1),
        statements: [],
        dropped: [4],
    },
    {
        name: "follows a drop whose connection was lost in show dnodes instead of sending it again",
        cluster: { ids: [1, 2, 3, 4] },
        replicas: 3,
        arrange: td => {
            td.onDropDnode = async (fake, id) => {
                fake.startDrop(id, 1);
                throw new TDengineConnectionLostError({ url: "http://fake", statement: `drop dnode ${id}`, cause: "socket hang up" });
            };
        },
        statements: ["drop dnode 4"],
        dropped: [4],
    },
    {
        name: "with 3 mnodes, drops the leaving dnode's mnode first, creates one on a staying dnode, then drops the dnode",
        cluster: { ids: [1, 2, 3, 4], mnodes: [0, 1, 3] },
        replicas: 3,
        statements: ["drop mnode on dnode 4", "create mnode on dnode 3", "drop dnode 4"],
        dropped: [4],
    },
    {
        name: "with 2 mnodes (a scale-up stopped between its creates), creates a new mnode before dropping the leaving one, " +
            "then the third",
        cluster: { ids: [1, 2, 3, 4], mnodes: [0, 3] },
        replicas: 3,
        statements: ["create mnode on dnode 2", "drop mnode on dnode 4", "create mnode on dnode 3", "drop dnode 4"],
        dropped: [4],
        mnodesAfter: ["1 leader", "2 follower", "3 follower"],
    },
    {
        name: "when the mnode leader is leaving, restarts its pod so a follower leads before its mnode is dropped",
        cluster: { ids: [1, 2, 3, 4], mnodes: [0, 1, 3], leader: 3 },
        replicas: 3,
        statements: ["drop mnode on dnode 4", "create mnode on dnode 3", "drop dnode 4"],
        restarted: [3],
        dropped: [4],
    },
    {
        name: "matches mnodes to dnodes by endpoint when ids are not ordinal + 1",
        cluster: { ids: [1, 2, 6, 9], mnodes: [0, 1, 3] },
        replicas: 3,
        statements: ["drop mnode on dnode 9", "create mnode on dnode 6", "drop dnode 9"],
        dropped: [9],
    },
    {
        name: "3 → 2: the leaving dnode's mnode and a staying follower's go before the drop; the leader stays, alone",
        cluster: { ids: [1, 2, 3] },
        replicas: 2,
        statements: ["drop mnode on dnode 3", "drop mnode on dnode 2", "drop dnode 3"],
        dropped: [3],
        mnodesAfter: ["1 leader"],
    },
    {
        name: "3 → 2 with the leader on the leaving dnode: restarts its pod while 3 mnodes keep a majority, then the same drops",
        cluster: { ids: [1, 2, 3], leader: 2 },
        replicas: 2,
        statements: ["drop mnode on dnode 3", "drop mnode on dnode 2", "drop dnode 3"],
        restarted: [2],
        dropped: [3],
        mnodesAfter: ["1 leader"],
    },
    {
        name: "a drop TDengine refuses after the mnodes went to 1 gives the 3 dnodes their 3 mnodes back",
        cluster: { ids: [1, 2, 3] },
        replicas: 2,
        arrange: td => {
            td.onDropDnode = async (_fake, id) => {
                const refusal = { code: TdCode.OutOfDnodes, desc: "Out of dnodes", statement: `drop dnode ${id}`, httpStatus: 200 };
                throw new TDengineError(refusal);
            };
        },
        statements: [
            "drop mnode on dnode 3", "drop mnode on dnode 2", "drop dnode 3", "create mnode on dnode 2", "create mnode on dnode 3",
        ],
        refused: /^TDengine refused to drop dnode 3 \(pod tdengine-2\): Out of dnodes; .*The StatefulSet was not changed\./,
    },
];

describe("scale-down decisions (table over an in-memory TDengine)", () => {
    for (const c of scaleDownCases) {
        it(c.name, async () => {
            const td = tdengineOf(c.cluster);
            c.arrange?.(td);
            const before = { dnodes: structuredClone(td.dnodes), mnodes: structuredClone(td.mnodes) };
            const restarted: number[] = [];
            const run = scaleDown(td, {
                addressing, replicas: c.replicas, dropTimeoutMs: 5000, mnodeTimeoutMs: 5000, progress: () => undefined,
                restartPod: async ordinal => {
                    restarted.push(ordinal);
                    td.failOverLeaderFrom(ep(ordinal));
                },
            });
            if (c.refused !== undefined) {
                await assert.rejects(run, (err: Error) => {
                    assert.ok(err instanceof ScaleDownRefusedError, `a ScaleDownRefusedError, not ${err.name}: ${err.message}`);
                    assert.match(err.message, c.refused as RegExp);
                    return true;
                });
                assert.deepEqual({ dnodes: td.dnodes, mnodes: td.mnodes }, before, "the cluster is as it was");
            } else {
                const dropped = await run;
                assert.deepEqual(dropped.map(d => d.id), c.dropped);
            }
            assert.deepEqual(td.statements, c.statements);
            assert.deepEqual(restarted, c.restarted ?? []);
            if (c.mnodesAfter !== undefined) {
                assert.deepEqual([...td.mnodes].sort((a, b) => a.id - b.id).map(m => `${m.id} ${m.role}`), c.mnodesAfter);
            }
        });
    }
});

describe("create mnode decisions (convergeMnodes over an in-memory TDengine)", () => {
    const options = { addressing, replicas: 3, timeoutMs: 1000, progress: (): void => undefined };

    it("treats Mnode already exists as the goal reached (docs/tdengine.md#mnode-already-exists)", async () => {
        const td = tdengineOf({ ids: [1, 2, 3], mnodes: [0] });
        // An earlier run's create lands between this run's show mnodes and its own create.
        const create = td.createMnode.bind(td);
        td.createMnode = async id => {
            if (id === 2 && !td.mnodes.some(m => m.id === 2)) {
                td.mnodes.push(mnode(2, ep(1)));
            }
            return create(id);
        };
        await convergeMnodes(td, options);
        assert.deepEqual(td.statements, ["create mnode on dnode 2", "create mnode on dnode 3"]);
        assert.deepEqual(td.mnodes.map(m => m.id), [1, 2, 3]);
    });

    it("follows a create whose answer was lost in show mnodes instead of sending it again (docs/tdengine.md#conflict-transaction)",
        async () => {
            const td = tdengineOf({ ids: [1, 2, 3], mnodes: [0] });
            const create = td.createMnode.bind(td);
            td.createMnode = async id => {
                await create(id);
                const statement = `create mnode on dnode ${id}`;
                throw new TDengineConnectionLostError({ url: "http://fake", statement, cause: "socket hang up" });
            };
            await convergeMnodes(td, options);
            assert.deepEqual(td.statements, ["create mnode on dnode 2", "create mnode on dnode 3"]);
            assert.deepEqual(td.mnodes.map(m => m.id), [1, 2, 3]);
        });

    it("lets any other refusal through, e.g. a dnode dropped meanwhile (docs/tdengine.md#mnode-already-exists)", async () => {
        const td = tdengineOf({ ids: [1, 2, 3], mnodes: [0] });
        const create = td.createMnode.bind(td);
        td.createMnode = async id => {
            td.removeDnode(id);
            return create(id);
        };
        await assert.rejects(convergeMnodes(td, options), /Dnode does not exist \(code 0x0331\)/);
        assert.deepEqual(td.statements, ["create mnode on dnode 2"]);
    });
});

interface VolumeCase {
    name: string;
    /** Pod ordinals that exist, PVC ordinals that exist, dnode ordinals TDengine lists. */
    pods: number[];
    volumes: number[];
    listed: number[];
    replicas: number;
    /** deleteStaleVolumes only: the StatefulSet's size before a scale-up. */
    current?: number;
    /** Pod ordinal → `pods()` calls it survives (terminating). */
    terminating?: Record<number, number>;
    deleted: number[];
}

const removedVolumeCases: VolumeCase[] = [
    {
        name: "after 4 → 2, deletes the PVCs of pods 2 and 3 once their dnodes are gone; staying pods' PVCs are never deleted",
        pods: [0, 1], volumes: [0, 1, 2, 3], listed: [0, 1], replicas: 2, deleted: [2, 3],
    },
    {
        name: "keeps the PVC of a removed pod whose dnode TDengine still lists (its data never moved away)",
        pods: [0, 1], volumes: [0, 1, 2, 3], listed: [0, 1, 3], replicas: 2, deleted: [2],
    },
    {
        name: "waits for a terminating pod to be gone before deleting its PVC",
        pods: [0, 1, 2], volumes: [0, 1, 2], listed: [0, 1], replicas: 2, terminating: { 2: 1 }, deleted: [2],
    },
    {
        name: "deletes nothing when no pod was removed",
        pods: [0, 1, 2], volumes: [0, 1, 2], listed: [0, 1, 2], replicas: 3, deleted: [],
    },
];

const staleVolumeCases: VolumeCase[] = [
    {
        name: "before 2 → 4, deletes the PVCs an interrupted scale-down left for ordinals 2 and 3",
        pods: [0, 1], volumes: [0, 1, 2, 3], listed: [0, 1], current: 2, replicas: 4, deleted: [2, 3],
    },
    {
        name: "leaves a PVC beyond the new size alone",
        pods: [0, 1], volumes: [0, 1, 2, 5], listed: [0, 1], current: 2, replicas: 4, deleted: [2],
    },
    {
        name: "keeps a PVC whose dnode TDengine still lists",
        pods: [0, 1], volumes: [0, 1, 2, 3], listed: [0, 1, 3], current: 2, replicas: 4, deleted: [2],
    },
    {
        name: "keeps a PVC whose pod exists",
        pods: [0, 1, 2], volumes: [0, 1, 2], listed: [0, 1], current: 2, replicas: 3, deleted: [],
    },
    {
        name: "never deletes the PVCs of staying pods",
        pods: [0, 1], volumes: [0, 1], listed: [0, 1], current: 2, replicas: 4, deleted: [],
    },
];

function volumeFixture(c: VolumeCase): { kube: FakeClusterObjects; dnodes: DnodeInfo[]; podsAtDeletion: Map<string, number[]> } {
    const kube = new FakeClusterObjects(addressing.statefulSet, { replicas: c.replicas, pods: c.pods, volumes: c.volumes });
    for (const [ordinal, polls] of Object.entries(c.terminating ?? {})) {
        kube.podPollsLeft.set(Number(ordinal), polls);
    }
    const podsAtDeletion = new Map<string, number[]>();
    const deleteVolume = kube.deleteVolume.bind(kube);
    kube.deleteVolume = async volume => {
        podsAtDeletion.set(volume.name, kube.podList.map(p => p.ordinal));
        return deleteVolume(volume);
    };
    const dnodes = c.listed.map(o => dnode(o + 1, ep(o)));
    return { kube, dnodes, podsAtDeletion };
}

const volumeOptions = (replicas: number) => ({ addressing, replicas, timeoutMs: 5000, progress: (): void => undefined });

describe("PVC decisions (table over in-memory Kubernetes)", () => {
    for (const c of removedVolumeCases) {
        it(`after a scale-down: ${c.name}`, async () => {
            const { kube, dnodes, podsAtDeletion } = volumeFixture(c);
            const deleted = await deleteRemovedVolumes(kube, dnodes, volumeOptions(c.replicas));
            assert.deepEqual(deleted, c.deleted.map(pvc));
            assert.deepEqual(kube.deletedVolumes.map(v => v.name), c.deleted.map(pvc));
            for (const ordinal of c.deleted) {
                assert.ok(!(podsAtDeletion.get(pvc(ordinal)) ?? []).includes(ordinal), `pod ${ordinal} was gone when its PVC was deleted`);
            }
        });
    }

    for (const c of staleVolumeCases) {
        it(`before a scale-up: ${c.name}`, async () => {
            const { kube, dnodes } = volumeFixture(c);
            const deleted = await deleteStaleVolumes(kube, dnodes, c.current ?? 0, volumeOptions(c.replicas));
            assert.deepEqual(deleted, c.deleted.map(pvc));
            assert.deepEqual(kube.deletedVolumes.map(v => v.name), c.deleted.map(pvc));
        });
    }

    it("on destroy, deletes every data PVC of the cluster", async () => {
        const kube = new FakeClusterObjects(addressing.statefulSet, { volumes: [0, 1, 2, 4] });
        assert.deepEqual(await deleteAllVolumes(kube, () => undefined), [0, 1, 2, 4].map(pvc));
        assert.deepEqual(kube.volumes, []);
    });
});
