/**
 * Runs a Pulumi program under `pulumi.runtime.setMocks` and records what it registers: the inputs as the
 * engine would receive them (from the mocks), and the parent, provider and dependsOn of each resource
 * (from a transformation, which sees the resource options the mocks do not).
 */
import * as pulumi from "@pulumi/pulumi";
import { forgetClaims } from "../../components/validation/claims";

export interface Registered {
    type: string;
    name: string;
    /** Inputs, fully resolved, as the engine receives them, with secrets unwrapped. */
    inputs: Record<string, unknown>;
    /** Paths of the inputs that were sent as secrets, e.g. `stringData.password`. */
    secretPaths: string[];
    /** The provider reference (`<urn>::<id>`) the engine was told to use. */
    provider?: string;
    parent?: pulumi.Resource;
    dependsOn: pulumi.Resource[];
    resource?: pulumi.Resource;
}

interface OptionsSeen {
    parent?: pulumi.Resource;
    dependsOn: pulumi.Resource[];
    resource: pulumi.Resource;
}

/** One recording of a program's resources. */
export class Recorder {
    readonly registered: Registered[] = [];
    /** Every resource constructed, in order, as `<type>::<name>`: seen synchronously, before any registration. */
    readonly constructed: string[] = [];
    private readonly options = new Map<string, OptionsSeen>();

    /** Pass as `transformations: [recorder.transformation]` on the component under test. */
    readonly transformation: pulumi.ResourceTransformation = args => {
        const dependsOn = args.opts.dependsOn;
        this.constructed.push(`${args.type}::${args.name}`);
        const list = dependsOn === undefined ? [] : Array.isArray(dependsOn) ? dependsOn : [dependsOn];
        this.options.set(`${args.type}::${args.name}`, {
            parent: args.opts.parent,
            dependsOn: list.filter((d): d is pulumi.Resource => pulumi.Resource.isInstance(d)),
            resource: args.resource,
        });
        return undefined;
    };

    record(args: pulumi.runtime.MockResourceArgs): void {
        const seen = this.options.get(`${args.type}::${args.name}`);
        const secretPaths: string[] = [];
        this.registered.push({
            type: args.type,
            name: args.name,
            inputs: unwrapSecrets(args.inputs, "", secretPaths) as Record<string, unknown>,
            secretPaths,
            provider: args.provider,
            parent: seen?.parent,
            dependsOn: seen?.dependsOn ?? [],
            resource: seen?.resource,
        });
    }

    ofType(type: string): Registered[] {
        return this.registered.filter(r => r.type === type);
    }

    one(type: string): Registered {
        const found = this.ofType(type);
        if (found.length !== 1) {
            throw new Error(`expected one ${type}, found ${found.length}: ${found.map(r => r.name).join(", ")}`);
        }
        return found[0];
    }

    /** Resources the program created (not the component itself or providers). */
    children(): Registered[] {
        return this.registered.filter(r => !r.type.startsWith("pulumi:providers:") && r.type !== "tdengine:kubernetes:Cluster");
    }
}

/** The engine's wire form of a secret value (sdk/nodejs/runtime/rpc.ts). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE_SIG = "1b47061264138c4ac30d75fd1eb44270";

function unwrapSecrets(value: unknown, path: string, secretPaths: string[]): unknown {
    if (Array.isArray(value)) {
        return value.map((v, i) => unwrapSecrets(v, `${path}[${i}]`, secretPaths));
    }
    if (typeof value !== "object" || value === null) {
        return value;
    }
    const obj = value as Record<string, unknown>;
    if (obj[SECRET_SIG] === SECRET_VALUE_SIG) {
        secretPaths.push(path);
        return unwrapSecrets(obj.value, path, secretPaths);
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v, path === "" ? k : `${path}.${k}`, secretPaths)]));
}

let current: Recorder | undefined;

/** What a step's provider would report after a run, so the component's outputs can be checked. */
export const REPORTED_DNODES = [{ id: 1, endpoint: "tdengine-0.tdengine-taosd.tdengine.svc.cluster.local:6030", status: "ready" }];
export const REPORTED_MNODES = [{ endpoint: "tdengine-0.tdengine-taosd.tdengine.svc.cluster.local:6030", role: "leader" }];
const reported: Record<string, Record<string, unknown>> = {
    "pulumi-nodejs:dynamic/tdengine:AfterStatefulSet": { dnodes: REPORTED_DNODES, mnodes: REPORTED_MNODES },
};

/**
 * Installs mocks that feed `current`. Call in `before()`: setMocks at module top would leak into other
 * test files loaded by the same mocha process.
 */
export function installMocks(options: { preview?: boolean } = {}): void {
    void pulumi.runtime.setMocks({
        newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
            current?.record(args);
            const inputs = args.inputs as Record<string, unknown>;
            const metadata = (inputs.metadata ?? {}) as Record<string, unknown>;
            return { id: `${String(metadata.name ?? args.name)}_id`, state: { ...inputs, ...reported[args.type] } };
        },
        call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
            return args.inputs as Record<string, unknown>;
        },
    }, "tdengine-cluster", "test", options.preview ?? false);
}

export function startRecording(): Recorder {
    // Each recording is a program of its own: clusters of earlier ones claim no Kubernetes objects.
    forgetClaims();
    current = new Recorder();
    return current;
}

export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise(resolve => output.apply(v => { resolve(v); return v; }));
}

/** Waits until the mocks have seen every resource registered so far (the count stops growing). */
export async function settle(recorder: Recorder): Promise<void> {
    let last = -1;
    let stableRounds = 0;
    while (stableRounds < 5) {
        await new Promise(resolve => setTimeout(resolve, 5));
        stableRounds = recorder.registered.length === last ? stableRounds + 1 : 0;
        last = recorder.registered.length;
    }
}
