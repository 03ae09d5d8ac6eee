/**
 * The real Pulumi CLI (built by tests/e2e/toolchain/build.sh) on a copy of this project, with a local file
 * backend, a passphrase for secrets and its own PULUMI_HOME: no Pulumi Cloud, nothing written to $HOME or
 * to the repository's stack files.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const repoRoot = path.resolve(__dirname, "..", "..", "..");

/**
 * Where build.sh puts the binaries: $E2E_TOOLCHAIN_BIN, else $PULUMI_TDENGINE_TOOLCHAIN/bin, else
 * ~/.cache/pulumi-tdengine-toolchain/bin.
 */
export function toolchainBin(): string {
    if (process.env.E2E_TOOLCHAIN_BIN) {
        return process.env.E2E_TOOLCHAIN_BIN;
    }
    return path.join(process.env.PULUMI_TDENGINE_TOOLCHAIN ?? path.join(os.homedir(), ".cache", "pulumi-tdengine-toolchain"), "bin");
}

export interface CommandResult {
    code: number;
    stdout: string;
    stderr: string;
    seconds: number;
}

/** The files a program needs: what a user's clone has, minus tests and docs. */
const PROJECT_FILES = ["Pulumi.yaml", "index.ts", "package.json", "tsconfig.json", "components", "stacks", "scripts"];

export class PulumiWorkspace {
    readonly env: NodeJS.ProcessEnv;
    /** Secrets no command may print (checked on every command, unless it asked for --show-secrets). */
    readonly neverPrint: string[] = [];

    private constructor(readonly dir: string, home: string, kubeconfigPath: string, passphrase: string) {
        this.env = {
            ...process.env,
            PATH: `${toolchainBin()}${path.delimiter}${process.env.PATH ?? ""}`,
            PULUMI_HOME: home,
            PULUMI_BACKEND_URL: `file://${path.join(home, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: passphrase,
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            KUBECONFIG: kubeconfigPath,
            NO_COLOR: "1",
        };
    }

    /** A copy of this project in `workDir/project`, sharing the repository's node_modules. */
    static copyOfThisProject(workDir: string, kubeconfigPath: string, passphrase: string): PulumiWorkspace {
        const dir = path.join(workDir, "project");
        fs.mkdirSync(dir, { recursive: true });
        for (const name of PROJECT_FILES) {
            fs.cpSync(path.join(repoRoot, name), path.join(dir, name), { recursive: true });
        }
        fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"), "dir");
        return PulumiWorkspace.at(dir, workDir, kubeconfigPath, passphrase);
    }

    /** A workspace for a program that already lives in `dir`. */
    static at(dir: string, workDir: string, kubeconfigPath: string, passphrase: string): PulumiWorkspace {
        const home = path.join(workDir, "pulumi-home");
        fs.mkdirSync(path.join(home, "state"), { recursive: true });
        return new PulumiWorkspace(dir, home, kubeconfigPath, passphrase);
    }

    /** Runs `pulumi <args>` in the project; throws with its output unless `allowFailure`. */
    async pulumi(args: string[], options: { allowFailure?: boolean; onStdout?: (chunk: string) => void } = {}): Promise<CommandResult> {
        return this.command("pulumi", [...args, "--non-interactive"], options);
    }

    /** Runs a command in the project with this workspace's environment, `env` entries replacing (undefined: removing) its own. */
    async command(
        file: string,
        args: string[],
        options: { allowFailure?: boolean; env?: Record<string, string | undefined>; onStdout?: (chunk: string) => void } = {},
    ): Promise<CommandResult> {
        const started = Date.now();
        const env = { ...this.env, ...options.env };
        for (const [key, value] of Object.entries(env)) {
            if (value === undefined) {
                delete env[key];
            }
        }
        const result = await new Promise<CommandResult>((resolve, reject) => {
            const child = spawn(file, args, { cwd: this.dir, env, stdio: ["ignore", "pipe", "pipe"] });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (c: Buffer) => { stdout += c.toString(); options.onStdout?.(c.toString()); });
            child.stderr.on("data", (c: Buffer) => { stderr += c.toString(); });
            child.on("error", reject);
            child.on("close", code => resolve({ code: code ?? -1, stdout, stderr, seconds: (Date.now() - started) / 1000 }));
        });
        const leaked = args.includes("--show-secrets") ? [] : this.neverPrint.filter(secret => (result.stdout + result.stderr).includes(secret));
        if (leaked.length > 0) {
            throw new Error(`${file} ${args[0] ?? ""} printed a secret in plain text`);
        }
        if (result.code !== 0 && !options.allowFailure) {
            throw new Error(`${file} ${args.join(" ")} exited ${result.code}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`);
        }
        return result;
    }

    /** `pulumi stack output --json --show-secrets`. */
    async outputs(stack: string): Promise<Record<string, unknown>> {
        const run = await this.pulumi(["stack", "output", "--json", "--show-secrets", "--stack", stack]);
        return JSON.parse(run.stdout) as Record<string, unknown>;
    }
}
