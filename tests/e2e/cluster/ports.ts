/** Free loopback ports for a cluster's listeners. */
import * as fs from "node:fs";
import * as net from "node:net";

/**
 * Ports for the cluster's listeners, picked at random below the kernel's ephemeral range (kwokctl's own
 * choice counts down from 32767 the same way in every run, so two runs at once would collide, and a port
 * in the ephemeral range may be taken by any outgoing connection), each checked by binding it on
 * 127.0.0.1. The listeners are held until kwokctl starts, so concurrent runs do not pick the same ones.
 */
export async function reservePorts(count: number): Promise<{ ports: number[]; release(): Promise<void> }> {
    let low = 32768;
    try {
        low = Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || low;
    } catch {
        // keep the Linux default
    }
    const min = 10000;
    const max = Math.max(min + 1000, Math.min(low, 32768));
    const servers: net.Server[] = [];
    const ports: number[] = [];
    for (let attempt = 0; ports.length < count && attempt < 1000; attempt++) {
        const port = min + Math.floor(Math.random() * (max - min));
        if (ports.includes(port)) {
            continue;
        }
        const server = net.createServer();
        const ok = await new Promise<boolean>(resolve => {
            server.once("error", () => resolve(false));
            server.listen({ port, host: "127.0.0.1", exclusive: true }, () => resolve(true));
        });
        if (ok) {
            servers.push(server);
            ports.push(port);
        }
    }
    let released = false;
    const release = async (): Promise<void> => {
        if (released) {
            return;
        }
        released = true;
        await Promise.all(servers.map(server => new Promise<void>(resolve => server.close(() => resolve()))));
    };
    if (ports.length < count) {
        await release();
        throw new Error(`could not find ${count} free ports in ${min}-${max - 1}`);
    }
    return { ports, release };
}
