/**
 * The one rule for statements that start a TDengine transaction (components/lifecycle/transaction.ts),
 * table-driven over scripted answers and looks: a lost answer is followed, not resent, while TDengine
 * shows the transaction under way; 0x03D3 is waited out; a resend only after TDengine showed, for a while
 * and with nothing running, that it never ran (docs/tdengine.md#conflict-transaction).
 */
import { strict as assert } from "node:assert";
import { TransactionState, runTransaction } from "../../components/lifecycle/transaction";
import { TDengineConnectionLostError, TDengineError, TdCode } from "../../components/tdengine/errors";

type Answer = "ok" | "lost" | "conflict" | "already" | "refused";

function answer(a: Answer): Promise<void> {
    const refusal = (code: number, desc: string): TDengineError =>
        new TDengineError({ code, desc, statement: "create mnode on dnode 2", httpStatus: 200 });
    switch (a) {
        case "ok": return Promise.resolve();
        case "lost":
            return Promise.reject(new TDengineConnectionLostError({ url: "http://td", statement: "create mnode", cause: "reset" }));
        case "conflict": return Promise.reject(refusal(TdCode.ConflictTransaction, "Conflict transaction not completed"));
        case "already": return Promise.reject(refusal(TdCode.MnodeAlreadyExists, "Mnode already exists"));
        case "refused": return Promise.reject(refusal(TdCode.TooManyMnodes, "The replica of mnode cannot exceed 3"));
    }
}

/**
 * What TDengine shows after each send: `U` unchanged, `R` running, `D` done, one letter per look, the last
 * repeating; scripts separated by `|` apply after the 1st, 2nd, ... send (the last one repeating).
 */
function looks(script: string, sends: () => number): () => Promise<TransactionState> {
    const perSend = script.split("|");
    const seen = perSend.map(() => 0);
    const states: Record<string, TransactionState> = { U: "unchanged", R: "running", D: "done" };
    return () => {
        const n = Math.min(sends(), perSend.length) - 1;
        const letters = perSend[n];
        return Promise.resolve(states[letters[Math.min(seen[n]++, letters.length - 1)]]);
    };
}

interface Case {
    name: string;
    answers: Answer[];
    looks: string;
    /** The sends made, or the error expected. */
    sends?: number;
    error?: RegExp;
}

const cases: Case[] = [
    { name: "answered OK: sent once, never looked at", answers: ["ok"], looks: "U", sends: 1 },
    { name: "`Mnode already exists`: the goal is reached", answers: ["already"], looks: "U", sends: 1 },
    { name: "lost answer, TDengine shows it under way then done: sent once", answers: ["lost"], looks: "RRRD", sends: 1 },
    { name: "lost answer, TDengine shows it done at once: sent once", answers: ["lost"], looks: "D", sends: 1 },
    { name: "lost answer, not visible at first, then under way, then done: sent once", answers: ["lost"], looks: "UURRD", sends: 1 },
    { name: "lost answer and TDengine shows it never ran: sent once more", answers: ["lost", "ok"], looks: "U", sends: 2 },
    { name: "the first was not visible yet and the resend meets it running (0x03D3): waited out, sent no more",
        answers: ["lost", "conflict"], looks: "U|RRD", sends: 2 },
    { name: "0x03D3 on the first send: waited out, then done", answers: ["conflict"], looks: "RRD", sends: 1 },
    {
        name: "0x03D3 from another transaction: once nothing runs and ours never ran, sent again",
        answers: ["conflict", "conflict", "ok"], looks: "RU|U|D", sends: 3,
    },
    {
        name: "answers lost again and again while TDengine never runs it: a clear error",
        answers: ["lost", "lost", "lost", "ok"], looks: "U", error: /answer was lost 3 time\(s\).*never ran/,
    },
    { name: "another refusal is TDengine's answer: thrown as it is", answers: ["refused"], looks: "U", error: /cannot exceed 3/ },
    { name: "still under way at the timeout: a clear error, not a resend", answers: ["lost", "ok"], looks: "R", error: /timed out.*way/ },
];

describe("transaction statements are never sent twice blindly (runTransaction)", () => {
    for (const c of cases) {
        it(c.name, async () => {
            let sends = 0;
            const lines: string[] = [];
            const run = runTransaction({
                what: "create mnode on dnode 2",
                send: () => answer(c.answers[Math.min(sends++, c.answers.length - 1)]),
                look: looks(c.looks, () => sends),
                alreadyDone: [TdCode.MnodeAlreadyExists],
            }, { timeoutMs: 500, intervalMs: 1, unchangedForMs: 50, progress: l => lines.push(l) });
            if (c.error) {
                await assert.rejects(run, c.error);
            } else {
                await run;
                assert.equal(sends, c.sends, lines.join("\n"));
            }
        });
    }

    it("says what it does in progress lines: lost answer, looking, never a resend while under way", async () => {
        const lines: string[] = [];
        let sends = 0;
        const send = (): Promise<void> => answer(sends++ === 0 ? "lost" : "ok");
        await runTransaction({ what: "drop mnode on dnode 3", send, look: looks("RD", () => sends) },
            { timeoutMs: 500, intervalMs: 1, unchangedForMs: 50, progress: l => lines.push(l) });
        assert.deepEqual(lines, [
            "drop mnode on dnode 3: the answer was lost; looking at TDengine instead of sending it again",
            "drop mnode on dnode 3: TDengine shows it under way",
            "drop mnode on dnode 3: TDengine shows it done",
        ]);
        assert.equal(sends, 1);
    });
});
