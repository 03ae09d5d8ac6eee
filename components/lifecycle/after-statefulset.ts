/**
 * The step after the StatefulSet: it depends on the StatefulSet, so it runs once the pods have rolled
 * out, and makes the cluster whole: every dnode ready, 3 mnodes from 3 dnodes up and 1 below, removed pods'
 * volumes deleted.
 */
import type * as pulumi from "@pulumi/pulumi";
import { DnodeStatus, MnodeStatus } from "../types";
import { wantedMnodes } from "./mnodes";
import { StepTiming, diffLifecycleProps, lifecycleInputsOf, realStepContext, withClearErrors } from "./provider-support";
import { providerOfSource } from "./provider-source";
import { AFTER_STATEFULSET_SOURCE } from "./resources";
import { AfterStatefulSetResult, afterStatefulSet } from "./steps";
import { withPollInterval } from "./wait";

/** What the component exports: ids, endpoints, status and roles, nothing more. */
function report(result: AfterStatefulSetResult): { dnodes: DnodeStatus[]; mnodes: MnodeStatus[]; deletedVolumes: string[] } {
    return {
        dnodes: result.dnodes.map(d => ({ id: d.id, endpoint: d.endpoint, status: d.status })),
        mnodes: result.mnodes.map(m => ({ endpoint: m.endpoint, role: m.role })),
        deletedVolumes: result.deletedVolumes,
    };
}

/**
 * The step's diff: any input changed, or the last run left another mnode count than the cluster's size wants
 * (2 mnodes on 2 dnodes, as an earlier version's 3 → 2 did), so the next `pulumi up` brings it there
 * (docs/tdengine.md#two-mnodes). Pure, so it is serialized whole and a preview loads no step code.
 */
export async function diffAfterStatefulSet(id: string, olds: Record<string, unknown>,
    news: Record<string, unknown>): Promise<pulumi.dynamic.DiffResult> {
    const diff = await diffLifecycleProps(id, olds, news);
    const recorded = Array.isArray(olds.mnodes) ? olds.mnodes.length : undefined;
    const replicas = lifecycleInputsOf(news).replicas;
    const offCount = recorded !== undefined && typeof replicas === "number" && recorded !== wantedMnodes(replicas);
    return offCount ? { ...diff, changes: true } : diff;
}

/** The step's provider: what runs in the provider host (loaded by the text of resources.ts's AFTER_STATEFULSET_SOURCE) and in tests. */
export function afterStatefulSetSteps(timing: StepTiming = {}): pulumi.dynamic.ResourceProvider {
    const step = "the step after the StatefulSet";
    return {
        diff: diffAfterStatefulSet,
        async create(props: Record<string, unknown>) {
            const inputs = lifecycleInputsOf(props);
            const result = await withClearErrors(step, () => withPollInterval(timing.pollIntervalMs,
                () => afterStatefulSet(realStepContext(inputs, `${inputs.instance} after StatefulSet`, timing), inputs)));
            return { id: `${inputs.namespace}/${inputs.statefulSet}`, outs: { ...inputs, ...report(result) } };
        },
        async update(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
            const inputs = lifecycleInputsOf(news);
            const previous = lifecycleInputsOf(olds);
            const result = await withClearErrors(step, () => withPollInterval(timing.pollIntervalMs,
                () => afterStatefulSet(realStepContext(inputs, `${inputs.instance} after StatefulSet`, timing), inputs, previous.password, previous)));
            return { outs: { ...inputs, ...report(result) } };
        },
        // Nothing to undo: on destroy it goes before the StatefulSet, and the volumes go after it.
        async delete() {
            return;
        },
    };
}

/** The step's provider as the provider host makes it from `__provider` (resources.ts). */
export const afterStatefulSetProvider = providerOfSource(AFTER_STATEFULSET_SOURCE);
