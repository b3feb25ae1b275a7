import { test } from "node:test";
import * as assert from "node:assert/strict";
import { isWalnutError } from "../lib/errors.js";
import { leaseTicksOf } from "./lease.js";
import { createMessage } from "./message.js";
import { RaftNode } from "./raft.js";
import { Cluster, ELECTION_TICKS, bytes, testConfig, text } from "./testing.js";
import type { Message } from "./types.js";

const LEASE = { readMode: "lease", checkQuorum: true } as const;
const LEASE_TICKS = leaseTicksOf({ electionTicks: ELECTION_TICKS });

/** A lease-mode cluster led by 1, its no-op committed, one heartbeat round acknowledged. */
function leasedCluster(voters = [1, 2, 3]): Cluster {
  const cluster = new Cluster({ voters, config: LEASE });
  cluster.elect(1);
  cluster.tick(1);
  return cluster;
}

/** Asks `id` for a read and handles its Ready: the read states it produced at once. */
function readAtOnce(cluster: Cluster, id: number, context: string): string[] {
  const before = cluster.disk(id).readStates.length;
  cluster.node(id).readIndex(bytes(context));
  cluster.handleReadies();
  return cluster.disk(id).readStates.slice(before).map((state) => text(state.context));
}

function heartbeatsPending(cluster: Cluster): Message[] {
  return cluster.pending().filter((message) => message.type === "heartbeat");
}

test("the default lease is the election timeout less a tick, shrunk by the drift ratio", () => {
  assert.equal(leaseTicksOf({ electionTicks: 10 }), 8);
  assert.equal(leaseTicksOf({ electionTicks: 10, maxClockDriftRatio: 0 }), 9);
  assert.equal(leaseTicksOf({ electionTicks: 10, maxClockDriftRatio: 1 }), 4);
});

test("lease mode without check-quorum is refused at start", () => {
  assert.throws(
    () => new RaftNode(testConfig(1, { readMode: "lease", checkQuorum: false }), { hardState: { term: 0, vote: 0, commit: 0 }, confState: { voters: [1], learners: [] }, snapshot: { index: 0, term: 0, confState: { voters: [1], learners: [] } }, entries: [] }),
    (error: unknown) => isWalnutError(error) && error.code === "BAD_CONFIG" && error.message.includes("requires checkQuorum"),
  );
});

test("a leader whose lease holds answers a read at once, without a heartbeat round", () => {
  const cluster = leasedCluster();
  assert.deepEqual(readAtOnce(cluster, 1, "r1"), ["r1"]);
  assert.deepEqual(heartbeatsPending(cluster), [], "no round for the read");
  assert.equal(cluster.disk(1).readStates[0]?.index, cluster.node(1).status().commit);
});

test("a follower's forwarded read is answered from the leader's lease in one round trip", () => {
  const cluster = leasedCluster();
  const sentBefore = cluster.sent.length;
  cluster.node(3).readIndex(bytes("from-3"));
  cluster.stabilize();
  assert.deepEqual(cluster.disk(3).readStates.map((state) => text(state.context)), ["from-3"]);
  assert.deepEqual(cluster.sent.slice(sentBefore).map((message) => message.type), ["readIndex", "readIndexResponse"]);
});

test("in index mode the same read waits for a heartbeat round", () => {
  const cluster = new Cluster({ voters: [1, 2, 3], config: { checkQuorum: true } });
  cluster.elect(1);
  cluster.tick(1);
  assert.deepEqual(readAtOnce(cluster, 1, "r1"), []);
  assert.equal(heartbeatsPending(cluster).length, 2);
});

test("an expired lease falls back to ReadIndex, whose round renews it", () => {
  const cluster = leasedCluster();
  cluster.filter = (message) => message.type !== "heartbeatResponse";
  cluster.tick(1, LEASE_TICKS);
  assert.deepEqual(readAtOnce(cluster, 1, "late"), [], "lease ran out");
  assert.deepEqual(heartbeatsPending(cluster).map((message) => text(message.context)), ["late", "late"]);
  cluster.filter = () => true;
  cluster.stabilize();
  assert.deepEqual(cluster.disk(1).readStates.map((state) => text(state.context)), ["late"]);
  assert.deepEqual(readAtOnce(cluster, 1, "renewed"), ["renewed"], "the fallback round renewed the lease");
});

test("the lease runs from when the heartbeat was sent, not from when its answer arrived", () => {
  const cluster = new Cluster({ voters: [1, 2, 3], config: LEASE });
  cluster.elect(1);
  const heldBack: Message[] = [];
  cluster.filter = (message) => {
    if (message.type !== "heartbeatResponse") return true;
    if (message.index === 1) heldBack.push(message); // answers to the round sent at tick 1
    return false;
  };
  cluster.tick(1, LEASE_TICKS); // the leader is now at tick LEASE_TICKS
  for (const response of heldBack) cluster.node(1).step(response);
  assert.deepEqual(readAtOnce(cluster, 1, "in time"), ["in time"], "sent at tick 1: holds through tick LEASE_TICKS");
  cluster.tick(1);
  for (const response of heldBack) cluster.node(1).step(response); // arriving later renews nothing
  assert.deepEqual(readAtOnce(cluster, 1, "too late"), [], "sent at tick 1: over at tick 1 + LEASE_TICKS");
});

test("an echo of a tick the leader has not reached yet extends nothing", () => {
  const cluster = new Cluster({ voters: [1, 2, 3], config: LEASE });
  cluster.elect(1);
  for (const from of [2, 3]) cluster.node(1).step(createMessage({ type: "heartbeatResponse", from, to: 1, term: 1, index: 1_000 }));
  assert.deepEqual(readAtOnce(cluster, 1, "r"), []);
});

test("a new leader serves no lease read before an entry of its term commits", () => {
  const cluster = new Cluster({ voters: [1, 2, 3], config: LEASE });
  cluster.filter = (message) => message.type !== "appendResponse"; // the no-op does not commit
  cluster.elect(1);
  cluster.tick(1); // a heartbeat round, acknowledged: a lease, were it not for the commit
  assert.deepEqual(readAtOnce(cluster, 1, "early"), []);
  assert.deepEqual(heartbeatsPending(cluster), [], "deferred, not sent on a round");
  cluster.filter = () => true;
  cluster.tick(1); // the no-op commits; the deferred read is answered from the lease
  assert.deepEqual(cluster.disk(1).readStates.map((state) => text(state.context)), ["early"]);
  assert.deepEqual(readAtOnce(cluster, 1, "later"), ["later"]);
});

test("a follower refuses votes and pre-votes while it hears from its leader, and grants them after", () => {
  const cluster = leasedCluster();
  const follower = cluster.node(2);
  for (const type of ["vote", "prevote"] as const) {
    follower.step(createMessage({ type, from: 3, to: 2, term: 2, logIndex: 10, logTerm: 1 }));
  }
  assert.equal(follower.status().term, 1);
  assert.deepEqual(follower.ready().messages, [], "no hearing for a candidate within the lease");
  for (let tick = 0; tick < ELECTION_TICKS; tick += 1) follower.tick();
  assert.deepEqual(grantedVotes(follower), [], "(it may have started its own election)");
  follower.step(createMessage({ type: "vote", from: 3, to: 2, term: 5, logIndex: 10, logTerm: 1 }));
  assert.deepEqual(grantedVotes(follower), [3]);
});

/** Handles `node`'s Ready by hand: to whom it granted votes. */
function grantedVotes(node: RaftNode): number[] {
  if (!node.hasReady()) return [];
  return node.ready().messages.filter((message) => message.type === "voteResponse" && !message.reject).map((message) => message.to);
}

test("a restarted follower refuses votes for an election timeout: it may have backed a lease", () => {
  const cluster = leasedCluster();
  const restarted = cluster.restart(2);
  restarted.step(createMessage({ type: "vote", from: 3, to: 2, term: 2, logIndex: 10, logTerm: 1 }));
  assert.equal(restarted.status().term, 1);
  assert.deepEqual(grantedVotes(restarted), []);
  for (let tick = 0; tick < ELECTION_TICKS; tick += 1) restarted.tick();
  grantedVotes(restarted);
  restarted.step(createMessage({ type: "vote", from: 3, to: 2, term: 5, logIndex: 10, logTerm: 1 }));
  assert.deepEqual(grantedVotes(restarted), [3]);
});

test("a follower does not campaign on its own vote while in lease, unless it is the only voter", () => {
  const cluster = leasedCluster();
  cluster.node(2).campaign();
  assert.equal(cluster.node(2).status().role, "follower");
  const alone = new Cluster({ voters: [1], config: LEASE });
  alone.elect(1);
  const restarted = alone.restart(1); // a restarted node, but nobody else votes
  restarted.campaign();
  assert.equal(restarted.status().role, "leader");
});

test("starting a leadership transfer ends the lease for the rest of the term", () => {
  const cluster = leasedCluster();
  cluster.filter = (message) => message.type !== "timeoutNow"; // the transfer never completes
  cluster.node(1).transferLeadership(2);
  assert.deepEqual(readAtOnce(cluster, 1, "during"), []);
  cluster.stabilize();
  assert.deepEqual(cluster.disk(1).readStates.map((state) => text(state.context)), ["during"], "ReadIndex still serves");
  cluster.tick(1, ELECTION_TICKS); // the transfer is given up, but a timeoutNow may still be in flight
  assert.equal(cluster.node(1).status().role, "leader");
  assert.deepEqual(readAtOnce(cluster, 1, "after"), []);
});

test("a transfer's target wins at once, past the followers' leases", () => {
  const cluster = leasedCluster();
  cluster.node(1).transferLeadership(2);
  cluster.stabilize();
  assert.equal(cluster.node(2).status().role, "leader");
  assert.equal(cluster.node(1).status().role, "follower");
});
