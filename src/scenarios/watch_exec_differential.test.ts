/**
 * WATCH on an absent key against a real redis-server 7.0: a key created and deleted again
 * between WATCH and EXEC aborts the EXEC (nil), as in Redis, though its version is 0 before
 * and after (server/resp/watched_absent.ts, commands/batch_conditions.ts). Each case runs the same two-connection script
 * on both servers; the replies must be equal, and the interesting ones are named.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { startRedis, type BenchServer } from "../bench/resp_servers.js";
import { startTestNode, type TestNode } from "./harness.js";

let walnut: TestNode;
let redis: BenchServer;

before(async () => {
  walnut = await startTestNode();
  redis = await startRedis({ appendFsyncAlways: false });
});

after(async () => {
  await walnut?.stop();
  await redis?.stop();
});

/** WATCH `key` on one connection, let `meddle` run on another, then MULTI / SET result 1 / EXEC. */
async function execAfter(port: number, key: string, meddle: (other: Redis) => Promise<unknown>): Promise<unknown> {
  const watcher = new Redis({ port, host: "127.0.0.1", lazyConnect: true });
  const other = new Redis({ port, host: "127.0.0.1", lazyConnect: true });
  await watcher.connect();
  await other.connect();
  try {
    await watcher.flushall();
    await watcher.watch(key);
    await meddle(other);
    const result = await watcher.multi().set("result", "1").exec();
    return [result, await other.get("result")];
  } finally {
    watcher.disconnect();
    other.disconnect();
  }
}

async function onBoth(key: string, meddle: (other: Redis) => Promise<unknown>): Promise<unknown> {
  const theirs = await execAfter(redis.port, key, meddle);
  const ours = await execAfter(walnut.respPort, key, meddle);
  assert.deepEqual(ours, theirs);
  return ours;
}

test("an absent key created and deleted again after WATCH aborts EXEC", async () => {
  assert.deepEqual(await onBoth("k", async (other) => { await other.set("k", "v"); await other.del("k"); }), [null, null]);
});

test("an absent key created and deleted again inside one MULTI of another client aborts EXEC", async () => {
  assert.deepEqual(await onBoth("k", (other) => other.multi().set("k", "v").del("k").exec()), [null, null]);
});

test("an absent key nobody touched, or only other keys touched, lets EXEC run", async () => {
  assert.deepEqual(await onBoth("k", async () => undefined), [[[null, "OK"]], "1"]);
  assert.deepEqual(await onBoth("k", async (other) => { await other.set("j", "v"); await other.del("j"); }), [[[null, "OK"]], "1"]);
});

test("a DEL of the absent key (nothing deleted) does not abort EXEC", async () => {
  assert.deepEqual(await onBoth("k", (other) => other.del("k")), [[[null, "OK"]], "1"]);
});

test("walnut only: EXEC after a WATCH of an absent key does not depend on the node's watch history", async () => {
  // The check is made in apply from replicated removals (commands/batch_conditions.ts),
  // not from this node's watch history: a history too short to reach back to WATCH used to
  // abort EXEC conservatively; now only writes of the watched key do, as in Redis.
  const small = await startTestNode({ db: { fsync: "no", watchHistory: 5 } });
  const watcher = new Redis({ port: small.respPort, host: "127.0.0.1" });
  try {
    await watcher.watch("absent");
    for (let i = 0; i < 10; i++) await small.db.set(`other${i}`, "v"); // far more than the history holds
    assert.deepEqual(await watcher.multi().set("result", "1").exec(), [[null, "OK"]]);
    await watcher.watch("absent");
    for (let i = 0; i < 10; i++) await small.db.set(`other${i}`, "v");
    await small.db.set("absent", "v");
    await small.db.delete("absent");
    assert.equal(await watcher.multi().set("result", "2").exec(), null, "created and deleted after WATCH");
  } finally {
    watcher.disconnect();
    await small.stop();
  }
});
