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
    /**
     * The goal is reached (the mnode is listed, the new password logs in), or, for a statement that blocks
     * while TDengine works (`drop dnode`, `balance vgroup`), TDengine visibly has it (`dropping`): nothing to
     * send again, and the caller follows it to its end with its own wait.
     */
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
    /** How long the whole may take: following a lost answer, waiting out conflicting transactions. */
    timeoutMs: number;
    progress: Progress;
    /** Time between looks. Default {@link TRANSACTION_POLL_MS}. */
    intervalMs?: number;
    /**
     * How long TDengine must show the state unchanged, nothing running, before the statement is taken as
     * never started and sent once more. Default {@link UNCHANGED_FOR_MS}.
     */
    unchangedForMs?: number;
    /** Sends whose answer was lost, before giving up. Default {@link MAX_LOST_ANSWERS}. */
    maxLostAnswers?: number;
}

export const TRANSACTION_POLL_MS = 250;
/**
 * A few seconds: a transaction that reached TDengine shows within one mnode round trip (`creating` at
 * once, docs/tdengine.md#create-mnode), and a resend that meets it anyway is answered 0x03D3, not run twice.
 */
export const UNCHANGED_FOR_MS = 3_000;
/** Lost answers allowed, each followed by proof that it never ran: a connection that keeps losing them is a fault. */
export const MAX_LOST_ANSWERS = 3;

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
 *
 * @example
 * // balance vgroup: done once every vgroup has a replica on each new dnode (or TDengine said OK).
 * await runTransaction({
 *     what: "balance vgroup",
 *     send: () => td.balanceVgroup(), // sent with `only-if-not-sent`
 *     look: async () => (everyNewDnodeHoldsVnodes(await td.showVgroups()) ? "done" : "unchanged"),
 * }, { timeoutMs: balanceTimeoutMs, progress });
 */
export async function runTransaction(t: Transaction, o: TransactionOptions): Promise<void> {
    const maxLostAnswers = o.maxLostAnswers ?? MAX_LOST_ANSWERS;
    const deadline = Date.now() + o.timeoutMs;
    let lost = 0;
    let conflicts = 0;
    for (;;) {
        const outcome = await sendOnce(t);
        if (outcome === "done") {
            return;
        }
        conflicts = outcome === "conflict" ? conflicts + 1 : 0;
        const settled = outcome === "conflict" ? await waitOutConflict(t, o, deadline, conflicts) : await followLostAnswer(t, o, deadline);
        if (settled === "done") {
            o.progress(`${t.what}: TDengine shows it done`);
            return;
        }
        if (outcome === "lost" && ++lost >= maxLostAnswers) {
            throw new TransactionError(`${t.what}: its answer was lost ${lost} time(s), and TDengine still shows the state ` +
                "as it was: it never ran. Nothing else was changed; check the connection to TDengine and run `pulumi up` again.");
        }
        o.progress(`${t.what}: TDengine shows no trace of it and nothing running: sending it once more`);
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

/**
 * 0x03D3: TDengine refused this send because a transaction is running (ours from an earlier run, or
 * another), so this send did not run. Look until the goal shows, or nothing shows under way for a while
 * that doubles with each conflict in a row (another transaction may run unseen); a resend then is safe,
 * because TDengine answers 0x03D3 again as long as one is running.
 */
async function waitOutConflict(t: Transaction, o: TransactionOptions, deadline: number, inARow: number): Promise<"done" | "unchanged"> {
    o.progress(`${t.what}: TDengine is still running a transaction (Conflict transaction not completed): waiting for it`);
    const interval = o.intervalMs ?? TRANSACTION_POLL_MS;
    return followUntil(t, o, deadline, Math.min(interval * 2 ** (inARow - 1), o.unchangedForMs ?? UNCHANGED_FOR_MS));
}

/** The answer was lost: TDengine may be running it, may have finished it, or may never have got it. */
async function followLostAnswer(t: Transaction, o: TransactionOptions, deadline: number): Promise<"done" | "unchanged"> {
    o.progress(`${t.what}: the answer was lost; looking at TDengine instead of sending it again`);
    return followUntil(t, o, deadline, o.unchangedForMs ?? UNCHANGED_FOR_MS);
}

/** Looks until the goal shows (`done`) or the state has stayed as it was, nothing running, for `unchangedFor` ms. */
async function followUntil(t: Transaction, o: TransactionOptions, deadline: number, unchangedFor: number): Promise<"done" | "unchanged"> {
    const interval = o.intervalMs ?? TRANSACTION_POLL_MS;
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
            throw new TransactionError(`${t.what}: timed out after ${Math.round(o.timeoutMs / 1000)} s following it after a ` +
                `lost answer or a conflicting transaction; TDengine last showed it ${state === "running" ? "under way" : "not started"}. ` +
                "Run `pulumi up` again once TDengine has finished it.");
        }
        await delay(interval);
    }
}
