/**
 * The version decision at preview: the step before the StatefulSet checks its new inputs against its
 * previous ones, and a change TDengine's rules forbid (docs/tdengine.md#version-rules) fails there, before
 * the engine changes anything, with the rule and the way out.
 */
import { strict as assert } from "node:assert";
import { beforeStatefulSetProvider } from "../../components/lifecycle/before-statefulset";

const BASE = { instance: "tdengine", namespace: "db", statefulSet: "tdengine", replicas: 3, image: "tdengine/tdengine:3.3.7.5" };
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

async function check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<string[]> {
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
        const result = await beforeStatefulSetProvider.check?.(olds, news);
        assert.deepEqual(result?.inputs, news, "the inputs go through unchanged");
        return (result?.failures ?? []).map(f => f.reason);
    } finally {
        process.stderr.write = write;
    }
}

describe("image changes at preview (the step before the StatefulSet's check)", () => {
    it("a Feature upgrade is refused with the rule and the way out", async () => {
        const failures = await check(BASE, { ...BASE, image: "tdengine/tdengine:3.3.8.0" });
        assert.equal(failures.length, 1);
        assert.match(failures[0], /^image: tdengine\/tdengine:3\.3\.7\.5 → tdengine\/tdengine:3\.3\.8\.0 is a Feature upgrade \(3\.3\.7\.5 → 3\.3\.8\.0\)/);
        assert.match(failures[0], /Set upgrade\.allowOffline: true/);
    });

    it("the same change passes once upgrade.allowOffline is set", async () => {
        assert.deepEqual(await check(BASE, { ...BASE, image: "tdengine/tdengine:3.3.8.0", allowOfflineUpgrade: true }), []);
    });

    it("a downgrade across a Major release is refused even with allowOffline", async () => {
        const olds = { ...BASE, image: "tdengine/tdengine:3.4.0.0" };
        const failures = await check(olds, { ...BASE, image: "tdengine/tdengine:3.3.7.5", allowOfflineUpgrade: true });
        assert.match(failures[0] ?? "", /downgrade across a Major release/);
    });

    it("a Maintenance change, the first deploy, an unchanged image and an image not known yet pass", async () => {
        assert.deepEqual(await check(BASE, { ...BASE, image: "tdengine/tdengine:3.3.7.6" }), []);
        assert.deepEqual(await check({}, BASE), []);
        assert.deepEqual(await check(BASE, { ...BASE, replicas: 5 }), []);
        assert.deepEqual(await check(BASE, { ...BASE, image: UNKNOWN }), []);
        assert.deepEqual(await check({ ...BASE, image: undefined }, BASE), [], "a step made before the version rules existed");
    });

    it("a digest is an unknown version: refused as a Feature change unless upgrade.version says which", async () => {
        const digest = "tdengine/tdengine@sha256:" + "d".repeat(64);
        assert.match((await check(BASE, { ...BASE, image: digest }))[0] ?? "", /cannot be read from its tag .* upgrade\.version/);
        assert.deepEqual(await check(BASE, { ...BASE, image: digest, upgradeVersion: "3.3.7.6" }), []);
        assert.deepEqual(await check(BASE, { ...BASE, image: digest, unknownVersionChange: "maintenance" }), []);
    });
});
