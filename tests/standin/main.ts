/**
 * Runs the TDengine stand-in as a process for end-to-end tests, with its admin API under /admin/:
 *
 *   node -r ts-node/register/transpile-only tests/standin/main.ts [--port N] [--password P]
 *        [--time-scale F] [--dnodes ep1,ep2,...] [--version 3.3.7.5]
 *
 * Each flag also reads an environment variable: STANDIN_PORT, STANDIN_PASSWORD, STANDIN_TIME_SCALE,
 * STANDIN_DNODES, STANDIN_VERSION (flags win). `--version` is what a taosd runs unless its start
 * names another (the admin API's start and restart take the pod image's version). `--dnodes` starts
 * those taosd processes in order, as the pods of a StatefulSet would start (the first becomes dnode 1).
 * Prints `standin listening on <url>` when ready and exits 0 on SIGTERM or SIGINT.
 */

import { TDengineStandin } from "./standin";

interface Settings {
    readonly port: number;
    readonly password: string;
    readonly timeScale: number;
    readonly dnodes: readonly string[];
    readonly version: string | undefined;
}

function readSettings(argv: readonly string[], env: NodeJS.ProcessEnv): Settings {
    const flags = new Map<string, string>();
    for (let i = 0; i < argv.length; i += 2) {
        if (!argv[i].startsWith("--") || argv[i + 1] === undefined) throw new Error(`Unexpected argument ${argv[i]}`);
        flags.set(argv[i].slice(2), argv[i + 1]);
    }
    const value = (flag: string, variable: string): string | undefined => flags.get(flag) ?? env[variable];
    return {
        port: number(value("port", "STANDIN_PORT") ?? "0", "port"),
        password: value("password", "STANDIN_PASSWORD") ?? "taosdata",
        timeScale: number(value("time-scale", "STANDIN_TIME_SCALE") ?? "1", "time-scale"),
        dnodes: (value("dnodes", "STANDIN_DNODES") ?? "").split(",").filter((ep) => ep !== ""),
        version: value("version", "STANDIN_VERSION"),
    };
}

function number(text: string, name: string): number {
    const parsed = Number(text);
    if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`--${name} must be a non-negative number, got ${text}`);
    return parsed;
}

async function main(): Promise<void> {
    const settings = readSettings(process.argv.slice(2), process.env);
    const standin = new TDengineStandin({
        port: settings.port,
        rootPassword: settings.password,
        timeScale: settings.timeScale,
        adminApi: true,
        version: settings.version,
    });
    const url = await standin.start();
    for (const endpoint of settings.dnodes) standin.startDnode(endpoint);
    const shutdown = (): void => {
        void standin.stop().then(() => process.exit(0));
    };
    process.once("SIGTERM", shutdown);
    process.once("SIGINT", shutdown);
    process.stdout.write(`standin listening on ${url}\n`);
}

main().catch((err: unknown) => {
    process.stderr.write(`standin failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
});
