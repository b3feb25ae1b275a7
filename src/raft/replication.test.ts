import { test } from "node:test";
import * as assert from "node:assert/strict";
import { createMessage } from "./message.js";
import { Cluster, bytes, entry, text } from "./testing.js";
import type { Entry, Message } from "./types.js";

function terms(entries: readonly Entry[]): number[] {
  return entries.map((each) => each.term);
}

function payloads(entries: readonly Entry[]): string[] {
  return entries.filter((each) => each.data.length > 0).map((each) => text(each.data));
}

test("a new leader appends an empty normal entry of its term", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.elect(1);
  const [first] = cluster.disk(1).entries;
  assert.deepEqual(first, { index: 1, term: 1, type: "normal", data: new Uint8Array(0) });
  for (const id of [1, 2, 3]) assert.equal(cluster.node(id).status().commit, 1);
});

test("a proposal is replicated, committed by a majority and applied everywhere", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.elect(1);
  const result = cluster.node(1).propose(bytes("set a 1"));
  assert.deepEqual(result, { ok: true, index: 2 });
  cluster.stabilize();
  for (const id of [1, 2, 3]) assert.deepEqual(payloads(cluster.disk(id).applied), ["set a 1"]);
});

test("a single-voter group commits an entry in the Ready that hands it out for persisting", () => {
  const cluster = new Cluster({ voters: [1] });
  const node = cluster.node(1);
  node.campaign();
  node.propose(bytes("x"));
  const first = node.ready();
  assert.deepEqual(first.entries.map((each) => each.index), [1, 2]);
  assert.equal(first.hardState?.commit, 2, "the commit index is persisted with the entries");
  assert.deepEqual(payloads(first.committedEntries), ["x"], "applied once the same Ready persisted them");
  assert.equal(node.status().progress.get(1)?.match, 0, "its own progress counts durable entries only");
  node.advance(first);
  assert.equal(node.status().applied, 2);
  assert.equal(node.hasReady(), false);
});

test("entries and the hard state come in the same Ready as the messages that depend on them", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.node(2).campaign();
  const ready = cluster.node(2).ready();
  assert.deepEqual(ready.hardState, { term: 1, vote: 2, commit: 0 }, "the self-vote is persisted before vote requests leave");
  assert.deepEqual(ready.messages.map((each) => each.type), ["vote", "vote"]);
});

test("a follower forwards a proposal to the leader it knows", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.elect(1);
  const result = cluster.node(3).propose(bytes("from 3"));
  assert.deepEqual(result, { ok: false, reason: "not-leader", leader: 1 });
  cluster.stabilize();
  for (const id of [1, 2, 3]) assert.deepEqual(payloads(cluster.disk(id).applied), ["from 3"]);
});

test("a node that knows no leader refuses a proposal without forwarding it", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  assert.deepEqual(cluster.node(2).propose(bytes("lost")), { ok: false, reason: "not-leader", leader: 0 });
  assert.equal(cluster.node(2).hasReady(), false);
});

test("the leader overwrites a follower's conflicting suffix until all logs match (log matching)", () => {
  const initial = new Map([
    [1, { entries: [entry(1, 1), entry(2, 3), entry(3, 3)], term: 3, commit: 1 }],
    [2, { entries: [entry(1, 1), entry(2, 2), entry(3, 2), entry(4, 2), entry(5, 2)], term: 2, commit: 1 }],
    [3, { entries: [entry(1, 1), entry(2, 3)], term: 3, commit: 1 }],
  ]);
  const cluster = new Cluster({ voters: [1, 2, 3], initial });
  cluster.elect(1);
  const expected = [1, 3, 3, 4];
  for (const id of [1, 2, 3]) assert.deepEqual(terms(cluster.disk(id).entries), expected, `node ${id}`);
  for (const id of [1, 2, 3]) assert.equal(cluster.node(id).status().commit, 4);
});

test("an entry of an earlier term is not committed by counting replicas (Figure 8)", () => {
  // S1 led term 2 and got entry 2 onto S2; S5 led term 3 with its own entry 2. Now S1
  // leads term 4 and gets its term-2 entry onto S3: a majority holds it, yet it must not
  // commit, because S5 could still be elected and overwrite it.
  const initial = new Map([
    [1, { entries: [entry(1, 1), entry(2, 2)], term: 3, commit: 1 }],
    [2, { entries: [entry(1, 1), entry(2, 2)], term: 2, commit: 1 }],
    [3, { entries: [entry(1, 1)], term: 3, commit: 1 }],
    [4, { entries: [entry(1, 1)], term: 3, commit: 1 }],
    [5, { entries: [entry(1, 1), entry(2, 3)], term: 3, commit: 1 }],
  ]);
  const cluster = new Cluster({ voters: [1, 2, 3, 4, 5], initial, config: { maxEntriesPerAppend: 1 } });
  cluster.isolate(5);
  // The no-op of term 4 never arrives: appends reach the followers without it.
  cluster.rewrite = (message) => ({ ...message, entries: message.entries.filter((each) => each.term !== 4) });
  cluster.elect(1);
  assert.equal(cluster.node(1).status().term, 4);
  assert.deepEqual(terms(cluster.disk(3).entries), [1, 2], "a majority (S1, S2, S3) holds entry 2");
  assert.equal(cluster.node(1).status().commit, 1, "entry 2 is from term 2: not committed by counting");
  cluster.rewrite = (message) => message;
  cluster.heal();
  cluster.tickAll(2);
  for (const id of [1, 2, 3, 4, 5]) {
    assert.deepEqual(terms(cluster.disk(id).entries), [1, 2, 4], `node ${id}`);
    assert.equal(cluster.node(id).status().commit, 3, "the term-4 entry commits, and entry 2 with it");
  }
});

test("fast backtracking finds the match point in a few round trips, not one per entry", () => {
  const stale = Array.from({ length: 50 }, (_, offset) => entry(offset + 2, 2));
  const initial = new Map([
    [1, { entries: [entry(1, 1), entry(2, 3)], term: 3, commit: 1 }],
    [2, { entries: [entry(1, 1), entry(2, 3)], term: 3, commit: 1 }],
    [3, { entries: [entry(1, 1), ...stale], term: 2, commit: 1 }],
  ]);
  const cluster = new Cluster({ voters: [1, 2, 3], initial });
  cluster.elect(1);
  const rejections = cluster.sent.filter((message) => message.type === "appendResponse" && message.from === 3 && message.reject);
  assert.ok(rejections.length <= 2, `${rejections.length} rejections`);
  assert.deepEqual(terms(cluster.disk(3).entries), [1, 3, 4]);
});

test("an append message carries at most maxEntriesPerAppend entries", () => {
  const cluster = new Cluster({ voters: [1, 2, 3], config: { maxEntriesPerAppend: 2 } });
  cluster.elect(1);
  cluster.isolate(3);
  for (let count = 0; count < 9; count += 1) cluster.node(1).propose(bytes(`p${count}`));
  cluster.stabilize();
  cluster.heal();
  cluster.tickAll(1);
  const appendsToThree = cluster.sent.filter((message: Message) => message.type === "append" && message.to === 3);
  assert.ok(appendsToThree.every((message) => message.entries.length <= 2));
  assert.equal(payloads(cluster.disk(3).applied).length, 9);
});

test("a follower in replicate state gets at most maxInflightAppends unacknowledged appends", () => {
  const cluster = new Cluster({ voters: [1, 2], config: { maxEntriesPerAppend: 1, maxInflightAppends: 3 } });
  cluster.elect(1);
  const leader = cluster.node(1);
  for (let count = 0; count < 10; count += 1) leader.propose(bytes(`p${count}`));
  cluster.handleReadies();
  const appends = cluster.pending().filter((message) => message.type === "append" && message.to === 2);
  assert.equal(appends.length, 3, "pipelined up to the window, then paused");
  assert.deepEqual(leader.status().progress.get(2)?.state, "replicate");
  cluster.stabilize(); // acknowledgements reopen the window
  assert.equal(cluster.node(2).status().lastIndex, 11);
});

test("committed entries reach every follower, including through heartbeats after a partition", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.elect(1);
  cluster.isolate(2);
  cluster.node(1).propose(bytes("while 2 was away"));
  cluster.stabilize();
  assert.deepEqual(payloads(cluster.disk(2).applied), []);
  cluster.heal();
  cluster.tick(1);
  assert.deepEqual(payloads(cluster.disk(2).applied), ["while 2 was away"]);
});

test("a restarted node keeps its term, vote and log, and re-applies its committed entries", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.elect(1);
  cluster.node(1).propose(bytes("durable"));
  cluster.stabilize();
  const before = cluster.node(2).status();
  const restarted = cluster.restart(2);
  const after = restarted.status();
  assert.deepEqual([after.term, after.vote, after.lastIndex, after.commit], [before.term, before.vote, before.lastIndex, before.commit]);
  assert.equal(after.role, "follower");
  assert.deepEqual(payloads(restarted.ready().committedEntries), ["durable"]);
});

test("a follower may apply entries in the same Ready that carries them, once the leader says they committed", () => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.elect(1);
  const follower = cluster.node(2);
  follower.step(createMessage({ type: "append", from: 1, to: 2, term: 1, logIndex: 1, logTerm: 1, entries: [entry(2, 1, "x")], commit: 2 }));
  const ready = follower.ready();
  assert.deepEqual(ready.entries.map((each) => each.index), [2]);
  assert.deepEqual(ready.committedEntries.map((each) => each.index), [2], "a quorum holds it durably: applying after persisting is safe");
  assert.equal(ready.hardState?.commit, 2);
});

test("a leader told a follower is unreachable stops streaming to it and probes instead", () => {
  const cluster = new Cluster({ voters: [1, 2] });
  cluster.elect(1);
  const leader = cluster.node(1);
  assert.equal(leader.status().progress.get(2)?.state, "replicate");
  leader.step(createMessage({ type: "unreachable", from: 2, to: 1 }));
  assert.equal(leader.status().progress.get(2)?.state, "probe");
});

/** Messages node 1 handed out for node 3 since the last call (taken off the queue, never delivered). */
function takeLeaderMessagesTo3(cluster: Cluster): Message[] {
  cluster.handleReadies();
  const taken = cluster.pending().filter((message) => message.from === 1 && message.to === 3);
  cluster.deliverQueued(); // node 3 is cut off: nothing reaches it
  return taken;
}

test("answers to heartbeats queued while a follower was paused reopen its flow once, not once each", () => {
  const cluster = new Cluster({ voters: [1, 2, 3], config: { maxEntriesPerAppend: 64 } });
  cluster.elect(1);
  cluster.isolate(3); // paused: it reads nothing
  const leader = cluster.node(1);
  for (let count = 0; count < 200; count += 1) leader.propose(bytes(`p${count}`));
  cluster.stabilize();
  leader.step(createMessage({ type: "unreachable", from: 3, to: 1 }));
  assert.equal(leader.status().progress.get(3)?.state, "probe");
  // One tick: a heartbeat, its answer (as if it got through) reopens the probe: one append.
  leader.tick();
  const [heartbeat] = takeLeaderMessagesTo3(cluster).filter((message) => message.type === "heartbeat");
  assert.ok(heartbeat !== undefined);
  leader.step(createMessage({ type: "heartbeatResponse", from: 3, to: 1, term: 1, index: heartbeat.index }));
  const probes = takeLeaderMessagesTo3(cluster).filter((message) => message.type === "append");
  assert.equal(probes.length, 1);
  assert.equal(probes[0]?.entries.length, 64);
  // While 3 is paused, reads send a heartbeat round each; then it answers them all at once.
  for (let read = 0; read < 50; read += 1) leader.readIndex(bytes(`read ${read}`));
  const queued = takeLeaderMessagesTo3(cluster).filter((message) => message.type === "heartbeat");
  assert.equal(queued.length, 50);
  for (const each of queued) leader.step(createMessage({ type: "heartbeatResponse", from: 3, to: 1, term: 1, index: each.index, context: each.context }));
  const resent = takeLeaderMessagesTo3(cluster).filter((message) => message.type === "append");
  assert.equal(resent.length, 0, "heartbeats sent no later than the probe say nothing about it: no resend");
  // A heartbeat sent after the probe, answered while the probe is not: it was lost, probe again.
  leader.tick();
  const [later] = takeLeaderMessagesTo3(cluster).filter((message) => message.type === "heartbeat");
  assert.ok(later !== undefined);
  for (let copy = 0; copy < 5; copy += 1) leader.step(createMessage({ type: "heartbeatResponse", from: 3, to: 1, term: 1, index: later.index }));
  assert.equal(takeLeaderMessagesTo3(cluster).filter((message) => message.type === "append").length, 1);
});

test("appends carry at most maxAppendBytes of entries, and a follower holds at most maxInflightBytes unacknowledged", () => {
  const cluster = new Cluster({ voters: [1, 2, 3], config: { maxEntriesPerAppend: 1000, maxInflightAppends: 1000, maxAppendBytes: 100, maxInflightBytes: 450 } });
  cluster.elect(1);
  cluster.isolate(3);
  const leader = cluster.node(1);
  const big = "x".repeat(150);
  leader.propose(bytes(big)); // larger than maxAppendBytes: still sent, alone
  for (let count = 0; count < 100; count += 1) leader.propose(bytes(`entry ${String(count).padStart(4, "0")}`)); // 10 bytes each
  cluster.stabilize();
  // Node 3 comes back, is probed, answers the probe, and stops reading again (paused).
  leader.step(createMessage({ type: "unreachable", from: 3, to: 1 }));
  leader.tick();
  const [heartbeat] = takeLeaderMessagesTo3(cluster).filter((message) => message.type === "heartbeat");
  assert.ok(heartbeat !== undefined);
  leader.step(createMessage({ type: "heartbeatResponse", from: 3, to: 1, term: 1, index: heartbeat.index }));
  const [probe] = takeLeaderMessagesTo3(cluster).filter((message) => message.type === "append");
  assert.equal(probe?.logIndex, 1);
  assert.deepEqual(probe?.entries.map((each) => each.data.length), [150], "the oversized entry goes alone");
  leader.step(createMessage({ type: "appendResponse", from: 3, to: 1, term: 1, index: 2 }));
  assert.equal(leader.status().progress.get(3)?.state, "replicate");
  const appends = takeLeaderMessagesTo3(cluster).filter((message) => message.type === "append");
  const sizes = appends.map((message) => message.entries.reduce((sum, each) => sum + each.data.length, 0));
  assert.ok(sizes.every((size) => size <= 100), `append sizes ${sizes.join(",")}`);
  const sent = sizes.reduce((sum, size) => sum + size, 0);
  assert.ok(sent >= 450 && sent < 450 + 100, `${sent} bytes in flight: the window closes once 450 are out`);
  assert.ok(leader.status().lastIndex > 2 + appends.reduce((sum, message) => sum + message.entries.length, 0), "the rest waits for acknowledgements");
  const firstLast = appends[0]?.entries.at(-1)?.index ?? 0;
  leader.step(createMessage({ type: "appendResponse", from: 3, to: 1, term: 1, index: firstLast }));
  const more = takeLeaderMessagesTo3(cluster).filter((message) => message.type === "append");
  assert.ok(more.length > 0 && more.length <= 2, `an acknowledgement reopens the window by what it freed (${more.length} appends)`);
});
