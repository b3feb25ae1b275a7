import { test } from "node:test";
import * as assert from "node:assert/strict";
import { createMessage } from "./message.js";
import { Cluster, bytes, text } from "./testing.js";
import type { NodeId } from "./types.js";

function proposeMany(cluster: Cluster, leader: NodeId, count: number): void {
  for (let number = 0; number < count; number += 1) cluster.node(leader).propose(bytes(`p${number}`));
  cluster.stabilize();
}

/** The leader's driver took a snapshot at its applied index and compacted the log. */
function compactLeader(cluster: Cluster, leader: NodeId): number {
  const status = cluster.node(leader).status();
  const last = cluster.disk(leader).applied[cluster.disk(leader).applied.length - 1];
  assert.ok(last !== undefined && last.index === status.applied);
  cluster.node(leader).compact({ index: last.index, term: last.term, confState: status.confState });
  return last.index;
}

test("a follower behind the leader's first index gets a snapshot message, then the entries after it", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.elect(1);
  cluster.isolate(3);
  proposeMany(cluster, 1, 5);
  const snapshotIndex = compactLeader(cluster, 1);
  cluster.node(1).propose(bytes("after the snapshot"));
  cluster.stabilize();
  cluster.heal();
  cluster.tickAll(1);
  const snapshots = cluster.sent.filter((message) => message.type === "snapshot");
  assert.deepEqual(snapshots.map((message) => [message.to, message.snapshot?.index]), [[3, snapshotIndex]]);
  assert.deepEqual(cluster.disk(3).installedSnapshots.map((snapshot) => snapshot.index), [snapshotIndex]);
  assert.deepEqual(snapshots[0]?.snapshot?.confState, { voters: [1, 2, 3], learners: [] });
  const follower = cluster.node(3).status();
  assert.equal(follower.lastIndex, snapshotIndex + 1);
  assert.equal(follower.commit, snapshotIndex + 1);
  const appliedAfter = cluster.disk(3).applied.filter((each) => each.index > snapshotIndex);
  assert.deepEqual(appliedAfter.map((each) => text(each.data)), ["after the snapshot"]);
  assert.equal(cluster.node(1).status().progress.get(3)?.state, "replicate");
});

test("a failed snapshot send is retried after the next heartbeat", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.elect(1);
  cluster.isolate(3);
  proposeMany(cluster, 1, 3);
  compactLeader(cluster, 1);
  cluster.heal();
  let dropped = 0;
  cluster.filter = (message) => !(message.type === "snapshot" && dropped++ === 0);
  cluster.tickAll(1);
  assert.equal(cluster.node(1).status().progress.get(3)?.state, "probe", "the failure report moved it back to probing");
  assert.equal(cluster.disk(3).installedSnapshots.length, 0);
  cluster.tickAll(1);
  assert.equal(cluster.sent.filter((message) => message.type === "snapshot").length, 2);
  assert.equal(cluster.disk(3).installedSnapshots.length, 1);
  assert.equal(cluster.node(3).status().commit, cluster.node(1).status().commit);
});

test("a leader sends nothing more to a peer in snapshot state until the driver reports on it", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.elect(1);
  cluster.isolate(3);
  proposeMany(cluster, 1, 3);
  compactLeader(cluster, 1);
  cluster.heal();
  const leader = cluster.node(1);
  leader.tick();
  while (leader.status().progress.get(3)?.state !== "snapshot") {
    cluster.handleReadies();
    cluster.deliverQueued();
  }
  assert.ok(leader.ready().messages.some((message) => message.type === "snapshot" && message.to === 3));
  leader.step(createMessage({ type: "heartbeatResponse", from: 3, to: 1, term: 1 }));
  leader.propose(bytes("more"));
  assert.equal(leader.ready().messages.filter((message) => message.to === 3).length, 0);
  leader.step(createMessage({ type: "snapshotStatus", from: 3, to: 1 }));
  assert.equal(leader.status().progress.get(3)?.state, "probe");
});

test("a node joining after compaction starts from a snapshot that carries the membership", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.elect(1);
  cluster.node(1).proposeConfChange({ type: "addLearner", node: 4 });
  cluster.stabilize();
  proposeMany(cluster, 1, 2);
  compactLeader(cluster, 1);
  cluster.add(4, { voters: [1, 2, 3], learners: [] });
  cluster.tickAll(1);
  const [installed] = cluster.disk(4).installedSnapshots;
  assert.deepEqual(installed?.confState, { voters: [1, 2, 3], learners: [4] });
  assert.equal(cluster.node(4).status().role, "learner");
  assert.equal(cluster.node(4).status().commit, cluster.node(1).status().commit);
});

test("a follower ignores a snapshot that its log already covers", () => {
  const cluster = new Cluster({ voters: [1, 2] });
  cluster.elect(1);
  proposeMany(cluster, 1, 3);
  const commit = cluster.node(2).status().commit;
  cluster.node(2).step(createMessage({ type: "snapshot", from: 1, to: 2, term: 1, snapshot: { index: 2, term: 1, confState: { voters: [1, 2], learners: [] } } }));
  const ready = cluster.node(2).ready();
  assert.equal(ready.snapshot, null);
  assert.deepEqual(ready.messages.map((message) => [message.type, message.index]), [["appendResponse", commit]]);
});

test("compaction keeps the term of the snapshot's last entry for the consistency check", () => {
  const cluster = new Cluster({ voters: [1, 2] });
  cluster.elect(1);
  proposeMany(cluster, 1, 3);
  const snapshotIndex = compactLeader(cluster, 1);
  cluster.node(1).propose(bytes("next"));
  cluster.stabilize();
  const append = cluster.sent.filter((message) => message.type === "append" && message.entries.length > 0).pop();
  assert.equal(append?.logIndex, snapshotIndex);
  assert.equal(append?.logTerm, 1);
  assert.equal(cluster.node(2).status().commit, snapshotIndex + 1);
});
