import { test } from "node:test";
import assert from "node:assert/strict";
import { PublishedMessages } from "../../engine/published.js";
import type { Reply } from "../../engine/reply.js";
import { ChannelRegistry, type Subscriber } from "./pubsub.js";
import { Subscriptions } from "./pubsub_commands.js";

/** A subscriber that keeps each frame as words: ["message", "news", "hi"]. */
function recorder(id: number): Subscriber & { frames: string[][] } {
  const frames: string[][] = [];
  return {
    id,
    frames,
    deliver(frame: Reply[]) {
      frames.push(frame.map((item) => (item.type === "bulk" ? item.value : item.type)));
    },
  };
}

function setUp(): { published: PublishedMessages; registry: ChannelRegistry } {
  const published = new PublishedMessages();
  return { published, registry: new ChannelRegistry(published) };
}

const message = (channel: string, text: string, shard = false) => ({ channel, message: text, shard, index: 1 });

test("a message reaches its channel's subscribers, then each matching pattern's, and PUBLISH counts every delivery", () => {
  const { published, registry } = setUp();
  const both = recorder(1);
  const patternOnly = recorder(2);
  registry.add("channel", "news.sport", both);
  registry.add("pattern", "news.*", both);
  registry.add("pattern", "news.[st]port", patternOnly);
  registry.add("pattern", "weather", patternOnly);
  assert.equal(published.publish(message("news.sport", "goal")), 3);
  assert.deepEqual(both.frames, [["message", "news.sport", "goal"], ["pmessage", "news.*", "news.sport", "goal"]]);
  assert.deepEqual(patternOnly.frames, [["pmessage", "news.[st]port", "news.sport", "goal"]]);
  assert.equal(published.publish(message("news.tport", "x")), 2, "both patterns match news.tport");
  assert.equal(published.publish(message("elsewhere", "x")), 0);
});

test("shard channels are their own namespace: SPUBLISH reaches only SSUBSCRIBE subscribers", () => {
  const { published, registry } = setUp();
  const plain = recorder(1);
  const shard = recorder(2);
  registry.add("channel", "orders", plain);
  registry.add("pattern", "*", plain);
  registry.add("shard", "orders", shard);
  assert.equal(published.publish(message("orders", "one", true)), 1);
  assert.deepEqual(shard.frames, [["smessage", "orders", "one"]]);
  assert.deepEqual(plain.frames, []);
  assert.deepEqual(registry.activeChannels(true, null), ["orders"]);
  assert.equal(registry.subscriberCount(true, "orders"), 1);
  assert.equal(registry.subscriberCount(false, "orders"), 1);
});

test("subscribing twice counts once, and an emptied channel or pattern is forgotten", () => {
  const { registry } = setUp();
  const subscriber = recorder(1);
  assert.equal(registry.add("channel", "a", subscriber), true);
  assert.equal(registry.add("channel", "a", subscriber), false);
  registry.add("pattern", "a*", subscriber);
  assert.deepEqual(registry.counts, { channels: 1, patterns: 1, shardChannels: 0 });
  assert.equal(registry.remove("channel", "a", subscriber), true);
  assert.equal(registry.remove("channel", "a", subscriber), false);
  assert.equal(registry.remove("pattern", "a*", subscriber), true);
  assert.deepEqual(registry.counts, { channels: 0, patterns: 0, shardChannels: 0 });
  assert.deepEqual(registry.activeChannels(false, null), []);
});

test("PUBSUB CHANNELS filters the active channels with Redis globs", () => {
  const { registry } = setUp();
  const subscriber = recorder(1);
  for (const channel of ["news", "nows", "n?ws", "sport"]) registry.add("channel", channel, subscriber);
  assert.deepEqual(registry.activeChannels(false, "n?ws"), ["news", "nows", "n?ws"]);
  assert.deepEqual(registry.activeChannels(false, "n\\?ws"), ["n?ws"]);
  assert.deepEqual(registry.activeChannels(false, "[ns]*"), ["news", "nows", "n?ws", "sport"]);
  assert.deepEqual(registry.activeChannels(false, "[^n]*"), ["sport"]);
});

test("a connection's subscriptions confirm with Redis' counts and leave no trace once cleared", () => {
  const { registry } = setUp();
  const subscriptions = new Subscriptions(registry, recorder(7));
  const counts = (frames: Reply[][]): unknown[] => frames.map((frame) => frame.map((item) => (item.type === "bulk" ? item.value : item.type === "integer" ? item.value : item.type)));
  assert.deepEqual(counts(subscriptions.subscribe("channel", ["a", "b", "a"])), [["subscribe", "a", 1], ["subscribe", "b", 2], ["subscribe", "a", 2]]);
  assert.deepEqual(counts(subscriptions.subscribe("pattern", ["p*"])), [["psubscribe", "p*", 3]]);
  assert.deepEqual(counts(subscriptions.subscribe("shard", ["s"])), [["ssubscribe", "s", 1]], "shard channels count apart");
  assert.deepEqual(counts(subscriptions.unsubscribe("channel", ["zzz"])), [["unsubscribe", "zzz", 3]]);
  assert.deepEqual(counts(subscriptions.unsubscribe("channel", [])), [["unsubscribe", "a", 2], ["unsubscribe", "b", 1]]);
  assert.deepEqual(counts(subscriptions.unsubscribe("channel", [])), [["unsubscribe", "nil", 1]]);
  assert.equal(subscriptions.active, true);
  subscriptions.clear();
  assert.equal(subscriptions.active, false);
  assert.deepEqual(registry.counts, { channels: 0, patterns: 0, shardChannels: 0 });
});

test("a subscriber that leaves while a message is delivered does not stop the others receiving it", () => {
  const { published, registry } = setUp();
  const later = recorder(2);
  const leaving: Subscriber = {
    id: 1,
    deliver() {
      registry.remove("channel", "c", leaving); // as a connection over its output limit does
    },
  };
  registry.add("channel", "c", leaving);
  registry.add("channel", "c", later);
  assert.equal(published.publish(message("c", "m")), 2);
  assert.deepEqual(later.frames, [["message", "c", "m"]]);
});
