/**
 * Where TDengine's version rules meet the steps: the decision at preview (the step before the StatefulSet
 * checks its new inputs against its previous ones), and the same decision again when that step runs,
 * against the image the StatefulSet really has, before anything changes.
 */
import { ClearError } from "../errors";
import { ClusterObjects } from "../kube/cluster-objects";
import { LifecycleInputs } from "./session";
import { VersionChange, VersionChangeOptions, planVersionChange } from "./version";

/** The value the engine gives an input not known yet at preview (an output of a resource still to be made). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function versionRulesOf(inputs: Partial<LifecycleInputs>): Pick<VersionChangeOptions, "allowOffline" | "unknownVersionChange"> {
    return { allowOffline: inputs.allowOfflineUpgrade === true, unknownVersionChange: inputs.unknownVersionChange ?? "feature" };
}

function known(value: unknown): value is string {
    return typeof value === "string" && value !== "" && value !== UNKNOWN;
}

/**
 * The image change from the step's previous inputs to its new ones, or undefined when there is none to
 * judge (the first deploy, a step made by an older version, or a value not known at preview).
 */
export function imageChangeOfInputs(olds: Partial<LifecycleInputs>, news: Partial<LifecycleInputs>): VersionChange | undefined {
    if (!known(olds.image) || !known(news.image) || olds.image === news.image || news.upgradeVersion === UNKNOWN) {
        return undefined;
    }
    return planVersionChange(olds.image, news.image, {
        fromVersion: known(olds.upgradeVersion) ? olds.upgradeVersion : undefined,
        toVersion: known(news.upgradeVersion) ? news.upgradeVersion : undefined,
        ...versionRulesOf(news),
    });
}

/** The refusal as the engine shows it: `resource '<step>' has a problem: image: <the rule and the way out>`. */
export function refusalReason(change: VersionChange): string {
    return `image: ${change.explanation}`;
}

/**
 * Before the StatefulSet changes: the image its template has now against the one wanted. Refuses what
 * TDengine's rules forbid, so the StatefulSet is left as it was; returns the change otherwise.
 */
export async function checkLiveImageChange(kube: ClusterObjects, inputs: LifecycleInputs,
    previous?: Partial<LifecycleInputs>): Promise<VersionChange | undefined> {
    if (inputs.image === undefined) {
        return undefined;
    }
    const live = (await kube.statefulSetState())?.image;
    if (live === undefined) {
        return undefined;
    }
    const fromVersion = live === previous?.image ? previous.upgradeVersion : live === inputs.image ? inputs.upgradeVersion : undefined;
    const change = planVersionChange(live, inputs.image, { fromVersion, toVersion: inputs.upgradeVersion, ...versionRulesOf(inputs) });
    if (change.plan === "refused") {
        throw new ClearError(`${refusalReason(change)} Nothing was changed.`);
    }
    return change;
}
