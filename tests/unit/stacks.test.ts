import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import { ARGUMENTS } from "../../components/validation/args";
import { STACK_CONFIG_KEYS } from "../../components/validation/stack-config";
import { installMocks, promiseOf, settle, startRecording } from "./harness";
import { validateManifest } from "./schema";

const root = path.resolve(__dirname, "..", "..");
interface DeclaredKey {
    type: string;
    description: string;
    default: unknown;
    items?: { type: string };
}
const project = (yaml.load(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as {
    name: string; stackConfigDir: string; config: Record<string, DeclaredKey>;
});
const stackDir = path.join(root, project.stackConfigDir);
const stackFiles = fs.readdirSync(stackDir).filter(f => /^Pulumi\..+\.yaml$/.test(f));

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- registered inputs are free-form JSON

const kinds: Record<string, [string, string]> = {
    "kubernetes:apps/v1:StatefulSet": ["apps/v1", "StatefulSet"],
    "kubernetes:core/v1:Service": ["v1", "Service"],
    "kubernetes:core/v1:Namespace": ["v1", "Namespace"],
    "kubernetes:core/v1:Secret": ["v1", "Secret"],
    "kubernetes:policy/v1:PodDisruptionBudget": ["policy/v1", "PodDisruptionBudget"],
};

/**
 * Sets a stack's config the way the engine hands it to the program: Pulumi.yaml's defaults for the keys
 * the stack leaves out, every value a string, objects and lists as JSON.
 */
function setStackConfig(config: Record<string, unknown>, secretKeys: string[] = []): void {
    const asEngineSendsIt: Record<string, string> = {};
    const withDefaults: Record<string, unknown> = {};
    for (const [key, declared] of Object.entries(project.config)) {
        withDefaults[`${project.name}:${key}`] = declared.default;
    }
    for (const [key, value] of Object.entries({ ...withDefaults, ...config })) {
        asEngineSendsIt[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    pulumi.runtime.setAllConfig(asEngineSendsIt, secretKeys.map(k => `${project.name}:${k}`));
}

function loadStackConfig(file: string): Record<string, unknown> {
    const doc = yaml.load(fs.readFileSync(path.join(stackDir, file), "utf8")) as { config?: Record<string, unknown> } | undefined;
    const config = doc?.config ?? {};
    for (const key of Object.keys(config)) {
        assert.ok(key.startsWith(`${project.name}:`), `${file}: ${key} belongs to the project's namespace`);
    }
    setStackConfig(config);
    return config;
}

const programPath = path.join(root, "index.ts");

/** Runs the program (index.ts) afresh, as `pulumi preview` would, with the config set now. */
function runProgram(): Record<string, pulumi.Output<unknown>> {
    delete require.cache[require.resolve(programPath)];
    return require(programPath) as Record<string, pulumi.Output<unknown>>; // eslint-disable-line @typescript-eslint/no-require-imports
}

describe("stacks: every stacks/Pulumi.<stack>.yaml drives the program to a valid cluster", function () {
    before(() => installMocks());

    it("finds the dev and prod stacks through Pulumi.yaml's stackConfigDir", () => {
        assert.equal(project.stackConfigDir, "stacks");
        assert.ok(stackFiles.includes("Pulumi.dev.yaml") && stackFiles.includes("Pulumi.prod.yaml"), stackFiles.join(", "));
    });

    for (const file of stackFiles) {
        it(`${file}: parses, keeps secrets out of plain text, and yields valid manifests`, async () => {
            const text = fs.readFileSync(path.join(stackDir, file), "utf8");
            assert.ok(!/rootPassword:\s*[^\s{]/.test(text.replace(/^\s*#.*$/gm, "")), "no plain-text rootPassword");
            const config = loadStackConfig(file);
            const rec = startRecording();
            // The program registers its component at load time, as under `pulumi up`.
            const program = runProgram();
            await promiseOf(pulumi.all([program.restEndpoint, program.statefulSetName, program.replicas]));
            await settle(rec);

            const sts = rec.one("kubernetes:apps/v1:StatefulSet").inputs as Obj;
            const replicas = Number(config[`${project.name}:replicas`] ?? 3);
            assert.equal(sts.spec.replicas, replicas);
            assert.equal(await promiseOf(program.replicas), replicas);
            assert.equal(sts.metadata.namespace, config[`${project.name}:namespace`]);
            for (const r of rec.registered.filter(x => x.type in kinds)) {
                const [apiVersion, kind] = kinds[r.type];
                validateManifest({ apiVersion, kind, ...(r.inputs as Obj) });
            }
            pulumi.runtime.setAllConfig({});
        });
    }

    it("prod is highly available: 3 or more dnodes, sized volumes and resource requests", () => {
        const doc = yaml.load(fs.readFileSync(path.join(stackDir, "Pulumi.prod.yaml"), "utf8")) as { config: Obj };
        const c = doc.config;
        assert.ok(Number(c[`${project.name}:replicas`]) >= 3);
        assert.ok(c[`${project.name}:storage`].size);
        assert.ok(c[`${project.name}:resources`].requests.cpu && c[`${project.name}:resources`].requests.memory);
    });
});

describe("Pulumi.yaml declares every config key of the program, with its type, a description and a default", function () {
    it("declares exactly the keys the program reads: name and every argument of the component", () => {
        assert.deepEqual(Object.keys(project.config).sort(), Object.keys(STACK_CONFIG_KEYS).sort());
        assert.deepEqual(Object.keys(STACK_CONFIG_KEYS).filter(k => k !== "name").sort(), Object.keys(ARGUMENTS.fields).sort());
    });

    for (const [key, declared] of Object.entries(project.config)) {
        it(`${key}: type ${declared.type}, as the program parses it, described, with a default Pulumi accepts`, () => {
            assert.equal(declared.type, STACK_CONFIG_KEYS[key]);
            assert.ok(declared.description.length > 20, declared.description);
            assert.notEqual(declared.default, undefined, "a declared key without a default is required in every stack");
            const ok = ({ string: "string", integer: "number", boolean: "boolean" } as Record<string, string | undefined>)[declared.type];
            if (ok !== undefined) {
                assert.equal(typeof declared.default, ok);
            } else if (declared.type === "array") {
                assert.ok(Array.isArray(declared.default) && declared.items !== undefined);
            } else {
                assert.ok(typeof declared.default === "object" && declared.default !== null && !Array.isArray(declared.default));
            }
        });
    }
});

interface BadStack {
    what: string;
    config: Record<string, unknown>;
    /** The path the message names (a stack key, or the argument's path inside it). */
    path: string;
    fix: RegExp;
}

const p = (key: string): string => `${project.name}:${key}`;
const badStacks: BadStack[] = [
    { what: "a typo: replica", config: { [p("replica")]: 1 }, path: p("replica"), fix: /Did you mean `tdengine-cluster:replicas`\?/ },
    { what: "a typo: storag", config: { [p("storag")]: { size: "1Gi" } }, path: p("storag"), fix: /Did you mean `tdengine-cluster:storage`\?/ },
    { what: "a key in the wrong case: rootpassword", config: { [p("rootpassword")]: "Td-Pass-123" }, path: p("rootpassword"), fix: /Did you mean `tdengine-cluster:rootPassword`\?/ },
    { what: "a typo: namesapce", config: { [p("namesapce")]: "db" }, path: p("namesapce"), fix: /Did you mean `tdengine-cluster:namespace`\?/ },
    { what: "a key in the wrong case: timeZone", config: { [p("timeZone")]: "UTC" }, path: p("timeZone"), fix: /Did you mean `tdengine-cluster:timezone`\?/ },
    { what: "a shortened key: retainVolumes", config: { [p("retainVolumes")]: true }, path: p("retainVolumes"), fix: /Did you mean `tdengine-cluster:retainVolumesOnDestroy`\?/ },
    { what: "a key the program does not read: kubeconfig", config: { [p("kubeconfig")]: "apiVersion: v1" }, path: p("kubeconfig"), fix: /Remove it .* the keys are name, namespace/ },
    { what: "replicas: three", config: { [p("replicas")]: "three" }, path: p("replicas"), fix: /Set a whole number, e\.g\. `pulumi config set replicas 3`/ },
    { what: "createNamespace: yes", config: { [p("createNamespace")]: "yes" }, path: p("createNamespace"), fix: /Write true or false/ },
    { what: "retainVolumesOnDestroy: True", config: { [p("retainVolumesOnDestroy")]: "True" }, path: p("retainVolumesOnDestroy"), fix: /Write true or false/ },
    { what: "storage: 10Gi", config: { [p("storage")]: "10Gi" }, path: p("storage"), fix: /Write it as a map .*pulumi config set --path storage\.<field>/ },
    { what: "tolerations as a map", config: { [p("tolerations")]: { key: "a" } }, path: p("tolerations"), fix: /Write it as a list/ },
    { what: "lifecycle: off", config: { [p("lifecycle")]: "off" }, path: p("lifecycle"), fix: /Write it as a map/ },
    { what: "service: LoadBalancer", config: { [p("service")]: "LoadBalancer" }, path: p("service"), fix: /Write it as a map/ },
    { what: "resources as a list", config: { [p("resources")]: [{ cpu: "1" }] }, path: p("resources"), fix: /Write it as a map/ },
    { what: "replicas: 2.5", config: { [p("replicas")]: 2.5 }, path: "replicas", fix: /Set replicas to 1 or more/ },
    { what: "replicas: 0", config: { [p("replicas")]: 0 }, path: "replicas", fix: /Set replicas to 1 or more/ },
    { what: "storage.sizee", config: { [p("storage")]: { sizee: "100Gi" } }, path: "storage.sizee", fix: /Did you mean `size`\?/ },
    { what: "storage.size: 500m", config: { [p("storage")]: { size: "500m" } }, path: "storage.size", fix: /thousandths/ },
    { what: "lifecycle.enabled: \"false\"", config: { [p("lifecycle")]: { enabled: "false" } }, path: "lifecycle.enabled", fix: /Write true or false/ },
    { what: "lifecycle.dropDnodeTimeoutSeconds: \"3600\"", config: { [p("lifecycle")]: { dropDnodeTimeoutSeconds: "3600" } }, path: "lifecycle.dropDnodeTimeoutSeconds", fix: /number of seconds/ },
    { what: "taosConfig.dataDir", config: { [p("taosConfig")]: { dataDir: "/tmp/x" } }, path: "taosConfig.dataDir", fix: /refused in any spelling/ },
    { what: "taosConfig.serverport", config: { [p("taosConfig")]: { serverport: 7000 } }, path: "taosConfig.serverport", fix: /refused in any spelling/ },
    { what: "namespace: kube-system", config: { [p("namespace")]: "kube-system" }, path: "namespace", fix: /createNamespace: false/ },
    { what: "timezone: Mars/Olympus", config: { [p("timezone")]: "Mars/Olympus" }, path: "timezone", fix: /IANA zone name/ },
    { what: "service.type: Ingress", config: { [p("service")]: { type: "Ingress" } }, path: "service.type", fix: /Use one of ClusterIP, NodePort, LoadBalancer/ },
    { what: "resources.limits.cpu: 8GB", config: { [p("resources")]: { limits: { cpu: "8GB" } } }, path: "resources.limits.cpu", fix: /Kubernetes quantities/ },
    { what: "a toleration operator Equals", config: { [p("tolerations")]: [{ key: "a", operator: "Equals" }] }, path: "tolerations[0].operator", fix: /tolerations as a list/ },
    { what: "a number as a nodeSelector value", config: { [p("nodeSelector")]: { pool: 3 } }, path: "nodeSelector.pool", fix: /Quote the label value/ },
    { what: "name: TDengine", config: { [p("name")]: "TDengine" }, path: "the resource name", fix: /Use lower-case letters/ },
    { what: "imagePullPolicy: sometimes", config: { [p("imagePullPolicy")]: "sometimes" }, path: "imagePullPolicy", fix: /Use Always, IfNotPresent or Never/ },
    { what: "upgrade.backup: sometimes", config: { [p("upgrade")]: { backup: "sometimes" } }, path: "upgrade.backup", fix: /"offline", "always" or "never"/ },
    { what: "clusterDomain: Cluster Local", config: { [p("clusterDomain")]: "Cluster Local" }, path: "clusterDomain", fix: /cluster\.local/ },
];

describe("stack config: bad keys and values are refused at preview, before anything is registered", function () {
    before(() => installMocks());
    after(() => pulumi.runtime.setAllConfig({}));

    it(`has a table of at least 25 bad stack configs (${badStacks.length})`, () => assert.ok(badStacks.length >= 25));

    for (const bad of badStacks) {
        it(`refuses ${bad.what}: names ${bad.path} and the fix`, () => {
            setStackConfig(bad.config);
            const rec = startRecording();
            assert.throws(() => runProgram(), (err: unknown) => {
                const message = (err as Error).message;
                assert.ok(message.includes(`${bad.path} `), message);
                assert.match(message, bad.fix);
                return true;
            });
            assert.deepEqual(rec.constructed, [], "nothing constructed, so nothing registered");
        });
    }

    it("refuses a secret rootPassword the rotation could not use, registering no child", async () => {
        setStackConfig({ [p("rootPassword")]: "short" }, ["rootPassword"]);
        const rec = startRecording();
        const seen: Error[] = [];
        const listener = (reason: unknown): void => { seen.push(reason as Error); };
        process.on("unhandledRejection", listener);
        try {
            runProgram();
            await settle(rec);
        } finally {
            process.off("unhandledRejection", listener);
        }
        assert.deepEqual(rec.children().map(r => r.type), []);
        assert.ok(seen.some(e => /rootPassword has 5 characters; TDengine takes 8 to 255/.test(e.message)), seen.map(e => e.message).join("\n"));
        assert.ok(seen.every(e => !e.message.includes("short")), "the password is never shown");
    });

    it("warns about a rootPassword in plain text in the stack file", async () => {
        const warnings: string[] = [];
        const original = pulumi.log.warn;
        pulumi.log.warn = (msg: string) => { warnings.push(msg); return Promise.resolve(); };
        try {
            setStackConfig({ [p("rootPassword")]: "Td-Plain-Pass-1" });
            startRecording();
            runProgram();
        } finally {
            pulumi.log.warn = original;
        }
        assert.ok(warnings.some(w => /tdengine-cluster:rootPassword is in plain text.*pulumi config set --secret rootPassword/.test(w)), warnings.join("\n"));
    });
});
