import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeConfChange } from "../raft/conf_change.js";
import type { Entry } from "../raft/types.js";
import { DurableLog, ENTRY_OVERHEAD_BYTES } from "./durable_log.js";

const MEMBERS = { voters: [1], learners: [] };
const HARD_STATE = { term: 1, vote: 1, commit: 0 };

function entry(index: number, dataBytes = 10, term = 1): Entry {
  return { index, term, type: "normal", data: new Uint8Array(dataBytes) };
}

function logOf(count: number, dataBytes = 10): DurableLog {
  const log = new DurableLog({ index: 0, term: 0, confState: MEMBERS }, [], HARD_STATE);
  log.append(Array.from({ length: count }, (_, position) => entry(position + 1, dataBytes)), null);
  return log;
}

test("a node alone may release every entry both applied and written, and no more", () => {
  const log = logOf(100);
  assert.equal(log.releasableThrough({ appliedIndex: 80, writtenIndex: 90, windowBytes: 0 }), 80);
  assert.equal(log.releasableThrough({ appliedIndex: 95, writtenIndex: 60, windowBytes: 0 }), 60);
  assert.equal(log.releasableThrough({ appliedIndex: 200, writtenIndex: 200, windowBytes: 0 }), 100);
});

test("a cluster member keeps the newest window of applied entries", () => {
  const perEntry = 10 + ENTRY_OVERHEAD_BYTES;
  const log = logOf(100);
  assert.equal(log.releasableThrough({ appliedIndex: 100, writtenIndex: 100, windowBytes: 30 * perEntry }), 70);
  assert.equal(log.releasableThrough({ appliedIndex: 50, writtenIndex: 100, windowBytes: 30 * perEntry }), 50, "unapplied entries stay");
  assert.equal(log.releasableThrough({ appliedIndex: 100, writtenIndex: 100, windowBytes: 1000 * perEntry }), 0);
});

test("releasing counts down the memory held and moves the start, with the entry's term", () => {
  const log = logOf(10, 50);
  assert.deepEqual(log.memory(), { entries: 10, bytes: 10 * (50 + ENTRY_OVERHEAD_BYTES) });
  const start = log.release(4);
  assert.equal(start.index, 4);
  assert.equal(start.term, 1);
  assert.equal(log.startIndex, 4);
  assert.deepEqual(log.memory(), { entries: 6, bytes: 6 * (50 + ENTRY_OVERHEAD_BYTES) });
  assert.deepEqual(log.entriesAfter(7).map((each) => each.index), [8, 9, 10]);
  assert.throws(() => log.entriesAfter(3), /released/);
  assert.deepEqual(log.initialState(MEMBERS).entries.map((each) => each.index), [5, 6, 7, 8, 9, 10]);
  assert.equal(log.initialState(MEMBERS).snapshot.index, 4);
});

test("an overwritten suffix stops counting, and thousands of small releases keep the log whole", () => {
  const log = logOf(10, 50);
  log.append([entry(6, 1, 2)], null);
  assert.deepEqual(log.memory(), { entries: 6, bytes: 5 * (50 + ENTRY_OVERHEAD_BYTES) + 1 + ENTRY_OVERHEAD_BYTES });
  for (let index = 7; index <= 10_000; index++) {
    log.append([entry(index, 1, 2)], null);
    if (index % 5 === 0) log.release(index - 3);
  }
  assert.equal(log.startIndex, 9997);
  assert.deepEqual(log.memory(), { entries: 3, bytes: 3 * (1 + ENTRY_OVERHEAD_BYTES) });
  assert.equal(log.lastIndex, 10_000);
});

test("the start carries the membership as of it, with released changes folded in", () => {
  const log = new DurableLog({ index: 0, term: 0, confState: MEMBERS }, [], HARD_STATE);
  const addTwo: Entry = { index: 2, term: 1, type: "confChange", data: encodeConfChange({ type: "addVoter", node: 2, address: "127.0.0.1:7001" }) };
  const addThree: Entry = { index: 4, term: 1, type: "confChange", data: encodeConfChange({ type: "addLearner", node: 3, address: "127.0.0.1:7002" }) };
  log.append([entry(1), addTwo, entry(3), addThree, entry(5)], null);
  assert.deepEqual(log.release(3).confState, { voters: [1, 2], learners: [] });
  assert.deepEqual(log.release(5).confState, { voters: [1, 2], learners: [3] });
});

test("a checkpoint ahead of the log replaces it; one behind its start changes nothing", () => {
  const log = logOf(10);
  log.compact({ index: 5, term: 1, confState: MEMBERS });
  assert.equal(log.startIndex, 5);
  log.compact({ index: 3, term: 1, confState: MEMBERS });
  assert.equal(log.startIndex, 5);
  log.compact({ index: 20, term: 2, confState: MEMBERS });
  assert.deepEqual(log.memory(), { entries: 0, bytes: 0 });
  assert.equal(log.lastIndex, 20);
});
