/**
 * The lifecycle steps as the program registers them: dynamic resources whose `__provider` is the step's
 * text from provider-source.ts. This module, loaded at every preview and up, loads none of the steps' code
 * (that is before-statefulset.ts and after-statefulset.ts, loaded by the provider host when a step runs).
 */
import * as pulumi from "@pulumi/pulumi";
import { DnodeStatus, MnodeStatus } from "../types";
import { stepProviderSource } from "./provider-source";
import { LifecycleInputs } from "./session";

type Inputs = { [K in keyof LifecycleInputs]: pulumi.Input<LifecycleInputs[K]> };

/** The step before the StatefulSet's `__provider`: a check of image changes; runs beforeStatefulSetSteps (before-statefulset.ts). */
export const BEFORE_STATEFULSET_SOURCE = stepProviderSource("before-statefulset", "beforeStatefulSetSteps", { imageCheck: true });

/** The step after the StatefulSet's `__provider`: diff sees an mnode count off too; runs afterStatefulSetSteps (after-statefulset.ts). */
export const AFTER_STATEFULSET_SOURCE = stepProviderSource("after-statefulset", "afterStatefulSetSteps", { mnodeCountDiff: true });

/**
 * A dynamic resource of the `tdengine` module, as `pulumi.dynamic.Resource` registers one (type
 * `pulumi-nodejs:dynamic/tdengine:<type>`, the provider in `__provider`), with the provider's text given
 * rather than serialized from an object. The secrets among the inputs stay secret in the outputs.
 */
class LifecycleStep extends pulumi.CustomResource {
    constructor(type: string, source: string, name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
        super(`pulumi-nodejs:dynamic/tdengine:${type}`, name, { ...props, __provider: source },
            { ...opts, additionalSecretOutputs: ["password", "kubeconfig"] });
    }
}

/** Drops leaving dnodes before the StatefulSet shrinks; deletes the data volumes on destroy. */
export class BeforeStatefulSet extends LifecycleStep {
    /** Ids of the dnodes the last run dropped. */
    declare public readonly droppedDnodes: pulumi.Output<number[]>;

    constructor(name: string, args: Inputs, opts: pulumi.CustomResourceOptions) {
        super("BeforeStatefulSet", BEFORE_STATEFULSET_SOURCE, name, { ...args, droppedDnodes: undefined, deletedVolumes: undefined }, opts);
    }
}

/** Waits for the dnodes, ensures mnodes, deletes removed pods' volumes; reports dnodes and mnodes. */
export class AfterStatefulSet extends LifecycleStep {
    declare public readonly dnodes: pulumi.Output<DnodeStatus[]>;
    declare public readonly mnodes: pulumi.Output<MnodeStatus[]>;

    constructor(name: string, args: Inputs, opts: pulumi.CustomResourceOptions) {
        super("AfterStatefulSet", AFTER_STATEFULSET_SOURCE, name, { ...args, dnodes: undefined, mnodes: undefined, deletedVolumes: undefined }, opts);
    }
}
