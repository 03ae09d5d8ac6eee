/**
 * TDengine runs one mnode transaction at a time: a `create mnode` or `drop mnode` sent while another is
 * running is refused with `Conflict transaction not completed` (0x03D3), even when it is the same
 * statement resent after its answer was lost, and does not run (docs/tdengine.md#conflict-transaction).
 */

import { ERR } from "./codes";
import { fail, StatementResult } from "./model";

export class MnodeTransactions {
    private running: string | undefined;

    /** Runs `body` as the one running transaction, or refuses with 0x03D3 while another runs. */
    async run(what: string, body: () => Promise<StatementResult>): Promise<StatementResult> {
        if (this.running !== undefined) return fail(ERR.CONFLICT_TRANSACTION);
        this.running = what;
        try {
            return await body();
        } finally {
            this.running = undefined;
        }
    }
}
