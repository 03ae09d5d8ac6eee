/**
 * Each dynamic provider goes through `pulumi.runtime.serializeFunction`, as `pulumi.dynamic.Resource`
 * does, and runs in a fresh `node` process the way Pulumi's dynamic provider host loads it
 * (`require-from-string(text).handler()`, with the program's directory as working directory). Known ways
 * this breaks: a default import of an ES module, a captured KubeConfig, socket or process.env value, a
 * `require("../x")` of a local file inside a method.
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterStatefulSetProvider } from "../../components/lifecycle/after-statefulset";
import { beforeStatefulSetProvider } from "../../components/lifecycle/before-statefulset";
import { LifecycleInputs } from "../../components/lifecycle/session";
import { TDengineRest } from "../../components/tdengine/rest";
import { TDengineStandin } from "../standin/standin";
import { FakeKubernetes } from "./fake-kubernetes";
import { addressing, stepInputs } from "./fixture";

const root = path.resolve(__dirname, "..", "..");

/** What the provider host does with `__provider`, in a process of its own. */
const HOST = `
const fs = require("fs");
const [providerFile, method, argsFile] = process.argv.slice(1);
const provider = require("require-from-string")(fs.readFileSync(providerFile, "utf8")).handler();
const args = JSON.parse(fs.readFileSync(argsFile, "utf8"));
provider[method](...args).then(
    r => { process.stdout.write(JSON.stringify(r === undefined ? null : r)); },
    e => { process.stderr.write(String(e && e.message || e)); process.exit(3); });
`;

function runInFreshProcess(providerFile: string, method: string, args: unknown[]): Promise<unknown> {
    const argsFile = path.join(path.dirname(providerFile), `${method}-${Date.now()}.json`);
    fs.writeFileSync(argsFile, JSON.stringify(args));
    return new Promise((resolve, reject) => {
        execFile(process.execPath, ["-e", HOST, providerFile, method, argsFile], { cwd: root, env: { ...process.env } },
            (err, stdout, stderr) => err ? reject(new Error(`${method} failed in a fresh process: ${stderr || err.message}`))
                : resolve(JSON.parse(stdout) as unknown));
    });
}

async function serialize(provider: pulumi.dynamic.ResourceProvider, dir: string, name: string): Promise<string> {
    const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    assert.equal(sf.containsSecrets, false, "no secret captured in the provider's code");
    const file = path.join(dir, `${name}.js`);
    fs.writeFileSync(file, `${sf.text}\n`);
    return file;
}

describe("dynamic providers survive serialization and run in a fresh node process", function () {
    this.timeout(120_000);
    let standin: TDengineStandin;
    let kube: FakeKubernetes;
    let dir: string;

    before(async () => {
        standin = new TDengineStandin({ rootPassword: "Td-Serialized-5", timeScale: 0.01 });
        await standin.start();
        kube = new FakeKubernetes(standin, addressing, "tdengine");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "tdengine-providers-"));
    });

    after(async () => {
        await standin.stop();
        await kube.close();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("serializes without capturing process.env, a KubeConfig or a socket", async () => {
        for (const [name, provider] of [["before", beforeStatefulSetProvider], ["after", afterStatefulSetProvider]] as const) {
            const text = fs.readFileSync(await serialize(provider, dir, name), "utf8");
            assert.ok(!text.includes(process.env.HOME ?? "/nonexistent-home"), `${name}: no environment value baked in`);
            assert.ok(!/require\("\.\.?\//.test(text), `${name}: no relative require of a local file`);
        }
    });

    it("creates, updates and deletes a 3 → 2 dnode cluster from the serialized code", async () => {
        const kubeconfig = await kube.serve();
        const inputs = (replicas: number): LifecycleInputs => stepInputs(replicas, { password: "Td-Serialized-5", restUrl: standin.url, kubeconfig });
        const before = await serialize(beforeStatefulSetProvider, dir, "before");
        const after = await serialize(afterStatefulSetProvider, dir, "after");

        const created = await runInFreshProcess(before, "create", [inputs(3)]) as { id: string; outs: Record<string, unknown> };
        assert.equal(created.id, "db/tdengine");
        kube.applyStatefulSet(3);
        const afterCreated = await runInFreshProcess(after, "create", [inputs(3)]) as { outs: { mnodes: unknown[] } };
        assert.equal(afterCreated.outs.mnodes.length, 3, "mnodes created from the serialized provider");

        // An error thrown in the serialized code keeps its message (serializeFunction turns super(message)
        // into Error.call(this, message), which sets nothing).
        const sql = new TDengineRest({ url: standin.url, password: "Td-Serialized-5" });
        await sql.query("create database r3 replica 3");
        await assert.rejects(runInFreshProcess(before, "update", [created.id, created.outs, inputs(2)]),
            /cannot scale from 3 to 2 dnodes: database 'r3' has replica 3; nothing was changed/);
        await sql.query("drop database r3");

        await runInFreshProcess(before, "update", [created.id, created.outs, inputs(2)]);
        assert.equal((await sql.showDnodes()).length, 2, "dnode dropped from the serialized provider");
        kube.applyStatefulSet(2);
        await runInFreshProcess(after, "update", [created.id, afterCreated.outs, inputs(2)]);
        assert.deepEqual([...kube.volumes.keys()].sort(), [0, 1]);

        kube.deleteStatefulSet();
        await runInFreshProcess(before, "delete", [created.id, inputs(2)]);
        assert.equal(kube.volumes.size, 0);
    });
});
