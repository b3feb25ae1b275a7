import { test } from "node:test";
import * as assert from "node:assert/strict";
import { encodeConfChange } from "./conf_change.js";
import { Cluster, ELECTION_TICKS, bytes, entry, text } from "./testing.js";
import type { ConfChange, Entry } from "./types.js";

function confChangeEntry(index: number, term: number, change: ConfChange): Entry {
  return { index, term, type: "confChange", data: encodeConfChange(change) };
}

function appliedPayloads(cluster: Cluster, id: number): string[] {
  return cluster.disk(id).applied.filter((each) => each.type === "normal" && each.data.length > 0).map((each) => text(each.data));
}

test("a learner receives the log but does not count toward the commit quorum", () => {
  const cluster = new Cluster({ voters: [1, 2, 3], learners: [4] });
  cluster.elect(1);
  cluster.isolate(2);
  cluster.isolate(3);
  cluster.node(1).propose(bytes("needs a voter"));
  cluster.stabilize();
  assert.equal(cluster.node(4).status().lastIndex, 2, "the learner has the entry");
  assert.equal(cluster.node(1).status().commit, 1, "leader + learner are not a majority of 3 voters");
  cluster.heal();
  cluster.tickAll(1);
  assert.equal(cluster.node(1).status().commit, 2);
  assert.deepEqual(appliedPayloads(cluster, 4), ["needs a voter"]);
});

test("a learner never starts an election", () => {
  const cluster = new Cluster({ voters: [1, 2, 3], learners: [4] });
  for (let count = 0; count < 5 * ELECTION_TICKS; count += 1) cluster.node(4).tick();
  assert.equal(cluster.node(4).status().role, "learner");
  assert.equal(cluster.node(4).status().term, 0);
  assert.equal(cluster.node(4).hasReady(), false, "nothing happened at all");
});

test("a membership change takes effect on the leader when appended, before it commits", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.elect(1);
  cluster.isolate(2);
  cluster.isolate(3);
  assert.equal(cluster.node(1).proposeConfChange({ type: "addLearner", node: 4 }).ok, true);
  const status = cluster.node(1).status();
  assert.deepEqual(status.confState, { voters: [1, 2, 3], learners: [4] });
  assert.equal(status.progress.get(4)?.isLearner, true);
  assert.ok(status.commit < status.lastIndex);
});

test("a second membership change is refused while the first is uncommitted", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.elect(1);
  cluster.isolate(2);
  cluster.isolate(3);
  assert.equal(cluster.node(1).proposeConfChange({ type: "addLearner", node: 4 }).ok, true);
  assert.deepEqual(cluster.node(1).proposeConfChange({ type: "addLearner", node: 5 }), { ok: false, reason: "conf-change-pending", leader: 1 });
  cluster.heal();
  cluster.tickAll(1);
  assert.equal(cluster.node(1).proposeConfChange({ type: "addLearner", node: 5 }).ok, true);
});

test("a new leader accepts no membership change before an entry of its term commits", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.node(1).campaign();
  while (cluster.node(1).status().role !== "leader") {
    cluster.handleReadies();
    cluster.deliverQueued();
  }
  assert.equal(cluster.node(1).proposeConfChange({ type: "remove", node: 3 }).ok, false);
  cluster.stabilize();
  assert.equal(cluster.node(1).proposeConfChange({ type: "remove", node: 3 }).ok, true);
});

test("a joining node started with the current membership learns the log and becomes a voter", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.elect(1);
  cluster.node(1).propose(bytes("before 4"));
  cluster.stabilize();
  cluster.add(4, { voters: [1, 2, 3], learners: [] }); // as etcd's "existing cluster" start
  assert.equal(cluster.node(1).proposeConfChange({ type: "addVoter", node: 4 }).ok, true);
  cluster.stabilize();
  for (const id of [1, 2, 3, 4]) assert.deepEqual(cluster.node(id).status().confState, { voters: [1, 2, 3, 4], learners: [] });
  assert.deepEqual(appliedPayloads(cluster, 4), ["before 4"]);
  // Four voters need three for a quorum: 1 and 4 alone cannot commit.
  cluster.isolate(2);
  cluster.isolate(3);
  cluster.node(1).propose(bytes("needs three"));
  cluster.stabilize();
  assert.deepEqual(appliedPayloads(cluster, 4), ["before 4"]);
});

test("a learner promoted by addVoter counts toward the quorum", () => {
  const cluster = new Cluster({ voters: [1, 2, 3], learners: [4] });
  cluster.elect(1);
  cluster.node(1).proposeConfChange({ type: "addVoter", node: 4 });
  cluster.stabilize();
  assert.equal(cluster.node(4).status().role, "follower");
  cluster.isolate(2);
  cluster.node(1).propose(bytes("1, 3 and 4"));
  cluster.stabilize();
  assert.deepEqual(appliedPayloads(cluster, 4), ["1, 3 and 4"]);
});

test("a removed follower no longer counts, and cannot disrupt the rest (check-quorum)", () => {
  const cluster = new Cluster({ voters: [1, 2, 3], config: { checkQuorum: true } });
  cluster.elect(1);
  cluster.node(1).proposeConfChange({ type: "remove", node: 3 });
  cluster.stabilize();
  assert.deepEqual(cluster.node(1).status().confState.voters, [1, 2]);
  cluster.isolate(3);
  cluster.node(1).propose(bytes("without 3"));
  cluster.stabilize();
  assert.deepEqual(appliedPayloads(cluster, 2), ["without 3"]);
  // 3 never saw its removal (the leader stops replicating to it at once), so it campaigns;
  // 1 and 2 hear from their leader and ignore it (thesis §4.2.3).
  cluster.heal();
  cluster.tickAll(5 * ELECTION_TICKS);
  assert.deepEqual(cluster.leaders(), [1]);
  assert.equal(cluster.node(2).status().term, 1);
});

test("a leader that removes itself steps down once the change commits, and the rest elect a leader", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.elect(1);
  cluster.node(1).proposeConfChange({ type: "remove", node: 1 });
  cluster.stabilize();
  assert.equal(cluster.node(1).status().role, "follower");
  cluster.tickAll(3 * ELECTION_TICKS);
  const leaders = cluster.leaders();
  assert.equal(leaders.length, 1);
  assert.notEqual(leaders[0], 1);
});

test("an uncommitted membership change is undone when the leader overwrites its entry", () => {
  const initial = new Map([
    [1, { entries: [entry(1, 1), entry(2, 3)], term: 3, commit: 1 }],
    [2, { entries: [entry(1, 1), entry(2, 3)], term: 3, commit: 1 }],
    [3, { entries: [entry(1, 1), confChangeEntry(2, 2, { type: "addVoter", node: 4 })], term: 2, commit: 1 }],
  ]);
  const cluster = new Cluster({ voters: [1, 2, 3], initial });
  assert.deepEqual(cluster.node(3).status().confState.voters, [1, 2, 3, 4], "in effect once in the log");
  cluster.elect(1);
  assert.deepEqual(cluster.node(3).status().confState.voters, [1, 2, 3]);
});

test("removing the last voter is refused", () => {
  const cluster = new Cluster({ voters: [1] });
  cluster.elect(1);
  assert.throws(() => cluster.node(1).proposeConfChange({ type: "remove", node: 1 }), { code: "BAD_ARGUMENT" });
});

test("a node whose own removal is not yet committed still campaigns, so that the removal can commit (thesis §4.1)", () => {
  const cluster = new Cluster({ voters: [1, 2] });
  cluster.elect(1);
  cluster.isolate(2);
  assert.equal(cluster.node(1).proposeConfChange({ type: "remove", node: 1 }).ok, true);
  cluster.stabilize();
  assert.deepEqual(cluster.node(1).status().confState.voters, [2], "in effect on 1, unknown to 2");
  for (let count = 0; count < 3 * ELECTION_TICKS; count += 1) cluster.tick(2);
  cluster.heal();
  // 2 cannot win: 1 holds a longer log. Only 1 can get the removal committed.
  cluster.tickAll(10 * ELECTION_TICKS);
  assert.deepEqual(cluster.leaders(), [2]);
  assert.deepEqual(cluster.node(2).status().confState, { voters: [2], learners: [] });
  assert.equal(cluster.node(1).status().role, "follower");
});
