/**
 * TDengine's version rules (docs/tdengine.md#version-rules) as a table: what an image reference says about
 * its version, and how each change between two images is carried out.
 */
import { strict as assert } from "node:assert";
import { ChangeKind, VersionChange, parseVersion, planVersionChange, versionOfImage } from "../../components/lifecycle/version";

describe("parseVersion", () => {
    const table: [string, [number, number, number, number] | undefined][] = [
        ["3.3.7.5", [3, 3, 7, 5]],
        ["3.3.7", [3, 3, 7, 0]],
        ["3.0.0.0", [3, 0, 0, 0]],
        ["10.20.30.40", [10, 20, 30, 40]],
        [" 3.3.7.5 ", [3, 3, 7, 5]],
        ["latest", undefined],
        ["3.3", undefined],
        ["3.3.7.5.1", undefined],
        ["3.3.7.5-custom", undefined],
        ["v3.3.7.5", undefined],
        ["03.3.7.5", undefined],
        ["", undefined],
    ];
    for (const [text, expected] of table) {
        it(`reads ${JSON.stringify(text)} as ${expected === undefined ? "no version" : expected.join(".")}`, () => {
            const v = parseVersion(text);
            if (expected === undefined) {
                assert.equal(v, undefined);
                return;
            }
            const [major, minor, feature, maintenance] = expected;
            assert.deepEqual(v && { major: v.major, minor: v.minor, feature: v.feature, maintenance: v.maintenance },
                { major, minor, feature, maintenance });
            assert.equal(v?.text, text.trim());
        });
    }
});

describe("versionOfImage", () => {
    const table: [string, string | undefined, string | undefined][] = [
        ["tdengine/tdengine:3.3.7.5", undefined, "3.3.7.5"],
        ["docker.io/tdengine/tdengine:3.3.8.0", undefined, "3.3.8.0"],
        ["registry.local:5000/tdengine/tdengine:3.3.7.6", undefined, "3.3.7.6"],
        ["registry.local:5000/tdengine/tdengine", undefined, undefined],
        ["tdengine/tdengine", undefined, undefined],
        ["tdengine/tdengine:latest", undefined, undefined],
        ["tdengine/tdengine:3.3.7.5-ours", undefined, undefined],
        ["tdengine/tdengine@sha256:" + "a".repeat(64), undefined, undefined],
        // A tag beside a digest proves nothing: the digest is what runs.
        ["tdengine/tdengine:3.3.7.5@sha256:" + "a".repeat(64), undefined, undefined],
        ["tdengine/tdengine@sha256:" + "a".repeat(64), "3.3.7.6", "3.3.7.6"],
        ["registry.local:5000/ours:prod", "3.3.7.6", "3.3.7.6"],
        // The user's word wins over the tag.
        ["tdengine/tdengine:3.3.7.5", "3.3.7.6", "3.3.7.6"],
        ["tdengine/tdengine:3.3.7.5", "", "3.3.7.5"],
        ["tdengine/tdengine:3.3.7.5", "not a version", undefined],
    ];
    for (const [image, explicit, expected] of table) {
        it(`${image}${explicit === undefined ? "" : ` with upgrade.version ${JSON.stringify(explicit)}`} runs ${expected ?? "an unknown version"}`, () => {
            assert.equal(versionOfImage(image, explicit)?.text, expected);
        });
    }
});

describe("planVersionChange", () => {
    const IMG = (tag: string): string => `tdengine/tdengine:${tag}`;
    const DIGEST = "tdengine/tdengine@sha256:" + "b".repeat(64);
    type Row = {
        from: string; to: string; fromVersion?: string; toVersion?: string; allowOffline?: boolean; unknown?: "feature" | "maintenance";
        kind: ChangeKind; direction: VersionChange["direction"]; plan: VersionChange["plan"]; says: RegExp[];
    };
    const table: Row[] = [
        { from: IMG("3.3.7.5"), to: IMG("3.3.7.5"), kind: "none", direction: "same", plan: "nothing", says: [/stays/] },
        { from: IMG("3.3.7.5"), to: IMG("3.3.7.6"), kind: "maintenance", direction: "up", plan: "roll",
            says: [/Maintenance upgrade \(3\.3\.7\.5 → 3\.3\.7\.6\)/, /one at a time/] },
        { from: IMG("3.3.7.6"), to: IMG("3.3.7.5"), kind: "maintenance", direction: "down", plan: "roll", says: [/Maintenance downgrade/] },
        { from: IMG("3.3.7.5"), to: IMG("3.3.8.0"), kind: "feature", direction: "up", plan: "refused",
            says: [/Feature upgrade/, /cannot roll/, /upgrade\.allowOffline: true/, /docs\/tdengine\.md#version-rules/] },
        { from: IMG("3.3.7.5"), to: IMG("3.3.8.0"), allowOffline: true, kind: "feature", direction: "up", plan: "offline",
            says: [/every dnode is stopped/] },
        { from: IMG("3.3.8.0"), to: IMG("3.3.7.5"), kind: "feature", direction: "down", plan: "refused", says: [/Feature downgrade/, /allowOffline/] },
        { from: IMG("3.3.8.0"), to: IMG("3.3.7.5"), allowOffline: true, kind: "feature", direction: "down", plan: "offline", says: [/Feature downgrade/] },
        { from: IMG("3.3.7.5"), to: IMG("3.4.0.0"), kind: "major", direction: "up", plan: "refused",
            says: [/Major upgrade/, /cannot be reverted/, /allowOffline/] },
        { from: IMG("3.3.7.5"), to: IMG("4.0.0.0"), allowOffline: true, kind: "major", direction: "up", plan: "offline", says: [/Major upgrade/] },
        { from: IMG("3.4.0.0"), to: IMG("3.3.7.5"), kind: "major", direction: "down", plan: "refused",
            says: [/downgrade across a Major release/, /Keep image tdengine\/tdengine:3\.4\.0\.0/, /backup/] },
        // Even with allowOffline: a Major upgrade cannot be reverted.
        { from: IMG("4.0.0.0"), to: IMG("3.3.7.5"), allowOffline: true, kind: "major", direction: "down", plan: "refused",
            says: [/downgrade across a Major release/] },
        { from: IMG("3.3.7"), to: IMG("3.3.7.1"), kind: "maintenance", direction: "up", plan: "roll", says: [/Maintenance/] },
        // A tag replaced by the digest of the same release: the template changes, the version does not.
        { from: IMG("3.3.7.5"), to: DIGEST, toVersion: "3.3.7.5", kind: "none", direction: "same", plan: "roll", says: [/keeps TDengine 3\.3\.7\.5/] },
        { from: DIGEST, to: IMG("3.3.7.6"), fromVersion: "3.3.7.5", kind: "maintenance", direction: "up", plan: "roll", says: [/Maintenance/] },
        { from: IMG("3.3.7.5"), to: DIGEST, kind: "unknown", direction: "unknown", plan: "refused",
            says: [/the new image's TDengine version cannot be read/, /treated as a Feature change/, /upgrade\.version/,
                /unknownVersionChange: "maintenance"/, /allowOffline: true/] },
        { from: "ours:a", to: "ours:b", kind: "unknown", direction: "unknown", plan: "refused",
            says: [/the current image's and the new image's TDengine version/] },
        { from: IMG("3.3.7.5"), to: DIGEST, allowOffline: true, kind: "unknown", direction: "unknown", plan: "offline", says: [/every dnode is stopped/] },
        { from: IMG("3.3.7.5"), to: DIGEST, unknown: "maintenance", kind: "unknown", direction: "unknown", plan: "roll",
            says: [/unknownVersionChange is "maintenance"/, /one at a time/] },
        // unknownVersionChange decides over allowOffline: the user said it is a Maintenance change.
        { from: IMG("3.3.7.5"), to: DIGEST, unknown: "maintenance", allowOffline: true, kind: "unknown", direction: "unknown", plan: "roll", says: [] },
    ];
    for (const row of table) {
        const opts = [row.fromVersion && `from version ${row.fromVersion}`, row.toVersion && `to version ${row.toVersion}`,
            row.allowOffline && "allowOffline", row.unknown && `unknown=${row.unknown}`].filter(Boolean).join(", ");
        it(`${row.from} → ${row.to}${opts ? ` (${opts})` : ""}: ${row.kind} ${row.direction}, ${row.plan}`, () => {
            const change = planVersionChange(row.from, row.to, {
                fromVersion: row.fromVersion, toVersion: row.toVersion,
                allowOffline: row.allowOffline ?? false, unknownVersionChange: row.unknown ?? "feature",
            });
            assert.deepEqual({ kind: change.kind, direction: change.direction, plan: change.plan },
                { kind: row.kind, direction: row.direction, plan: row.plan });
            for (const pattern of row.says) {
                assert.match(change.explanation, pattern);
            }
            assert.ok(!change.explanation.includes("\n"), "one sentence for the preview");
        });
    }
});
