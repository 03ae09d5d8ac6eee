/**
 * kwokctl, the driver of the local control plane: where one cluster's files live and the environment
 * kwokctl runs in (`Layout`), one kwokctl run with its output logged, the kubectl stand-in it needs
 * (kubectl-standin.js), and the deletion of a cluster with everything it left behind.
 */
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type * as k8sClient from "@kubernetes/client-node";
import { clientModule } from "../../../components/kube/cluster-objects";
import { delay } from "../../../components/lifecycle/wait";
import { killClusterProcesses } from "./processes";

/** The binaries kwokctl runs, all local paths (tests/e2e/toolchain/build.sh builds them). */
export const BINARIES = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "kwokctl"] as const;
/** Where the in-tree host-path provisioner puts its volumes (not configurable). */
const HOSTPATH_PV_DIR = "/tmp/hostpath_pv/";
/** kwokctl runs `kubectl get --raw` to wait for the apiserver, and downloads kubectl when none is on PATH. */
const KUBECTL_STANDIN = path.join(__dirname, "kubectl-standin.js");

export interface KwokctlRun {
    code: number | null;
    output: string;
}

export function runKwokctl(
    kwokctl: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, logFile: string,
): Promise<KwokctlRun> {
    return new Promise(resolve => {
        fs.appendFileSync(logFile, `\n$ kwokctl ${args.join(" ")}\n`);
        const child = childProcess.spawn(kwokctl, args, { env, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        const collect = (chunk: Buffer): void => {
            output += chunk.toString("utf8");
            fs.appendFileSync(logFile, chunk);
        };
        child.stdout.on("data", collect);
        child.stderr.on("data", collect);
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("error", err => {
            clearTimeout(timer);
            resolve({ code: -1, output: output + String(err) });
        });
        child.on("close", code => {
            clearTimeout(timer);
            resolve({ code, output });
        });
    });
}

/** The names, paths and environment one cluster uses; shared by start, stop and the stale clean-up. */
export class Layout {
    readonly workDir: string;
    readonly clusterDir: string;
    readonly kwokctl: string;
    readonly env: NodeJS.ProcessEnv;
    readonly configPath: string;
    readonly kubeconfigPath: string;
    readonly logPath: string;
    /** kwokctl adds (create) and removes (delete) its context here instead of ~/.kube/config. */
    readonly contextsPath: string;

    constructor(workDir: string, readonly binDir: string, readonly name: string) {
        this.workDir = path.resolve(workDir);
        this.clusterDir = path.join(this.workDir, "clusters", name);
        this.kwokctl = path.join(binDir, "kwokctl");
        const shimDir = path.join(this.workDir, "bin");
        this.configPath = path.join(this.workDir, `${name}.kwokctl.yaml`);
        this.kubeconfigPath = path.join(this.workDir, `${name}.kubeconfig`);
        this.logPath = path.join(this.workDir, `${name}.kwokctl.log`);
        this.contextsPath = path.join(this.workDir, `${name}.kwokctl-contexts.yaml`);
        const env: NodeJS.ProcessEnv = {};
        for (const [k, v] of Object.entries(process.env)) {
            // KWOK_* (e.g. from tests/e2e/toolchain/env.sh) would override what is passed here.
            if (!k.startsWith("KWOK_") && v !== undefined) {
                env[k] = v;
            }
        }
        const noProxy = ["127.0.0.1", "localhost", "::1", env.NO_PROXY ?? env.no_proxy ?? ""].filter(s => s !== "").join(",");
        Object.assign(env, {
            KWOK_WORKDIR: this.workDir,
            KWOK_KUBECTL_BINARY: path.join(shimDir, "kubectl"),
            PATH: `${shimDir}${path.delimiter}${env.PATH ?? "/usr/bin:/bin"}`,
            NO_PROXY: noProxy,
            no_proxy: noProxy,
        });
        this.env = env;
    }

    /** Installs the kubectl stand-in, run by this Node (kwokctl's PATH may have none). */
    writeKubectlStandin(): void {
        const shim = this.env.KWOK_KUBECTL_BINARY as string;
        fs.mkdirSync(path.dirname(shim), { recursive: true });
        const script = fs.readFileSync(KUBECTL_STANDIN, "utf8").replace(/^#!.*\n/, `#!${process.execPath}\n`);
        fs.writeFileSync(shim, script, { mode: 0o755 });
    }
}

/** Deletes a cluster of this layout (a leftover or a live one) and everything it left. */
export async function deleteCluster(layout: Layout, log: (line: string) => void, keepLogsIn?: string): Promise<void> {
    // Host-path volumes still provisioned outlive the cluster unless removed: ask its apiserver (if it
    // still answers) which there are.
    let volumes: string[] = [];
    const kwokKubeconfig = path.join(layout.clusterDir, "kubeconfig.yaml");
    if (fs.existsSync(kwokKubeconfig)) {
        try {
            const kc = new (clientModule().KubeConfig)();
            kc.loadFromFile(kwokKubeconfig);
            volumes = await Promise.race([listHostpathVolumes(kc), delay(3000).then((): string[] => [])]);
        } catch {
            // not answering: nothing to learn
        }
    }
    if (keepLogsIn !== undefined && fs.existsSync(path.join(layout.clusterDir, "logs"))) {
        fs.mkdirSync(keepLogsIn, { recursive: true });
        fs.cpSync(path.join(layout.clusterDir, "logs"), keepLogsIn, { recursive: true });
    }
    if (fs.existsSync(layout.clusterDir) && fs.existsSync(layout.kwokctl)) {
        layout.writeKubectlStandin();
        const args = ["--name", layout.name, "delete", "cluster", "--kubeconfig", layout.contextsPath];
        const run = await runKwokctl(layout.kwokctl, args, layout.env, 60_000, layout.logPath);
        if (run.code !== 0) {
            log(`kwokctl delete cluster ${layout.name} exited ${run.code}; killing what is left\n${run.output.trim()}`);
        }
    }
    await killClusterProcesses(layout.clusterDir, 3000);
    fs.rmSync(layout.clusterDir, { recursive: true, force: true });
    fs.rmSync(layout.contextsPath, { force: true });
    for (const dir of volumes) {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function listHostpathVolumes(kc: k8sClient.KubeConfig): Promise<string[]> {
    const core = kc.makeApiClient(clientModule().CoreV1Api);
    const pvs = await core.listPersistentVolume();
    return pvs.items
        .map(pv => pv.spec?.hostPath?.path)
        .filter((p): p is string => p !== undefined && p.startsWith(HOSTPATH_PV_DIR) && p.length > HOSTPATH_PV_DIR.length
            && !p.includes(".."));
}

export function readField(kubeconfigText: string, key: string): string | undefined {
    const m = kubeconfigText.match(new RegExp(`^\\s*${key}:\\s*(\\S+)\\s*$`, "m"));
    return m ? m[1].replace(/^["']|["']$/g, "") : undefined;
}

export function selfContainedKubeconfig(server: string, context: string, ca: Buffer, cert: Buffer, key: Buffer): string {
    const b64 = (b: Buffer): string => b.toString("base64");
    return [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        `- name: ${context}`,
        "  cluster:",
        `    server: ${server}`,
        `    certificate-authority-data: ${b64(ca)}`,
        "contexts:",
        `- name: ${context}`,
        "  context:",
        `    cluster: ${context}`,
        `    user: ${context}`,
        `current-context: ${context}`,
        "preferences: {}",
        "users:",
        `- name: ${context}`,
        "  user:",
        `    client-certificate-data: ${b64(cert)}`,
        `    client-key-data: ${b64(key)}`,
        "",
    ].join("\n");
}
