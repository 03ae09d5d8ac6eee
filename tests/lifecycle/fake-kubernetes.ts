/**
 * A Kubernetes stand-in for the lifecycle tests: a StatefulSet controller with pods and PVCs, tied to the
 * TDengine stand-in the way the official image is (a starting pod runs taosd on its FQDN, which joins the
 * cluster; a deleted pod's taosd is gone), served over the few Kubernetes API routes the lifecycle uses,
 * so the real @kubernetes/client-node code in components/kube runs against it.
 */
import * as crypto from "node:crypto";
import * as http from "node:http";
import * as net from "node:net";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { DnodeAddressing, dnodeEndpointForOrdinal, ordinalOfPvc, podName, pvcNameForOrdinal } from "../../components/names";
import { versionOfImage } from "../../components/lifecycle/version";
import { TDengineStandin } from "../standin/standin";

export interface KubeEvent {
    at: number;
    kind: "pod.created" | "pod.deleted" | "pod.exec" | "pvc.created" | "pvc.deleted" | "pvc.resized" | "statefulset.scaled"
        | "statefulset.deleted" | "portforward.opened" | "portforward.refused";
    detail: string;
}

interface Volume {
    /** The endpoint whose dnode data this volume holds, once its pod has started on it. */
    dataOf?: string;
    size: string;
    storageClassName: string;
    /** metadata.uid: new for every PVC created under the same name. */
    uid: string;
    /** metadata.resourceVersion: changes on every write. */
    resourceVersion: string;
}

/** A pod created through the API (not one of the StatefulSet's), e.g. the backup pod. */
export interface OtherPod {
    /** The manifest as posted. */
    manifest: { metadata?: { name?: string }; spec?: { containers?: { name: string; image?: string }[] } } & Record<string, unknown>;
    phase: "Pending" | "Running";
}

/** Output of a command run through the exec API. */
export interface ExecStreams {
    stdout(text: string): void;
    stderr(text: string): void;
}

/** What an exec into a pod does; resolves to the command's exit code. */
export type ExecHandler = (pod: OtherPod, container: string, command: string[], streams: ExecStreams) => Promise<number>;

/** The few members of the `ws` package's server (client-node's own WebSocket library) the fake uses. */
interface FakeWebSocket {
    send(data: Buffer): void;
    close(): void;
    on(event: "message", listener: (data: Buffer) => void): void;
    on(event: "close", listener: () => void): void;
}
interface WebSocketServer {
    handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, done: (ws: FakeWebSocket) => void): void;
}

function webSocketServer(): WebSocketServer {
    const ws = require("ws") as { WebSocketServer: new (o: object) => WebSocketServer }; // eslint-disable-line @typescript-eslint/no-require-imports
    // client-node offers v5, v4 and v3.channel.k8s.io; the API server answers with one of them.
    return new ws.WebSocketServer({ noServer: true, handleProtocols: (protocols: Set<string>) => protocols.has("v4.channel.k8s.io") ? "v4.channel.k8s.io" : false });
}

/** A local port nothing listens on: a connection to it is refused, as to a taosAdapter that has not started. */
const closedPort = 1;

let lastResourceVersion = 1000;
const nextResourceVersion = (): string => String(++lastResourceVersion);

/** One StatefulSet, its pods and its PVCs, as the StatefulSet controller would keep them. */
export class FakeKubernetes {
    replicas: number | undefined;
    readonly pods = new Set<number>();
    readonly volumes = new Map<number, Volume>();
    readonly events: KubeEvent[] = [];
    /** Ordinals whose pods are running but not ready (e.g. a pod stuck starting). */
    readonly notReady = new Set<number>();
    /** Ordinals whose pods are ready but where nothing listens on the REST port yet (taosAdapter starting). */
    readonly restNotListening = new Set<number>();
    private server: http.Server | undefined;
    private readonly webSockets = webSocketServer();

    /**
     * `restartDelayMs`: how long a deleted pod takes to run again. A real one takes many seconds
     * (grace period, scheduling, start-up), longer than TDengine takes to notice a dead dnode (4 s) and
     * elect a new mnode leader (5 s, docs/tdengine.md#mnode-leader-failover); the default keeps that order at timeScale 0.01 and 0.005.
     */
    constructor(readonly standin: TDengineStandin, readonly addressing: DnodeAddressing, readonly instance: string,
        readonly restartDelayMs = 200) { }

    /** The StatefulSet's volumeClaimTemplate: what a new PVC gets (the default class fills in "standard"). */
    template = { size: "5Gi", storageClassName: "standard" };
    /** Whether the StorageClass allows volume expansion. */
    allowVolumeExpansion = true;
    /** The pod template (its image and hash) and its revision: a new template is a new updateRevision. */
    podTemplate = { image: "tdengine/tdengine:3.3.7.5", hash: "" };
    private revisionNumber = 1;
    /** Each pod deletion and what TDengine showed right before it: vgroups without a leader, dnodes not ready. */
    readonly deletions: { pod: string; leaderless: number[]; notReady: string[] }[] = [];
    /** The revision and image each pod was created from (OnDelete: a new template restarts none). */
    readonly podRevisions = new Map<number, { revision: string; image: string }>();

    get updateRevision(): string {
        return `${this.addressing.statefulSet}-r${this.revisionNumber}`;
    }

    /** The image of the StatefulSet's `tdengine` container (what the backup reads as the running image). */
    get image(): string {
        return this.podTemplate.image;
    }

    set image(value: string) {
        this.podTemplate.image = value;
    }

    /** Pods created through the API that are not the StatefulSet's, by name; each runs once a read has seen it pending. */
    readonly otherPods = new Map<string, OtherPod>();
    /** Names of such pods that never run: no node takes them (Unschedulable). */
    readonly stuckPods = new Set<string>();
    /** PVCs created through the API that are not the StatefulSet's, by name, as posted. */
    readonly otherVolumes = new Map<string, Record<string, unknown>>();
    /** Commands run through the exec API (`kubectl exec`): a websocket speaking v4.channel.k8s.io, as the API server does. */
    execHandler: ExecHandler | undefined;

    /**
     * What the StatefulSet controller does for `spec.replicas = n`, OrderedReady: new pods in ordinal
     * order, each on its PVC (created if missing); removed pods highest ordinal first. PVCs stay.
     */
    applyStatefulSet(n: number, template: { image?: string; hash?: string } = {}): void {
        const next = { image: template.image ?? this.podTemplate.image, hash: template.hash ?? this.podTemplate.hash };
        if (next.image !== this.podTemplate.image || next.hash !== this.podTemplate.hash) {
            this.podTemplate = next;
            this.revisionNumber++;
        }
        this.replicas = n;
        this.record("statefulset.scaled", String(n));
        for (let i = 0; i < n; i++) {
            if (!this.pods.has(i)) {
                this.startPod(i);
            }
        }
        for (const i of [...this.pods].sort((a, b) => b - a)) {
            if (i >= n) {
                this.deletePod(i);
            }
        }
    }

    /** `kubectl delete statefulset`: the pods go, the PVCs stay. */
    deleteStatefulSet(): void {
        for (const i of [...this.pods].sort((a, b) => b - a)) {
            this.deletePod(i);
        }
        this.replicas = undefined;
        this.record("statefulset.deleted", this.addressing.statefulSet);
    }

    startPod(ordinal: number): void {
        const endpoint = dnodeEndpointForOrdinal(this.addressing, ordinal);
        let volume = this.volumes.get(ordinal);
        if (volume === undefined) {
            volume = this.createVolume(ordinal);
        }
        const listed = this.standin.state().dnodes.some(d => d.endpoint === endpoint);
        // The image's entrypoint starts taosd on whatever the volume holds (docs/tdengine.md#dropped-dnode-returns for a dropped dnode's data).
        const data = volume.dataOf === undefined ? "fresh" : listed ? "own" : "dropped";
        this.standin.startDnode(endpoint, { data, version: versionOfImage(this.podTemplate.image)?.text });
        volume.dataOf = endpoint;
        this.pods.add(ordinal);
        this.podRevisions.set(ordinal, { revision: this.updateRevision, image: this.podTemplate.image });
        this.record("pod.created", podName(this.addressing, ordinal));
    }

    /** What the StatefulSet controller does for a pod whose PVC is missing: a new PVC, under the same name. */
    createVolume(ordinal: number): Volume {
        const volume: Volume = { ...this.template, uid: crypto.randomUUID(), resourceVersion: nextResourceVersion() };
        this.volumes.set(ordinal, volume);
        this.record("pvc.created", pvcNameForOrdinal(this.addressing.statefulSet, ordinal));
        return volume;
    }

    deletePod(ordinal: number): void {
        const state = this.standin.state();
        this.deletions.push({
            pod: podName(this.addressing, ordinal),
            leaderless: state.databases.flatMap(d => d.vgroups).filter(v => v.leader === null).map(v => v.id),
            notReady: state.dnodes.filter(d => d.status !== "ready").map(d => d.endpoint),
        });
        this.standin.stopDnode(dnodeEndpointForOrdinal(this.addressing, ordinal));
        this.pods.delete(ordinal);
        this.record("pod.deleted", podName(this.addressing, ordinal));
    }

    eventTime(kind: KubeEvent["kind"], detail: string): number | undefined {
        return this.events.find(e => e.kind === kind && e.detail === detail)?.at;
    }

    private record(kind: KubeEvent["kind"], detail: string): void {
        this.events.push({ at: Date.now(), kind, detail });
    }

    /** Serves the API routes the lifecycle uses; resolves to a kubeconfig (YAML) pointing at them. */
    async serve(): Promise<string> {
        this.server = http.createServer((req, res) => this.route(req, res));
        // exec (the backup's taosdump) and port-forward (the steps' REST route) are both WebSocket upgrades.
        this.server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => /\/exec(\?|$)/.test(req.url ?? "")
            ? this.exec(req, socket as Socket) : this.upgrade(req, socket, head));
        await new Promise<void>(resolve => this.server?.listen(0, "127.0.0.1", resolve));
        const port = (this.server.address() as AddressInfo).port;
        return [
            "apiVersion: v1", "kind: Config", "current-context: fake",
            // client-node refuses plain HTTP unless TLS verification is off, as for any local test server.
            "clusters:", "- name: fake", "  cluster:", `    server: http://127.0.0.1:${port}`, "    insecure-skip-tls-verify: true",
            "contexts:", "- name: fake", "  context:", "    cluster: fake", "    user: fake",
            "users:", "- name: fake", "  user:", "    token: fake-token", "",
        ].join("\n");
    }

    /**
     * `pods/<pod>/portforward?ports=<port>` over a WebSocket (the v4.channel.k8s.io protocol client-node
     * speaks): channel 0 carries the data, channel 1 errors, each starting with a frame of the port number
     * (2 bytes, little endian). Data goes to the TDengine stand-in's REST port. As the kubelet does
     * (pkg/kubelet/cri/streaming/portforward/websocket.go), a forward whose connection inside the pod is
     * refused gets the error on channel 1, and the WebSocket is closed.
     */
    private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
        const url = new URL(req.url ?? "/", "http://x");
        const match = new RegExp(`^/api/v1/namespaces/${this.addressing.namespace}/pods/${this.addressing.statefulSet}-(\\d+)/portforward$`).exec(url.pathname);
        const ordinal = match ? Number(match[1]) : undefined;
        if (ordinal === undefined || !this.pods.has(ordinal)) {
            socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
            return;
        }
        const port = Number(url.searchParams.get("ports"));
        this.webSockets.handleUpgrade(req, socket, head, ws => {
            const frame = (channel: number, data: Buffer): Buffer => Buffer.concat([Buffer.from([channel]), data]);
            const portBytes = Buffer.from([port & 0xff, port >> 8]);
            ws.send(frame(0, portBytes));
            ws.send(frame(1, portBytes));
            const pod = podName(this.addressing, ordinal);
            const target = this.restNotListening.has(ordinal) ? closedPort : Number(new URL(this.standin.url).port);
            const upstream = net.connect(target, "127.0.0.1");
            upstream.on("connect", () => this.record("portforward.opened", pod));
            upstream.on("data", (data: Buffer) => ws.send(frame(0, data)));
            upstream.on("end", () => ws.close());
            upstream.on("error", (err: Error) => {
                this.record("portforward.refused", pod);
                ws.send(frame(1, Buffer.from(`error forwarding port ${port} to pod ${pod}, uid : failed to connect to localhost:${port} ` +
                    `inside namespace "${pod}": dial tcp4 127.0.0.1:${port}: ${err.message.replace(/:\d+$/, "")}`)));
                ws.close();
            });
            ws.on("message", (data: Buffer) => {
                if (data[0] === 0 && data.length > 1) {
                    upstream.write(data.subarray(1));
                }
            });
            ws.on("close", () => upstream.destroy());
        });
    }

    async close(): Promise<void> {
        await new Promise<void>(resolve => this.server ? this.server.close(() => resolve()) : resolve());
    }

    private route(req: http.IncomingMessage, res: http.ServerResponse): void {
        const url = new URL(req.url ?? "/", "http://x");
        const ns = this.addressing.namespace;
        const sts = this.addressing.statefulSet;
        const send = (status: number, body: unknown): void => {
            res.writeHead(status, { "content-type": "application/json" });
            res.end(JSON.stringify(body));
        };
        const notFound = (): void => send(404, { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 });
        if (req.method === "GET" && url.pathname === `/apis/apps/v1/namespaces/${ns}/statefulsets/${sts}`) {
            return this.replicas === undefined ? notFound()
                : send(200, {
                    apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: sts, namespace: ns, generation: this.revisionNumber },
                    spec: { replicas: this.replicas, template: { spec: { containers: [{ name: "tdengine", image: this.podTemplate.image }] } } },
                    status: { observedGeneration: this.revisionNumber, updateRevision: this.updateRevision },
                });
        }
        if (req.method === "GET" && url.pathname === `/api/v1/namespaces/${ns}/pods`) {
            const selector = url.searchParams.get("labelSelector") ?? "";
            const matches = selector.includes(`app.kubernetes.io/instance=${this.instance}`);
            const items = matches ? [...this.pods].sort().map(i => ({
                metadata: { name: podName(this.addressing, i), namespace: ns,
                    labels: { "controller-revision-hash": this.podRevisions.get(i)?.revision ?? "" } },
                spec: { containers: [{ name: "tdengine", image: this.podRevisions.get(i)?.image ?? "" }] },
                status: { conditions: [{ type: "Ready", status: this.notReady.has(i) ? "False" : "True" }] },
            })) : [];
            return send(200, { apiVersion: "v1", kind: "PodList", metadata: {}, items });
        }
        if (req.method === "GET" && url.pathname === `/api/v1/namespaces/${ns}/persistentvolumeclaims`) {
            const items = [...this.volumes.entries()].sort(([a], [b]) => a - b).map(([i, v]) => ({
                metadata: { name: pvcNameForOrdinal(sts, i), namespace: ns, uid: v.uid, resourceVersion: v.resourceVersion },
                spec: { storageClassName: v.storageClassName, resources: { requests: { storage: v.size } } },
            }));
            return send(200, { apiVersion: "v1", kind: "PersistentVolumeClaimList", metadata: {}, items });
        }
        if (this.routeOthers(req, url, send, notFound)) {
            return;
        }
        const pod = new RegExp(`^/api/v1/namespaces/${ns}/pods/${sts}-(\\d+)$`).exec(url.pathname);
        if (req.method === "DELETE" && pod) {
            const ordinal = Number(pod[1]);
            if (!this.pods.has(ordinal)) {
                return notFound();
            }
            // The StatefulSet controller starts the deleted pod again, on its PVC.
            this.deletePod(ordinal);
            setTimeout(() => {
                if (this.replicas !== undefined && ordinal < this.replicas) { this.startPod(ordinal); }
            }, this.restartDelayMs);
            return send(200, { metadata: { name: podName(this.addressing, ordinal) } });
        }
        const pvc = new RegExp(`^/api/v1/namespaces/${ns}/persistentvolumeclaims/(.+)$`).exec(url.pathname);
        if (req.method === "PATCH" && pvc) {
            const ordinal = [...this.volumes.keys()].find(i => pvcNameForOrdinal(sts, i) === pvc[1]);
            const volume = ordinal === undefined ? undefined : this.volumes.get(ordinal);
            if (volume === undefined) {
                return notFound();
            }
            if (!this.allowVolumeExpansion) {
                return send(422, { kind: "Status", code: 422, message: `persistentvolumeclaims "${pvc[1]}" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize` });
            }
            if (!String(req.headers["content-type"] ?? "").startsWith("application/merge-patch+json")) {
                return send(415, { kind: "Status", code: 415, message: `fake apiserver: a PVC patch here must be a merge patch, got ${String(req.headers["content-type"])}` });
            }
            return void readBody(req).then(text => {
                const patch = JSON.parse(text) as { spec?: { resources?: { requests?: { storage?: string } } } };
                volume.size = patch.spec?.resources?.requests?.storage ?? volume.size;
                volume.resourceVersion = nextResourceVersion();
                this.record("pvc.resized", `${pvc[1]} ${volume.size}`);
                send(200, { metadata: { name: pvc[1] } });
            });
        }
        if (req.method === "DELETE" && pvc) {
            const ordinal = [...this.volumes.keys()].find(i => pvcNameForOrdinal(sts, i) === pvc[1]);
            if (ordinal === undefined) {
                return notFound();
            }
            return void readBody(req).then(text => this.deleteVolumeRequest(ordinal, pvc[1], text, send));
        }
        send(404, { kind: "Status", code: 404, message: `fake apiserver: no route for ${req.method} ${url.pathname}` });
    }

    /** Pods and PVCs other than the StatefulSet's, created, read and deleted through the API. */
    private routeOthers(req: http.IncomingMessage, url: URL, send: (status: number, body: unknown) => void,
        notFound: () => void): boolean {
        const ns = this.addressing.namespace;
        type Add = (name: string, body: Record<string, unknown>) => void;
        const created = (kind: "pod" | "pvc", store: Map<string, unknown>, add: Add): void => {
            void readBody(req).then(text => {
                const body = JSON.parse(text) as Record<string, unknown> & { metadata?: { name?: string } };
                const name = body.metadata?.name ?? "";
                if (store.has(name)) {
                    return send(409, { kind: "Status", code: 409, reason: "AlreadyExists", message: `${kind} ${name} already exists` });
                }
                add(name, body);
                this.record(kind === "pod" ? "pod.created" : "pvc.created", name);
                send(201, body);
            });
        };
        if (req.method === "POST" && url.pathname === `/api/v1/namespaces/${ns}/pods`) {
            created("pod", this.otherPods, (name, body) => {
                this.otherPods.set(name, { manifest: body as OtherPod["manifest"], phase: "Pending" });
            });
            return true;
        }
        if (req.method === "POST" && url.pathname === `/api/v1/namespaces/${ns}/persistentvolumeclaims`) {
            created("pvc", this.otherVolumes, (name, body) => this.otherVolumes.set(name, body));
            return true;
        }
        const pod = new RegExp(`^/api/v1/namespaces/${ns}/pods/([^/]+)$`).exec(url.pathname);
        const other = pod ? this.otherPods.get(pod[1]) : undefined;
        if (pod && other && req.method === "GET") {
            const stuck = this.stuckPods.has(pod[1]);
            const unschedulable = { type: "PodScheduled", status: "False", reason: "Unschedulable",
                message: "0/3 nodes are available: 3 node(s) had untolerated taint {dedicated: tdengine}" };
            send(200, { ...other.manifest, status: { phase: other.phase, conditions: stuck ? [unschedulable] : [] } });
            // A pod seen pending runs by the next look, as once its image is pulled.
            other.phase = stuck ? "Pending" : "Running";
            return true;
        }
        if (pod && other && req.method === "DELETE") {
            this.otherPods.delete(pod[1]);
            this.record("pod.deleted", pod[1]);
            send(200, other.manifest);
            return true;
        }
        const pvc = new RegExp(`^/api/v1/namespaces/${ns}/persistentvolumeclaims/([^/]+)$`).exec(url.pathname);
        if (pvc && req.method === "GET" && ordinalOfPvc(this.addressing.statefulSet, pvc[1]) === undefined) {
            const volume = this.otherVolumes.get(pvc[1]);
            if (volume === undefined) {
                notFound();
            } else {
                send(200, volume);
            }
            return true;
        }
        return false;
    }

    /**
     * `POST /api/v1/namespaces/<ns>/pods/<pod>/exec?command=..&container=..` upgraded to a websocket: output on
     * channels 1 and 2, then the exit status as a Status on channel 3, as the API server sends them.
     */
    private exec(req: http.IncomingMessage, socket: Socket): void {
        const url = new URL(req.url ?? "/", "http://x");
        const match = new RegExp(`^/api/v1/namespaces/${this.addressing.namespace}/pods/([^/]+)/exec$`).exec(url.pathname);
        const pod = match ? this.otherPods.get(match[1]) : undefined;
        const offered = String(req.headers["sec-websocket-protocol"] ?? "").split(",").map(p => p.trim());
        if (pod === undefined || !offered.includes("v4.channel.k8s.io")) {
            socket.end("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
            return;
        }
        const accept = crypto.createHash("sha1").update(`${String(req.headers["sec-websocket-key"])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
            .digest("base64");
        socket.write(["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade", `Sec-WebSocket-Accept: ${accept}`,
            "Sec-WebSocket-Protocol: v4.channel.k8s.io", "", ""].join("\r\n"));
        // The client's frames (its close, at the end) are not needed here.
        socket.on("data", () => undefined);
        socket.on("error", () => undefined);
        const command = url.searchParams.getAll("command");
        const container = url.searchParams.get("container") ?? "";
        this.record("pod.exec", `${match?.[1] ?? ""} ${command.join(" ")}`);
        const channel = (n: number, text: string): void => {
            if (!socket.destroyed) {
                socket.write(wsFrame(0x2, Buffer.concat([Buffer.from([n]), Buffer.from(text, "utf8")])));
            }
        };
        const handler = this.execHandler ?? (() => Promise.reject(new Error("fake apiserver: no exec handler set")));
        handler(pod, container, command, { stdout: t => channel(1, t), stderr: t => channel(2, t) })
            .then(code => code === 0 ? { status: "Success" } : {
                status: "Failure", reason: "NonZeroExitCode",
                message: `command terminated with non-zero exit code: error executing command [${command.join(" ")}], exit code ${code}`,
                details: { causes: [{ reason: "ExitCode", message: String(code) }] },
            }, (err: unknown) => ({ status: "Failure", reason: "InternalError", message: String(err) }))
            .then(status => {
                channel(3, JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, ...status }));
                if (!socket.destroyed) {
                    socket.end(wsFrame(0x8, Buffer.from([0x03, 0xe8])));
                }
            });
    }

    /** DELETE of a PVC, with the API server's checks of DeleteOptions.preconditions (409 Conflict when they fail). */
    private deleteVolumeRequest(ordinal: number, name: string, body: string, send: (status: number, body: unknown) => void): void {
        const volume = this.volumes.get(ordinal);
        if (volume === undefined) {
            return send(404, { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 });
        }
        const preconditions = (body === "" ? {} : (JSON.parse(body) as { preconditions?: { uid?: string; resourceVersion?: string } })).preconditions ?? {};
        const failed = preconditions.uid !== undefined && preconditions.uid !== volume.uid
            ? `UID in precondition: ${preconditions.uid}, UID in object meta: ${volume.uid}`
            : preconditions.resourceVersion !== undefined && preconditions.resourceVersion !== volume.resourceVersion
                ? `ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${volume.resourceVersion}`
                : undefined;
        if (failed !== undefined) {
            return send(409, { kind: "Status", apiVersion: "v1", status: "Failure", reason: "Conflict", code: 409,
                message: `Operation cannot be fulfilled on persistentvolumeclaims "${name}": Precondition failed: ${failed}` });
        }
        // kubernetes.io/pvc-protection: a PVC in use by a pod is only marked for deletion.
        if (this.pods.has(ordinal)) {
            return send(409, { kind: "Status", code: 409, message: `test refuses: ${name} is in use by a running pod` });
        }
        this.volumes.delete(ordinal);
        this.record("pvc.deleted", name);
        send(200, { metadata: { name } });
    }
}

function readBody(req: http.IncomingMessage): Promise<string> {
    return new Promise(resolve => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    });
}


/** A server-to-client websocket frame (RFC 6455: final, unmasked). */
function wsFrame(opcode: number, payload: Buffer): Buffer {
    if (payload.length < 126) {
        return Buffer.concat([Buffer.from([0x80 | opcode, payload.length]), payload]);
    }
    const length = Buffer.alloc(payload.length < 65536 ? 2 : 8);
    if (payload.length < 65536) {
        length.writeUInt16BE(payload.length);
    } else {
        length.writeBigUInt64BE(BigInt(payload.length));
    }
    return Buffer.concat([Buffer.from([0x80 | opcode, payload.length < 65536 ? 126 : 127]), length, payload]);
}
