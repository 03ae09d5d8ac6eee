#!/usr/bin/env node
/**
 * kubectl stand-in for kwokctl (pulumi-tdengine e2e): only `kubectl --kubeconfig FILE get --raw PATH`.
 * kwokctl runs exactly that (PATH /version or /healthz) to wait for the apiserver, and downloads kubectl
 * from dl.k8s.io when none is on PATH. This answers those calls with the certificates the kwokctl-written
 * kubeconfig names, and refuses anything else or any non-loopback server. Installed as `kubectl` by
 * kwokctl.ts (`installKubectlStandin`), with the running Node as its interpreter.
 */
"use strict";
const fs = require("fs");
const https = require("https");
const http = require("http");
const args = process.argv.slice(2);
let kubeconfig;
const rest = [];
for (let i = 0; i < args.length; i++) {
    if (args[i] === "--kubeconfig") { kubeconfig = args[++i]; }
    else if (args[i].startsWith("--kubeconfig=")) { kubeconfig = args[i].slice("--kubeconfig=".length); }
    else { rest.push(args[i]); }
}
function fail(message, code) { process.stderr.write("kubectl stand-in: " + message + "\n"); process.exit(code); }
if (!kubeconfig || rest.length !== 3 || rest[0] !== "get" || rest[1] !== "--raw") {
    fail("unsupported arguments: " + args.join(" "), 2);
}
const text = fs.readFileSync(kubeconfig, "utf8");
function field(key) {
    const m = text.match(new RegExp("^\\s*" + key + ":\\s*(\\S+)\\s*$", "m"));
    return m ? m[1].replace(/^["']|["']$/g, "") : undefined;
}
function file(key) { const p = field(key); return p ? fs.readFileSync(p) : undefined; }
const server = field("server");
if (!server) { fail("no server in " + kubeconfig, 2); }
const url = new URL(rest[2], server);
if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) { fail("refusing non-loopback server " + server, 2); }
const lib = url.protocol === "https:" ? https : http;
const tls = { ca: file("certificate-authority"), cert: file("client-certificate"), key: file("client-key") };
const req = lib.get(url, { ...tls, timeout: 3000 }, res => {
    const chunks = [];
    res.on("data", c => chunks.push(c));
    res.on("end", () => {
        process.stdout.write(Buffer.concat(chunks));
        process.exit(res.statusCode >= 200 && res.statusCode < 300 ? 0 : 1);
    });
});
req.on("timeout", () => req.destroy(new Error("timeout")));
req.on("error", err => fail(String(err && err.message || err), 1));
