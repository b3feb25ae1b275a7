import { test } from "node:test";
import assert from "node:assert/strict";
import { Network, RELIABLE_NETWORK, UNRELIABLE_NETWORK } from "./network.js";
import { Random } from "../lib/seeded_random.js";

function drain(network: Network<string>, until: number): string[] {
  const delivered: string[] = [];
  for (let time = network.now; time <= until; time++) {
    network.advanceTo(time);
    for (const envelope of network.takeDue()) delivered.push(`${envelope.from}>${envelope.to}:${envelope.payload}`);
  }
  return delivered;
}

test("a reliable network delivers every message once, in order, one unit later", () => {
  const network = new Network<string>(new Random(1), RELIABLE_NETWORK);
  network.send(1, 2, "a");
  network.send(1, 2, "b");
  network.advanceTo(0);
  assert.deepEqual(network.takeDue(), []);
  assert.deepEqual(drain(network, 1), ["1>2:a", "1>2:b"]);
});

test("a partition drops messages between groups, in flight ones included", () => {
  const network = new Network<string>(new Random(1), RELIABLE_NETWORK);
  network.send(1, 3, "in flight");
  network.partition([[1, 2], [3]]);
  network.send(1, 2, "same side");
  network.send(3, 1, "across");
  assert.deepEqual(drain(network, 2), ["1>2:same side"]);
  assert.equal(network.stats.partitioned, 2);
  network.heal();
  network.send(3, 1, "healed");
  assert.deepEqual(drain(network, 4), ["3>1:healed"]);
});

test("a blocked link cuts one direction only", () => {
  const network = new Network<string>(new Random(1), RELIABLE_NETWORK);
  network.blockLink(1, 2);
  network.send(1, 2, "lost");
  network.send(2, 1, "kept");
  assert.deepEqual(drain(network, 2), ["2>1:kept"]);
});

test("an isolated node reaches nobody until it reconnects", () => {
  const network = new Network<string>(new Random(1), RELIABLE_NETWORK);
  network.isolate(2);
  network.send(1, 2, "lost");
  network.send(2, 3, "lost too");
  network.send(1, 3, "kept");
  assert.deepEqual(drain(network, 2), ["1>3:kept"]);
  network.reconnect(2);
  network.send(1, 2, "back");
  assert.deepEqual(drain(network, 4), ["1>2:back"]);
});

test("local reports ignore partitions and loss", () => {
  const network = new Network<string>(new Random(1), { ...RELIABLE_NETWORK, dropProbability: 1 });
  network.isolate(1);
  network.sendLocal(2, 1, "status", 3);
  assert.equal(network.send(1, 2, "dropped"), false);
  assert.deepEqual(drain(network, 3), ["2>1:status"]);
});

test("an unreliable network loses, duplicates and reorders, the same way for the same seed", () => {
  const run = (seed: number): string[] => {
    const network = new Network<string>(new Random(seed), UNRELIABLE_NETWORK);
    for (let i = 0; i < 500; i++) network.send(1, 2, String(i));
    return drain(network, 100);
  };
  const delivered = run(5);
  assert.deepEqual(run(5), delivered);
  const numbers = delivered.map((line) => Number(line.split(":")[1]));
  assert.ok(numbers.length < 500 + 50, "some messages are lost");
  assert.ok(new Set(numbers).size < numbers.length, "some messages arrive twice");
  assert.ok(new Set(numbers).size < 500, "some messages never arrive");
  assert.ok(numbers.some((value, index) => index > 0 && value < (numbers[index - 1] as number)), "some messages overtake others");
});
