/**
 * The mnodes decide by majority: while fewer than a majority of them have a running, online taosd, no
 * statement gets an answer, not even `show dnodes` or a read of data on a live dnode; the client times
 * out (docs/tdengine.md#two-mnodes: 2 mnodes, either dnode stopped, 0 of 20 statements answered). So a
 * 2-dnode cluster holding 2 mnodes stops answering while either dnode is down, and one holding 1 mnode
 * keeps answering while the other dnode is down. A held request is answered once the majority is back.
 */

import { Model } from "./model";

/** How often a held request looks again, in wall-clock ms (not TDengine time: a test's own pace). */
const RECHECK_MS = 5;

export class MnodeMajority {
    constructor(private readonly model: Model) {}

    has(): boolean {
        const mnodes = [...this.model.mnodes.values()];
        const up = mnodes.filter((m) => {
            const dnode = this.model.dnodes.get(m.dnodeId);
            return dnode !== undefined && dnode.online && this.model.processes.get(dnode.endpoint)?.role === "member";
        });
        return mnodes.length === 0 || up.length * 2 > mnodes.length;
    }

    /** Resolves true once a majority is up, or false as soon as `gaveUp()` says the client left. */
    async wait(gaveUp: () => boolean): Promise<boolean> {
        while (!this.has()) {
            if (gaveUp()) return false;
            await new Promise((resolve) => setTimeout(resolve, RECHECK_MS));
        }
        return true;
    }
}
