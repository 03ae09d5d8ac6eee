/** When the TDengine stand-in was at work, from its event log: shared by the two benchmarks. */
import type { StandinEvent } from "../standin/standin";

export type Interval = [number, number];

/** Each statement from its start to its result, and each new mnode until it serves (docs/tdengine.md#create-mnode: ~1 s later). */
export function tdengineBusy(events: StandinEvent[]): Interval[] {
    const intervals: Interval[] = [];
    const open: StandinEvent[] = [];
    for (const e of events) {
        if (e.kind === "sql") {
            open.push(e);
        } else if (e.kind === "sql.result") {
            const i = open.findIndex(o => e.detail.endsWith(o.detail));
            const start = open.splice(i >= 0 ? i : 0, 1)[0];
            if (start) { intervals.push([start.at, e.at]); }
        } else if (e.kind === "mnode.created") {
            const dnode = e.detail.split(" ")[1];
            const serving = events.find(x => x.at >= e.at && x.kind === "mnode.role" && x.detail.split(" ")[1] === dnode && x.detail.endsWith("follower"));
            if (serving) { intervals.push([e.at, serving.at]); }
        }
    }
    return intervals;
}

/** The time covered by any of the intervals, in the intervals' unit. */
export function union(intervals: Interval[]): number {
    let total = 0;
    let end = -Infinity;
    for (const [a, b] of [...intervals].sort((x, y) => x[0] - y[0])) {
        if (b > end) { total += b - Math.max(a, end); end = b; }
    }
    return total;
}
