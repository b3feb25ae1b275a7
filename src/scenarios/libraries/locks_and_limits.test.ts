/**
 * Locks and rate limits built on Redis scripts, run unchanged against a walnut cluster:
 * redlock (EVALSHA, falling back to EVAL) keeps a critical section exclusive while
 * workers on every node compete for it, and rate-limiter-flexible's RateLimiterRedis
 * (its Lua script through ioredis defineCommand) lets exactly `points` requests through
 * per window whichever node counts them. ioredis' own defineCommand is checked too.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import Redlock from "redlock";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { isInstalled, startRedis } from "../../bench/resp_servers.js";
import { skipReason, startLibraryTarget, type LibraryTarget } from "./library_target.js";

const redis = { isInstalled, startRedis };

const WORKERS = 3;
const SECTIONS_PER_WORKER = 15;

let target: LibraryTarget;
before(async () => {
  if (skipReason(redis) === false) target = await startLibraryTarget(redis);
});
after(async () => {
  await target?.close();
});

test("redlock keeps a read-modify-write exclusive across workers on every node", { skip: skipReason(redis) }, async () => {
  await target.client(0).set("counter", "0");
  const worker = async (i: number): Promise<void> => {
    const client = target.client(i);
    const redlock = new Redlock([client], { retryCount: 200, retryDelay: 20, retryJitter: 20 });
    for (let n = 0; n < SECTIONS_PER_WORKER; n++) {
      const lock = await redlock.acquire(["lock:counter"], 10_000);
      try {
        // A lost update shows if two workers ever hold the lock at once.
        const seen = Number(await client.get("counter"));
        await new Promise((resolve) => setTimeout(resolve, 2));
        await client.set("counter", String(seen + 1));
      } finally {
        await lock.release();
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, (_, i) => worker(i)));
  assert.equal(await target.client(1).get("counter"), String(WORKERS * SECTIONS_PER_WORKER), `on ${target.name}`);
  assert.equal(await target.client(2).exists("lock:counter"), 0, "every lock was released");
});

test("redlock refuses a lock another holder has, and the lock expires by itself", { skip: skipReason(redis) }, async () => {
  const first = new Redlock([target.client(0)], { retryCount: 0 });
  const second = new Redlock([target.client(1)], { retryCount: 0 });
  const held = await first.acquire(["lock:a"], 500);
  await assert.rejects(second.acquire(["lock:a"], 500), /unable to achieve a quorum|ExecutionError/i);
  const extended = await held.extend(1000);
  assert.ok(extended.expiration > held.expiration);
  await new Promise((resolve) => setTimeout(resolve, 1200));
  const after = await second.acquire(["lock:a"], 500);
  await after.release();
});

test("RateLimiterRedis lets exactly `points` requests through per window, counted on any node", { skip: skipReason(redis) }, async () => {
  const limiters = [0, 1, 2].map((i) => new RateLimiterRedis({ storeClient: target.client(i), points: 5, duration: 30, keyPrefix: "rl" }));
  const outcomes: Array<"allowed" | "refused"> = [];
  for (let n = 0; n < 8; n++) {
    const limiter = limiters[n % limiters.length] as RateLimiterRedis;
    try {
      const result = await limiter.consume("user:1");
      assert.equal(result.remainingPoints, 4 - n);
      outcomes.push("allowed");
    } catch (refusal) {
      assert.ok(refusal instanceof RateLimiterRes, `a refusal, not an error: ${String(refusal)}`);
      assert.ok(refusal.msBeforeNext > 0 && refusal.msBeforeNext <= 30_000);
      outcomes.push("refused");
    }
  }
  assert.deepEqual(outcomes, ["allowed", "allowed", "allowed", "allowed", "allowed", "refused", "refused", "refused"]);
  const ttl = await target.client(1).pttl("rl:user:1");
  assert.ok(ttl > 0 && ttl <= 30_000, `the window expires: ${ttl}`);
  // Another key has its own budget.
  assert.equal((await (limiters[2] as RateLimiterRedis).consume("user:2", 2)).remainingPoints, 3);
});

test("ioredis defineCommand runs a script by its sha, loading it once", { skip: skipReason(redis) }, async () => {
  const client = target.client(1);
  client.defineCommand("bumpBy", {
    numberOfKeys: 1,
    lua: "local v = redis.call('INCRBY', KEYS[1], ARGV[1]); redis.call('EXPIRE', KEYS[1], 60); return {v, redis.call('TTL', KEYS[1])}",
  });
  const bump = (client as unknown as { bumpBy(key: string, by: number): Promise<[number, number]> }).bumpBy.bind(client);
  assert.deepEqual(await bump("scripted", 5), [5, 60]);
  assert.deepEqual(await bump("scripted", 7), [12, 60]);
  assert.equal(await target.client(2).get("scripted"), "12");
});
