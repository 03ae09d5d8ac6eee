/**
 * An in-memory TDengine behind the lifecycle's `TDengine` interface: no HTTP, no clock, every answer at
 * once. It keeps dnodes, mnodes and databases, records every statement in `statements`, and refuses what
 * TDengine refuses, with TDengine's codes:
 *  - `create mnode`: a missing dnode (`0x0331`), a dnode that has one (`0x03A0`), a 4th mnode (`0x03A9`)
 *    (docs/tdengine.md#create-mnode, docs/tdengine.md#mnode-already-exists);
 *  - `drop mnode`: none there (`0x03A1`), the leader's (`0x0333`) (docs/tdengine.md#mnode-leader-failover);
 *  - `drop dnode`: a missing id (`0x0331`), an offline dnode holding vnodes (`0x0541`,
 *    docs/tdengine.md#offline-dnode), fewer dnodes left than a database's replica (`0x0334`,
 *    docs/tdengine.md#database-replicas); a dropped dnode takes its mnode with it
 *    (docs/tdengine.md#drop-dnode-takes-its-mnode).
 * It also lists vgroups (`vgroups`, as a test sets them) and answers `select server_version()` with
 * `version`. Tests shape the rest through hooks: what a `drop dnode` does (`onDropDnode`), what a
 * `balance vgroup` does (`onBalanceVgroup`), how a dnode in `dropping` progresses, when a leader fails over.
 */
import { TdCode, TDengineError } from "../../components/tdengine/errors";
import { DatabaseInfo, DnodeInfo, MnodeInfo, TDengine, VgroupInfo } from "../../components/tdengine/types";

export interface FakeTDengineState {
    dnodes: DnodeInfo[];
    mnodes?: MnodeInfo[];
    databases?: DatabaseInfo[];
    vgroups?: VgroupInfo[];
    /** What `select server_version()` answers; default 3.3.7.5, the version docs/tdengine.md was recorded on. */
    version?: string;
}

/** What a `drop dnode` does: by default it completes at once (the dnode is gone when the call returns). */
export type DropBehaviour = (td: FakeTDengine, dnodeId: number) => Promise<void>;

/**
 * What a `balance vgroup` does: by default nothing moves (the call returns OK at once, as TDengine does on a
 * cluster already balanced); a test that follows replicas onto new dnodes sets its own.
 */
export type BalanceBehaviour = (td: FakeTDengine) => Promise<void>;

/** TDengine's texts for the codes the fake answers with (docs/tdengine.md#error-codes). */
const TEXT: Record<number, string> = {
    [TdCode.DnodeNotExist]: "Dnode does not exist",
    [TdCode.OutOfDnodes]: "Out of dnodes",
    [TdCode.MnodeAlreadyExists]: "Mnode already exists",
    [TdCode.MnodeNotThere]: "Mnode not there",
    [TdCode.TooManyMnodes]: "The replica of mnode cannot exceed 3",
    [TdCode.VnodeOffline]: "Vnode is offline",
    0x0333: "Cannot drop mnode which is leader",
};

export class FakeTDengine implements TDengine {
    dnodes: DnodeInfo[];
    mnodes: MnodeInfo[];
    databases: DatabaseInfo[];
    vgroups: VgroupInfo[];
    version: string;
    /** Every statement sent, in order, as TDengine would see it (`drop dnode 5`). Reads are not listed. */
    readonly statements: string[] = [];
    /** Replaces what `drop dnode` does once its checks pass (see {@link dropCompletes}). */
    onDropDnode: DropBehaviour = dropCompletes;
    /** Replaces what `balance vgroup` does (see {@link BalanceBehaviour}). */
    onBalanceVgroup: BalanceBehaviour = async () => undefined;
    /** Polls of `show dnodes` a dnode in `dropping` survives before it is gone. */
    dropPollsLeft = new Map<number, number>();
    rootPassword = "taosdata";

    constructor(state: FakeTDengineState) {
        this.dnodes = state.dnodes.map(d => ({ ...d }));
        this.mnodes = (state.mnodes ?? []).map(m => ({ ...m }));
        this.databases = (state.databases ?? []).map(d => ({ ...d }));
        this.vgroups = structuredClone(state.vgroups ?? []);
        this.version = state.version ?? "3.3.7.5";
    }

    async showDnodes(): Promise<DnodeInfo[]> {
        for (const [id, left] of this.dropPollsLeft) {
            if (left <= 0) {
                this.removeDnode(id);
                this.dropPollsLeft.delete(id);
            } else {
                this.dropPollsLeft.set(id, left - 1);
            }
        }
        return this.dnodes.map(d => ({ ...d }));
    }

    async showMnodes(): Promise<MnodeInfo[]> {
        return this.mnodes.map(m => ({ ...m }));
    }

    async showDatabases(): Promise<DatabaseInfo[]> {
        return this.databases.map(d => ({ ...d }));
    }

    async showVgroups(): Promise<VgroupInfo[]> {
        return structuredClone(this.vgroups);
    }

    async serverVersion(): Promise<string> {
        return this.version;
    }

    async clusterAlive(): Promise<number> {
        return this.dnodes.every(d => d.status === "ready") ? 1 : 2;
    }

    async createMnode(dnodeId: number): Promise<void> {
        const statement = `create mnode on dnode ${dnodeId}`;
        this.statements.push(statement);
        const dnode = this.dnodes.find(d => d.id === dnodeId);
        if (dnode === undefined) {
            throw refusal(statement, TdCode.DnodeNotExist);
        }
        if (this.mnodes.some(m => m.id === dnodeId)) {
            throw refusal(statement, TdCode.MnodeAlreadyExists);
        }
        if (this.mnodes.length >= 3) {
            throw refusal(statement, TdCode.TooManyMnodes);
        }
        this.mnodes.push({ id: dnodeId, endpoint: dnode.endpoint, role: "follower", status: "ready" });
    }

    async dropMnode(dnodeId: number): Promise<void> {
        const statement = `drop mnode on dnode ${dnodeId}`;
        this.statements.push(statement);
        const mnode = this.mnodes.find(m => m.id === dnodeId);
        if (mnode === undefined) {
            throw refusal(statement, TdCode.MnodeNotThere);
        }
        if (mnode.role === "leader") {
            throw refusal(statement, 0x0333);
        }
        this.mnodes = this.mnodes.filter(m => m !== mnode);
    }

    async dropDnode(dnodeId: number): Promise<void> {
        const statement = `drop dnode ${dnodeId}`;
        this.statements.push(statement);
        const dnode = this.dnodes.find(d => d.id === dnodeId);
        if (dnode === undefined) {
            throw refusal(statement, TdCode.DnodeNotExist);
        }
        if (dnode.status === "offline" && dnode.vnodes > 0) {
            throw refusal(statement, TdCode.VnodeOffline);
        }
        const remaining = this.dnodes.filter(d => d.id !== dnodeId && d.status === "ready").length;
        if (this.databases.some(db => db.replica > remaining)) {
            throw refusal(statement, TdCode.OutOfDnodes);
        }
        await this.onDropDnode(this, dnodeId);
    }

    async balanceVgroup(): Promise<void> {
        this.statements.push("balance vgroup");
        await this.onBalanceVgroup(this);
    }

    async alterRootPassword(newPassword: string): Promise<void> {
        this.statements.push("alter user root pass '<redacted>'");
        this.rootPassword = newPassword;
    }

    /** The dnode leaves `show dnodes`, its mnode with it. */
    removeDnode(dnodeId: number): void {
        this.dnodes = this.dnodes.filter(d => d.id !== dnodeId);
        this.mnodes = this.mnodes.filter(m => m.id !== dnodeId);
    }

    /** The dnode shows `dropping` for `polls` more `show dnodes`, then is gone. */
    startDrop(dnodeId: number, polls: number): void {
        const dnode = this.dnodes.find(d => d.id === dnodeId);
        if (dnode !== undefined) {
            dnode.status = "dropping";
            this.dropPollsLeft.set(dnodeId, polls);
        }
    }

    /** The leader's dnode restarted: another serving mnode leads (docs/tdengine.md#mnode-leader-failover). */
    failOverLeaderFrom(endpoint: string): void {
        const leader = this.mnodes.find(m => m.role === "leader" && m.endpoint === endpoint);
        const next = this.mnodes.find(m => m.endpoint !== endpoint && m.status === "ready");
        if (leader !== undefined && next !== undefined) {
            leader.role = "follower";
            next.role = "leader";
        }
    }
}

/** The default `drop dnode`: the vnodes have moved when the call returns, and the dnode is gone. */
export const dropCompletes: DropBehaviour = async (td, dnodeId) => td.removeDnode(dnodeId);

function refusal(statement: string, code: number): TDengineError {
    return new TDengineError({ code, desc: TEXT[code] ?? `code ${code}`, statement, httpStatus: 200 });
}

/** A ready dnode row. */
export function dnode(id: number, endpoint: string, extra: Partial<DnodeInfo> = {}): DnodeInfo {
    return { id, endpoint, vnodes: 2, status: "ready", note: "", ...extra };
}

/** A serving mnode row on dnode `id`. */
export function mnode(id: number, endpoint: string, role: "leader" | "follower" = "follower"): MnodeInfo {
    return { id, endpoint, role, status: "ready" };
}
