/**
 * Pod template changes the lifecycle carries out itself: the StatefulSet's update strategy is `OnDelete`
 * (manifests.ts), so a new template restarts nothing until a pod is deleted, and the step after the
 * StatefulSet decides how the pods move onto it:
 *  - a roll (a Maintenance image change, any other template change): one dnode at a time, highest ordinal
 *    first, each only once the cluster is whole again (docs/tdengine.md#rolling-restart);
 *  - an offline upgrade (a Feature or Major change the user allowed): every dnode stopped, all started on
 *    the new image (docs/tdengine.md#version-rules).
 * Which pods are outdated is read from Kubernetes each time (a pod's revision against the StatefulSet's
 * updateRevision), so a run that stopped half way is continued by the next one.
 */
import { ClearError } from "../errors";
import { ClusterObjects, PodState, StatefulSetState } from "../kube/cluster-objects";
import { DnodeAddressing, podName } from "../names";
import { ClusterReader, GateOptions, unsettledVgroups, waitUntilWhole } from "./health";
import { VersionChange, VersionChangeOptions, planVersionChange } from "./version";
import { waitFor } from "./wait";

/** The StatefulSet's template as the controller has seen it, and the pods 0..replicas-1 not created from it. */
export interface TemplateState {
    target: StatefulSetState & { updateRevision: string };
    pods: PodState[];
    /** Highest ordinal first. */
    outdated: PodState[];
}

/** Waits until the StatefulSet controller has seen the latest spec, so its updateRevision is the new template's. */
export async function readTemplateState(kube: ClusterObjects,
    o: Pick<GateOptions, "replicas" | "timeoutMs" | "progress" | "pollIntervalMs">): Promise<TemplateState> {
    const target = await waitFor(async () => {
        const sts = await kube.statefulSetState();
        if (sts === undefined) {
            throw new ClearError("the StatefulSet is gone: nothing to roll");
        }
        const done = sts.observed && sts.updateRevision !== undefined;
        return { done, seen: done ? "seen" : "the StatefulSet controller has not seen the new spec yet", value: sts };
    }, { what: "the StatefulSet controller to see the new pod template", timeoutMs: o.timeoutMs, intervalMs: o.pollIntervalMs,
        progress: o.progress });
    const updateRevision = target?.updateRevision;
    if (target === undefined || updateRevision === undefined) {
        throw new Error("unreachable: no StatefulSet revision after waiting for it");
    }
    const pods = await kube.pods();
    const outdated = pods
        .filter(p => p.ordinal < o.replicas && p.revision !== updateRevision)
        .sort((a, b) => b.ordinal - a.ordinal);
    return { target: { ...target, updateRevision }, pods, outdated };
}

const SEVERITY: VersionChange["plan"][] = ["nothing", "roll", "offline", "refused"];

/**
 * How the pods still on an older template reach the new one, by TDengine's version rules applied to the
 * images they run now (not to the previous inputs: a run that stopped half way left some pods on each).
 * `previous` is the step's previous image and upgrade.version, which say what version a pod on that image runs.
 */
export function planPodImageChange(state: TemplateState, wanted: { image: string; version?: string },
    previous: { image?: string; version?: string }, o: Omit<VersionChangeOptions, "fromVersion" | "toVersion">): VersionChange {
    const toImage = state.target.image ?? wanted.image;
    const oldImages = [...new Set(state.outdated.map(p => p.image).filter((i): i is string => i !== undefined && i !== toImage))];
    const changes = oldImages.map(from => planVersionChange(from, toImage, {
        ...o,
        fromVersion: from === previous.image ? previous.version : undefined,
        toVersion: toImage === wanted.image ? wanted.version : undefined,
    }));
    const worst = changes.sort((a, b) => SEVERITY.indexOf(b.plan) - SEVERITY.indexOf(a.plan))[0];
    return worst ?? { kind: "none", direction: "same", plan: "nothing", explanation: `every pod runs ${toImage}` };
}

/** The roll or offline upgrade stopped: says which pods run what, and that a rerun continues. */
export class RollStoppedError extends ClearError {
    constructor(what: string, cause: unknown, state: string) {
        const reason = cause instanceof Error ? cause.message : String(cause);
        super(`${what} stopped: ${reason}. Pods now: ${state}. Nothing else was restarted; run \`pulumi up\` again to continue from here.`);
        this.name = "RollStoppedError";
    }
}

/** "tdengine-0 on tdengine-7d9 (old template, tdengine/tdengine:3.3.7.5), tdengine-1 not running, ..." */
export async function describePods(kube: ClusterObjects, addressing: DnodeAddressing, replicas: number): Promise<string> {
    try {
        const sts = await kube.statefulSetState();
        const pods = await kube.pods();
        const parts: string[] = [];
        for (let ordinal = 0; ordinal < replicas; ordinal++) {
            const pod = pods.find(p => p.ordinal === ordinal && !p.terminating);
            if (pod === undefined) {
                parts.push(`${podName(addressing, ordinal)} not running`);
                continue;
            }
            const which = pod.revision === sts?.updateRevision ? "new template" : "old template";
            parts.push(`${pod.name} on revision ${pod.revision ?? "?"} (${which}, ${pod.image ?? "?"}${pod.ready ? "" : ", not ready"})`);
        }
        return parts.join(", ");
    } catch (err) {
        return `(could not list them: ${err instanceof Error ? err.message : String(err)})`;
    }
}

/** Waits until the pod with this ordinal runs the template `revision` and is Ready. */
async function waitForPodOnRevision(kube: ClusterObjects, ordinal: number, revision: string, o: GateOptions): Promise<void> {
    const name = podName(o.addressing, ordinal);
    await waitFor(async () => {
        const pod = (await kube.pods()).find(p => p.ordinal === ordinal);
        const seen = pod === undefined ? "not created yet"
            : pod.terminating ? "terminating"
                : pod.revision !== revision ? "still the old pod"
                    : pod.ready ? "ready" : "starting";
        return { done: seen === "ready", seen };
    }, { what: `pod ${name} to run the new template and be ready`, timeoutMs: o.timeoutMs, intervalMs: o.pollIntervalMs,
        progress: o.progress });
}

/**
 * Restarts the outdated pods one at a time, highest ordinal first. Before each: the cluster is whole (the
 * health gate), and, read again right before the delete, no vgroup lacks a leader. After each: the pod
 * runs the new template and is Ready, and the cluster is whole again. Returns the pods restarted.
 */
export async function rollOutdatedPods(td: ClusterReader, kube: ClusterObjects, o: GateOptions): Promise<string[]> {
    const restarted: string[] = [];
    let total: number | undefined;
    let deadline = Date.now() + o.timeoutMs;
    for (;;) {
        const state = await readTemplateState(kube, o);
        const pod = state.outdated[0];
        if (pod === undefined) {
            return restarted;
        }
        total ??= state.outdated.length;
        const step = `${restarted.length + 1}/${Math.max(total, restarted.length + state.outdated.length)}`;
        try {
            await waitUntilWhole(td, { ...o, what: `the cluster to be whole before restarting pod ${pod.name}` });
            // Read again right before the delete: a vgroup may have lost its leader since the gate passed.
            const unsettled = unsettledVgroups(await td.showVgroups());
            if (unsettled.length > 0) {
                if (Date.now() > deadline) {
                    throw new ClearError(`a vgroup kept losing its leader right after the cluster was whole: ${unsettled.join("; ")}`);
                }
                o.progress(`not restarting pod ${pod.name} yet: ${unsettled.join("; ")}`);
                continue;
            }
            const images = pod.image === state.target.image ? "" : `: ${pod.image ?? "?"} → ${state.target.image ?? "?"}`;
            o.progress(`restarting pod ${pod.name} (${step}) on the new template${images}`);
            await kube.deletePod(pod.name);
            await waitForPodOnRevision(kube, pod.ordinal, state.target.updateRevision, o);
            await waitUntilWhole(td, { ...o, what: `the dnode of pod ${pod.name} to be ready and the cluster whole` });
            restarted.push(pod.name);
            deadline = Date.now() + o.timeoutMs;
            o.progress(`pod ${pod.name} (${step}) runs the new template; the cluster is whole`);
        } catch (err) {
            const pods = await describePods(kube, o.addressing, o.replicas);
            throw new RollStoppedError(`the rolling restart (at pod ${pod.name}, ${step})`, err, pods);
        }
    }
}

/**
 * The offline upgrade: every pod still on the old template is deleted, then all start on the new one.
 *
 * Pods are deleted all at once. With podManagementPolicy OrderedReady the controller recreates nothing
 * while pod 0 is terminating, and then starts the pods one by one, each once the one before is Ready. A
 * StatefulSet cannot hold pod 0 back until every old pod has terminated: an old taosd slow to shut down
 * (docs/tdengine.md#sigterm-and-datadir-lock) can still be running when the new pod 0 starts.
 * The ordered start cannot deadlock: readiness is `taos-check`, which passes for "network ok" and
 * "degraded" (manifests.ts), so pod 0 is Ready as soon as its taosd answers, long before the cluster is
 * whole; only then does this step wait for the whole cluster (the health gate).
 */
export async function offlineUpgrade(td: ClusterReader, kube: ClusterObjects, o: GateOptions, change: VersionChange): Promise<string[]> {
    const state = await readTemplateState(kube, o);
    if (state.outdated.length === 0) {
        return [];
    }
    const stopping = [...state.outdated].sort((a, b) => a.ordinal - b.ordinal);
    try {
        o.progress(`offline upgrade: ${change.explanation}`);
        o.progress(`stopping every dnode still on the old template (${stopping.map(p => p.name).join(", ")}); ` +
            "the cluster is unavailable until all are back");
        // All at once: the controller recreates pod 0 as soon as its old incarnation is gone, so deleting the
        // others one request after another would leave old dnodes running beside a new one for longer.
        await Promise.all(stopping.map(pod => kube.deletePod(pod.name)));
        for (let ordinal = 0; ordinal < o.replicas; ordinal++) {
            await waitForPodOnRevision(kube, ordinal, state.target.updateRevision, o);
        }
        o.progress(`every pod runs ${state.target.image ?? "the new template"}; waiting for the cluster to be whole`);
        await waitUntilWhole(td, { ...o, what: "the cluster to be whole after the offline upgrade" });
    } catch (err) {
        throw new RollStoppedError("the offline upgrade", err, await describePods(kube, o.addressing, o.replicas));
    }
    return stopping.map(p => p.name);
}
