/**
 * Pub/sub through a real client library (ioredis) against one walnut server: SUBSCRIBE,
 * PSUBSCRIBE and SSUBSCRIBE receive what PUBLISH and SPUBLISH post, in order, with the
 * receiver counts Redis gives; CLIENT LIST and INFO show the subscriptions; a subscriber
 * that stops reading is disconnected at Redis' pub/sub output limit instead of making the
 * server hold an unbounded backlog.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { startTestNode } from "./harness.js";
import { RawClient, waitUntil } from "./server_fixtures.js";
import { encodeCommand } from "../resp/writer.js";

test("ioredis subscribers get channel, pattern and shard messages in order, with PUBLISH's counts", async () => {
  const node = await startTestNode();
  const options = { port: node.respPort, host: "127.0.0.1", maxRetriesPerRequest: 0 };
  const subscriber = new Redis(options);
  const patterns = new Redis(options);
  const publisher = new Redis(options);
  try {
    const channelMessages: string[] = [];
    const patternMessages: string[] = [];
    const shardMessages: string[] = [];
    subscriber.on("message", (channel: string, message: string) => channelMessages.push(`${channel}:${message}`));
    subscriber.on("smessage", (channel: string, message: string) => shardMessages.push(`${channel}:${message}`));
    patterns.on("pmessage", (pattern: string, channel: string, message: string) => patternMessages.push(`${pattern}|${channel}:${message}`));
    assert.equal(await subscriber.subscribe("chat", "alerts"), 2);
    assert.equal(await subscriber.ssubscribe("orders"), 1);
    assert.equal(await patterns.psubscribe("ch*", "nothing.*"), 2);

    const sent = Array.from({ length: 200 }, (_, index) => `m${index}`);
    const counts = await Promise.all(sent.map((message) => publisher.publish("chat", message)));
    assert.deepEqual(counts, new Array(200).fill(2), "one channel subscriber and one pattern subscriber each");
    assert.equal(await publisher.spublish("orders", "first"), 1);
    assert.equal(await publisher.publish("orders", "not a shard message"), 0);
    assert.equal(await publisher.publish("elsewhere", "nobody"), 0);

    await waitUntil("every message arrived", () => channelMessages.length === 200 && patternMessages.length === 200 && shardMessages.length === 1);
    assert.deepEqual(channelMessages, sent.map((message) => `chat:${message}`));
    assert.deepEqual(patternMessages, sent.map((message) => `ch*|chat:${message}`));
    assert.deepEqual(shardMessages, ["orders:first"]);

    assert.deepEqual(await publisher.pubsub("NUMSUB", "chat", "alerts", "orders"), ["chat", 1, "alerts", 1, "orders", 0]);
    assert.deepEqual(await publisher.pubsub("SHARDNUMSUB", "orders"), ["orders", 1]);
    assert.equal(await publisher.pubsub("NUMPAT"), 2);
    const clients = (await publisher.client("LIST")) as string;
    assert.match(clients, /flags=P .* sub=2 psub=0 ssub=1 /);
    assert.match(clients, /flags=P .* sub=0 psub=2 ssub=0 /);
    const info = await publisher.info("stats");
    assert.match(info, /pubsub_channels:2\r\n/);
    assert.match(info, /pubsub_patterns:2\r\n/);
    assert.match(info, /pubsubshard_channels:1\r\n/);

    await subscriber.unsubscribe();
    await subscriber.sunsubscribe();
    await patterns.punsubscribe();
    assert.deepEqual(await publisher.pubsub("CHANNELS"), []);
    assert.equal(await publisher.publish("chat", "after"), 0);
    assert.equal(await subscriber.set("k", "v"), "OK", "out of subscriber mode, commands run again");
  } finally {
    subscriber.disconnect();
    patterns.disconnect();
    publisher.disconnect();
    await node.stop();
  }
});

test("a subscriber that stops reading is disconnected at the pub/sub output limit; publishers go on", async () => {
  const node = await startTestNode();
  const publisher = new Redis({ port: node.respPort, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  const stalled = new RawClient(node.respPort, { read: false });
  try {
    await stalled.connected;
    await stalled.write(encodeCommand(["SUBSCRIBE", "firehose"]));
    await waitUntil("the stalled client subscribed", async () => (await publisher.pubsub("NUMSUB", "firehose"))[1] === 1);
    const payload = "x".repeat(512 * 1024);
    // 96 messages of 512 KiB: 48 MiB, past the 32 MiB hard limit even with the socket's buffers full.
    for (let sent = 0; sent < 96 && !stalled.closed; sent++) await publisher.publish("firehose", payload);
    await waitUntil("the stalled subscriber is gone", async () => (await publisher.pubsub("NUMSUB", "firehose"))[1] === 0);
    assert.equal(await publisher.publish("firehose", "small"), 0);
    assert.equal(await publisher.ping(), "PONG");
  } finally {
    stalled.destroy();
    publisher.disconnect();
    await node.stop();
  }
});

test("CLIENT LIST TYPE pubsub lists the subscribed clients, TYPE normal the others", async () => {
  const node = await startTestNode();
  const options = { port: node.respPort, host: "127.0.0.1", maxRetriesPerRequest: 0 };
  const subscriber = new Redis(options);
  const other = new Redis(options);
  try {
    await subscriber.client("SETNAME", "listener");
    await other.client("SETNAME", "talker");
    await subscriber.psubscribe("x*");
    assert.match((await other.call("CLIENT", "LIST", "TYPE", "pubsub")) as string, /^id=\d+ .*name=listener .*\n$/);
    assert.match((await other.call("CLIENT", "LIST", "TYPE", "normal")) as string, /^id=\d+ .*name=talker .*\n$/);
  } finally {
    subscriber.disconnect();
    other.disconnect();
    await node.stop();
  }
});
