#!/usr/bin/env node
// Before `npm run up|preview|destroy` creates a stack or touches state: is a Kubernetes cluster reachable
// through the kubeconfig the program's Kubernetes provider and lifecycle steps will use? That is the
// stack's `lifecycle.kubeconfig` and `lifecycle.context` when its file (stacks/Pulumi.<stack>.yaml) sets
// them, else the default kubeconfig (KUBECONFIG, else ~/.kube/config, its current context). Asks the API
// server for /version with a short timeout; no kubectl needed. Exits 0 when it answers, 1 with what to do
// when not.   node scripts/kube-preflight.js [stack]
"use strict";
const http = require("node:http");
const https = require("node:https");

const HOW_TO_GET_ONE =
    "`npm run up` deploys to the Kubernetes cluster of your current kube context. Get one, then run it again:\n" +
    "  - a local cluster: `kind create cluster`, `minikube start` or `k3d cluster create`;\n" +
    "  - an existing cluster: `export KUBECONFIG=/path/to/its/kubeconfig` (or `kubectl config use-context <name>`).\n" +
    "Nothing was created: no stack, no state.";

/**
 * Checks the current context of a kubeconfig. `kubeConfig` is a @kubernetes/client-node KubeConfig,
 * already loaded. Resolves to { ok: true, server, context, version } or { ok: false, server?, context?, reason }.
 * @param {import("@kubernetes/client-node").KubeConfig} kubeConfig
 * @param {{ timeoutMs?: number }} [options]
 */
async function checkKubernetes(kubeConfig, options = {}) {
    const timeoutMs = options.timeoutMs ?? 3000;
    const context = kubeConfig.getCurrentContext() || undefined;
    const cluster = kubeConfig.getCurrentCluster();
    if (!context || !cluster || !cluster.server) {
        return { ok: false, context, reason: "no kubeconfig with a current context was found (KUBECONFIG, ~/.kube/config)" };
    }
    const server = cluster.server;
    let url;
    try {
        url = new URL("/version", server);
    } catch {
        return { ok: false, context, server, reason: `the server address ${JSON.stringify(server)} is not a URL` };
    }
    const requestOptions = { method: "GET", timeout: timeoutMs };
    try {
        await kubeConfig.applyToHTTPSOptions(requestOptions);
    } catch (err) {
        return { ok: false, context, server, reason: `its credentials cannot be used: ${messageOf(err)}` };
    }
    const answer = await get(url, requestOptions, timeoutMs);
    if (answer.error !== undefined) {
        return { ok: false, context, server, reason: `the API server does not answer: ${answer.error}` };
    }
    if (answer.status === 401 || answer.status === 403) {
        return { ok: false, context, server, reason: `the API server refuses these credentials (HTTP ${answer.status})` };
    }
    if (answer.status < 200 || answer.status >= 300) {
        return { ok: false, context, server, reason: `the API server answered /version with HTTP ${answer.status}` };
    }
    let version = "unknown";
    try {
        version = JSON.parse(answer.body).gitVersion ?? version;
    } catch {
        // an answer that is not JSON still proves a server is there
    }
    return { ok: true, context, server, version };
}

/** One GET; never rejects, never outlives `timeoutMs`. */
function get(url, requestOptions, timeoutMs) {
    return new Promise(resolve => {
        const lib = url.protocol === "http:" ? http : https;
        let settled = false;
        const done = result => {
            if (!settled) {
                settled = true;
                clearTimeout(timer);
                resolve(result);
            }
        };
        const req = lib.request(url, requestOptions, res => {
            const chunks = [];
            res.on("data", chunk => chunks.push(chunk));
            res.on("end", () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
            res.on("error", err => done({ error: messageOf(err) }));
        });
        const timer = setTimeout(() => {
            req.destroy();
            done({ error: `no answer within ${timeoutMs} ms` });
        }, timeoutMs);
        req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        req.on("error", err => done({ error: messageOf(err) }));
        req.end();
    });
}

function messageOf(err) {
    if (err && typeof err === "object") {
        return err.message || err.code || String(err);
    }
    return String(err);
}

/** The message shown when the check fails. */
function refusal(result) {
    const where = result.server ? ` (context ${result.context}, server ${result.server})` : "";
    return `error: no reachable Kubernetes cluster${where}: ${result.reason}.\n${HOW_TO_GET_ONE}`;
}

/** The kubeconfig files client-node's loadFromDefault would read; none means it falls back to localhost:8080. */
function kubeconfigFiles() {
    const fs = require("node:fs");
    const os = require("node:os");
    const path = require("node:path");
    const candidates = process.env.KUBECONFIG
        ? process.env.KUBECONFIG.split(path.delimiter).filter(p => p !== "")
        : [path.join(os.homedir(), ".kube", "config")];
    return candidates.filter(p => fs.existsSync(p));
}

/**
 * What the stack's file says of the lifecycle's Kubernetes target: `tdengine-cluster:lifecycle`'s
 * `kubeconfig` (a path or the contents, as the component reads it) and `context`. `secret` when the
 * kubeconfig is encrypted there: only pulumi can read it.
 * @param {string} stackFile
 * @returns {{ kubeconfig?: string, context?: string, secret?: boolean }}
 */
function stackTarget(stackFile) {
    const fs = require("node:fs");
    if (!fs.existsSync(stackFile)) {
        return {};
    }
    const yaml = require("js-yaml");
    const lifecycle = (yaml.load(fs.readFileSync(stackFile, "utf8")) ?? {}).config?.["tdengine-cluster:lifecycle"] ?? {};
    const text = value => (typeof value === "string" && value.trim() !== "" ? value : undefined);
    const secret = typeof lifecycle.kubeconfig === "object" && lifecycle.kubeconfig !== null && "secure" in lifecycle.kubeconfig;
    return { kubeconfig: text(lifecycle.kubeconfig), context: text(lifecycle.context), secret };
}

/**
 * The KubeConfig the program will use for `target`, loaded by the component's own loader
 * (components/kube/cluster-objects.ts, through ts-node as the program is); or the reason it cannot be.
 * @param {{ kubeconfig?: string, context?: string }} target
 */
function loadTarget(target) {
    if (require.extensions[".ts"] === undefined) {
        require("ts-node").register({ transpileOnly: true });
    }
    const { loadKubeConfig } = require("../components/kube/cluster-objects.ts");
    const where = target.kubeconfig === undefined ? "the kubeconfig" : "the stack's lifecycle.kubeconfig";
    let kubeConfig;
    try {
        kubeConfig = loadKubeConfig({ kubeconfig: target.kubeconfig });
    } catch (err) {
        return { reason: `${where} cannot be read: ${messageOf(err)}` };
    }
    if (target.context !== undefined) {
        if (!kubeConfig.getContextObject(target.context)) {
            return { reason: `the stack's lifecycle.context ${JSON.stringify(target.context)} is not a context of ${where}` };
        }
        kubeConfig.setCurrentContext(target.context);
    }
    return { kubeConfig };
}

async function main(stack) {
    const path = require("node:path");
    const target = stack === undefined ? {} : stackTarget(path.join(__dirname, "..", "stacks", `Pulumi.${stack}.yaml`));
    if (target.secret) {
        process.stderr.write("note: the stack's lifecycle.kubeconfig is a secret, so the Kubernetes check is left to pulumi\n");
        return 0;
    }
    const inCluster = process.env.KUBERNETES_SERVICE_HOST !== undefined;
    if (target.kubeconfig === undefined && !inCluster && kubeconfigFiles().length === 0) {
        const looked = process.env.KUBECONFIG ? `KUBECONFIG=${process.env.KUBECONFIG}` : "~/.kube/config";
        process.stderr.write(refusal({ reason: `no kubeconfig found (${looked})` }) + "\n");
        return 1;
    }
    const loaded = loadTarget(target);
    if (loaded.kubeConfig === undefined) {
        process.stderr.write(refusal({ reason: loaded.reason }) + "\n");
        return 1;
    }
    const kubeConfig = loaded.kubeConfig;
    const timeoutMs = Number(process.env.PULUMI_TDENGINE_PREFLIGHT_TIMEOUT_MS) || 3000;
    const result = await checkKubernetes(kubeConfig, { timeoutMs });
    if (!result.ok) {
        process.stderr.write(refusal(result) + "\n");
        return 1;
    }
    process.stderr.write(`Kubernetes ${result.version} at ${result.server} (context ${result.context})\n`);
    return 0;
}

module.exports = { checkKubernetes, refusal, stackTarget, loadTarget };

if (require.main === module) {
    main(process.argv[2]).then(code => process.exit(code), err => {
        process.stderr.write(`error: the Kubernetes check failed: ${messageOf(err)}\n`);
        process.exit(1);
    });
}
