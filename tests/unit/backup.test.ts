import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { TDengineCluster, TDengineClusterArgs } from "../../components";
import { backupMayBeNeeded } from "../../components/backup";
import { BACKUP_ENV } from "../../components/backup/request";
import { UpgradeArgs } from "../../components/types";
import { Recorder, installMocks, promiseOf, settle, startRecording } from "./harness";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- registered inputs are free-form JSON

const COMMAND = "command:local:Command";
const STS = "kubernetes:apps/v1:StatefulSet";
const SECRET = "kubernetes:core/v1:Secret";
const BEFORE = "pulumi-nodejs:dynamic/tdengine:BeforeStatefulSet";
const PASSWORD = "backup-unit-test-password";

async function deploy(args: TDengineClusterArgs): Promise<Recorder> {
    const rec = startRecording();
    const cluster = new TDengineCluster("tdengine", { rootPassword: pulumi.secret(PASSWORD), ...args },
        { transformations: [rec.transformation] });
    await promiseOf(pulumi.all([cluster.restEndpoint, cluster.statefulSetName]));
    await settle(rec);
    return rec;
}

function environment(rec: Recorder): Record<string, string> {
    return (rec.one(COMMAND).inputs as Obj).environment as Record<string, string>;
}

/** The request the script gets: the environment without what running it from the sources adds. */
function requestEnvironment(rec: Recorder): Record<string, string> {
    return Object.fromEntries(Object.entries(environment(rec)).filter(([k]) => k !== "TS_NODE_PROJECT"));
}

describe("backup before an upgrade: the Command the component registers", function () {
    before(() => installMocks());

    it("is needed only when an offline upgrade is allowed (backup defaults to \"offline\") or backup is \"always\"", () => {
        const cases: [UpgradeArgs | undefined, boolean][] = [
            [undefined, false], [{}, false], [{ backup: "offline" }, false], [{ allowOffline: false, backup: "offline" }, false],
            [{ allowOffline: true }, true], [{ allowOffline: true, backup: "offline" }, true],
            [{ allowOffline: true, backup: "never" }, false],
            [{ backup: "always" }, true], [{ backup: "never" }, false],
        ];
        for (const [upgrade, needed] of cases) {
            assert.equal(backupMayBeNeeded(upgrade), needed, `upgrade: ${JSON.stringify(upgrade)}`);
        }
    });

    it("registers no Command (so needs no command plugin) when no image change can need a backup", async () => {
        for (const upgrade of [undefined, { allowOffline: true, backup: "never" as const }]) {
            const rec = await deploy({ upgrade });
            assert.equal(rec.ofType(COMMAND).length, 0, `upgrade: ${JSON.stringify(upgrade)}`);
        }
    });

    it("registers one Command when an offline upgrade is allowed (backup defaults to \"offline\") or backup is \"always\"", async () => {
        assert.equal((await deploy({ upgrade: { allowOffline: true } })).ofType(COMMAND).length, 1);
        assert.equal((await deploy({ upgrade: { backup: "always" } })).ofType(COMMAND).length, 1);
    });

    it("runs it after the Secret and the step before the StatefulSet, and the StatefulSet after it", async () => {
        const rec = await deploy({ upgrade: { allowOffline: true } });
        const backup = rec.one(COMMAND);
        assert.equal(backup.parent, rec.one("tdengine:kubernetes:Cluster").resource, "a child of the component");
        assert.ok(rec.one(STS).dependsOn.includes(backup.resource as pulumi.Resource), "the StatefulSet dependsOn the backup");
        assert.ok(backup.dependsOn.includes(rec.one(SECRET).resource as pulumi.Resource), "the backup dependsOn the Secret");
        assert.ok(backup.dependsOn.includes(rec.one(BEFORE).resource as pulumi.Resource),
            "the backup dependsOn the step that rotates the password and drops leaving dnodes");
        assert.ok(!(backup.provider ?? "").includes("kubernetes"), "the Kubernetes provider is not the command provider");
    });

    it("re-runs it on each change of the image or of upgrade.version: they are its triggers", async () => {
        const rec = await deploy({ image: "tdengine/tdengine:3.3.8.0", upgrade: { allowOffline: true, version: "3.3.8.0" } });
        assert.deepEqual((rec.one(COMMAND).inputs as Obj).triggers, ["tdengine/tdengine:3.3.8.0", "3.3.8.0"]);
        const unversioned = await deploy({ upgrade: { backup: "always" } });
        assert.deepEqual((unversioned.one(COMMAND).inputs as Obj).triggers, ["tdengine/tdengine:3.3.7.5", ""]);
    });

    it("creates it by running the package's backup script with this Node.js", async () => {
        const rec = await deploy({ upgrade: { allowOffline: true } });
        const create = (rec.one(COMMAND).inputs as Obj).create as string;
        const quoted = [...create.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map(m => JSON.parse(`"${m[1]}"`) as string);
        assert.equal(quoted[0], process.execPath);
        const script = quoted[quoted.length - 1];
        assert.match(script, /components[/\\]backup[/\\]taosdump\.(ts|js)$/);
        assert.ok(fs.existsSync(script), `${script} exists`);
        const tsconfig = environment(rec).TS_NODE_PROJECT;
        if (script.endsWith(".ts")) {
            assert.ok(quoted.some(q => q.includes("ts-node")), "run from the sources, the script is loaded through ts-node");
            assert.ok(fs.existsSync(tsconfig), "with the sources' tsconfig.json, wherever the command runs");
        } else {
            assert.equal(tsconfig, undefined);
        }
    });

    it("hands the script the names, the new image, the version rules' arguments, the volume's size and class, the placement", async () => {
        const rec = await deploy({
            namespace: "db", image: "tdengine/tdengine:3.3.8.0", storage: { size: "20Gi", className: "fast" },
            nodeSelector: { pool: "tsdb" }, tolerations: [{ key: "dedicated", operator: "Exists" }],
            upgrade: { allowOffline: true, version: "3.3.8.0", unknownVersionChange: "maintenance", backupVolumeSize: "50Gi" },
            lifecycle: { context: "prod" },
        });
        assert.deepEqual(requestEnvironment(rec), {
            [BACKUP_ENV.instance]: "tdengine",
            [BACKUP_ENV.namespace]: "db",
            [BACKUP_ENV.statefulSet]: "tdengine",
            [BACKUP_ENV.host]: "tdengine.db.svc.cluster.local",
            [BACKUP_ENV.secretName]: (rec.one(SECRET).inputs as Obj).metadata.name,
            [BACKUP_ENV.passwordKey]: "password",
            [BACKUP_ENV.image]: "tdengine/tdengine:3.3.8.0",
            [BACKUP_ENV.version]: "3.3.8.0",
            [BACKUP_ENV.allowOffline]: "true",
            [BACKUP_ENV.unknownVersionChange]: "maintenance",
            [BACKUP_ENV.mode]: "offline",
            [BACKUP_ENV.volumeSize]: "50Gi",
            [BACKUP_ENV.storageClassName]: "fast",
            [BACKUP_ENV.placement]: JSON.stringify({
                nodeSelector: { pool: "tsdb" }, tolerations: [{ key: "dedicated", operator: "Exists" }],
            }),
            [BACKUP_ENV.kubeconfig]: "",
            [BACKUP_ENV.context]: "prod",
        });
    });

    it("sizes the backup volume like a data volume by default, in the cluster's default StorageClass", async () => {
        const env = environment(await deploy({ storage: { size: "7Gi" }, upgrade: { backup: "always" } }));
        assert.equal(env[BACKUP_ENV.volumeSize], "7Gi");
        assert.equal(env[BACKUP_ENV.storageClassName], "");
        assert.equal(env[BACKUP_ENV.placement], "", "no placement: anywhere");
        assert.equal(env[BACKUP_ENV.mode], "always");
        assert.equal(env[BACKUP_ENV.allowOffline], "false");
        assert.equal(env[BACKUP_ENV.unknownVersionChange], "feature");
    });

    it("never hands over the root password (the backup pod reads it from the Secret), and keeps a kubeconfig secret", async () => {
        const rec = await deploy({ upgrade: { allowOffline: true }, lifecycle: { kubeconfig: "apiVersion: v1\nkind: Config\n" } });
        const backup = rec.one(COMMAND);
        assert.ok(!JSON.stringify(backup.inputs).includes(PASSWORD), "the password is in none of the Command's inputs");
        assert.equal(environment(rec)[BACKUP_ENV.kubeconfig], "apiVersion: v1\nkind: Config\n");
        // The SDK sends a map with a secret value as a secret map.
        const path = `environment.${BACKUP_ENV.kubeconfig}`;
        assert.ok(backup.secretPaths.some(p => path === p || path.startsWith(`${p}.`)),
            `kubeconfig is secret (${backup.secretPaths.join(", ")})`);
    });
});
