/**
 * The step before the StatefulSet: the StatefulSet depends on it, so the leaving dnodes are dropped
 * before a single pod is removed, and a refusal leaves the StatefulSet as it was.
 */
import type * as pulumi from "@pulumi/pulumi";
import { imageChangeOfInputs, refusalReason } from "./image-change";
import { StepTiming, diffLifecycleProps, lifecycleInputsOf, realStepContext, stderrProgress, withClearErrors } from "./provider-support";
import { providerOfSource } from "./provider-source";
import { BEFORE_STATEFULSET_SOURCE } from "./resources";
import { beforeStatefulSet, destroyVolumes } from "./steps";
import { withPollInterval } from "./wait";

/**
 * At preview: an image change TDengine's version rules forbid fails here, with the rule and the way out (the
 * engine shows a check failure as the resource's problem and stops before any change); an allowed one is
 * announced, so the preview says which way it will go. Pure, so it is serialized whole: a preview loads no
 * step code.
 */
export async function checkBeforeStatefulSet(olds: Record<string, unknown>,
    news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    const change = imageChangeOfInputs(lifecycleInputsOf(olds), lifecycleInputsOf(news));
    if (change?.plan === "refused") {
        return { inputs: news, failures: [{ property: "", reason: refusalReason(change) }] };
    }
    if (change !== undefined && change.plan !== "nothing") {
        stderrProgress(`${String(news.instance)} image change`)(change.explanation);
    }
    return { inputs: news };
}

/** The step's provider: what runs in the provider host (loaded by the text of resources.ts's BEFORE_STATEFULSET_SOURCE) and in tests. */
export function beforeStatefulSetSteps(timing: StepTiming = {}): pulumi.dynamic.ResourceProvider {
    const step = "the step before the StatefulSet";
    return {
        check: checkBeforeStatefulSet,
        diff: diffLifecycleProps,
        async create(props: Record<string, unknown>) {
            const inputs = lifecycleInputsOf(props);
            const result = await withClearErrors(step, () => withPollInterval(timing.pollIntervalMs,
                () => beforeStatefulSet(realStepContext(inputs, `${inputs.instance} before StatefulSet`, timing), inputs)));
            return { id: `${inputs.namespace}/${inputs.statefulSet}`, outs: { ...inputs, ...result } };
        },
        async update(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
            const inputs = lifecycleInputsOf(news);
            const previous = lifecycleInputsOf(olds);
            const result = await withClearErrors(step, () => withPollInterval(timing.pollIntervalMs,
                () => beforeStatefulSet(realStepContext(inputs, `${inputs.instance} before StatefulSet`, timing), inputs, previous.password, previous)));
            return { outs: { ...inputs, ...result } };
        },
        async delete(_id: string, props: Record<string, unknown>) {
            const inputs = lifecycleInputsOf(props);
            await withClearErrors("deleting the data volumes", () => withPollInterval(timing.pollIntervalMs,
                () => destroyVolumes(realStepContext(inputs, `${inputs.instance} destroy`, timing), inputs)));
        },
    };
}

/** The step's provider as the provider host makes it from `__provider` (resources.ts). */
export const beforeStatefulSetProvider = providerOfSource(BEFORE_STATEFULSET_SOURCE);
