import { test } from "node:test";
import * as assert from "node:assert/strict";
import { createMessage } from "./message.js";
import { RaftNode } from "./raft.js";
import { Cluster, ELECTION_TICKS, entry, seededRandom, testConfig } from "./testing.js";
import type { NodeId } from "./types.js";

test("a 3-node cluster elects the node that campaigns, and the others follow it", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.elect(1);
  for (const id of [2, 3]) {
    const status = cluster.node(id).status();
    assert.equal(status.role, "follower");
    assert.equal(status.leader, 1);
    assert.equal(status.term, 1);
  }
});

test("a 5-node cluster elects exactly one leader from election timeouts alone", () => {
  const cluster = new Cluster({ voters: [1, 2, 3, 4, 5] });
  cluster.tickAll(2 * ELECTION_TICKS);
  assert.equal(cluster.leaders().length, 1);
  const leader = cluster.leaders()[0] as NodeId;
  for (const id of [1, 2, 3, 4, 5]) assert.equal(cluster.node(id).status().leader, leader);
});

test("a single-voter group elects itself on campaign()", () => {
  const cluster = new Cluster({ voters: [1] });
  cluster.node(1).campaign();
  assert.equal(cluster.node(1).status().role, "leader");
  assert.equal(cluster.node(1).status().term, 1);
});

test("the election timeout is randomized in [electionTicks, 2 * electionTicks)", () => {
  for (const [random, expectedTicks] of [[0, ELECTION_TICKS], [0.9999, 2 * ELECTION_TICKS - 1]] as const) {
    const node = new RaftNode(testConfig(1, { random: () => random }), {
      hardState: { term: 0, vote: 0, commit: 0 },
      confState: { voters: [1, 2, 3], learners: [] },
      snapshot: { index: 0, term: 0, confState: { voters: [1, 2, 3], learners: [] } },
      entries: [],
    });
    let ticks = 0;
    while (node.status().role === "follower") {
      node.tick();
      ticks += 1;
    }
    assert.equal(ticks, expectedTicks);
  }
});

test("at most one leader is elected per term, whatever links fail", () => {
  for (let seed = 1; seed <= 20; seed += 1) {
    const random = seededRandom(seed);
    const cluster = new Cluster({ voters: [1, 2, 3, 4, 5], config: { random: seededRandom(seed * 31) } });
    cluster.filter = () => random() > 0.3;
    const leaderOfTerm = new Map<number, NodeId>();
    for (let step = 0; step < 200; step += 1) {
      for (const node of cluster.nodes.values()) node.tick();
      cluster.stabilize();
      for (const id of cluster.leaders()) {
        const term = cluster.node(id).status().term;
        assert.equal(leaderOfTerm.get(term) ?? id, id, `seed ${seed}: two leaders in term ${term}`);
        leaderOfTerm.set(term, id);
      }
    }
    assert.ok(leaderOfTerm.size > 0, `seed ${seed}: no leader was ever elected`);
  }
});

test("a node grants at most one vote per term", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  const voter = cluster.node(3);
  voter.step(createMessage({ type: "vote", from: 1, to: 3, term: 1 }));
  voter.step(createMessage({ type: "vote", from: 2, to: 3, term: 1 }));
  const responses = voter.ready().messages;
  assert.deepEqual(responses.map((each) => [each.to, each.reject]), [[1, false], [2, true]]);
});

test("a voter refuses a candidate whose log is less up-to-date than its own (§5.4.1)", () => {
  const initial = new Map([[3, { entries: [entry(1, 1), entry(2, 2)], term: 2 }]]);
  const cluster = new Cluster({ voters: [1, 2, 3], initial });
  cluster.node(3).step(createMessage({ type: "vote", from: 1, to: 3, term: 3, logIndex: 5, logTerm: 1 }));
  const [response] = cluster.node(3).ready().messages;
  assert.equal(response?.reject, true);
  assert.equal(cluster.node(3).status().term, 3, "the higher term is still adopted");
});

test("a message from a stale term is rejected and tells the stale leader the newer term", () => {
  const cluster = new Cluster({ voters: [1, 2, 3], config: { checkQuorum: true } });
  cluster.elect(1);
  cluster.isolate(1);
  cluster.tickAll(3 * ELECTION_TICKS); // 2 and 3 elect a leader of a newer term
  const follower = cluster.leaders().find((id) => id !== 1) === 2 ? 3 : 2;
  const before = cluster.disk(follower).entries.length;
  const term = cluster.node(follower).status().term;
  cluster.node(follower).step(createMessage({ type: "append", from: 1, to: follower, term: 1, logIndex: 1, logTerm: 1, entries: [entry(2, 1, "stale")] }));
  const ready = cluster.node(follower).ready();
  assert.equal(ready.entries.length, 0);
  assert.equal(cluster.disk(follower).entries.length, before);
  const [answer] = ready.messages;
  assert.equal(answer?.type, "appendResponse");
  assert.equal(answer?.term, term);
  cluster.node(1).step(answer as NonNullable<typeof answer>);
  assert.equal(cluster.node(1).status().role, "follower", "the stale leader steps down");
});

test("with pre-vote, a partitioned node that rejoins does not bump the cluster's term", () => {
  const cluster = new Cluster({ voters: [1, 2, 3], config: { preVote: true } });
  cluster.elect(1);
  cluster.node(1).propose(new Uint8Array([1]));
  cluster.stabilize();
  cluster.isolate(3);
  cluster.node(1).propose(new Uint8Array([2])); // 3 falls behind
  cluster.stabilize();
  for (let count = 0; count < 5 * ELECTION_TICKS; count += 1) cluster.tick(3);
  assert.equal(cluster.node(3).status().term, 1, "pre-votes never win, so the term stays");
  assert.equal(cluster.node(3).status().role, "precandidate");
  cluster.heal();
  cluster.tickAll(3 * ELECTION_TICKS);
  assert.deepEqual(cluster.leaders(), [1]);
  for (const id of [1, 2, 3]) assert.equal(cluster.node(id).status().term, 1);
  assert.equal(cluster.node(3).status().leader, 1);
});

test("without pre-vote, the same rejoining node disrupts the leader (what pre-vote prevents)", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.elect(1);
  cluster.isolate(3);
  for (let count = 0; count < 5 * ELECTION_TICKS; count += 1) cluster.tick(3);
  assert.ok(cluster.node(3).status().term > 1);
  cluster.heal();
  cluster.tickAll(2 * ELECTION_TICKS);
  assert.ok(cluster.node(1).status().term > 1, "the leader was forced into a newer term");
});

test("with check-quorum, a leader that hears from no quorum for a whole election timeout steps down", () => {
  const cluster = new Cluster({ voters: [1, 2, 3], config: { checkQuorum: true } });
  cluster.elect(1);
  cluster.isolate(1);
  // The check runs every election timeout over the round just ended; the first round
  // still saw the followers (before the cut), the second one did not.
  for (let count = 0; count < 2 * ELECTION_TICKS - 1; count += 1) cluster.tick(1);
  assert.equal(cluster.node(1).status().role, "leader");
  cluster.tick(1);
  assert.equal(cluster.node(1).status().role, "follower");
  assert.equal(cluster.node(1).status().leader, 0);
});

test("with check-quorum, a leader that hears from a quorum keeps leading", () => {
  const cluster = new Cluster({ voters: [1, 2, 3], config: { checkQuorum: true } });
  cluster.elect(1);
  cluster.isolate(3);
  for (let count = 0; count < 3 * ELECTION_TICKS; count += 1) cluster.tick(1);
  assert.equal(cluster.node(1).status().role, "leader");
});

test("with check-quorum, a follower that heard from its leader ignores a disruptive vote request", () => {
  const cluster = new Cluster({ voters: [1, 2, 3], config: { checkQuorum: true } });
  cluster.elect(1);
  cluster.node(2).step(createMessage({ type: "vote", from: 3, to: 2, term: 9, logIndex: 99, logTerm: 9 }));
  assert.equal(cluster.node(2).status().term, 1);
  assert.equal(cluster.node(2).hasReady(), false);
});
