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
 * The quick mode loads 100,000 keys per run; WALNUT_DEEP=1 loads 1,000,000, and 10,000,000
 * into `walnut serve` under each fsync mode with a heap large enough to hold them
 * (NODE_OPTIONS=--max-old-space-size, as docs/operations.md says). No assertion is about time.
 */
import { spawn } from "node:child_process";
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { keyCount, pipeInto, writeMassInsertionFile } from "../bench/mass_insertion.js";
import { startWalnut } from "../bench/resp_servers.js";
import { limits } from "../lib/limits.js";
import type { FsyncMode } from "../wal/wal.js";
import { ProcessCluster } from "../processes/cluster_processes.js";
import { startTestNode } from "./harness.js";
import { DEEP, waitUntil } from "./server_fixtures.js";

const KEYS = DEEP ? 1_000_000 : 100_000;
const TEST_TIMEOUT_MS = DEEP ? 3_600_000 : 300_000;

for (const fsync of ["always", "everysec", "no"] as FsyncMode[]) {
  test(`redis-cli --pipe of ${KEYS} SETs into one node under fsync ${fsync}: no error reply, every key there`, { timeout: TEST_TIMEOUT_MS }, async () => {
    const input = await writeMassInsertionFile(KEYS);
    const node = await startTestNode({ db: { fsync } });
    try {
      const result = await pipeInto(node.respPort, input);
      assert.deepEqual({ errors: result.errors, replies: result.replies }, { errors: 0, replies: KEYS }, result.output);
      assert.equal(await keyCount(node.respPort), KEYS);
    } finally {
      await node.stop();
      await input.remove();
    }
  });
}

test(`redis-cli --pipe of ${KEYS} SETs into a follower of a three-node cluster: no error reply, every key on every member`, { timeout: TEST_TIMEOUT_MS }, async () => {
  const input = await writeMassInsertionFile(KEYS);
  const cluster = await ProcessCluster.start({ size: 3, proxied: false });
  try {
    const leader = await cluster.waitForLeader();
    const follower = cluster.ids.find((id) => id !== leader) as number;
    const result = await pipeInto(cluster.respPort(follower), input);
    assert.deepEqual({ errors: result.errors, replies: result.replies }, { errors: 0, replies: KEYS }, result.output);
    assert.equal(await keyCount(cluster.respPort(follower)), KEYS);
    for (const id of cluster.ids) await waitUntil(`node ${id} holds every key`, async () => (await keyCount(cluster.respPort(id))) === KEYS);
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
      const args = ["-p", String(node.respPort), "-c", "1000", "-P", "100", "-n", String(requests), "-t", DEEP ? "set,get,incr,rpush,mset" : "set,incr", "-r", "100000", "-q"];
      const child = spawn("redis-benchmark", args);
      let text = "";
      child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve(text) : reject(new Error(`redis-benchmark exited ${code}:\n${text}`))));
    });
    assert.doesNotMatch(output, /error|ERR/i);
    for (const name of DEEP ? ["SET", "GET", "INCR", "RPUSH", "MSET \\(10 keys\\)"] : ["SET", "INCR"]) assert.match(output, new RegExp(`${name}: [\\d.]+ requests per second`));
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

const HUGE_KEYS = 10_000_000;
/** V8 heap for the 10M-key load (MiB): --maxmemory's default is half of it. */
const HUGE_HEAP_MB = 16 * 1024;

for (const fsync of ["always", "everysec", "no"] as FsyncMode[]) {
  test(`redis-cli --pipe of ${HUGE_KEYS} SETs into walnut serve under fsync ${fsync} (deep mode only)`, { skip: !DEEP, timeout: 3_600_000 }, async () => {
    const input = await writeMassInsertionFile(HUGE_KEYS);
    const server = await startWalnut({ fsync, checkpoints: true, env: { NODE_OPTIONS: `--max-old-space-size=${HUGE_HEAP_MB}` } });
    try {
      const result = await pipeInto(server.port, input);
      assert.deepEqual({ errors: result.errors, replies: result.replies }, { errors: 0, replies: HUGE_KEYS }, result.output);
      assert.equal(await keyCount(server.port), HUGE_KEYS);
      process.stdout.write(`# ${HUGE_KEYS} keys under fsync ${fsync}: RSS ${((await server.rssBytes()) / 2 ** 20).toFixed(0)} MiB\n`);
    } finally {
      await server.stop();
      await input.remove();
    }
  });
}

test(`writes keep being acknowledged while a checkpoint of ${KEYS} keys runs`, { timeout: TEST_TIMEOUT_MS }, async () => {
  const input = await writeMassInsertionFile(KEYS);
  const node = await startTestNode({ db: { fsync: "always" } });
  const saver = new Redis({ port: node.respPort, host: "127.0.0.1" });
  const writer = new Redis({ port: node.respPort, host: "127.0.0.1" });
  try {
    assert.equal((await pipeInto(node.respPort, input)).errors, 0);
    let saved = false;
    const save = saver.save().then((reply) => {
      saved = true;
      return reply;
    });
    let written = 0;
    let acknowledgedDuringSave = 0;
    while (!saved) {
      await writer.set(`during:${written}`, String(written));
      written += 1;
      if (!saved) acknowledgedDuringSave += 1;
    }
    assert.equal(await save, "OK");
    assert.ok(acknowledgedDuringSave > 0, "no write was acknowledged while the checkpoint ran");
    assert.equal(await writer.dbsize(), KEYS + written);
  } finally {
    saver.disconnect();
    writer.disconnect();
    await node.stop();
    await input.remove();
  }
});
