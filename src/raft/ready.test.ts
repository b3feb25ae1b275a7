import { test } from "node:test";
import * as assert from "node:assert/strict";
import { RaftNode } from "./raft.js";
import { MAX_COMMITTED_ENTRIES_PER_READY } from "./ready.js";
import { bytes, entry, testConfig } from "./testing.js";
import type { Entry } from "./types.js";

function soloNode(entries: Entry[] = [], commit = 0): RaftNode {
  const confState = { voters: [1], learners: [] };
  const term = entries[entries.length - 1]?.term ?? 0;
  return new RaftNode(testConfig(1), { hardState: { term, vote: 0, commit }, confState, snapshot: { index: 0, term: 0, confState }, entries });
}

test("a Ready hands out each entry and message once, even before it is advanced", () => {
  const node = soloNode();
  node.campaign();
  const first = node.ready();
  assert.deepEqual(first.entries.map((each) => each.index), [1]);
  assert.deepEqual(first.committedEntries.map((each) => each.index), [1], "a sole voter commits what it hands out");
  node.propose(bytes("a"));
  const second = node.ready();
  assert.deepEqual(second.entries.map((each) => each.index), [2], "only what is new since the first");
  assert.deepEqual(second.committedEntries.map((each) => each.index), [2], "only what is new since the first");
  assert.deepEqual(second.hardState, { term: 1, vote: 1, commit: 2 });
  node.advance(first);
  node.advance(second);
  assert.equal(node.hasReady(), false);
  assert.equal(node.status().applied, 2);
});

test("the first Ready of a restarted node re-applies the committed entries after its snapshot", () => {
  const node = soloNode([entry(1, 1), entry(2, 1, "x"), entry(3, 1)], 2);
  assert.equal(node.hasReady(), true);
  const ready = node.ready();
  assert.deepEqual(ready.entries, [], "they are already durable");
  assert.deepEqual(ready.committedEntries.map((each) => each.index), [1, 2]);
  assert.equal(ready.hardState, null);
});

test("a Ready carries a bounded number of committed entries; the rest follow", () => {
  const count = MAX_COMMITTED_ENTRIES_PER_READY + 5;
  const entries = Array.from({ length: count }, (_, offset) => entry(offset + 1, 1));
  const node = soloNode(entries, count);
  const first = node.ready();
  assert.equal(first.committedEntries.length, MAX_COMMITTED_ENTRIES_PER_READY);
  node.advance(first);
  const second = node.ready();
  assert.equal(second.committedEntries.length, 5);
  node.advance(second);
  assert.equal(node.status().applied, count);
  assert.equal(node.hasReady(), false);
});

test("a soft state change (a new role) is reported once", () => {
  const node = soloNode();
  node.campaign();
  assert.deepEqual(node.ready().softState, { leader: 1, role: "leader" });
  node.propose(bytes("b"));
  assert.equal(node.ready().softState, null);
});
