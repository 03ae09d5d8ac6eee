/**
 * The tests' one polling helper, over the lifecycle's own `waitFor` (components/lifecycle/wait.ts): asks
 * again every `intervalMs` until `probe` returns a value, never sleeps a fixed time in the hope that it
 * holds. Unlike the lifecycle's waits, a probe that throws is asked again (a server still starting),
 * and the timeout error names the last error.
 */
import { waitFor } from "../components/lifecycle/wait";

export interface PollOptions {
    /** Default 10 s. */
    timeoutMs?: number;
    /** Default 50 ms. */
    intervalMs?: number;
    /** Stops the poll (with an error) once aborted, e.g. when a sibling wait has failed. */
    signal?: AbortSignal;
}

/** Polls `probe` until it returns something other than `undefined`, and returns that. */
export async function poll<T>(what: string, probe: () => Promise<T | undefined>, options: PollOptions = {}): Promise<T> {
    const found = await waitFor<{ value: T }>(async () => {
        if (options.signal?.aborted === true) {
            throw new Error(`gave up waiting for ${what}`);
        }
        try {
            const value = await probe();
            return value === undefined ? { done: false, seen: "not yet" } : { done: true, seen: "done", value: { value } };
        } catch (err) {
            return { done: false, seen: err instanceof Error ? err.message : String(err) };
        }
    }, { what, timeoutMs: options.timeoutMs ?? 10_000, intervalMs: options.intervalMs ?? 50 });
    return (found as { value: T }).value;
}

/** Polls until `check` returns true. */
export async function pollUntil(what: string, check: () => Promise<boolean>, options: PollOptions = {}): Promise<void> {
    await poll(what, async () => ((await check()) ? true : undefined), options);
}
