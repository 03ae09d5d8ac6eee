/**
 * `taosConfig`: taos.cfg keys passed as `TAOS_*` variables (docs/tdengine.md#environment-variables).
 * TDengine matches config keys without regard to case, so the keys the component owns are refused in
 * any spelling (`serverport`, `firstEP`), and so are two spellings of one key.
 */
import { describeValue } from "./describe";
import { Problem } from "./problems";

/**
 * Keys the component sets itself or that would break a dnode: its identity (fqdn, endpoints, port: a
 * dnode's endpoint is stored by TDengine, docs/tdengine.md#dropped-dnode-returns), where its data lives
 * (only /var/lib/taos is on the volume: another dataDir is lost at the next restart), and the time zone
 * (the `timezone` argument sets it). Lower-case, for matching.
 */
const OWNED_KEYS: Record<string, string> = {
    fqdn: "every pod's fqdn follows from the StatefulSet's names",
    firstep: "the first endpoint is pod 0's, set by the component",
    secondep: "the second endpoint is pod 1's, set by the component",
    serverport: "the native port is 6030 in every manifest and endpoint",
    datadir: "only /var/lib/taos is on the volume; data elsewhere is lost at the next restart",
    logdir: "the log directory stays where the image keeps it, next to the data on the volume",
    tempdir: "the temporary directory stays where the image keeps it",
    timezone: "the `timezone` argument sets it (TZ)",
};

/** camelCase as taos.cfg writes it: the `TAOS_*` name is derived from the capitals. */
const TAOS_CONFIG_KEY = /^[a-z][a-zA-Z0-9]*$/;

export function taosConfigProblems(path: string, config: Record<string, unknown>, secret: boolean): Problem[] {
    const problems: Problem[] = [];
    const seen = new Map<string, string>();
    for (const [key, value] of Object.entries(config)) {
        const owned = OWNED_KEYS[key.toLowerCase()];
        if (owned !== undefined) {
            problems.push({ path: `${path}.${key}`, problem: `is set by the component (${owned})`,
                fix: "Remove it: fqdn, firstEp, secondEp, serverPort, dataDir, logDir, tempDir and timezone are refused in any spelling." });
            continue;
        }
        if (!TAOS_CONFIG_KEY.test(key)) {
            problems.push({ path: `${path}.${key}`, problem: `is not a taos.cfg key (got ${describeValue(key)})`,
                fix: "Write keys in taos.cfg's camelCase, e.g. supportVnodes or numOfMnodeReadThreads." });
            continue;
        }
        const other = seen.get(key.toLowerCase());
        if (other !== undefined) {
            problems.push({ path: `${path}.${key}`, problem: `is the same taos.cfg key as ${path}.${other} (TDengine ignores case)`,
                fix: "Keep one of them." });
        }
        seen.set(key.toLowerCase(), key);
        const scalar = typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value));
        if (!scalar) {
            problems.push({ path: `${path}.${key}`, problem: `must be a string, a finite number or a boolean (got ${describeValue(value, secret)})`,
                fix: "Give the value as it would appear in taos.cfg." });
        } else if (typeof value === "string" && /[\r\n\0]/.test(value)) {
            problems.push({ path: `${path}.${key}`, problem: `holds a line break or NUL (got ${describeValue(value, secret)})`,
                fix: "Give the value on one line, as it would appear in taos.cfg." });
        }
    }
    return problems;
}
