/**
 * Each step's `__provider` text (components/lifecycle/provider-source.ts, as resources.ts registers it)
 * runs in a fresh `node` process the way Pulumi's dynamic provider host loads it
 * (`require-from-string(text).handler()`, with the program's directory as working directory), and its
 * written-out diff and check answer as the steps' own functions do. Known ways this breaks: a default
 * import of an ES module, a baked-in environment value, a `require("../x")` of a local file.
 */
import { strict as assert } from "node:assert";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { diffAfterStatefulSet } from "../../components/lifecycle/after-statefulset";
import { checkBeforeStatefulSet } from "../../components/lifecycle/before-statefulset";
import { diffLifecycleProps } from "../../components/lifecycle/provider-support";
import { AFTER_STATEFULSET_SOURCE, BEFORE_STATEFULSET_SOURCE } from "../../components/lifecycle/resources";
import { LifecycleInputs } from "../../components/lifecycle/session";
import { TDengineRest } from "../../components/tdengine/rest";
import { TDengineStandin } from "../standin/standin";
import { FakeKubernetes } from "./fake-kubernetes";
import { addressing, stepInputs } from "./fixture";

const root = path.resolve(__dirname, "..", "..");

/**
 * What the provider host does with `__provider`, in one process of its own for the whole run (as Pulumi
 * starts one host per `pulumi up`): each provider text deserialized once and cached, then called. Reads
 * one JSON request per line on stdin, answers one JSON line on stdout.
 */
const HOST = `
const fs = require("fs");
const cache = {};
let buffered = "";
process.stdin.on("data", chunk => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf("\\n")) >= 0) {
        const { id, providerFile, method, args } = JSON.parse(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        const text = fs.readFileSync(providerFile, "utf8");
        const provider = cache[text] ??= require("require-from-string")(text).handler();
        const call = method === "loadedSteps"
            ? () => Object.keys(require.cache).filter(f => f.includes("/components/"))
            : () => provider[method](...args);
        Promise.resolve().then(call).then(
            r => process.stdout.write(JSON.stringify({ id, value: r === undefined ? null : r }) + "\\n"),
            e => process.stdout.write(JSON.stringify({ id, error: String(e && e.message || e), isError: e instanceof Error }) + "\\n"));
    }
});
`;

/** A provider host in a fresh `node` process, working directory the program's (this repository). */
class ProviderHost {
    private readonly child: ChildProcess;
    private readonly waiting = new Map<number, (answer: { value?: unknown; error?: string; isError?: boolean }) => void>();
    private next = 0;
    /** The host's stderr: the steps' progress lines. */
    stderr = "";

    constructor() {
        this.child = spawn(process.execPath, ["-e", HOST], { cwd: root, env: { ...process.env }, stdio: ["pipe", "pipe", "pipe"] });
        this.child.stderr?.on("data", (chunk: Buffer) => { this.stderr += chunk.toString("utf8"); });
        let buffered = "";
        this.child.stdout?.on("data", (chunk: Buffer) => {
            buffered += chunk.toString("utf8");
            let nl: number;
            while ((nl = buffered.indexOf("\n")) >= 0) {
                const answer = JSON.parse(buffered.slice(0, nl)) as { id: number; value?: unknown; error?: string; isError?: boolean };
                buffered = buffered.slice(nl + 1);
                this.waiting.get(answer.id)?.(answer);
                this.waiting.delete(answer.id);
            }
        });
    }

    /** Calls `method` of the provider serialized in `providerFile`; rejects with the message the engine would show. */
    call(providerFile: string, method: string, args: unknown[]): Promise<unknown> {
        const id = this.next++;
        return new Promise((resolve, reject) => {
            this.waiting.set(id, answer => answer.error === undefined ? resolve(answer.value)
                : reject(Object.assign(new Error(answer.error), { thrownAnError: answer.isError })));
            this.child.stdin?.write(`${JSON.stringify({ id, providerFile, method, args })}\n`);
        });
    }

    stop(): void {
        this.child.kill();
    }
}

/** The text as the engine stores it in `__provider`, in a file the host reads. */
function providerFile(source: string, dir: string, name: string): string {
    const file = path.join(dir, `${name}.js`);
    fs.writeFileSync(file, source);
    return file;
}

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const STEP = { instance: "tdengine", namespace: "db", statefulSet: "tdengine", replicas: 3, image: "tdengine/tdengine:3.3.7.5", password: "Td-Serialized-5" };
/** [olds, news] pairs the engine gives diff and check: first deploys, no change, each kind of change, unknowns, outputs of earlier runs. */
const DIFF_CASES: Array<[Record<string, unknown>, Record<string, unknown>]> = [
    [{}, STEP],
    [STEP, STEP],
    [{ ...STEP, droppedDnodes: [4], mnodes: [{}, {}, {}] }, STEP],
    [STEP, { ...STEP, replicas: 4 }],
    [{ ...STEP, replicas: 4, mnodes: [{}, {}, {}] }, { ...STEP, replicas: 4 }],
    [{ ...STEP, mnodes: [{}, {}] }, STEP],
    [{ ...STEP, replicas: 2, mnodes: [{}, {}] }, { ...STEP, replicas: 2 }],
    [{ ...STEP, replicas: 1, mnodes: [{}] }, { ...STEP, replicas: 1 }],
    [STEP, { ...STEP, replicas: UNKNOWN }],
    [STEP, { ...STEP, password: "Td-Other-Pass-6" }],
    [{ ...STEP, restUrl: "" }, { ...STEP, restUrl: null }],
    [{ ...STEP, context: "a" }, STEP],
    [STEP, { ...STEP, kubeconfig: "apiVersion: v1" }],
    [STEP, { ...STEP, image: "tdengine/tdengine:3.3.7.6" }],
    [STEP, { ...STEP, image: "tdengine/tdengine:3.3.8.0" }],
    [STEP, { ...STEP, image: "tdengine/tdengine:3.3.8.0", allowOfflineUpgrade: true }],
    [STEP, { ...STEP, image: "tdengine/tdengine:3.4.0.0", allowOfflineUpgrade: true }],
    [STEP, { ...STEP, image: "registry.local/tdengine:custom" }],
    [STEP, { ...STEP, image: "registry.local/tdengine:custom", unknownVersionChange: "maintenance" }],
    [STEP, { ...STEP, image: "registry.local/tdengine:custom", upgradeVersion: UNKNOWN }],
    [STEP, { ...STEP, image: UNKNOWN }],
    [{ ...STEP, image: "" }, { ...STEP, image: "tdengine/tdengine:3.3.8.0" }],
    [{ ...STEP, upgradeVersion: "3.3.7.5", image: "r/t:a" }, { ...STEP, image: "r/t:b", upgradeVersion: "3.3.7.6" }],
];

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

    it("is a few KB that hold no code of the lifecycle and no environment value", () => {
        for (const [name, text] of [["before", BEFORE_STATEFULSET_SOURCE], ["after", AFTER_STATEFULSET_SOURCE]] as const) {
            assert.ok(!text.includes(process.env.HOME ?? "/nonexistent-home"), `${name}: no environment value baked in`);
            assert.ok(!/require\("\.\.?\//.test(text), `${name}: no relative require of a local file`);
            assert.ok(!text.includes("drop dnode") && !text.includes("TDengineRest"), `${name}: the lifecycle's code is loaded, not serialized`);
            assert.ok(text.length < 8_000, `${name}: ${text.length} characters`);
        }
    });

    it("diffs and checks as the steps' own functions, in the host process, without loading the steps' code", async () => {
        const before = providerFile(BEFORE_STATEFULSET_SOURCE, dir, "before");
        const after = providerFile(AFTER_STATEFULSET_SOURCE, dir, "after");
        const host = new ProviderHost();
        const quiet = process.stderr.write.bind(process.stderr);
        try {
            for (const [olds, news] of DIFF_CASES) {
                const label = JSON.stringify([olds, news]);
                assert.deepEqual(await host.call(before, "diff", ["db/tdengine", olds, news]), await diffLifecycleProps("db/tdengine", olds, news), `before: ${label}`);
                assert.deepEqual(await host.call(after, "diff", ["db/tdengine", olds, news]), await diffAfterStatefulSet("db/tdengine", olds, news), `after: ${label}`);
                process.stderr.write = (() => true) as typeof process.stderr.write;
                const expected = await checkBeforeStatefulSet(olds, news).finally(() => { process.stderr.write = quiet; });
                assert.deepEqual(await host.call(before, "check", [olds, news]), expected, `check: ${label}`);
            }
            const loaded = await host.call(before, "loadedSteps", []) as string[];
            assert.ok(loaded.some(f => f.endsWith("version.ts")), "an image change loads the version rules");
        } finally {
            host.stop();
        }
        const fresh = new ProviderHost();
        try {
            await fresh.call(before, "check", [STEP, { ...STEP, replicas: 4 }]);
            for (const file of [before, after]) {
                await fresh.call(file, "diff", ["db/tdengine", STEP, { ...STEP, replicas: 4 }]);
            }
            assert.deepEqual(await fresh.call(before, "loadedSteps", []), [], "a preview without an image change loads none of the steps' code");
        } finally {
            fresh.stop();
        }
    });

    it("creates, updates and deletes a 3 → 2 dnode cluster from the serialized code, in one host process", async () => {
        const kubeconfig = await kube.serve();
        const inputs = (replicas: number): LifecycleInputs => stepInputs(replicas, { password: "Td-Serialized-5", restUrl: standin.url, kubeconfig });
        const before = providerFile(BEFORE_STATEFULSET_SOURCE, dir, "before");
        const after = providerFile(AFTER_STATEFULSET_SOURCE, dir, "after");
        const host = new ProviderHost();
        try {
            const created = await host.call(before, "create", [inputs(3)]) as { id: string; outs: Record<string, unknown> };
            assert.equal(created.id, "db/tdengine");
            kube.applyStatefulSet(3);
            const afterCreated = await host.call(after, "create", [inputs(3)]) as { outs: { mnodes: unknown[] } };
            assert.equal(afterCreated.outs.mnodes.length, 3, "mnodes created from the serialized provider");

            // A refusal reaches the engine as an Error whose message is exactly the refusal: the engine
            // prints `error: <message>`, nothing else.
            const sql = new TDengineRest({ url: standin.url, password: "Td-Serialized-5" });
            await sql.query("create database r3 replica 3");
            await assert.rejects(host.call(before, "update", [created.id, created.outs, inputs(2)]), (err: Error & { thrownAnError?: boolean }) => {
                assert.equal(err.message, "cannot scale from 3 to 2 dnodes: database 'r3' has replica 3; nothing was changed. " +
                    "Keep at least 3 dnodes, or lower those databases' replica first.");
                assert.equal(err.thrownAnError, true, "an Error, as the lifecycle threw it");
                return true;
            });
            await sql.query("drop database r3");

            await host.call(before, "update", [created.id, created.outs, inputs(2)]);
            assert.equal((await sql.showDnodes()).length, 2, "dnode dropped from the serialized provider");
            kube.applyStatefulSet(2);
            await host.call(after, "update", [created.id, afterCreated.outs, inputs(2)]);
            assert.deepEqual([...kube.volumes.keys()].sort(), [0, 1]);

            kube.deleteStatefulSet();
            await host.call(before, "delete", [created.id, inputs(2)]);
            assert.equal(kube.volumes.size, 0);
            assert.match(host.stderr, /^tdengine before StatefulSet: drop dnode 3 \(pod tdengine-2\)/m, "progress goes to the host's stderr");
        } finally {
            host.stop();
        }
    });
});
