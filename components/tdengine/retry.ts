/**
 * When the REST client sends a statement again after a network-level failure, and when it gives up.
 * TDengine's own refusals are never retried here: only exchanges that got no usable answer
 * ({@link NoAnswer}: refused, reset, timed out, 502/503/504, `Unable to establish connection`).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { TDengineConnectionLostError, TDengineUnreachableError } from "./errors";
import { redact } from "./redact";
import { MAX_TIMER_MS, NoAnswer } from "./transport";

/** Bounded exponential backoff: waits `initialDelayMs`, then twice that, ..., never more than `maxDelayMs`. */
export interface RetryPolicy {
    /** Attempts in all, the first included. */
    attempts: number;
    initialDelayMs: number;
    maxDelayMs: number;
}

/**
 * When a statement may be sent again after a network-level failure (refused, reset, timed out, 502/503/504):
 * - `on-connection-failure`: after any of them. For reads, and for statements whose repeat is harmless.
 * - `only-if-not-sent`: only when the request cannot have reached TDengine (the connection was never
 *   established); otherwise {@link TDengineConnectionLostError}. For statements that must not run twice or
 *   whose progress must be looked at rather than restarted (`drop dnode`).
 */
export type RetryWhen = "on-connection-failure" | "only-if-not-sent";

/** Six attempts over about 15 s: enough to ride out a taosAdapter or port-forward restart. */
export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({
    attempts: 6,
    initialDelayMs: 500,
    maxDelayMs: 8_000,
});

export function checkRetry(policy: RetryPolicy): RetryPolicy {
    const { attempts, initialDelayMs, maxDelayMs } = policy;
    if (!Number.isInteger(attempts) || attempts < 1 || !(initialDelayMs >= 0) || !(maxDelayMs >= initialDelayMs)) {
        throw new RangeError(
            "TDengineRest's retry needs attempts >= 1 and 0 <= initialDelayMs <= maxDelayMs, " +
                `got ${JSON.stringify(policy)}`,
        );
    }
    return { attempts, initialDelayMs, maxDelayMs: Math.min(maxDelayMs, MAX_TIMER_MS) };
}

/** One statement's attempts: what may be retried, and what to name in errors and log lines. */
export interface Attempts {
    policy: RetryPolicy;
    when: RetryWhen;
    /** The endpoint, without credentials. */
    url: string;
    /** The statement, secrets already redacted. */
    statement: string;
    /** Redacted from network errors before they are shown. */
    secrets: readonly string[];
    log: (msg: string) => void;
}

/**
 * Runs `exchange` until it gives an answer, TDengine refuses, or the policy says stop: a lost answer to a
 * statement that may only be resent when unsent is {@link TDengineConnectionLostError}; running out of
 * attempts is {@link TDengineUnreachableError}.
 */
export async function withRetries<T>(exchange: () => Promise<T>, a: Attempts): Promise<T> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
        try {
            return await exchange();
        } catch (err) {
            if (!(err instanceof NoAnswer)) {
                throw err;
            }
            const reason = redact(err.message, a.secrets);
            if (err.maybeSent && a.when === "only-if-not-sent") {
                throw new TDengineConnectionLostError({ url: a.url, statement: a.statement, cause: reason });
            }
            if (attempt >= a.policy.attempts) {
                throw new TDengineUnreachableError({
                    url: a.url,
                    statement: a.statement,
                    attempts: attempt,
                    elapsedMs: Date.now() - started,
                    lastError: reason,
                });
            }
            const delayMs = backoffDelayMs(a.policy, attempt);
            a.log(
                `TDengine REST: \`${a.statement}\` failed (${reason}); attempt ${attempt + 1} of ` +
                    `${a.policy.attempts} in ${delayMs} ms`,
            );
            await sleep(delayMs);
        }
    }
}

/** The wait after the `failedAttempts`-th failure. */
function backoffDelayMs(policy: RetryPolicy, failedAttempts: number): number {
    return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (failedAttempts - 1));
}
