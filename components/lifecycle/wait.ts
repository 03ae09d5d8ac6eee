/**
 * Polling: every wait in the lifecycle asks TDengine or Kubernetes again until a condition holds, never
 * sleeps a fixed time in the hope that it does.
 */

import { AsyncLocalStorage } from "node:async_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { ClearError } from "../errors";

/** Reports progress to the person running `pulumi up`. */
export type Progress = (message: string) => void;

/** How often waits poll: `show dnodes` / `show mnodes` are cheap (2-10 ms each, docs/tdengine.md#system-tables). */
export const POLL_INTERVAL_MS = 250;
/** The first polls come sooner and back off to the interval: most waits (a new mnode turning follower) end within it. */
const FIRST_POLL_MS = 20;

/** The poll interval of every wait inside {@link withPollInterval}'s work (tests shorten it). */
const pollInterval = new AsyncLocalStorage<number>();

/** Runs `work` with every wait in it polling every `intervalMs` instead of {@link POLL_INTERVAL_MS}. */
export function withPollInterval<T>(intervalMs: number | undefined, work: () => T): T {
    return intervalMs === undefined ? work() : pollInterval.run(intervalMs, work);
}

export interface WaitOptions {
    /** What is being waited for, for the timeout message: "dnode 4 to leave `show dnodes`". */
    what: string;
    timeoutMs: number;
    intervalMs?: number;
    progress?: Progress;
}

export class WaitTimeoutError extends ClearError {
    constructor(what: string, timeoutMs: number, lastSeen: string) {
        super(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}; last seen: ${lastSeen}`);
        this.name = "WaitTimeoutError";
    }
}

/**
 * Calls `probe` until it returns `{ done: true }`. `seen` describes the state found; it is reported
 * when it changes (so a long vnode migration shows its count falling) and in the timeout error.
 */
export async function waitFor<T>(
    probe: () => Promise<{ done: boolean; seen: string; value?: T }>, options: WaitOptions,
): Promise<T | undefined> {
    const deadline = Date.now() + options.timeoutMs;
    const interval = options.intervalMs ?? pollInterval.getStore() ?? POLL_INTERVAL_MS;
    let next = Math.min(FIRST_POLL_MS, interval);
    let lastSeen = "";
    for (;;) {
        const result = await probe();
        if (result.seen !== lastSeen) {
            lastSeen = result.seen;
            if (!result.done) {
                options.progress?.(`waiting for ${options.what}: ${result.seen}`);
            }
        }
        if (result.done) {
            return result.value;
        }
        if (Date.now() >= deadline) {
            throw new WaitTimeoutError(options.what, options.timeoutMs, lastSeen);
        }
        await delay(Math.min(next, Math.max(deadline - Date.now(), 0)));
        next = Math.min(next * 2, interval);
    }
}

export { delay };
