/**
 * The step before the StatefulSet: the StatefulSet depends on it, so the leaving dnodes are dropped
 * before a single pod is removed, and a refusal leaves the StatefulSet as it was.
 */
import * as pulumi from "@pulumi/pulumi";
import { imageChangeOfInputs, refusalReason } from "./image-change";
import { diffLifecycleInputs, engineProgress, lifecycleInputsOf, realStepContext, withClearErrors } from "./provider-support";
import { LifecycleInputs } from "./session";
import { beforeStatefulSet, destroyVolumes } from "./steps";

type Inputs = { [K in keyof LifecycleInputs]: pulumi.Input<LifecycleInputs[K]> };

export const beforeStatefulSetProvider: pulumi.dynamic.ResourceProvider = {
    /**
     * At preview: an image change TDengine's version rules forbid fails here, with the rule and the way out
     * (the engine shows a check failure as the resource's problem and stops before any change); an allowed
     * one is announced, so the preview says which way it will go.
     */
    async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
        const change = imageChangeOfInputs(lifecycleInputsOf(olds), lifecycleInputsOf(news));
        if (change?.plan === "refused") {
            return { inputs: news, failures: [{ property: "", reason: refusalReason(change) }] };
        }
        if (change !== undefined && change.plan !== "nothing") {
            engineProgress(`${String(news.instance)} image change`)(change.explanation);
        }
        return { inputs: news };
    },
    async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
        return diffLifecycleInputs(lifecycleInputsOf(olds), lifecycleInputsOf(news));
    },
    async create(props: Record<string, unknown>) {
        const inputs = lifecycleInputsOf(props);
        const result = await withClearErrors("the step before the StatefulSet",
            () => beforeStatefulSet(realStepContext(inputs, `${inputs.instance} before StatefulSet`), inputs));
        return { id: `${inputs.namespace}/${inputs.statefulSet}`, outs: { ...inputs, ...result } };
    },
    async update(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
        const inputs = lifecycleInputsOf(news);
        const previous = lifecycleInputsOf(olds);
        const result = await withClearErrors("the step before the StatefulSet",
            () => beforeStatefulSet(realStepContext(inputs, `${inputs.instance} before StatefulSet`), inputs, previous.password, previous));
        return { outs: { ...inputs, ...result } };
    },
    async delete(_id: string, props: Record<string, unknown>) {
        const inputs = lifecycleInputsOf(props);
        await withClearErrors("deleting the data volumes", () => destroyVolumes(realStepContext(inputs, `${inputs.instance} destroy`), inputs));
    },
};

/** Drops leaving dnodes before the StatefulSet shrinks; deletes the data volumes on destroy. */
export class BeforeStatefulSet extends pulumi.dynamic.Resource {
    /** Ids of the dnodes the last run dropped. */
    declare public readonly droppedDnodes: pulumi.Output<number[]>;

    constructor(name: string, args: Inputs, opts: pulumi.CustomResourceOptions) {
        super(beforeStatefulSetProvider, name, { ...args, droppedDnodes: undefined, deletedVolumes: undefined },
            { ...opts, additionalSecretOutputs: ["password", "kubeconfig"] }, "tdengine", "BeforeStatefulSet");
    }
}
