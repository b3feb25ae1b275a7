/**
 * `walnut import` copies a live redis-server into walnut, run as a user runs it (the real
 * CLI in a child process): strings (binary too), lists long enough to be written in
 * pieces, hashes, sets and sorted sets when walnut has their commands (else reported and
 * skipped), TTLs kept; a stream is always reported and skipped; the summary's count check
 * agrees with the source's DBSIZE. Both targets: a running node over RESP, and a data
 * directory opened in-process.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { isInstalled, startRedis } from "../bench/resp_servers.js";
import { lookupDataCommand } from "../commands/table.js";
import { open } from "../db.js";
import { startTestNode } from "./harness.js";

const execFileAsync = promisify(execFile);
const walnut = fileURLToPath(new URL("../../bin/walnut.js", import.meta.url));

interface Outcome {
  code: number;
  stdout: string;
}

async function runImport(...args: string[]): Promise<Outcome> {
  try {
    const { stdout } = await execFileAsync(process.execPath, [walnut, "import", ...args]);
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== "number") throw error;
    return { code: failed.code, stdout: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

const LONG_LIST = Array.from({ length: 1500 }, (_, index) => `item-${index}`);
const BINARY = Buffer.from([0, 255, 13, 10, 128, 97]);

/** Fills the source: 4 strings (one with a TTL), 2 lists (one with a TTL), a hash, a set, a zset, a stream. */
async function fillSource(redis: Redis): Promise<void> {
  await redis.set("greeting", "hello");
  await redis.set(Buffer.from("bin\xffkey", "latin1"), BINARY);
  await redis.set("counter", "42");
  await redis.set("session", "token", "PX", 600_000);
  await redis.rpush("queue", ...LONG_LIST);
  await redis.rpush("recent", "a", "b");
  await redis.pexpire("recent", 300_000);
  await redis.hset("user:1", "name", "ada", "lang", "en");
  await redis.sadd("tags", "x", "y", "z");
  await redis.zadd("board", "1", "ada", "2.5", "bob");
  await redis.xadd("events", "*", "kind", "login");
}

/** The Redis types this build of walnut can hold besides strings and lists. */
function aggregateSupport(): { hash: boolean; set: boolean; zset: boolean } {
  return {
    hash: lookupDataCommand("HSET") !== undefined,
    set: lookupDataCommand("SADD") !== undefined,
    zset: lookupDataCommand("ZADD") !== undefined,
  };
}

async function checkCopied(client: Redis): Promise<void> {
  assert.equal(await client.get("greeting"), "hello");
  assert.deepEqual(await client.getBuffer(Buffer.from("bin\xffkey", "latin1")), BINARY, "binary keys and values survive");
  assert.equal(await client.get("counter"), "42");
  assert.equal(await client.pttl("counter"), -1);
  const sessionTtl = await client.pttl("session");
  assert.ok(sessionTtl > 500_000 && sessionTtl <= 600_000, `the session's TTL is kept (${sessionTtl} ms)`);
  assert.deepEqual(await client.lrange("queue", 0, -1), LONG_LIST);
  assert.deepEqual(await client.lrange("recent", 0, -1), ["a", "b"]);
  const recentTtl = await client.pttl("recent");
  assert.ok(recentTtl > 200_000 && recentTtl <= 300_000, `a list's TTL is kept (${recentTtl} ms)`);
  assert.equal(await client.exists("events"), 0, "a stream is not copied");
  const support = aggregateSupport();
  if (support.hash) assert.deepEqual(await client.hgetall("user:1"), { name: "ada", lang: "en" });
  if (support.set) assert.deepEqual((await client.smembers("tags")).sort(), ["x", "y", "z"]);
  if (support.zset) assert.deepEqual(await client.zrange("board", 0, -1, "WITHSCORES"), ["ada", "1", "bob", "2.5"]);
}

function expectedSkipped(): string[] {
  const support = aggregateSupport();
  return ["stream", ...(support.hash ? [] : ["hash"]), ...(support.set ? [] : ["set"]), ...(support.zset ? [] : ["zset"])];
}

function checkSummary(outcome: Outcome): void {
  const skipped = expectedSkipped();
  assert.equal(outcome.code, 1, `keys were skipped, so the exit code says the import is incomplete: ${outcome.stdout}`);
  assert.match(outcome.stdout, new RegExp(`^copied ${10 - skipped.length} keys \\(`, "m"), outcome.stdout);
  assert.match(outcome.stdout, new RegExp(`^skipped ${skipped.length} keys of types walnut does not hold yet`, "m"));
  for (const type of skipped) assert.match(outcome.stdout, new RegExp(`${type} 1`), `${type} is reported`);
  assert.match(outcome.stdout, /^count check: the source's DBSIZE 10 = /m);
}

test("walnut import copies a live redis-server through a running walnut's RESP server, TTLs kept, other types reported", async () => {
  const redisServer = await startRedis({ appendFsyncAlways: false });
  const node = await startTestNode();
  const source = new Redis({ port: redisServer.port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  const target = new Redis({ port: node.respPort, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  try {
    await fillSource(source);
    await target.set("greeting", "old value");
    await target.rpush("queue", "old element");
    const outcome = await runImport("--from", `redis://127.0.0.1:${redisServer.port}`, "--to", `127.0.0.1:${node.respPort}`, "--scan-count", "3");
    checkSummary(outcome);
    await checkCopied(target);
  } finally {
    source.disconnect();
    target.disconnect();
    await Promise.all([redisServer.stop(), node.stop()]);
  }
});

test("walnut import --to DATA_DIR writes into a data directory that a node then serves", async () => {
  const redisServer = await startRedis({ appendFsyncAlways: false });
  const dir = await mkdtemp(join(tmpdir(), "walnut-import-"));
  const source = new Redis({ port: redisServer.port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  try {
    await source.select(2);
    await fillSource(source);
    const outcome = await runImport("--from", `redis://127.0.0.1:${redisServer.port}/2`, "--to", dir);
    checkSummary(outcome);
  } finally {
    source.disconnect();
    await redisServer.stop();
  }
  const db = await open({ dir });
  try {
    assert.equal(await db.get("greeting"), "hello");
    assert.deepEqual(await db.get("recent"), ["a", "b"]);
  } finally {
    await db.close();
  }
  const node = await startTestNode({ dir });
  const client = new Redis({ port: node.respPort, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  try {
    await checkCopied(client);
  } finally {
    client.disconnect();
    await node.stop();
  }
});

test("walnut import refuses a --from that is not a redis:// URL, and an unreachable source, with a clear error", async () => {
  const notUrl = await runImport("--from", "localhost:6379");
  assert.equal(notUrl.code, 2);
  assert.match(notUrl.stdout, /Cannot import: --from must be a redis:\/\/ URL/);
  const missing = await runImport();
  assert.match(missing.stdout, /Cannot import: --from redis:\/\/host:port is required/);
  const unreachable = await runImport("--from", "redis://127.0.0.1:1");
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stdout, /Cannot connect to 127\.0\.0\.1:1/);
});

test("on a terminal, walnut import redraws a progress line that ends at 100%", { skip: isInstalled("script") ? false : "script(1) is not installed" }, async () => {
  const redisServer = await startRedis({ appendFsyncAlways: false });
  const node = await startTestNode();
  const source = new Redis({ port: redisServer.port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  try {
    for (let index = 0; index < 20; index++) await source.set(`key:${index}`, "v");
    // script(1) runs the import on a pseudo-terminal, as a user's shell would.
    const command = `${process.execPath} ${walnut} import --from redis://127.0.0.1:${redisServer.port} --to 127.0.0.1:${node.respPort} --scan-count 5`;
    const { stdout } = await execFileAsync("script", ["-qc", command, "/dev/null"]);
    // How many lines it draws on the way depends on timing; that it redraws one does not.
    assert.match(stdout, /\rimporting: \d+ of 20 keys \(\d+%\)\r/);
    assert.match(stdout, /\rimporting: 20 of 20 keys \(100%\)\r?\n/);
    assert.match(stdout, /count check: the source's DBSIZE 20 = 20 copied/);
  } finally {
    source.disconnect();
    await Promise.all([redisServer.stop(), node.stop()]);
  }
});
