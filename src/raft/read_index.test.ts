import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Cluster, bytes, text } from "./testing.js";
import { ReadIndexQueue } from "./read_index.js";
import { createMessage } from "./message.js";

test("a leader answers a read only after a quorum acknowledged a heartbeat carrying it", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.elect(1);
  cluster.node(1).propose(bytes("w"));
  cluster.stabilize();
  cluster.node(1).readIndex(bytes("read-1"));
  cluster.handleReadies();
  assert.deepEqual(cluster.disk(1).readStates, [], "no read point before the heartbeat round");
  const heartbeats = cluster.pending().filter((message) => message.type === "heartbeat");
  assert.deepEqual(heartbeats.map((message) => text(message.context)), ["read-1", "read-1"]);
  cluster.stabilize();
  assert.deepEqual(cluster.disk(1).readStates.map((state) => [state.index, text(state.context)]), [[2, "read-1"]]);
});

test("a leader cut off from the quorum never answers a read", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.elect(1);
  cluster.isolate(1);
  cluster.node(1).readIndex(bytes("r"));
  cluster.tickAll(3);
  assert.deepEqual(cluster.disk(1).readStates, []);
});

test("a follower forwards a read to the leader and receives the read point", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.elect(1);
  cluster.node(3).readIndex(bytes("from-3"));
  cluster.stabilize();
  assert.deepEqual(cluster.disk(3).readStates.map((state) => [state.index, text(state.context)]), [[1, "from-3"]]);
  assert.deepEqual(cluster.disk(1).readStates, []);
});

test("a new leader defers reads until it has committed an entry of its term", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.elect(1);
  cluster.node(1).propose(bytes("w"));
  cluster.stabilize();
  cluster.node(2).campaign();
  // Deliver only until 2 wins: its no-op is not yet committed.
  while (cluster.node(2).status().role !== "leader") {
    cluster.handleReadies();
    cluster.deliverQueued();
  }
  cluster.node(2).readIndex(bytes("early"));
  cluster.handleReadies();
  assert.ok(cluster.pending().every((message) => message.context.length === 0), "no heartbeat round yet");
  cluster.stabilize();
  cluster.tickAll(1);
  assert.deepEqual(cluster.disk(2).readStates.map((state) => [state.index, text(state.context)]), [[3, "early"]]);
});

test("a single-voter leader answers a read at once from its commit index", () => {
  const cluster = new Cluster({ voters: [1] });
  cluster.elect(1);
  cluster.node(1).readIndex(bytes("solo"));
  cluster.stabilize();
  assert.deepEqual(cluster.disk(1).readStates.map((state) => state.index), [1]);
});

test("an acknowledgement for a later read confirms every earlier one, in order", () => {
  const queue = new ReadIndexQueue();
  const request = (context: string) => createMessage({ type: "readIndex", from: 1, to: 1, context: bytes(context) });
  assert.equal(queue.add(5, request("a")), true);
  assert.equal(queue.add(6, request("b")), true);
  assert.equal(queue.add(6, request("b")), false, "a duplicate context is refused");
  assert.deepEqual([...(queue.acknowledge(2, bytes("b")) ?? [])], [2]);
  assert.deepEqual(queue.confirmThrough(bytes("b")).map((read) => read.index), [5, 6]);
  assert.equal(queue.size, 0);
});
