/**
 * Drives the two lifecycle providers the way the Pulumi engine does around the StatefulSet: the step
 * before it (diff, then create or update), the StatefulSet itself (only when that step succeeded), then
 * the step after it; on destroy, the reverse. Progress lines are collected, not printed.
 */
import * as pulumi from "@pulumi/pulumi";
import { afterStatefulSetSteps } from "../../components/lifecycle/after-statefulset";
import { beforeStatefulSetSteps } from "../../components/lifecycle/before-statefulset";
import { StepTiming } from "../../components/lifecycle/provider-support";
import { LifecycleInputs } from "../../components/lifecycle/session";
import { FakeKubernetes } from "./fake-kubernetes";

type Props = Record<string, unknown>;

interface StepState {
    id: string;
    outs: Props;
}

export interface UpResult {
    /** Whether each step ran (false: its diff found no change). */
    beforeRan: boolean;
    afterRan: boolean;
    after?: Props;
}

/**
 * The steps' timing in tests: the REST client's 6 attempts kept, its backoff (0.5 s doubling to 8 s) and
 * the waits' 250 ms polls shortened about as much as the stand-in's timeScale shortens TDengine.
 */
export const TEST_TIMING: StepTiming = { retry: { attempts: 6, initialDelayMs: 5, maxDelayMs: 40 }, pollIntervalMs: 10 };

export class Engine {
    before?: StepState;
    after?: StepState;
    readonly progress: string[] = [];
    readonly beforeProvider: pulumi.dynamic.ResourceProvider;
    readonly afterProvider: pulumi.dynamic.ResourceProvider;

    /** `timing`: TEST_TIMING by default; the hook benchmark passes {} for production timing. */
    constructor(readonly kube: FakeKubernetes, timing: StepTiming = TEST_TIMING) {
        this.beforeProvider = beforeStatefulSetSteps(timing);
        this.afterProvider = afterStatefulSetSteps(timing);
    }

    /** `pulumi up` with these inputs. Throws what the first failing step throws, as the engine reports it. */
    async up(inputs: LifecycleInputs): Promise<UpResult> {
        const news = inputs as unknown as Props;
        await this.preview(news);
        const beforeRan = await this.step(this.beforeProvider, "before", news);
        this.kube.applyStatefulSet(inputs.replicas, { image: inputs.image, hash: inputs.podTemplateHash });
        const afterRan = await this.step(this.afterProvider, "after", news);
        return { beforeRan, afterRan, after: this.after?.outs };
    }

    /**
     * What `pulumi preview` (and the preview part of `up`) asks the step before the StatefulSet: its check.
     * A failure is shown as the engine shows it, and nothing runs.
     */
    async preview(news: Props): Promise<void> {
        const checked = await this.quietly(() => this.beforeProvider.check?.(this.before?.outs ?? {}, news));
        const failures = checked?.failures ?? [];
        if (failures.length > 0) {
            throw new Error(`resource 'tdengine-drop-leaving-dnodes' has a problem: ${failures.map(f => f.reason).join("; ")}`);
        }
    }

    /** `pulumi destroy`: the step after the StatefulSet, the StatefulSet, then the step before it. */
    async destroy(): Promise<void> {
        if (this.after) {
            await this.quietly(() => this.afterProvider.delete?.(this.after?.id ?? "", this.after?.outs ?? {}));
            this.after = undefined;
        }
        this.kube.deleteStatefulSet();
        if (this.before) {
            await this.quietly(() => this.beforeProvider.delete?.(this.before?.id ?? "", this.before?.outs ?? {}));
            this.before = undefined;
        }
    }

    private async step(provider: pulumi.dynamic.ResourceProvider, which: "before" | "after", news: Props): Promise<boolean> {
        const state = this[which];
        if (state === undefined) {
            const created = await this.quietly(() => provider.create(news));
            this[which] = { id: created.id, outs: created.outs as Props };
            return true;
        }
        const diff = await provider.diff?.(state.id, state.outs, news);
        if (diff?.replaces && diff.replaces.length > 0) {
            throw new Error(`a lifecycle step asked for replacement: ${diff.replaces.join(", ")}`);
        }
        if (!diff?.changes) {
            return false;
        }
        const updated = await this.quietly(() => provider.update?.(state.id, state.outs, news) ?? Promise.resolve({ outs: news }));
        this[which] = { id: state.id, outs: (updated.outs ?? news) as Props };
        return true;
    }

    /** Runs a provider call with its progress lines (stderr outside a provider host) collected. */
    private async quietly<T>(call: () => Promise<T> | undefined): Promise<T> {
        const write = process.stderr.write.bind(process.stderr);
        process.stderr.write = ((chunk: string | Uint8Array) => {
            this.progress.push(String(chunk).trimEnd());
            return true;
        }) as typeof process.stderr.write;
        try {
            return await (call() as Promise<T>);
        } finally {
            process.stderr.write = write;
        }
    }
}
