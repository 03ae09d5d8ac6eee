import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import { installMocks, promiseOf, settle, startRecording } from "./harness";
import { validateManifest } from "./schema";

const root = path.resolve(__dirname, "..", "..");
const project = (yaml.load(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { name: string; stackConfigDir: string });
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

/** Sets the stack's config the way the engine hands it to the program: strings, objects as JSON. */
function loadStackConfig(file: string): Record<string, unknown> {
    const doc = yaml.load(fs.readFileSync(path.join(stackDir, file), "utf8")) as { config?: Record<string, unknown> } | undefined;
    const config = doc?.config ?? {};
    const asEngineSendsIt: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) {
        assert.ok(key.startsWith(`${project.name}:`), `${file}: ${key} belongs to the project's namespace`);
        asEngineSendsIt[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    pulumi.runtime.setAllConfig(asEngineSendsIt);
    return config;
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
            const programPath = path.join(root, "index.ts");
            delete require.cache[require.resolve(programPath)];
            // The program registers its component at load time, as under `pulumi up`.
            // eslint-disable-next-line @typescript-eslint/no-require-imports -- the stack's program, loaded as Pulumi loads it
            const program = require(programPath) as Record<string, pulumi.Output<unknown>>;
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
