/**
 * Client-side caching in a three-node cluster (embedded nodes over loopback TCP, each with
 * its RESP server): a RESP3 client tracking on a follower is told of writes made through
 * the leader and through the other follower, by a script, and by the leader's expiry
 * sweep, since every node applies every entry and
 * tells its own tracking clients; NOLOOP there means the writes this connection made,
 * though its follower forwarded them to the leader; BCAST and FLUSHALL reach it too.
 * And with ioredis against three `walnut serve` processes: a RESP2 tracker on a follower,
 * redirecting to a connection of that follower subscribed to __redis__:invalidate, hears of
 * writes made through the leader and the other follower, and of FLUSHALL (null).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import type { RunningServers } from "../server/servers.js";
import { serveOnLoopback } from "./harness.js";
import { startEmbeddedCluster } from "./embedded_cluster.js";
import { ProcessCluster } from "../processes/cluster_processes.js";
import { RawClient, waitUntil } from "./server_fixtures.js";
import { encodeCommand } from "../resp/writer.js";

/** A push `invalidate [keys]` (null: every key) as RESP3 encodes it. */
function invalidation(keys: string[] | null): string {
  if (keys === null) return ">2\r\n$10\r\ninvalidate\r\n_\r\n";
  return `>2\r\n$10\r\ninvalidate\r\n*${keys.length}\r\n${keys.map((key) => `$${key.length}\r\n${key}\r\n`).join("")}`;
}

/** Sends `command` and waits for `expected` among what the client received since `from`. */
async function expect(client: RawClient, command: string[] | null, expected: string, from: number): Promise<string> {
  if (command !== null) await client.write(encodeCommand(command));
  await waitUntil(`${expected} after ${command?.join(" ") ?? "a write elsewhere"}`, () => client.text().slice(from).includes(expected));
  return client.text().slice(from);
}

test("a RESP3 client tracking on a follower hears of writes made through any node", async () => {
  const cluster = await startEmbeddedCluster({ size: 3, name: "tracking" });
  const servers = new Map<number, RunningServers>();
  const clients: Redis[] = [];
  const raw: RawClient[] = [];
  try {
    for (const [id, db] of cluster.dbs) {
      servers.set(id, await serveOnLoopback(db));
    }
    const port = (id: number): number => servers.get(id)?.resp?.port ?? 0;
    const leader = await cluster.leader();
    const [follower, other] = [...cluster.dbs.keys()].filter((id) => id !== leader) as [number, number];
    const connect = (id: number): Redis => {
      const client = new Redis({ port: port(id), host: "127.0.0.1", maxRetriesPerRequest: 0 });
      clients.push(client);
      return client;
    };
    const throughLeader = connect(leader);
    const throughOther = connect(other);
    const tracker = new RawClient(port(follower));
    raw.push(tracker);
    await tracker.connected;

    let seen = (await expect(tracker, ["HELLO", "3"], "proto", 0)).length;
    seen += (await expect(tracker, ["CLIENT", "TRACKING", "on"], "+OK\r\n", seen)).length;
    seen += (await expect(tracker, ["GET", "k"], "_\r\n", seen)).length;
    assert.equal(await throughLeader.set("k", "1"), "OK");
    seen += (await expect(tracker, null, invalidation(["k"]), seen)).length;

    // Read again (remembered again), changed through the other follower.
    seen += (await expect(tracker, ["GET", "k"], "$1\r\n1\r\n", seen)).length;
    assert.equal(await throughOther.set("k", "2"), "OK");
    seen += (await expect(tracker, null, invalidation(["k"]), seen)).length;

    // A script run through the leader, and the leader's expiry sweep, which every node applies.
    assert.equal(await throughLeader.set("brief", "b", "PX", 2000), "OK");
    seen += (await expect(tracker, ["MGET", "scripted", "brief"], "*2\r\n_\r\n$1\r\nb\r\n", seen)).length;
    await throughOther.eval("redis.call('set', KEYS[1], ARGV[1])", 1, "scripted", "s");
    seen += (await expect(tracker, null, invalidation(["scripted"]), seen)).length;
    seen += (await expect(tracker, null, invalidation(["brief"]), seen)).length; // its 2 s are up: the sweep removed it

    // NOLOOP: its own write, forwarded by its follower to the leader, is not announced to it; another's is.
    seen += (await expect(tracker, ["CLIENT", "TRACKING", "on", "NOLOOP"], "+OK\r\n", seen)).length;
    seen += (await expect(tracker, ["MGET", "own", "theirs"], "*2\r\n_\r\n_\r\n", seen)).length;
    await expect(tracker, ["SET", "own", "mine"], "+OK\r\n", seen);
    assert.equal(await throughLeader.set("theirs", "x"), "OK");
    const afterNoloop = await expect(tracker, null, invalidation(["theirs"]), seen);
    assert.ok(!afterNoloop.includes(invalidation(["own"])), `no invalidation of its own write: ${JSON.stringify(afterNoloop)}`);
    seen += afterNoloop.length;

    // FLUSHALL through the leader: null, every key.
    assert.equal(await throughLeader.flushall(), "OK");
    seen += (await expect(tracker, null, invalidation(null), seen)).length;

    // BCAST: every key under the prefix, read or not, whoever wrote it.
    seen += (await expect(tracker, ["CLIENT", "TRACKING", "off"], "+OK\r\n", seen)).length;
    seen += (await expect(tracker, ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:"], "+OK\r\n", seen)).length;
    assert.equal(await throughOther.mset("user:2", "b", "item:1", "c", "user:1", "a"), "OK");
    const broadcast = await expect(tracker, null, invalidation(["user:1", "user:2"]), seen);
    assert.ok(!broadcast.includes("item:1"), "keys outside the prefix are not announced");

    const info = await connect(follower).info("stats");
    assert.match(info, /tracking_total_prefixes:1\r\n/);
  } finally {
    for (const client of raw) client.destroy();
    for (const client of clients) client.disconnect();
    for (const running of servers.values()) await running.close();
    await cluster.close();
  }
});

test("ioredis tracking on a follower of a 3-process cluster, redirected to a subscriber there, hears of writes through the other nodes", async () => {
  const cluster = await ProcessCluster.start({ size: 3, proxied: false });
  const clients: Redis[] = [];
  const connect = (id: number): Redis => {
    const client = new Redis({ port: cluster.respPort(id), host: "127.0.0.1", maxRetriesPerRequest: 0 });
    clients.push(client);
    return client;
  };
  try {
    const leader = await cluster.waitForLeader();
    const [follower, other] = cluster.ids.filter((id) => id !== leader) as [number, number];
    const subscriber = connect(follower);
    const redirectId = Number(await subscriber.client("ID"));
    const received: Array<string[] | null> = [];
    subscriber.on("messageBuffer", (_channel: Buffer, payload: Buffer[] | null) => received.push(payload === null ? null : payload.map(String)));
    await subscriber.subscribe("__redis__:invalidate");
    const tracker = connect(follower);
    assert.equal(await tracker.client("TRACKING", "ON", "REDIRECT", String(redirectId)), "OK");

    assert.deepEqual(await tracker.mget("a", "b"), [null, null]);
    assert.equal(await connect(leader).set("a", "1"), "OK");
    await waitUntil("the invalidation of a", () => received.length === 1);
    assert.equal(await connect(other).set("b", "2"), "OK");
    await waitUntil("the invalidation of b", () => received.length === 2);
    assert.equal(await connect(other).flushall(), "OK");
    await waitUntil("the flush", () => received.length === 3);
    assert.deepEqual(received, [["a"], ["b"], null]);
  } finally {
    for (const client of clients) client.disconnect();
    await cluster.close();
  }
});
