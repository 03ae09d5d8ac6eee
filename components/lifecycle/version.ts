/**
 * TDengine's version rules (docs/tdengine.md#version-rules) as pure data: which version an image runs,
 * and how a change from one image to another may be carried out.
 *
 * A version is a.b.c.d: a change of a.b is a Major change (no rolling upgrade, cannot be reverted), of c a
 * Feature change (no rolling upgrade, may be reverted within the Major), of d a Maintenance change (may be
 * rolled one dnode at a time, and reverted).
 */

/** A TDengine release number a.b.c.d. */
export interface TDengineVersion {
    major: number;
    minor: number;
    feature: number;
    maintenance: number;
    /** As written: "3.3.7.5". */
    text: string;
}

const VERSION = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?$/;

/** "3.3.7.5" → 3.3.7.5; a 3-part "3.3.7" is 3.3.7.0. Anything else (a custom tag, "latest") is undefined. */
export function parseVersion(text: string): TDengineVersion | undefined {
    const m = VERSION.exec(text.trim());
    if (m === null) {
        return undefined;
    }
    return { major: Number(m[1]), minor: Number(m[2]), feature: Number(m[3]), maintenance: Number(m[4] ?? 0), text: text.trim() };
}

/**
 * The tag of an image reference, or undefined when it has none or is pinned by digest. A digest is what
 * the runtime pulls whatever the tag says, so a tag next to a digest proves nothing and is not read.
 * A registry port (`registry:5000/tdengine/tdengine`) is not a tag: the tag follows the last `/`.
 */
function tagOf(image: string): string | undefined {
    const reference = image.trim();
    if (reference.includes("@")) {
        return undefined;
    }
    const lastPart = reference.slice(reference.lastIndexOf("/") + 1);
    const colon = lastPart.lastIndexOf(":");
    return colon < 0 ? undefined : lastPart.slice(colon + 1);
}

/**
 * The TDengine version an image runs: `explicit` (the user's `upgrade.version`) when given, else read from
 * the image's tag (`tdengine/tdengine:3.3.7.5`); undefined for digests and tags that are not a version.
 */
export function versionOfImage(image: string, explicit?: string): TDengineVersion | undefined {
    if (explicit !== undefined && explicit.trim() !== "") {
        return parseVersion(explicit);
    }
    const tag = tagOf(image);
    return tag === undefined ? undefined : parseVersion(tag);
}

export type ChangeKind = "none" | "maintenance" | "feature" | "major" | "unknown";

/** What an image change is, by TDengine's rules, and how the component will carry it out. */
export interface VersionChange {
    kind: ChangeKind;
    direction: "up" | "down" | "same" | "unknown";
    from?: TDengineVersion;
    to?: TDengineVersion;
    /** how the component will carry it out */
    plan: "nothing" | "roll" | "offline" | "refused";
    /** one sentence for the preview: which way the change will go and why; for "refused": the rule and the way out */
    explanation: string;
}

export interface VersionChangeOptions {
    /** `upgrade.version` of the old and new configuration, for digests and custom tags. */
    fromVersion?: string;
    toVersion?: string;
    /** `upgrade.allowOffline`. */
    allowOffline: boolean;
    /** `upgrade.unknownVersionChange`. */
    unknownVersionChange: "feature" | "maintenance";
}

/** Orders two versions by their numbers: negative when a < b. */
export function compareVersions(a: TDengineVersion, b: TDengineVersion): number {
    return a.major - b.major || a.minor - b.minor || a.feature - b.feature || a.maintenance - b.maintenance;
}

function kindOf(from: TDengineVersion, to: TDengineVersion): ChangeKind {
    if (from.major !== to.major || from.minor !== to.minor) {
        return "major";
    }
    if (from.feature !== to.feature) {
        return "feature";
    }
    return from.maintenance !== to.maintenance ? "maintenance" : "none";
}

const RULES = "docs/tdengine.md#version-rules";

/**
 * Classifies the change from `fromImage` to `toImage` and decides how it is carried out:
 * - same image: nothing to do for the image;
 * - same version (a tag changed to a digest of the same release, say): a roll, as for any template change;
 * - Maintenance, up or down: a roll, one dnode at a time;
 * - Feature up or down, Major up: refused unless `allowOffline`, then offline (every dnode stopped, all
 *   started on the new image);
 * - Major down: always refused, a Major upgrade cannot be reverted;
 * - a version that cannot be read: as a Feature change, or as a Maintenance one when the user says so.
 */
export function planVersionChange(fromImage: string, toImage: string, o: VersionChangeOptions): VersionChange {
    const from = versionOfImage(fromImage, o.fromVersion);
    const to = versionOfImage(toImage, o.toVersion);
    const change = `${fromImage} → ${toImage}`;
    if (fromImage.trim() === toImage.trim()) {
        return { kind: "none", direction: "same", from, to, plan: "nothing", explanation: `the image stays ${toImage}` };
    }
    if (from === undefined || to === undefined) {
        return planUnknown(change, from, to, o);
    }
    const kind = kindOf(from, to);
    const order = compareVersions(from, to);
    const direction = order < 0 ? "up" : order > 0 ? "down" : "same";
    const versions = `${from.text} → ${to.text}`;
    switch (kind) {
        case "none":
            return { kind, direction, from, to, plan: "roll",
                explanation: `${change} keeps TDengine ${to.text}: the dnodes are restarted one at a time on the new image` };
        case "maintenance":
            return { kind, direction, from, to, plan: "roll",
                explanation: `${change} is a Maintenance ${direction === "up" ? "upgrade" : "downgrade"} (${versions}): the dnodes are ` +
                    "restarted one at a time, highest ordinal first, each once the cluster is whole again" };
        case "feature":
            return offlineOrRefused(o, { kind, direction, from, to },
                `${change} is a Feature ${direction === "up" ? "upgrade" : "downgrade"} (${versions}), which TDengine cannot roll: ` +
                `every dnode must be stopped and all started on the new image (${RULES})`);
        case "major":
            if (direction === "down") {
                return { kind, direction, from, to, plan: "refused",
                    explanation: `${change} is a downgrade across a Major release (${versions}), which TDengine cannot revert: ` +
                        `its data files belong to ${from.major}.${from.minor} now (${RULES}). Keep image ${fromImage}; ` +
                        `to go back, restore a backup taken before the upgrade into a new cluster running ${toImage}.` };
            }
            return offlineOrRefused(o, { kind, direction, from, to },
                `${change} is a Major upgrade (${versions}), which TDengine cannot roll and which cannot be reverted: ` +
                `every dnode must be stopped and all started on the new image (${RULES})`);
    }
    throw new Error(`unreachable: change kind ${String(kind)}`);
}

function planUnknown(change: string, from: TDengineVersion | undefined, to: TDengineVersion | undefined,
    o: VersionChangeOptions): VersionChange {
    const unread = [from === undefined ? "the current image's" : undefined, to === undefined ? "the new image's" : undefined]
        .filter(x => x !== undefined).join(" and ");
    const base = { kind: "unknown" as const, direction: "unknown" as const, from, to };
    if (o.unknownVersionChange === "maintenance") {
        return { ...base, plan: "roll",
            explanation: `${change}: ${unread} TDengine version cannot be read from its tag, and upgrade.unknownVersionChange is ` +
                "\"maintenance\": the dnodes are restarted one at a time, highest ordinal first, each once the cluster is whole again" };
    }
    return offlineOrRefused(o, base,
        `${change}: ${unread} TDengine version cannot be read from its tag (a digest or a custom tag), so it is treated as a ` +
        `Feature change, which TDengine cannot roll (${RULES})`);
}

function offlineOrRefused(o: VersionChangeOptions, change: Omit<VersionChange, "plan" | "explanation">, why: string): VersionChange {
    if (o.allowOffline) {
        return { ...change, plan: "offline",
            explanation: `${why}. upgrade.allowOffline is set: every dnode is stopped, then all start on the new image ` +
                "(the cluster is unavailable until they are back)" };
    }
    const wayOut = change.kind === "unknown"
        ? ". Set upgrade.version to the version the image runs (e.g. \"3.3.7.6\"), or upgrade.unknownVersionChange: \"maintenance\" " +
            "if you know it is a Maintenance change, or upgrade.allowOffline: true to stop every dnode and start all on the new image"
        : ". Set upgrade.allowOffline: true to stop every dnode and start all on the new image (the cluster is unavailable meanwhile)";
    return { ...change, plan: "refused", explanation: `${why}${wayOut}, or keep the image as it is.` };
}
