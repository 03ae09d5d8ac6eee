/**
 * The one rule for every statement that starts a TDengine transaction (`create mnode`, `drop mnode`,
 * `drop dnode`, `alter user ... pass`, `balance vgroup`): it is never sent twice blindly.
 *
 * Its answer can be lost while TDengine carries on: a reset connection, a client timeout, or taosAdapter's
 * `Unable to establish connection` (0x000B, HTTP 200) after TDengine got the statement. Sent again, the
 * statement meets the first one still running and TDengine answers `Conflict transaction not completed`
 * (0x03D3), docs/tdengine.md#conflict-transaction. So after a lost answer, or a 0x03D3, the step looks at
 * what TDengine reports (`show mnodes`, `show dnodes`, a login with the new password) until the
 * transaction has finished (done) or TDengine has shown, for a while and with nothing running, the state
 * as it was before (it never started): only then is the statement sent once more. A resend that still
 * meets a running transaction gets 0x03D3 again, which means wait and look, never failure.
 *
 * The client must not resend the statement itself: send it with the REST client's `only-if-not-sent`
 * retry (components/tdengine/retry.ts), which resends only what cannot have reached TDengine and turns a
 * lost answer into {@link TDengineConnectionLostError}.
 */
import { ClearError } from "../errors";
import { TDengineConnectionLostError, TdCode, isCode } from "../tdengine/errors";
import { Progress, delay } from "./wait";

/** What TDengine shows about a transaction's goal. */
export type TransactionState =
    /** The goal is reached (the mnode is listed, the dnode is gone, the new password logs in). */
    | "done"
    /** TDengine shows it under way (`creating`, `dropping`). */
    | "running"
    /** TDengine shows the state as it was before: either not started, or still on its way (not visible yet). */
    | "unchanged";

/** One statement that starts a TDengine transaction, and how to see its effect. */
export interface Transaction {
    /** The statement as people read it, for progress lines and errors: `create mnode on dnode 2`. Never a password. */
    what: string;
    /**
     * Sends the statement once and resolves when TDengine answers OK. Must not resend it after the
     * connection may have carried it: a lost answer must reject with {@link TDengineConnectionLostError}
     * (the REST client's `only-if-not-sent`).
     */
    send(): Promise<void>;
    /** Reads TDengine's state: whether the goal is reached, under way, or unchanged. */
    look(): Promise<TransactionState>;
    /** TDengine refusals that say the goal is already reached, e.g. {@link TdCode.MnodeAlreadyExists}. */
    alreadyDone?: readonly number[];
}

/** How long to follow a transaction, and how often to look. */
export interface TransactionOptions {
    /** How long a lost or conflicting transaction may take to show done or unchanged. */
    timeoutMs: number;
    progress: Progress;
    /** Time between looks. Default {@link TRANSACTION_POLL_MS}. */
    intervalMs?: number;
    /**
     * How long TDengine must show the state unchanged, nothing running, before the statement is taken as
     * never started and sent once more. Default {@link UNCHANGED_FOR_MS}.
     */
    unchangedForMs?: number;
    /** Sends in all, the first included, before giving up. Default {@link MAX_SENDS}. */
    maxSends?: number;
}

export const TRANSACTION_POLL_MS = 250;
/**
 * A few seconds: a transaction that reached TDengine shows within one mnode round trip (`creating` at
 * once, docs/tdengine.md#create-mnode), and a resend that meets it anyway is answered 0x03D3, not run twice.
 */
export const UNCHANGED_FOR_MS = 3_000;
/** The first send, and as many resends each proven necessary: a connection that keeps losing answers is a fault. */
export const MAX_SENDS = 3;

/** A transaction that could not be brought to its goal; the message says what TDengine showed. */
export class TransactionError extends ClearError {
    constructor(message: string) {
        super(message);
        this.name = "TransactionError";
    }
}

/**
 * Runs `t` under the rule above: resolves once TDengine answered OK, answered that the goal was already
 * reached, or showed it reached after a lost answer or a conflict. Any other refusal is thrown as is.
 */
export async function runTransaction(t: Transaction, o: TransactionOptions): Promise<void> {
    const maxSends = o.maxSends ?? MAX_SENDS;
    for (let sends = 1; ; sends++) {
        const outcome = await sendOnce(t);
        if (outcome === "done") {
            return;
        }
        o.progress(outcome === "conflict"
            ? `${t.what}: TDengine is still running a transaction (Conflict transaction not completed): waiting for it, not sending again`
            : `${t.what}: the answer was lost; looking at TDengine instead of sending it again`);
        if (await followUntilSettled(t, o) === "done") {
            o.progress(`${t.what}: TDengine shows it done`);
            return;
        }
        if (sends >= maxSends) {
            throw new TransactionError(`${t.what}: sent ${sends} time(s), and each time the answer was lost or another ` +
                "transaction was running, and TDengine still shows the state as it was. Nothing else was changed; " +
                "check the connection to TDengine and run `pulumi up` again.");
        }
        o.progress(`${t.what}: TDengine shows no trace of it, nothing running: sending it once more`);
    }
}

type SendOutcome = "done" | "lost" | "conflict";

async function sendOnce(t: Transaction): Promise<SendOutcome> {
    try {
        await t.send();
        return "done";
    } catch (err) {
        if ((t.alreadyDone ?? []).some(code => isCode(err, code))) {
            return "done";
        }
        if (isCode(err, TdCode.ConflictTransaction)) {
            return "conflict";
        }
        if (err instanceof TDengineConnectionLostError) {
            return "lost";
        }
        throw err;
    }
}

/** Looks until the goal shows (`done`) or the state has stayed as it was, nothing running, for `unchangedForMs`. */
async function followUntilSettled(t: Transaction, o: TransactionOptions): Promise<"done" | "unchanged"> {
    const interval = o.intervalMs ?? TRANSACTION_POLL_MS;
    const unchangedFor = o.unchangedForMs ?? UNCHANGED_FOR_MS;
    const deadline = Date.now() + o.timeoutMs;
    let unchangedSince: number | undefined;
    let last: TransactionState | undefined;
    for (;;) {
        const state = await t.look();
        if (state === "done") {
            return "done";
        }
        if (state !== last) {
            o.progress(`${t.what}: TDengine shows it ${state === "running" ? "under way" : "not (yet) started"}`);
            last = state;
        }
        unchangedSince = state === "unchanged" ? (unchangedSince ?? Date.now()) : undefined;
        if (unchangedSince !== undefined && Date.now() - unchangedSince >= unchangedFor) {
            return "unchanged";
        }
        if (Date.now() >= deadline) {
            throw new TransactionError(`${t.what}: timed out after ${Math.round(o.timeoutMs / 1000)} s following it ` +
                `after a lost answer; TDengine last showed it ${state === "running" ? "under way" : "not started"}. ` +
                "Run `pulumi up` again once TDengine has finished it.");
        }
        await delay(interval);
    }
}
