/**
 * `walnut cluster up`: three real processes on loopback that elect a leader, take a write
 * on one node and serve it from another, and all stop cleanly when stopped. A supervisor
 * (systemd, `timeout`) signals the whole process group, so each node hears SIGTERM twice:
 * from the supervisor and from `cluster up`. The second must not cut its close short.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { freePort, waitUntil } from "./server_fixtures.js";

const walnut = fileURLToPath(new URL("../../bin/walnut.js", import.meta.url));

/** Three consecutive free ports (node i uses base + i - 1). */
async function portBase(): Promise<number> {
  for (;;) {
    const base = await freePort();
    if (base > 65000) continue;
    const free = await Promise.all([1, 2].map(async (offset) => {
      const { createServer } = await import("node:net");
      return new Promise<boolean>((resolve) => {
        const server = createServer();
        server.once("error", () => resolve(false));
        server.listen(base + offset, "127.0.0.1", () => server.close(() => resolve(true)));
      });
    }));
    if (free.every(Boolean)) return base;
  }
}

test("walnut cluster up runs a three-node cluster that any node serves, and stops cleanly", { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "walnut-cluster-up-"));
  const [resp, http, peer] = [await portBase(), await portBase(), await portBase()];
  const child = spawn(process.execPath, [walnut, "cluster", "up", "--nodes", "3", "--data-dir", dir,
    "--port", String(resp), "--http-port", String(http), "--peer-port", String(peer)], { stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const clients = [0, 1, 2].map((i) => new Redis({ port: resp + i, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 100 }));
  try {
    await waitUntil("every node to report a leader", async () => {
      const statuses = await Promise.all([0, 1, 2].map((i) => fetch(`http://127.0.0.1:${http + i}/status`).then((r) => r.json() as Promise<{ leader: number }>).catch(() => null)));
      return statuses.every((s) => s !== null && s.leader !== 0);
    });
    assert.match(output, /node 1: RESP 127\.0\.0\.1:\d+/);
    await clients[1]?.connect();
    await clients[2]?.connect();
    assert.equal(await clients[1]?.set("hello", "world"), "OK");
    assert.equal(await clients[2]?.get("hello"), "world");
  } finally {
    for (const client of clients) client.disconnect();
    process.kill(-(child.pid as number), "SIGTERM"); // the whole group, as systemd does
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
  assert.equal(output.match(/closed cleanly/g)?.length, 3, output);
});
