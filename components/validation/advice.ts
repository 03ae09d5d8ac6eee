/**
 * Inputs that work but are probably a mistake: warned at preview, not refused. Each warning runs only
 * when every value it reads is known.
 */
import { quantityToBytes } from "../quantity";
import { DEFAULT_IMAGE } from "../types";
import { NOT_YET_KNOWN, VERSION } from "./args";

const GI = 2 ** 30;
/** The first image that applies TAOS_ROOT_PASSWORD on first start (docs/tdengine.md#environment-variables). */
const ROOT_PASSWORD_SINCE = [3, 3, 6, 6];

const known = (v: unknown): boolean => v !== NOT_YET_KNOWN;

/** The version an image runs: `upgrade.version` when given, else its tag when the tag is a version. */
export function imageVersion(image: string, declared?: string): number[] | undefined {
    const text = declared ?? /:([^:/@]+)(@.*)?$/.exec(image)?.[1];
    return text !== undefined && VERSION.test(text) ? text.split(".").map(Number) : undefined;
}

function older(version: number[], than: number[]): boolean {
    for (let i = 0; i < Math.max(version.length, than.length); i++) {
        const a = version[i] ?? 0;
        const b = than[i] ?? 0;
        if (a !== b) {
            return a < b;
        }
    }
    return false;
}

/** The warnings for a view of the arguments (values not known yet are {@link NOT_YET_KNOWN}). */
export function adviceFor(resourceName: string, view: Record<string, unknown>): string[] {
    const warnings: string[] = [];
    const warn = (text: string): void => { warnings.push(`TDengineCluster "${resourceName}": ${text}`); };
    if (view.replicas === 2) {
        warn("replicas is 2: with 2 dnodes the cluster keeps 1 mnode (docs/tdengine.md#two-mnodes), so losing the dnode that holds it " +
            "stops the whole cluster. Use 1 for a small cluster, or 3 or more to survive the loss of any one dnode.");
    }
    const storage = (view.storage ?? {}) as Record<string, unknown>;
    const upgrade = (view.upgrade ?? {}) as Record<string, unknown>;
    for (const [path, size] of [["storage.size", storage.size], ["upgrade.backupVolumeSize", upgrade.backupVolumeSize]] as const) {
        const bytes = typeof size === "string" ? quantityToBytes(size) : undefined;
        if (bytes !== undefined && bytes > 0 && bytes < GI) {
            warn(`${path} is ${size}, under 1Gi: TDengine's WAL and vnode files fill it quickly. Use 1Gi or more unless this is a throw-away cluster.`);
        }
    }
    const image = view.image ?? DEFAULT_IMAGE;
    const declared = upgrade.version;
    if (view.rootPassword !== undefined && known(image) && known(declared) && typeof image === "string") {
        const version = imageVersion(image, typeof declared === "string" ? declared : undefined);
        if (version !== undefined && older(version, ROOT_PASSWORD_SINCE)) {
            warn(`image ${image} is TDengine ${version.join(".")}, older than 3.3.6.6, which ignores TAOS_ROOT_PASSWORD: root starts with ` +
                "TDengine's default password until the lifecycle step rotates it (never, with lifecycle.enabled false). " +
                "Use tdengine/tdengine:3.3.6.6 or later.");
        }
    }
    return warnings;
}
