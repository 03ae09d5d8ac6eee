/**
 * How long TDengine 3.3.7.5 took, in real milliseconds, each value as docs/tdengine.md records it. The stand-in
 * multiplies them by its `timeScale`.
 */
export const TIMING = {
    // docs/tdengine.md#offline-dnode: `offline` / `status msg timeout` 4.02-4.27 s after SIGTERM.
    offlineDetectMs: 4000,
    // docs/tdengine.md#mnode-leader-failover: when the mnode leader's dnode dies, it is already `offline` at the +3.73 s poll.
    offlineDetectLeaderMs: 3700,
    // docs/tdengine.md#mnode-leader-failover: the new leader is first visible 5.0 s after the kill; its role_time says 3.0 s.
    leaderVisibleMs: 5000,
    leaderRoleTimeMs: 3000,
    // docs/tdengine.md#offline-dnode, #sigterm-and-datadir-lock: a restarted dnode is `ready` (reboot_time still 0)
    // 2.0-2.25 s after its start, and has its reboot_time and an mnode `follower` again at 3.0-3.25 s.
    restartReadyMs: 2000,
    restartRejoinMs: 3000,
    // docs/tdengine.md#create-mnode: `create mnode` returned Create OK after 4.57 s (other runs 1.5-4.0 s; the longest is used).
    createMnodeMs: 4600,
    // docs/tdengine.md#create-mnode: the new mnode turns `follower` about 1 s after Create OK.
    mnodeFollowerAfterMs: 1000,
    // docs/tdengine.md#create-mnode: `drop mnode on dnode 3` 1.36 s.
    dropMnodeMs: 1360,
    // docs/tdengine.md#drop-dnode: `drop dnode 4` without vnodes or mnode: 5 ms in the server.
    dropEmptyDnodeMs: 5,
    // docs/tdengine.md#drop-dnode-takes-its-mnode: `drop dnode 4` holding only an mnode: 1.26 s.
    dropDnodeMnodeMs: 1260,
    // docs/tdengine.md#drop-dnode: `drop dnode 5` moving 4 vnodes (20 000 + 4 000 rows) blocked 21.0 s.
    moveVnodeMs: 5250,
    // docs/tdengine.md#offline-dnode: `drop dnode 6 unsafe` on an offline dnode with 7 vnodes: 9.77 s.
    unsafeVnodeMs: 1400,
    // docs/tdengine.md#system-tables, #drop-dnode, #offline-dnode: `create database` replica 1 took 0.17-0.31 s, replica 3 took 7.1-8.1 s.
    createDatabaseReplica1Ms: 200,
    createDatabaseReplica3Ms: 7200,
    // docs/tdengine.md#system-tables, #database-replicas: `drop database` 0.03-0.07 s.
    dropDatabaseMs: 50,
    // docs/tdengine.md#offline-dnode: a read of a vgroup with no live replica failed after 20.3 s.
    unreachableVgroupMs: 20300,
    // docs/tdengine.md#dropped-dnode-returns: a dropped dnode's old data started on an endpoint now owned by another dnode
    // makes that dnode `ready` with reboot_time 0 (+1.3 s), then `offline` / `dnodeId not match` (+6.3 s).
    impostorReadyMs: 1300,
    impostorMismatchMs: 6300,
    // docs/tdengine.md#rolling-restart: a restart (SIGTERM, exit, start) took 3.7-4.7 s until `taos --check`
    // said service ok; with `ready` 2.0 s after the start (restartReadyMs), the process is down 1.7 s.
    restartDownMs: 1700,
    // docs/tdengine.md#rolling-restart: every stop of a dnode that led vgroups stalled writes to them for one
    // election, 6.3-8.4 s (6-8.4 s). Each election takes a time in this range (see vgroups.ts electionMs).
    vgroupElectionMinMs: 6000,
    vgroupElectionMaxMs: 8400,
    // docs/tdengine.md#rolling-restart: with tiny data the restarted vnodes were in sync by the time the dnode
    // answered; with real data they replay their log after it is `ready`. An assumed 1 s of replay.
    vnodeCatchUpMs: 1000,
    // docs/tdengine.md#balance-vgroup: `balance vgroup` made 2 replica moves (3 -> 5 dnodes) and blocked 42.7 s.
    balanceMoveMs: 21300,
} as const;

/**
 * docs/tdengine.md#drop-dnode (250 ms poll of a 21 s drop): the leaving dnode's vnode count stays put until 43% of the
 * drop, falls to 0 by 54%, and the dnode disappears at the end; the target dnodes gain their new vnodes
 * at the start.
 */
export const ONLINE_DROP_RELEASE = { from: 0.43, to: 0.54 } as const;

/** docs/tdengine.md#offline-dnode (unsafe drop of an offline dnode): its vnode count went 7 → 0 within the first 19%. */
export const OFFLINE_DROP_RELEASE = 0.19;

/**
 * Real TDengine durations (docs/tdengine.md) scaled by `timeScale`, on timers that `clear()` cancels
 * all at once when the stand-in stops.
 */
export class Scheduler {
    private readonly timers = new Set<NodeJS.Timeout>();

    constructor(private readonly timeScale: number) {}

    /** `realMs` of TDengine time in wall-clock ms. */
    scale(realMs: number): number {
        return realMs * this.timeScale;
    }

    /** Runs `action` after `realMs` of TDengine time. */
    after(realMs: number, action: () => void): void {
        const timer = setTimeout(() => {
            this.timers.delete(timer);
            action();
        }, this.scale(realMs));
        this.timers.add(timer);
    }

    /** Resolves after `realMs` of TDengine time; never resolves once the stand-in has stopped. */
    sleep(realMs: number): Promise<void> {
        return new Promise((resolve) => this.after(realMs, resolve));
    }

    clear(): void {
        for (const timer of this.timers) clearTimeout(timer);
        this.timers.clear();
    }
}
