import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Cluster, ELECTION_TICKS, bytes } from "./testing.js";

test("leadership moves to an up-to-date follower on transferLeadership", () => {
  const cluster = new Cluster({ voters: [1, 2, 3], config: { preVote: true, checkQuorum: true } });
  cluster.elect(1);
  cluster.node(1).transferLeadership(2);
  cluster.stabilize();
  assert.deepEqual(cluster.leaders(), [2]);
  assert.equal(cluster.node(2).status().term, 2);
  const timeoutNow = cluster.sent.filter((message) => message.type === "timeoutNow");
  assert.deepEqual(timeoutNow.map((message) => [message.from, message.to]), [[1, 2]]);
});

test("the leader catches a lagging target up before telling it to campaign", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.elect(1);
  cluster.isolate(2);
  cluster.node(1).propose(bytes("2 misses this"));
  cluster.stabilize();
  cluster.heal();
  cluster.node(1).transferLeadership(2);
  cluster.stabilize();
  assert.deepEqual(cluster.leaders(), [2]);
  const [timeoutNow] = cluster.sent.filter((message) => message.type === "timeoutNow");
  const catchUp = cluster.sent.findIndex((message) => message.type === "append" && message.to === 2 && message.entries.length > 0);
  assert.ok(catchUp >= 0 && catchUp < cluster.sent.indexOf(timeoutNow as NonNullable<typeof timeoutNow>));
  assert.equal(cluster.node(2).status().lastIndex, 3, "no entry was lost: 2's own no-op follows 1's entries");
});

test("a leader refuses proposals while a transfer is in progress, and aborts it after an election timeout", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.elect(1);
  cluster.isolate(2);
  cluster.node(1).propose(bytes("behind"));
  cluster.stabilize();
  cluster.node(1).transferLeadership(2);
  cluster.stabilize();
  assert.deepEqual(cluster.node(1).propose(bytes("refused")), { ok: false, reason: "transfer-in-progress", leader: 1 });
  for (let count = 0; count < ELECTION_TICKS; count += 1) cluster.tick(1);
  assert.deepEqual(cluster.leaders(), [1]);
  assert.equal(cluster.node(1).propose(bytes("accepted")).ok, true);
});

test("a transfer to a learner or to the leader itself is ignored", () => {
  const cluster = new Cluster({ voters: [1, 2], learners: [3] });
  cluster.elect(1);
  cluster.node(1).transferLeadership(3);
  cluster.node(1).transferLeadership(1);
  cluster.stabilize();
  assert.deepEqual(cluster.leaders(), [1]);
  assert.equal(cluster.node(1).propose(bytes("still open")).ok, true);
});

test("a transfer goes through followers that would otherwise ignore a vote within their lease", () => {
  const cluster = new Cluster({ voters: [1, 2, 3], config: { checkQuorum: true } });
  cluster.elect(1);
  cluster.tickAll(1); // every follower has just heard from the leader
  cluster.node(1).transferLeadership(3);
  cluster.stabilize();
  assert.deepEqual(cluster.leaders(), [3]);
});
