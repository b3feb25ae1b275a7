/**
 * Holding any load: clients that send faster than the log commits are slowed by TCP,
 * and every write they sent is answered with its real outcome.
 *
 *   - redis-cli --pipe (Redis's documented mass insertion) under each fsync mode, into a
 *     single node and into a follower of a three-node cluster: 0 error replies, and every
 *     key there once the last reply has arrived;
 *   - redis-benchmark with 1000 clients pipelining 100 commands each: no error;
 *   - an ioredis pipeline far larger than a connection's bound, and embedded writes far
 *     more than the node keeps in flight, all answered OK.
 *
 * The quick mode loads 100,000 keys per run; WALNUT_DEEP=1 loads 1,000,000 (and 10,000,000
 * into one node under fsync "no"). No assertion is about time.
 */
import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { limits } from "../lib/limits.js";
import type { FsyncMode } from "../wal/wal.js";
import { ProcessCluster } from "./cluster_processes.js";
import { startTestNode } from "./harness.js";
import { DEEP, waitUntil } from "./server_fixtures.js";

const KEYS = DEEP ? 1_000_000 : 100_000;
const VALUE = "v".repeat(100);
const TEST_TIMEOUT_MS = DEEP ? 3_600_000 : 300_000;

/** A redis-cli --pipe input of `count` SETs of key:<n> to a 100-byte value, in a temporary file. */
async function massInsertionFile(count: number): Promise<{ path: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-pipe-"));
  const path = join(dir, "sets.resp");
  const chunks: string[] = [];
  for (let n = 0; n < count; n++) {
    const key = `key:${n}`;
    chunks.push(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${VALUE.length}\r\n${VALUE}\r\n`);
  }
  await writeFile(path, chunks.join(""));
  return { path, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Runs `redis-cli --pipe` with `path` as its input; resolves with its summary line. */
function pipeInto(port: number, path: string): Promise<{ errors: number; replies: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("redis-cli", ["-p", String(port), "--pipe"], { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    createReadStream(path).pipe(child.stdin);
    child.on("error", reject);
    child.on("close", () => {
      const summary = /errors: (\d+), replies: (\d+)/.exec(output);
      if (summary === null) reject(new Error(`redis-cli --pipe printed no summary:\n${output}`));
      else resolve({ errors: Number(summary[1]), replies: Number(summary[2]), output });
    });
  });
}

async function dbsize(port: number): Promise<number> {
  const client = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await client.connect();
    return await client.dbsize();
  } finally {
    client.disconnect();
  }
}

for (const fsync of ["always", "everysec", "no"] as FsyncMode[]) {
  test(`redis-cli --pipe of ${KEYS} SETs into one node under fsync ${fsync}: no error reply, every key there`, { timeout: TEST_TIMEOUT_MS }, async () => {
    const input = await massInsertionFile(KEYS);
    const node = await startTestNode({ db: { fsync } });
    try {
      const result = await pipeInto(node.respPort, input.path);
      assert.deepEqual({ errors: result.errors, replies: result.replies }, { errors: 0, replies: KEYS }, result.output);
      assert.equal(await dbsize(node.respPort), KEYS);
    } finally {
      await node.stop();
      await input.remove();
    }
  });
}

test(`redis-cli --pipe of ${KEYS} SETs into a follower of a three-node cluster: no error reply, every key on every member`, { timeout: TEST_TIMEOUT_MS }, async () => {
  const input = await massInsertionFile(KEYS);
  const cluster = await ProcessCluster.start({ size: 3, proxied: false });
  try {
    const leader = await cluster.waitForLeader();
    const follower = cluster.ids.find((id) => id !== leader) as number;
    const result = await pipeInto(cluster.respPort(follower), input.path);
    assert.deepEqual({ errors: result.errors, replies: result.replies }, { errors: 0, replies: KEYS }, result.output);
    assert.equal(await dbsize(cluster.respPort(follower)), KEYS);
    for (const id of cluster.ids) await waitUntil(`node ${id} holds every key`, async () => (await dbsize(cluster.respPort(id))) === KEYS);
  } finally {
    await cluster.close();
    await input.remove();
  }
});

test("redis-benchmark with 1000 clients pipelining 100 commands each gets no error", { timeout: TEST_TIMEOUT_MS }, async () => {
  const node = await startTestNode({ servers: { maxClients: 10_000 } });
  try {
    const requests = DEEP ? 2_000_000 : 100_000;
    const output = await new Promise<string>((resolve, reject) => {
      const args = ["-p", String(node.respPort), "-c", "1000", "-P", "100", "-n", String(requests), "-t", "set,get,incr,rpush,mset", "-r", "100000", "-q"];
      const child = spawn("redis-benchmark", args);
      let text = "";
      child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve(text) : reject(new Error(`redis-benchmark exited ${code}:\n${text}`))));
    });
    assert.doesNotMatch(output, /error|ERR/i);
    for (const name of ["SET", "GET", "INCR", "RPUSH", "MSET \\(10 keys\\)"]) assert.match(output, new RegExp(`${name}: [\\d.]+ requests per second`));
  } finally {
    await node.stop();
  }
});

test("an ioredis pipeline far beyond a connection's bound is answered OK, in order", { timeout: TEST_TIMEOUT_MS }, async () => {
  const node = await startTestNode();
  const client = new Redis({ port: node.respPort, host: "127.0.0.1" });
  try {
    const count = limits.connectionCommandsInFlightMax * 20;
    const pipeline = client.pipeline();
    for (let n = 0; n < count; n++) pipeline.incr("counter");
    const results = await pipeline.exec();
    assert.ok(results !== null);
    assert.deepEqual(
      results.map(([error, value]) => (error === null ? value : String(error))),
      Array.from({ length: count }, (_, n) => n + 1),
    );
  } finally {
    client.disconnect();
    await node.stop();
  }
});

test("embedded writes far beyond the proposals a node keeps in flight all resolve, in order", { timeout: TEST_TIMEOUT_MS }, async () => {
  const node = await startTestNode({ db: { fsync: "always" } });
  try {
    const count = limits.writesInFlightMax * 3;
    const versions = await Promise.all(Array.from({ length: count }, (_, n) => node.db.set(`k${n}`, n)));
    for (let n = 1; n < count; n++) assert.ok((versions[n] as number) > (versions[n - 1] as number), "writes commit in the order they were made");
    assert.equal(await node.db.get(`k${count - 1}`), count - 1);
  } finally {
    await node.stop();
  }
});
