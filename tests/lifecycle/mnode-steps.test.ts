/**
 * The mnode decision, table-driven over `show dnodes` / `show mnodes` layouts: 1 mnode below 3 dnodes,
 * 3 from 3 up, whatever the path (docs/tdengine.md#two-mnodes), a leader never dropped
 * (docs/tdengine.md#mnode-leader-failover), and each case followed step by step to its end as TDengine
 * would carry the steps out.
 */
import { strict as assert } from "node:assert";
import { MnodeStep, nextMnodeStep, wantedMnodes } from "../../components/lifecycle/mnodes";
import { dnodeEndpointForOrdinal } from "../../components/names";
import { DnodeInfo, MnodeInfo } from "../../components/tdengine/types";
import { addressing } from "./fixture";

const ep = (ordinal: number): string => dnodeEndpointForOrdinal(addressing, ordinal);

/** Pods 0..n-1 as dnodes; ids are ordinal + 1 unless given (they are not after a pod came back). */
function dnodes(pods: number, ids: Record<number, number> = {}): DnodeInfo[] {
    return Array.from({ length: pods }, (_, o) => ({ id: ids[o] ?? o + 1, endpoint: ep(o), vnodes: 0, status: "ready", note: "" }));
}

/** Mnode roles by pod ordinal: `L` leader, `F` follower, `C` being created, `O` offline, e.g. { 0: "L", 2: "F" }. */
type Roles = Record<number, "L" | "F" | "C" | "O">;

const ROLE_AND_STATUS = {
    L: ["leader", "ready"], F: ["follower", "ready"], C: ["offline", "creating"], O: ["offline", "offline"],
} as const;

function mnodes(roles: Roles, all: DnodeInfo[]): MnodeInfo[] {
    return Object.entries(roles).map(([ordinal, r]) => {
        const d = all[Number(ordinal)];
        const [role, status] = ROLE_AND_STATUS[r];
        return { id: d.id, endpoint: d.endpoint, role, status };
    });
}

/** A step as `create 2`, `drop 1`, `hand-over 2` (pod ordinals), or `stuck`. */
function show(step: MnodeStep | undefined): string {
    if (step === undefined) return "done";
    if (step.kind === "stuck") return "stuck";
    return `${step.kind} ${step.dnode.ordinal}`;
}

/** Carries the steps out as TDengine would, the new leader after a hand-over being `nextLeader`, until done. */
function path(all: DnodeInfo[], start: MnodeInfo[], replicas: number, nextLeader?: number): string[] {
    let current = start;
    const steps: string[] = [];
    for (let i = 0; i < 10; i++) {
        const step = nextMnodeStep({ dnodes: all, mnodes: current, addressing, replicas });
        steps.push(show(step));
        if (step === undefined || step.kind === "stuck") return steps;
        const endpoint = step.dnode.endpoint;
        if (step.kind === "create") {
            current = [...current, { id: step.dnode.id, endpoint, role: "follower", status: "ready" }];
        } else if (step.kind === "drop") {
            current = current.filter(m => m.endpoint !== endpoint);
        } else {
            const leader = ep(nextLeader ?? -1);
            current = current.map(m => ({ ...m, role: m.endpoint === leader ? "leader" : "follower" }));
        }
    }
    throw new Error(`no end after 10 steps: ${steps.join(", ")}`);
}

describe("mnode count follows the cluster's size (nextMnodeStep)", () => {
    it("wants 1 mnode below 3 dnodes and 3 from 3 up: never 2", () => {
        assert.deepEqual([1, 2, 3, 4, 5, 9].map(wantedMnodes), [1, 1, 3, 3, 3, 3]);
    });

    interface Case {
        name: string;
        pods: number;
        roles: Roles;
        replicas: number;
        steps: string[];
        ids?: Record<number, number>;
        nextLeader?: number;
        /** Pods whose dnode is offline. */
        offline?: number[];
    }
    const cases: Case[] = [
        { name: "1 dnode keeps its one mnode", pods: 1, roles: { 0: "L" }, replicas: 1, steps: ["done"] },
        { name: "1 → 2 keeps 1 mnode", pods: 2, roles: { 0: "L" }, replicas: 2, steps: ["done"] },
        {
            name: "1 → 3 and 2 → 3 (one mnode either way) create mnodes on pods 1 and 2, lowest ordinal first",
            pods: 3, roles: { 0: "L" }, replicas: 3, steps: ["create 1", "create 2", "done"],
        },
        { name: "3 → 4 creates no 4th mnode", pods: 4, roles: { 0: "L", 1: "F", 2: "F" }, replicas: 4, steps: ["done"] },
        {
            name: "3 → 2: the leaving dnode's mnode and a staying follower's go, the leader stays",
            pods: 3, roles: { 0: "L", 1: "F", 2: "F" }, replicas: 2, steps: ["drop 2", "drop 1", "done"],
        },
        {
            name: "3 → 2 with the leader on pod 1: pod 0's follower goes",
            pods: 3, roles: { 0: "F", 1: "L", 2: "F" }, replicas: 2, steps: ["drop 2", "drop 0", "done"],
        },
        {
            name: "3 → 2 with the leader on the leaving dnode: hand-over while 3 keep a majority, then 2 drops",
            pods: 3, roles: { 0: "F", 1: "F", 2: "L" }, replicas: 2, nextLeader: 1, steps: ["hand-over 2", "drop 2", "drop 0", "done"],
        },
        {
            name: "3 → 1 keeps pod 0's leader only",
            pods: 3, roles: { 0: "L", 1: "F", 2: "F" }, replicas: 1, steps: ["drop 2", "drop 1", "done"],
        },
        {
            name: "4 → 2 drops pod 2's mnode, then a staying follower's",
            pods: 4, roles: { 0: "L", 1: "F", 2: "F" }, replicas: 2, steps: ["drop 2", "drop 1", "done"],
        },
        {
            name: "5 → 2 as 4 → 2",
            pods: 5, roles: { 0: "F", 1: "L", 2: "F" }, replicas: 2, steps: ["drop 2", "drop 0", "done"],
        },
        {
            name: "4 → 3 with an mnode on the leaving pod 3: it goes first (3 is the most), then pod 2 gets one",
            pods: 4, roles: { 0: "L", 1: "F", 3: "F" }, replicas: 3, steps: ["drop 3", "create 2", "done"],
        },
        {
            name: "4 → 3 with 2 mnodes, one on the leaving pod: the new one is created first",
            pods: 4, roles: { 0: "L", 3: "F" }, replicas: 3, steps: ["create 1", "drop 3", "create 2", "done"],
        },
        {
            name: "2 dnodes holding 2 mnodes (the old 3 → 2) are brought to 1",
            pods: 2, roles: { 0: "L", 1: "F" }, replicas: 2, steps: ["drop 1", "done"],
        },
        {
            name: "2 → 1 with the only mnode on the leaving pod: a follower on pod 0, a hand-over, then the drop",
            pods: 2, roles: { 1: "L" }, replicas: 1, nextLeader: 0, steps: ["create 0", "hand-over 1", "drop 1", "done"],
        },
        {
            name: "ids that are not ordinal + 1: decided by endpoint",
            pods: 4, ids: { 2: 5, 3: 7 }, roles: { 0: "L", 1: "F", 3: "F" }, replicas: 3, steps: ["drop 3", "create 2", "done"],
        },
        {
            name: "an mnode still being created counts: no second create on its dnode",
            pods: 3, roles: { 0: "L", 1: "C" }, replicas: 3, steps: ["create 2", "done"],
        },
        {
            name: "3 dnodes with one offline: no second mnode, since no third could follow (2 would be worse than 1)",
            pods: 3, offline: [2], roles: { 0: "L" }, replicas: 3, steps: ["done"],
        },
        {
            name: "surplus followers that are offline cannot be dropped: stuck, said plainly",
            pods: 2, roles: { 0: "L", 1: "O" }, replicas: 2, steps: ["stuck"],
        },
        {
            name: "4 → 3 with a staying follower offline: stuck, since dropping pod 3's mnode would leave 1 of 2 serving",
            pods: 4, offline: [1], roles: { 0: "L", 1: "O", 3: "F" }, replicas: 3, steps: ["stuck"],
        },
        {
            name: "3 → 2 with a staying follower offline: stuck before the first drop",
            pods: 3, offline: [1], roles: { 0: "L", 1: "O", 2: "F" }, replicas: 2, steps: ["stuck"],
        },
        {
            name: "3 → 2 with the leader leaving and the other follower offline: no hand-over (1 of 3 would serve during it)",
            pods: 3, offline: [0], roles: { 0: "O", 1: "F", 2: "L" }, replicas: 2, steps: ["stuck"],
        },
        {
            name: "5 → 4 with a staying follower offline: nothing to change in the mnodes, so nothing stuck",
            pods: 5, offline: [1], roles: { 0: "L", 1: "O", 2: "F" }, replicas: 4, steps: ["done"],
        },
    ];

    for (const c of cases) {
        it(c.name, () => {
            const all = dnodes(c.pods, c.ids).map((d, o) => (c.offline?.includes(o) ? { ...d, status: "offline" } : d));
            assert.deepEqual(path(all, mnodes(c.roles, all), c.replicas, c.nextLeader), c.steps);
        });
    }

    it("says which mnode is down and why the step waits for it", () => {
        const all = dnodes(4).map((d, o) => (o === 1 ? { ...d, status: "offline" } : d));
        const step = nextMnodeStep({ dnodes: all, mnodes: mnodes({ 0: "L", 1: "O", 3: "F" }, all), addressing, replicas: 3 });
        assert.equal(step?.kind, "stuck");
        assert.match(step?.kind === "stuck" ? step.why : "", new RegExp(`an mnode is not serving \\(${ep(1).replace(/\./g, "\\.")} is offline/offline\\), ` +
            "and dropping the mnode on dnode 4 would leave 1 of 2 mnodes serving, no majority"));
    });

    it("drops by the dnode's id, not its ordinal + 1", () => {
        const all = dnodes(4, { 3: 7 });
        const step = nextMnodeStep({ dnodes: all, mnodes: mnodes({ 0: "L", 1: "F", 3: "F" }, all), addressing, replicas: 3 });
        assert.equal(step?.kind === "drop" ? step.dnode.id : undefined, 7);
    });

    it("never drops the leader, on any layout of up to 5 dnodes", () => {
        const letters = ["L", "F", "-"] as const;
        for (let pods = 1; pods <= 5; pods++) {
            for (let replicas = 1; replicas <= pods; replicas++) {
                for (let mask = 0; mask < 3 ** pods; mask++) {
                    const roles: Record<number, "L" | "F"> = {};
                    for (let o = 0, m = mask; o < pods; o++, m = Math.floor(m / 3)) {
                        const r = letters[m % 3];
                        if (r !== "-") roles[o] = r;
                    }
                    const count = Object.keys(roles).length;
                    if (Object.values(roles).filter(r => r === "L").length !== 1 || count > 3) continue;
                    const all = dnodes(pods);
                    const layout = mnodes(roles, all);
                    const step = nextMnodeStep({ dnodes: all, mnodes: layout, addressing, replicas });
                    const leader = layout.find(m => m.role === "leader");
                    const dropsLeader = step?.kind === "drop" && step.dnode.endpoint === leader?.endpoint;
                    assert.ok(!dropsLeader, JSON.stringify({ pods, replicas, roles }));
                }
            }
        }
    });
});
