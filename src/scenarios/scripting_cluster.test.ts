/**
 * Scripts in a three-process cluster: ioredis' defineCommand (EVALSHA, then EVAL on
 * NOSCRIPT) sent to a follower; every member applies the script itself from its log entry
 * and ends with the same keys, math.random's draws and redis.call('TIME') included (both
 * seeded and clocked from the entry); and the writes are still there after every member
 * is killed and restarted. A function library loaded through a follower is applied by every
 * member, and FCALL runs it everywhere, before and after the restart.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { ProcessCluster } from "../processes/cluster_processes.js";

const TRANSFER = `
local from = tonumber(redis.call('GET', KEYS[1]) or '100')
local amount = tonumber(ARGV[1])
if from < amount then return redis.error_reply('insufficient funds') end
redis.call('SET', KEYS[1], from - amount)
return redis.call('INCRBY', KEYS[2], amount)
`;

const DRAW = `
local time = redis.call('TIME')
redis.call('SET', KEYS[1], math.random(1000000) .. ':' .. time[1] .. '.' .. time[2])
return redis.call('GET', KEYS[1])
`;

const LIBRARY = `#!lua name=tally
redis.register_function('tally', function(keys, args) return redis.call('HINCRBY', keys[1], args[1], 1) end)`;

type Scripted = Redis & {
  transfer(from: string, to: string, amount: number): Promise<number>;
  draw(key: string): Promise<string>;
};

test("a script sent to a follower runs once per member, the same everywhere, and its writes survive a restart", { timeout: 120_000 }, async () => {
  const cluster = await ProcessCluster.start({ size: 3, proxied: false });
  const clients: Redis[] = [];
  try {
    const leader = await cluster.waitForLeader();
    const follower = cluster.ids.find((id) => id !== leader)!;
    const client = new Redis({ port: cluster.respPort(follower), host: "127.0.0.1", maxRetriesPerRequest: 3 }) as Scripted;
    clients.push(client);
    client.defineCommand("transfer", { numberOfKeys: 2, lua: TRANSFER });
    client.defineCommand("draw", { numberOfKeys: 1, lua: DRAW });
    for (let round = 1; round <= 10; round++) assert.equal(await client.transfer("alice", "bob", 7), round * 7);
    await assert.rejects(client.transfer("alice", "bob", 1000), /insufficient funds/);
    const drawn = await client.draw("lucky");
    assert.match(drawn, /^\d+:\d+\.\d+$/);
    assert.equal(await client.function("LOAD", LIBRARY), "tally");
    assert.equal(await client.fcall("tally", 1, "votes", "yes"), 1);
    assert.equal(await client.fcall("tally", 1, "votes", "yes"), 2);

    await cluster.waitConverged();
    for (const id of cluster.ids) {
      const state = await cluster.ownState(id);
      assert.equal(String(state.get("alice")), "30", `node ${id}: alice`);
      assert.equal(String(state.get("bob")), "70", `node ${id}: bob`);
      assert.equal(state.get("lucky"), drawn, `node ${id} drew the same number at the same time`);
      assert.deepEqual(state.get("votes"), { yes: "2" }, `node ${id} ran the function`);
    }

    client.disconnect();
    for (const id of cluster.ids) await cluster.stop(id, "SIGKILL");
    for (const id of cluster.ids) await cluster.restart(id);
    const newLeader = await cluster.waitForLeader();
    const after = new Redis({ port: cluster.respPort(newLeader), host: "127.0.0.1", maxRetriesPerRequest: 3 });
    clients.push(after);
    assert.deepEqual(await after.mget("alice", "bob", "lucky"), ["30", "70", drawn]);
    assert.equal(await after.fcall("tally", 1, "votes", "no"), 1, "the library is loaded again from the log after the restart");
    // The script cache is each node's own and starts empty; EVAL fills it again.
    const sha = (await after.script("LOAD", DRAW)) as string;
    assert.deepEqual(await after.script("EXISTS", sha), [1]);
  } finally {
    for (const client of clients) client.disconnect();
    await cluster.close();
  }
});
