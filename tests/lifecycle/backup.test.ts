/**
 * The backup script against the fake Kubernetes API, through the real @kubernetes/client-node (exec
 * included: a websocket with the exit status on channel 3). Each exec runs for real on this machine, the
 * way kwok's ClusterExec maps exec to a local command: in the pod's working directory (a directory
 * standing for the backup volume), with the pod's environment (the Secret reference resolved), and a PATH
 * holding a stand-in `taosdump` that records how it was called, or none for an image without the tools.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { KubeBackupObjects } from "../../components/backup/kube";
import { BACKUP_ENV, BackupRequest, readBackupRequest } from "../../components/backup/request";
import { BackupResult, decideBackup, runBackup } from "../../components/backup/taosdump";
import { TDengineStandin } from "../standin/standin";
import { ExecHandler, FakeKubernetes } from "./fake-kubernetes";
import { addressing } from "./fixture";

const PASSWORD = "Td-Backup-9 'quoted' $HOME";
const SECRET = "tdengine-root";
const OLD = "tdengine/tdengine:3.3.7.5";
const NEW_FEATURE = "tdengine/tdengine:3.3.8.0";
const NEW_MAINTENANCE = "tdengine/tdengine:3.3.7.6";

interface Setup {
    kube: FakeKubernetes;
    kubeconfig: string;
    /** Stands for the volumes: one directory per claim. */
    volumes: string;
    /** What the stand-in taosdump saw: the arguments of each call. */
    calls(): string[][];
    logs: string[];
}

let current: Setup | undefined;
let scratch: string;

function request(extra: Partial<BackupRequest> = {}): BackupRequest {
    return {
        instance: "tdengine", namespace: addressing.namespace, statefulSet: addressing.statefulSet, host: "tdengine.db.svc.cluster.local",
        secretName: SECRET, passwordKey: "password", image: NEW_FEATURE, allowOffline: true, unknownVersionChange: "feature",
        mode: "offline", volumeSize: "8Gi", storageClassName: "fast", kubeconfig: current?.kubeconfig, ...extra,
    };
}

/** A `taosdump` for the PATH: checks the password it is given, records its arguments, writes a file per database. */
function standInTaosdump(bin: string, record: string, exitCode = 0): void {
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, "taosdump"), [
        "#!/bin/sh",
        `{ echo '--- call'; printf '%s\\n' "$@"; } >> ${JSON.stringify(record)}`,
        "out=''; password=''",
        "while [ $# -gt 0 ]; do case \"$1\" in -o) out=\"$2\"; shift ;; -p*) password=\"${1#-p}\" ;; esac; shift; done",
        `[ "$password" = ${shellQuote(PASSWORD)} ] || { echo 'ERROR: Authentication failure' >&2; exit 2; }`,
        "printf '\\033[32mOK: Database db1 dumped\\033[0m\\n'",
        "echo 'rows' > \"$out/db1.avro\"",
        `exit ${exitCode}`,
    ].join("\n"), { mode: 0o755 });
}

function shellQuote(s: string): string {
    return `'${s.replace(/'/g, "'\\''")}'`;
}

/** Runs an exec as the pod would: its working directory on its volume, its environment, the image's PATH. */
interface PodSpec {
    containers: {
        name: string;
        workingDir?: string;
        env?: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[];
        volumeMounts?: { name: string; mountPath: string }[];
    }[];
    volumes: { name: string; persistentVolumeClaim: { claimName: string } }[];
}

function execLocally(volumes: string, bin: string): ExecHandler {
    return (pod, container, command, streams) => {
        const spec = pod.manifest.spec as unknown as PodSpec;
        const c = spec.containers.find(x => x.name === container);
        assert.ok(c, `container ${container}`);
        const env: Record<string, string> = { PATH: `${bin}:${path.dirname(process.execPath)}:/usr/bin:/bin` };
        for (const e of c.env ?? []) {
            const ref = e.valueFrom?.secretKeyRef;
            assert.ok(e.value === undefined, `${e.name} comes from a reference, not a value in the pod spec`);
            assert.deepEqual(ref, { name: SECRET, key: "password" });
            env[e.name] = PASSWORD;
        }
        const mount = (c.volumeMounts ?? []).find(m => m.mountPath === c.workingDir);
        assert.ok(mount, "the working directory is the mounted volume");
        const claim = spec.volumes.find(v => v.name === mount.name)?.persistentVolumeClaim.claimName ?? "";
        const cwd = path.join(volumes, claim);
        fs.mkdirSync(cwd, { recursive: true });
        return new Promise(resolve => {
            const child = spawn(command[0], command.slice(1), { cwd, env });
            child.stdout.on("data", (b: Buffer) => streams.stdout(b.toString()));
            child.stderr.on("data", (b: Buffer) => streams.stderr(b.toString()));
            child.on("close", code => resolve(code ?? 1));
        });
    };
}

async function setup(options: { taosdump?: "present" | "absent"; exitCode?: number; image?: string } = {}): Promise<Setup> {
    const dir = fs.mkdtempSync(path.join(scratch, "run-"));
    const kube = new FakeKubernetes(new TDengineStandin(), addressing, "tdengine");
    kube.replicas = 3;
    kube.image = options.image ?? OLD;
    const bin = path.join(dir, "bin");
    const record = path.join(dir, "calls.jsonl");
    if (options.taosdump !== "absent") {
        standInTaosdump(bin, record, options.exitCode);
    } else {
        fs.mkdirSync(bin);
    }
    const volumes = path.join(dir, "volumes");
    kube.execHandler = execLocally(volumes, bin);
    const kubeconfig = await kube.serve();
    const calls = (): string[][] => fs.existsSync(record)
        ? fs.readFileSync(record, "utf8").split("--- call\n").slice(1).map(call => call.replace(/\n$/, "").split("\n")) : [];
    current = { kube, kubeconfig, volumes, calls, logs: [] };
    return current;
}

async function backup(s: Setup, extra: Partial<BackupRequest> = {}, podTimeoutMs?: number): Promise<BackupResult> {
    const req = request(extra);
    return runBackup(req, new KubeBackupObjects({ kubeconfig: s.kubeconfig }, req.namespace), {
        log: line => s.logs.push(line), pollMs: 5, podTimeoutMs, now: () => new Date("2026-11-29T22:55:00.123Z"),
    });
}

function events(s: Setup, kind: string): string[] {
    return s.kube.events.filter(e => e.kind === kind).map(e => e.detail);
}

describe("backup before an upgrade: the script against a Kubernetes API", function () {
    this.timeout(10_000);

    before(() => { scratch = fs.mkdtempSync(path.join(os.tmpdir(), "tdengine-backup-")); });
    after(() => fs.rmSync(scratch, { recursive: true, force: true }));
    afterEach(async () => {
        await current?.kube.close();
        current = undefined;
    });

    it("dumps every database with the running image's taosdump before an offline upgrade, removes the pod, keeps the volume", async () => {
        const s = await setup();
        const result = await backup(s);

        assert.equal(result.dumped, true);
        assert.equal(result.directory, "/backup/3.3.7.5-to-3.3.8.0-20261129T225500Z");
        assert.equal(s.calls().length, 1, "taosdump ran once");
        const args = s.calls()[0];
        assert.ok(args.includes(`-p${PASSWORD}`), "the password from the Secret, expanded by the pod's shell");
        const dir = "3.3.7.5-to-3.3.8.0-20261129T225500Z";
        for (const expected of [["-h", "tdengine.db.svc.cluster.local"], ["-P", "6030"], ["-u", "root"], ["-o", dir]]) {
            assert.equal(args[args.indexOf(expected[0]) + 1], expected[1], `${expected[0]} ${expected[1]} in ${args.join(" ")}`);
        }
        assert.ok(args.includes("-A"), "every database");
        assert.ok(fs.existsSync(path.join(s.volumes, "tdengine-backup", dir, "db1.avro")), "the dump is on the volume");

        assert.deepEqual(events(s, "pod.created"), ["tdengine-backup"], "one backup pod");
        assert.deepEqual(events(s, "pod.deleted"), ["tdengine-backup"], "deleted afterwards");
        assert.equal(s.kube.otherPods.size, 0);
        type Claim = { spec: { resources: { requests: { storage: string } }; storageClassName: string } };
        const volume = s.kube.otherVolumes.get("tdengine-backup") as Claim;
        assert.equal(volume.spec.resources.requests.storage, "8Gi");
        assert.equal(volume.spec.storageClassName, "fast");
        assert.ok(s.logs.includes("taosdump: OK: Database db1 dumped"), `progress streamed, colours stripped: ${s.logs.join(" | ")}`);
        assert.ok(s.logs.some(l => l.includes("taosdump -i /backup/3.3.7.5-to-3.3.8.0-20261129T225500Z")), "says how to restore");
        assert.ok(!s.logs.join("\n").includes(PASSWORD), "no password in the output");
        assert.ok(!events(s, "pod.exec").join("\n").includes(PASSWORD), "no password in an exec request");
    });

    it("starts the backup pod on the image the cluster runs now, not the new one", async () => {
        const s = await setup();
        let image: string | undefined;
        const handler = s.kube.execHandler;
        s.kube.execHandler = (pod, container, command, streams) => {
            image = pod.manifest.spec?.containers?.[0]?.image;
            return handler ? handler(pod, container, command, streams) : Promise.resolve(1);
        };
        await backup(s);
        assert.equal(image, OLD);
    });

    it("takes no backup and creates nothing on a first deploy, for an image that stays, or for a refused change", async () => {
        const s = await setup();
        s.kube.replicas = undefined;
        assert.equal((await backup(s)).dumped, false);
        assert.match(s.logs[0], /first deploy/);
        s.kube.replicas = 3;
        assert.equal((await backup(s, { image: OLD })).dumped, false);
        assert.equal((await backup(s, { allowOffline: false })).dumped, false, "a Feature change without allowOffline is refused");
        assert.deepEqual(s.calls(), []);
        assert.deepEqual(events(s, "pod.created"), []);
        assert.deepEqual(events(s, "pvc.created"), []);
    });

    it("backs up before a rolled Maintenance change only when upgrade.backup is \"always\"", async () => {
        const s = await setup();
        const offline = await backup(s, { image: NEW_MAINTENANCE, mode: "offline" });
        assert.equal(offline.dumped, false);
        assert.match(offline.why, /not an offline upgrade/);
        const always = await backup(s, { image: NEW_MAINTENANCE, mode: "always" });
        assert.equal(always.directory, "/backup/3.3.7.5-to-3.3.7.6-20261129T225500Z");
        assert.equal(s.calls().length, 1);
    });

    it("says plainly when the image has no taosdump, and removes the pod", async () => {
        const s = await setup({ taosdump: "absent" });
        await assert.rejects(backup(s), (err: Error) => {
            assert.match(err.message, /image tdengine\/tdengine:3\.3\.7\.5 has no taosdump/);
            assert.match(err.message, /upgrade\.backup: "never"/);
            return true;
        });
        assert.deepEqual(events(s, "pod.deleted"), ["tdengine-backup"]);
        assert.equal(s.kube.otherPods.size, 0);
    });

    it("fails with taosdump's exit code when it fails, keeps its error output, and removes the pod", async () => {
        const s = await setup({ exitCode: 3 });
        await assert.rejects(backup(s), /taosdump exited with code 3/);
        assert.equal(s.kube.otherPods.size, 0);
        assert.ok(s.logs.includes("taosdump: OK: Database db1 dumped"));
    });

    it("places the backup pod where the dnodes may run: their nodeSelector and tolerations", async () => {
        const s = await setup();
        const placement = { nodeSelector: { pool: "tsdb" }, tolerations: [{ key: "dedicated", operator: "Exists", effect: "NoSchedule" }] };
        let spec: Record<string, unknown> | undefined;
        const handler = s.kube.execHandler;
        s.kube.execHandler = (pod, container, command, streams) => {
            spec = pod.manifest.spec as Record<string, unknown>;
            return handler ? handler(pod, container, command, streams) : Promise.resolve(1);
        };
        await backup(s, { placement: JSON.stringify(placement) });
        assert.deepEqual(spec?.nodeSelector, placement.nodeSelector);
        assert.deepEqual(spec?.tolerations, placement.tolerations);
    });

    it("stops when the exec itself fails (not the command), and removes the pod", async () => {
        const s = await setup();
        s.kube.execHandler = () => Promise.reject(new Error("container taosdump not found"));
        await assert.rejects(backup(s), /exec in pod tdengine-backup failed: .*container taosdump not found/);
        assert.equal(s.kube.otherPods.size, 0);
        assert.deepEqual(s.calls(), []);
    });

    it("gives up on a backup pod that never runs, saying how it was last seen, and removes it", async () => {
        const s = await setup();
        s.kube.stuckPods.add("tdengine-backup");
        await assert.rejects(backup(s, {}, 50),
            /backup pod tdengine-backup did not run within .*last seen: Pending, Unschedulable: 0\/3 nodes/);
        assert.equal(s.kube.otherPods.size, 0);
        assert.deepEqual(s.calls(), []);
    });

    it("replaces a backup pod an interrupted run left on another image", async () => {
        const s = await setup();
        s.kube.otherPods.set("tdengine-backup", { phase: "Running", manifest: {
            metadata: { name: "tdengine-backup" }, spec: { containers: [{ name: "taosdump", image: "tdengine/tdengine:3.3.6.0" }] } } });
        s.kube.otherVolumes.set("tdengine-backup", { metadata: { name: "tdengine-backup" } });
        const result = await backup(s);
        assert.equal(result.dumped, true);
        assert.deepEqual(events(s, "pod.deleted"), ["tdengine-backup", "tdengine-backup"], "the leftover, then its own");
        assert.deepEqual(events(s, "pvc.created"), [], "the existing volume is used");
    });

    it("reads its request back from the environment the Command gives it (unset values are empty strings)", () => {
        const req = request({ storageClassName: undefined, version: undefined, context: undefined, placement: undefined });
        const env: Record<string, string> = {};
        for (const key of Object.keys(BACKUP_ENV) as (keyof BackupRequest)[]) {
            env[BACKUP_ENV[key]] = req[key] === undefined ? "" : String(req[key]);
        }
        assert.deepEqual(readBackupRequest(env), req);
        assert.throws(() => readBackupRequest({ ...env, [BACKUP_ENV.mode]: "never" }),
            /TDENGINE_BACKUP_MODE must be one of offline, always/);
        assert.throws(() => readBackupRequest({ ...env, [BACKUP_ENV.image]: "" }), /TDENGINE_BACKUP_IMAGE is not set/);
    });

    it("decides by TDengine's version rules, from the live image to the new one", () => {
        const req = request();
        assert.equal(decideBackup(req, undefined).dump, false);
        assert.equal(decideBackup({ ...req, image: "tdengine/tdengine:4.0.0.0" }, OLD).dump, true, "Major upgrade, offline");
        assert.equal(decideBackup({ ...req, image: "registry/custom:latest" }, OLD).dump, true, "unknown version: a Feature change");
        assert.equal(decideBackup({ ...req, image: "registry/custom:latest", unknownVersionChange: "maintenance" }, OLD).dump, false);
        assert.equal(decideBackup({ ...req, image: "registry/custom:latest", version: "3.3.8.0" }, OLD).to, "3.3.8.0");
    });
});
