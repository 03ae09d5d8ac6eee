/**
 * The processes of one local cluster, found by their command lines (kwokctl passes every component
 * paths inside its cluster directory), and how to stop them: SIGTERM, then SIGKILL; and on this
 * process's exit, SIGKILL for every cluster a test never stopped.
 */
import * as fs from "node:fs";
import { delay } from "../../../components/lifecycle/wait";

export interface ClusterProcess {
    pid: number;
    /** Executable name (/proc/<pid>/comm). */
    command: string;
    args: string[];
}

/** Processes whose command line names `clusterDir` (kwokctl passes every component paths inside it). */
export function findClusterProcesses(clusterDir: string): ClusterProcess[] {
    const marker = clusterDir.endsWith("/") ? clusterDir : clusterDir + "/";
    const found: ClusterProcess[] = [];
    let entries: string[];
    try {
        entries = fs.readdirSync("/proc");
    } catch {
        return found;
    }
    for (const entry of entries) {
        if (!/^\d+$/.test(entry)) {
            continue;
        }
        const pid = Number(entry);
        if (pid === process.pid) {
            continue;
        }
        try {
            const raw = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
            if (raw === "" || !raw.includes(marker)) {
                continue;
            }
            const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
            const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
            if (state === "Z" || state === "X") {
                continue;
            }
            const command = fs.readFileSync(`/proc/${entry}/comm`, "utf8").trim();
            found.push({ pid, command, args: raw.split("\0").filter(a => a !== "") });
        } catch {
            // gone meanwhile, or not ours to read
        }
    }
    return found;
}

function killProcesses(pids: number[], signal: NodeJS.Signals): void {
    for (const pid of pids) {
        try {
            process.kill(pid, signal);
        } catch {
            // already gone
        }
    }
}

/** SIGTERM, then SIGKILL after `graceMs`, for every process left of the cluster. */
export async function killClusterProcesses(clusterDir: string, graceMs: number): Promise<void> {
    let left = findClusterProcesses(clusterDir);
    if (left.length === 0) {
        return;
    }
    killProcesses(left.map(p => p.pid), "SIGTERM");
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
        await delay(100);
        left = findClusterProcesses(clusterDir);
        if (left.length === 0) {
            return;
        }
    }
    killProcesses(left.map(p => p.pid), "SIGKILL");
    for (let i = 0; i < 50 && findClusterProcesses(clusterDir).length > 0; i++) {
        await delay(100);
    }
}

// Clusters still running when the process exits (a test that never reached stop()) are killed outright.
const running = new Set<string>();
let exitHookInstalled = false;

/** Kills the cluster's processes if this process exits before `forgetOnExit`. */
export function killOnExit(clusterDir: string): void {
    running.add(clusterDir);
    if (exitHookInstalled) {
        return;
    }
    exitHookInstalled = true;
    process.once("exit", () => {
        for (const dir of running) {
            killProcesses(findClusterProcesses(dir).map(p => p.pid), "SIGKILL");
        }
    });
}

export function forgetOnExit(clusterDir: string): void {
    running.delete(clusterDir);
}
