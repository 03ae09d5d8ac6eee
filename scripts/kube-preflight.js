#!/usr/bin/env node
// Before `npm run up|preview|destroy` creates a stack or touches state: is a Kubernetes cluster reachable
// through the default kubeconfig (KUBECONFIG, else ~/.kube/config, its current context), the one the
// program's Kubernetes provider and lifecycle steps will use? Asks the API server for /version with a
// short timeout; no kubectl needed. Exits 0 when it answers, 1 with what to do when not.
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

async function main() {
    const inCluster = process.env.KUBERNETES_SERVICE_HOST !== undefined;
    if (!inCluster && kubeconfigFiles().length === 0) {
        const looked = process.env.KUBECONFIG ? `KUBECONFIG=${process.env.KUBECONFIG}` : "~/.kube/config";
        process.stderr.write(refusal({ reason: `no kubeconfig found (${looked})` }) + "\n");
        return 1;
    }
    const { KubeConfig } = require("@kubernetes/client-node");
    const kubeConfig = new KubeConfig();
    try {
        kubeConfig.loadFromDefault();
    } catch (err) {
        process.stderr.write(refusal({ reason: `the kubeconfig cannot be read: ${messageOf(err)}` }) + "\n");
        return 1;
    }
    const timeoutMs = Number(process.env.PULUMI_TDENGINE_PREFLIGHT_TIMEOUT_MS) || 3000;
    const result = await checkKubernetes(kubeConfig, { timeoutMs });
    if (!result.ok) {
        process.stderr.write(refusal(result) + "\n");
        return 1;
    }
    process.stderr.write(`Kubernetes ${result.version} at ${result.server} (context ${result.context})\n`);
    return 0;
}

module.exports = { checkKubernetes, refusal };

if (require.main === module) {
    main().then(code => process.exit(code), err => {
        process.stderr.write(`error: the Kubernetes check failed: ${messageOf(err)}\n`);
        process.exit(1);
    });
}
