/**
 * Pub/sub across a cluster of three real `walnut serve` processes: a message published on
 * any node reaches the subscribers of every node, each exactly once, and every
 * subscriber sees the messages in the same order (the log's); PUBLISH answers how many
 * clients of the node that ran it received the message. After kill -9 of the leader the
 * survivors elect another and messages published on them still reach every surviving
 * subscriber. Keyspace notifications are generated where entries are applied: a
 * follower's subscriber hears the events of writes made through the leader (the setting
 * given by --notify-keyspace-events, then changed by CONFIG SET).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { ProcessCluster } from "../processes/cluster_processes.js";
import { waitUntil } from "./server_fixtures.js";

const MESSAGES_PER_NODE = 40;

interface Listener {
  node: number;
  client: Redis;
  received: string[];
}

async function listen(cluster: ProcessCluster, node: number, channel: string): Promise<Listener> {
  const client = new Redis({ port: cluster.respPort(node), host: "127.0.0.1", maxRetriesPerRequest: 0, lazyConnect: true });
  client.on("error", () => undefined); // the leader's subscriber loses its server on purpose
  await client.connect();
  const received: string[] = [];
  client.on("message", (_channel: string, message: string) => received.push(message));
  await client.subscribe(channel);
  return { node, client, received };
}

function publisher(cluster: ProcessCluster, node: number): Redis {
  return new Redis({ port: cluster.respPort(node), host: "127.0.0.1", maxRetriesPerRequest: 0 });
}

test("PUBLISH on any node of a 3-process cluster reaches every node's subscribers once, in one order, through a leader's kill -9", async () => {
  const cluster = await ProcessCluster.start({ size: 3, proxied: false });
  const clients: Redis[] = [];
  try {
    const leader = await cluster.waitForLeader();
    const listeners = await Promise.all(cluster.ids.map((id) => listen(cluster, id, "news")));
    clients.push(...listeners.map((listener) => listener.client));
    const publishers = cluster.ids.map((id) => publisher(cluster, id));
    clients.push(...publishers);

    // Every node publishes at once, pipelined: each PUBLISH counts the one subscriber of its own node.
    const replies = await Promise.all(
      publishers.map((client, position) => Promise.all(
        Array.from({ length: MESSAGES_PER_NODE }, (_, sequence) => client.publish("news", `${cluster.ids[position]}:${sequence}`)),
      )),
    );
    for (const counts of replies) assert.deepEqual(counts, new Array(MESSAGES_PER_NODE).fill(1));
    const total = MESSAGES_PER_NODE * cluster.ids.length;
    await waitUntil("every subscriber has every message", () => listeners.every((listener) => listener.received.length >= total));
    const order = listeners[0]!.received;
    for (const listener of listeners) {
      assert.equal(listener.received.length, total, `node ${listener.node}'s subscriber got each message once`);
      assert.deepEqual(listener.received, order, `node ${listener.node}'s subscriber saw the log's order`);
    }
    for (const id of cluster.ids) {
      const own = order.filter((message) => message.startsWith(`${id}:`));
      assert.deepEqual(own, Array.from({ length: MESSAGES_PER_NODE }, (_, sequence) => `${id}:${sequence}`), `node ${id}'s messages keep their order`);
    }

    // kill -9 the leader; the survivors elect another and go on delivering.
    await cluster.stop(leader, "SIGKILL");
    const survivors = cluster.ids.filter((id) => id !== leader);
    await cluster.waitForLeader(survivors);
    const surviving = listeners.filter((listener) => listener.node !== leader);
    for (const id of survivors) {
      const client = publishers[cluster.ids.indexOf(id)]!;
      await waitUntil(`node ${id} publishes again`, async () => (await client.publish("news", `after:${id}`).catch(() => -1)) === 1);
    }
    await waitUntil("the survivors' subscribers hear the messages published after the failover", () =>
      surviving.every((listener) => survivors.every((id) => listener.received.includes(`after:${id}`))),
    );
    for (const listener of surviving) {
      for (const id of survivors) {
        assert.equal(listener.received.filter((message) => message === `after:${id}`).length, 1, `node ${listener.node} hears after:${id} once`);
      }
    }
  } finally {
    for (const client of clients) client.disconnect();
    await cluster.close();
  }
});

test("a follower's subscriber hears the keyspace notifications of writes made through the leader", async () => {
  const cluster = await ProcessCluster.start({ size: 3, proxied: false, extraArgs: ["--notify-keyspace-events", "Kl"] });
  const clients: Redis[] = [];
  try {
    const leader = await cluster.waitForLeader();
    const follower = cluster.ids.find((id) => id !== leader) as number;
    const config = publisher(cluster, follower);
    const writer = publisher(cluster, leader);
    const subscriber = new Redis({ port: cluster.respPort(follower), host: "127.0.0.1", maxRetriesPerRequest: 0 });
    clients.push(config, writer, subscriber);
    assert.deepEqual(await config.config("GET", "notify-keyspace-events"), ["notify-keyspace-events", "lK"], "the flag's value");
    assert.equal(await config.config("SET", "notify-keyspace-events", "KEA"), "OK");
    assert.deepEqual(await config.config("GET", "notify-keyspace-events"), ["notify-keyspace-events", "AKE"]);
    const events: string[] = [];
    subscriber.on("pmessage", (_pattern: string, channel: string, message: string) => events.push(`${channel} ${message}`));
    await subscriber.psubscribe("__keyevent@0__:*");
    await writer.set("greeting", "hello");
    await writer.hset("user", "name", "ann");
    await writer.del("greeting");
    await waitUntil("the follower's subscriber hears three events", () => events.length >= 3);
    assert.deepEqual(events, ["__keyevent@0__:set greeting", "__keyevent@0__:hset user", "__keyevent@0__:del greeting"]);
  } finally {
    for (const client of clients) client.disconnect();
    await cluster.close();
  }
});
