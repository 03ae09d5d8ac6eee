/**
 * The quick start's check before it starts (scripts/kube-preflight.js, run by scripts/pulumi-local.sh):
 * a reachable API server passes; anything else fails with the reason, and `npm run up` stops before any
 * pulumi command, so no stack is created and no state is touched.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";

interface CheckResult {
    ok: boolean;
    server?: string;
    context?: string;
    version?: string;
    reason?: string;
}

interface Preflight {
    checkKubernetes(kubeConfig: KubeConfig, options?: { timeoutMs?: number }): Promise<CheckResult>;
    stackTarget(stackFile: string): { kubeconfig?: string; context?: string; secret?: boolean };
    loadTarget(target: { kubeconfig?: string; context?: string }): { kubeConfig?: KubeConfig; reason?: string };
}

const root = path.resolve(__dirname, "..", "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain Node script, run as is by pulumi-local.sh
const { checkKubernetes, stackTarget, loadTarget } = require(path.join(root, "scripts", "kube-preflight.js")) as Preflight;

function kubeConfigFor(server: string): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
        // Plain HTTP test servers: client-node allows http only with skipTLSVerify.
        clusters: [{ name: "c", server, skipTLSVerify: true }],
        users: [{ name: "u", token: "t" }],
        contexts: [{ name: "ctx", cluster: "c", user: "u" }],
        currentContext: "ctx",
    });
    return kc;
}

function kubeconfigYaml(server: string): string {
    return [
        "apiVersion: v1", "kind: Config",
        "clusters:", "- name: c", "  cluster:", `    server: ${server}`,
        "contexts:", "- name: ctx", "  context:", "    cluster: c", "    user: u",
        "current-context: ctx",
        "users:", "- name: u", "  user:", "    token: t", "",
    ].join("\n");
}

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
    const server = http.createServer(handler);
    await new Promise<void>(resolve => server.listen(0, "127.0.0.1", () => resolve()));
    return { server, url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}` };
}

async function close(server: http.Server): Promise<void> {
    server.closeAllConnections();
    await new Promise<void>(resolve => server.close(() => resolve()));
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
    const probe = net.createServer();
    await new Promise<void>(resolve => probe.listen(0, "127.0.0.1", () => resolve()));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>(resolve => probe.close(() => resolve()));
    return port;
}

describe("quick start preflight: a reachable Kubernetes cluster before anything is created", () => {
    it("passes when the API server answers /version, and reports its version", async () => {
        const { server, url } = await listen((req, res) => {
            assert.equal(req.url, "/version");
            assert.equal(req.headers.authorization, "Bearer t", "the kubeconfig's credentials are sent");
            res.end(JSON.stringify({ gitVersion: "v1.36.3" }));
        });
        try {
            const result = await checkKubernetes(kubeConfigFor(url), { timeoutMs: 2000 });
            assert.deepEqual(result, { ok: true, context: "ctx", server: url, version: "v1.36.3" });
        } finally {
            await close(server);
        }
    });

    const failures: { name: string; handler?: http.RequestListener; reason: RegExp }[] = [
        { name: "nothing listens on the server's port", reason: /does not answer: connect ECONNREFUSED/ },
        { name: "the server accepts but never answers", handler: () => undefined, reason: /does not answer: no answer within 200 ms/ },
        { name: "the server refuses the credentials", handler: (_req, res) => { res.statusCode = 401; res.end(); }, reason: /refuses these credentials \(HTTP 401\)/ },
        { name: "the server answers /version with an error", handler: (_req, res) => { res.statusCode = 503; res.end(); }, reason: /HTTP 503/ },
    ];
    for (const f of failures) {
        it(`fails with the reason when ${f.name}`, async () => {
            const listening = f.handler === undefined ? undefined : await listen(f.handler);
            const url = listening?.url ?? `http://127.0.0.1:${await closedPort()}`;
            try {
                const result = await checkKubernetes(kubeConfigFor(url), { timeoutMs: 200 });
                assert.equal(result.ok, false);
                assert.equal(result.server, url);
                assert.match(result.reason ?? "", f.reason);
            } finally {
                if (listening !== undefined) {
                    await close(listening.server);
                }
            }
        });
    }

    it("fails when the kubeconfig has no current context", async () => {
        const result = await checkKubernetes(new KubeConfig(), { timeoutMs: 200 });
        assert.equal(result.ok, false);
        assert.match(result.reason ?? "", /no kubeconfig with a current context/);
    });

    describe("a stack that names its own kubeconfig (lifecycle.kubeconfig, lifecycle.context)", () => {
        let dir: string;
        beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "preflight-stack-")); });
        afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

        const stackFile = (lifecycle: string): string => {
            const file = path.join(dir, "Pulumi.test.yaml");
            fs.writeFileSync(file, `config:\n  tdengine-cluster:replicas: 3\n  tdengine-cluster:lifecycle:\n${lifecycle}`);
            return file;
        };

        it("checks the stack's kubeconfig and context, not the default one", async () => {
            const { server, url } = await listen((_req, res) => res.end(JSON.stringify({ gitVersion: "v1.36.3" })));
            try {
                const kubeconfig = path.join(dir, "kubeconfig");
                fs.writeFileSync(kubeconfig, kubeconfigYaml("https://127.0.0.1:1").replace("current-context: ctx",
                    "- name: other\n  context:\n    cluster: reachable\n    user: u\ncurrent-context: ctx")
                    .replace("contexts:", `- name: reachable\n  cluster:\n    server: ${url}\n    insecure-skip-tls-verify: true\ncontexts:`));
                const target = stackTarget(stackFile(`    kubeconfig: ${kubeconfig}\n    context: other\n`));
                assert.deepEqual(target, { kubeconfig, context: "other", secret: false });
                const loaded = loadTarget(target);
                assert.ok(loaded.kubeConfig, loaded.reason);
                const result = await checkKubernetes(loaded.kubeConfig, { timeoutMs: 2000 });
                assert.deepEqual([result.ok, result.context, result.server], [true, "other", url]);
            } finally {
                await close(server);
            }
        });

        it("refuses a context the kubeconfig does not have, naming it", () => {
            const kubeconfig = path.join(dir, "kubeconfig");
            fs.writeFileSync(kubeconfig, kubeconfigYaml("https://127.0.0.1:1"));
            const loaded = loadTarget(stackTarget(stackFile(`    kubeconfig: ${kubeconfig}\n    context: prod-eu\n`)));
            assert.equal(loaded.kubeConfig, undefined);
            assert.match(loaded.reason ?? "", /the stack's lifecycle\.context "prod-eu" is not a context of the stack's lifecycle\.kubeconfig/);
        });

        it("leaves a secret kubeconfig to pulumi, and a stack without one to the default kubeconfig", () => {
            assert.equal(stackTarget(stackFile("    kubeconfig:\n      secure: v1:abc\n")).secret, true);
            assert.deepEqual(stackTarget(stackFile("    dropDnodeTimeoutSeconds: 600\n")), { kubeconfig: undefined, context: undefined, secret: false });
            assert.deepEqual(stackTarget(path.join(dir, "Pulumi.missing.yaml")), {});
        });
    });

    it("makes `npm run up -- dev` stop before any pulumi command, with how to get a cluster", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "preflight-"));
        try {
            // A pulumi on PATH that records any call: it must never be run.
            const bin = path.join(dir, "bin");
            fs.mkdirSync(bin);
            const calls = path.join(dir, "pulumi-calls");
            fs.writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\necho "$@" >> ${JSON.stringify(calls)}\n`, { mode: 0o755 });
            const kubeconfig = path.join(dir, "kubeconfig");
            fs.writeFileSync(kubeconfig, kubeconfigYaml(`https://127.0.0.1:${await closedPort()}`));
            const state = path.join(dir, "pulumi-home");
            const run = spawnSync("bash", [path.join(root, "scripts", "pulumi-local.sh"), "up", "dev"], {
                encoding: "utf8",
                env: {
                    ...process.env, KUBECONFIG: kubeconfig, PULUMI_TDENGINE_HOME: state,
                    PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`, PULUMI_TDENGINE_SKIP_PREFLIGHT: "",
                },
            });
            assert.equal(run.status, 1, run.stderr);
            assert.match(run.stderr, /no reachable Kubernetes cluster \(context ctx, server https:\/\/127\.0\.0\.1:\d+\)/);
            assert.match(run.stderr, /kind create cluster/);
            assert.match(run.stderr, /KUBECONFIG/);
            assert.equal(fs.existsSync(calls), false, "pulumi was never run");
            assert.equal(fs.existsSync(state), false, "no state directory was created");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
