/**
 * One TDengine stand-in and one fake Kubernetes API per test, driven by the engine (engine.ts), and the waits
 * on what they report: shared by the lifecycle test files (split so that mocha's workers can run them side by side).
 */
import { LifecycleInputs } from "../../components/lifecycle/session";
import { dnodeEndpointForOrdinal } from "../../components/names";
import { TDengineRest } from "../../components/tdengine/rest";
import { TDengineStandin } from "../standin/standin";
import { Engine } from "./engine";
import { FakeKubernetes } from "./fake-kubernetes";
import { addressing, stepInputs } from "./fixture";
import { pollUntil } from "../poll";

export const PASSWORD = "Td-Lifecycle-7";
export const endpoint = (ordinal: number): string => dnodeEndpointForOrdinal(addressing, ordinal);

export interface Setup {
    standin: TDengineStandin;
    kube: FakeKubernetes;
    engine: Engine;
    sql: TDengineRest;
    inputs(replicas: number, extra?: Partial<LifecycleInputs>): LifecycleInputs;
}

let current: Setup | undefined;

export interface SetupOptions {
    timeScale?: number;
    /** Inputs every `inputs()` call starts from (the image and template hash of an upgrade test, say). */
    defaults?: (extra: Partial<LifecycleInputs>) => Partial<LifecycleInputs>;
}

export async function setup(options: SetupOptions = {}): Promise<Setup> {
    // The image sets TAOS_ROOT_PASSWORD on the first start of the first pod (README, facts that follow).
    const standin = new TDengineStandin({ rootPassword: PASSWORD, timeScale: options.timeScale ?? 0.005 });
    const url = await standin.start();
    const kube = new FakeKubernetes(standin, addressing, "tdengine");
    const kubeconfig = await kube.serve();
    const engine = new Engine(kube);
    const sql = new TDengineRest({ url, password: PASSWORD, retry: { attempts: 1, initialDelayMs: 10, maxDelayMs: 10 } });
    current = {
        standin, kube, engine, sql,
        inputs: (replicas, extra = {}) => stepInputs(replicas, { password: PASSWORD, restUrl: url, kubeconfig },
            { ...options.defaults?.(extra), ...extra }),
    };
    return current;
}

export async function mnodeEndpoints(s: Setup): Promise<string[]> {
    return (await s.sql.showMnodes()).map(m => m.endpoint).sort();
}

export function sqlEvents(s: Setup, prefix: string): string[] {
    return s.standin.events().filter(e => e.kind === "sql" && e.detail.startsWith(prefix)).map(e => e.detail);
}

/** Stops the test's stand-in and fake Kubernetes API. */
export async function teardown(): Promise<void> {
    await current?.standin.stop();
    await current?.kube.close();
    current = undefined;
}

export function waitUntil(what: string, check: () => Promise<boolean>): Promise<void> {
    return pollUntil(what, check, { timeoutMs: 10_000, intervalMs: 20 });
}

export function waitForMnodeCount(s: Setup, n: number): Promise<void> {
    return waitUntil(`${n} serving mnodes`, async () => {
        const mnodes = await s.sql.showMnodes();
        return mnodes.length === n && mnodes.every(m => m.role === "leader" || m.role === "follower");
    });
}

export function waitForDnodeStatus(s: Setup, ep: string, status: string): Promise<void> {
    return waitUntil(`${ep} ${status}`, async () => (await s.sql.showDnodes()).some(d => d.endpoint === ep && d.status === status));
}

export function waitForDnodeGone(s: Setup, ep: string): Promise<void> {
    return waitUntil(`${ep} gone`, async () => !(await s.sql.showDnodes()).some(d => d.endpoint === ep));
}
