import { test } from "node:test";
import * as assert from "node:assert/strict";
import { RaftLog } from "./log.js";
import { entry } from "./testing.js";
import type { Entry } from "./types.js";

const NO_MEMBERS = { voters: [], learners: [] };

function logWith(terms: number[], committed = 0): RaftLog {
  const entries = terms.map((term, offset) => entry(offset + 1, term));
  return new RaftLog({ snapshot: { index: 0, term: 0, confState: NO_MEMBERS }, entries, committed });
}

function termsOf(entries: readonly Entry[]): number[] {
  return entries.map((each) => each.term);
}

test("term lookup knows the snapshot's term and nothing before it or past the end", () => {
  const log = new RaftLog({ snapshot: { index: 3, term: 2, confState: NO_MEMBERS }, entries: [entry(4, 2), entry(5, 3)], committed: 3 });
  assert.equal(log.term(3), 2);
  assert.equal(log.term(5), 3);
  assert.equal(log.term(2), undefined);
  assert.equal(log.term(6), undefined);
  assert.equal(log.firstIndex(), 4);
  assert.equal(log.lastIndex(), 5);
});

test("findConflict names the first entry that differs or is new, or 0", () => {
  const log = logWith([1, 1, 2]);
  assert.equal(log.findConflict([entry(2, 1), entry(3, 2)]), 0);
  assert.equal(log.findConflict([entry(2, 1), entry(3, 3)]), 3);
  assert.equal(log.findConflict([entry(3, 2), entry(4, 2)]), 4);
});

test("findConflictByTerm skips back over every entry of a newer term", () => {
  const log = logWith([1, 1, 2, 2, 5, 5, 5]);
  assert.equal(log.findConflictByTerm(7, 4), 4);
  assert.equal(log.findConflictByTerm(7, 1), 2);
  assert.equal(log.findConflictByTerm(7, 0), 0);
  assert.equal(log.findConflictByTerm(20, 5), 7, "clamped to the last index");
});

test("maybeAppend refuses a mismatched previous entry and leaves the log alone", () => {
  const log = logWith([1, 1]);
  assert.equal(log.maybeAppend({ previousIndex: 2, previousTerm: 2, leaderCommit: 0, entries: [entry(3, 2)] }), undefined);
  assert.deepEqual(termsOf(log.entriesAfter(0)), [1, 1]);
});

test("maybeAppend overwrites a conflicting suffix, keeps a matching one, and commits at most the new entries", () => {
  const log = logWith([1, 1, 1, 1]);
  log.stableTo(4, 1);
  const outcome = log.maybeAppend({ previousIndex: 1, previousTerm: 1, leaderCommit: 9, entries: [entry(2, 1), entry(3, 2)] });
  assert.deepEqual(outcome, { lastIndex: 3, truncatedFrom: 3 });
  assert.deepEqual(termsOf(log.entriesAfter(0)), [1, 1, 2]);
  assert.equal(log.committed, 3);
  assert.equal(log.stableIndex, 2, "the overwritten entry is no longer durable");
  const stale = log.maybeAppend({ previousIndex: 0, previousTerm: 0, leaderCommit: 3, entries: [entry(1, 1)] });
  assert.deepEqual(stale, { lastIndex: 1, truncatedFrom: 0 });
  assert.equal(log.lastIndex(), 3, "a shorter, matching append never truncates");
});

test("maybeCommit commits only an entry of the given term", () => {
  const log = logWith([1, 2]);
  assert.equal(log.maybeCommit(1, 2), false);
  assert.equal(log.maybeCommit(2, 2), true);
  assert.equal(log.committed, 2);
});

test("stableTo ignores an entry that was overwritten since it was handed out", () => {
  const log = logWith([1]);
  log.append([entry(2, 1)]);
  log.append([entry(2, 2)]);
  log.stableTo(2, 1);
  assert.equal(log.stableIndex, 1);
  log.stableTo(2, 2);
  assert.equal(log.stableIndex, 2);
});

test("compact drops applied entries but keeps the boundary's term", () => {
  const log = logWith([1, 1, 2, 2], 3);
  log.appliedTo(3);
  log.compact({ index: 3, term: 2, confState: NO_MEMBERS });
  assert.equal(log.firstIndex(), 4);
  assert.equal(log.term(3), 2);
  assert.equal(log.entriesFrom(2, 10), undefined);
  assert.deepEqual(termsOf(log.entriesFrom(4, 10) ?? []), [2]);
  assert.throws(() => log.compact({ index: 4, term: 2, confState: NO_MEMBERS }), /beyond applied/);
});

test("compacting a few entries at a time keeps the log whole across many compactions", () => {
  const log = logWith([1]);
  let term = 1;
  for (let index = 2; index <= 5000; index++) {
    if (index % 997 === 0) term += 1;
    log.append([entry(index, term)]);
    log.commitTo(index);
    log.appliedTo(index);
    if (index % 3 === 0) log.compact({ index: index - 2, term: log.term(index - 2) as number, confState: NO_MEMBERS });
  }
  assert.equal(log.firstIndex(), 4997);
  assert.equal(log.size, 4);
  assert.equal(log.term(4996), 6);
  assert.deepEqual(log.slice(4997, 5001).map((each) => each.index), [4997, 4998, 4999, 5000]);
  log.append([entry(5001, 7)]);
  assert.deepEqual(termsOf(log.entriesFrom(4999, 10) ?? []), [6, 6, 7]);
});

test("compact lets go of the dropped entries at once", () => {
  const log = logWith([1, 1, 1, 1], 4);
  log.appliedTo(4);
  log.compact({ index: 3, term: 1, confState: NO_MEMBERS });
  assert.equal(log.size, 1);
  // The array keeps its slots until they are half of it, but no longer the entries.
  const internals = (log as unknown as { entries: unknown[] }).entries;
  assert.equal(internals.filter((each) => each !== undefined).length, 1);
});

test("restore replaces the log with a snapshot", () => {
  const log = logWith([1, 1], 1);
  log.restore({ index: 10, term: 3, confState: NO_MEMBERS });
  assert.equal(log.lastIndex(), 10);
  assert.equal(log.lastTerm(), 3);
  assert.equal(log.committed, 10);
  assert.equal(log.stableIndex, 10);
});

test("isUpToDate compares the last term first, then the last index (§5.4.1)", () => {
  const log = logWith([1, 2, 2]);
  assert.equal(log.isUpToDate(1, 3), true);
  assert.equal(log.isUpToDate(3, 2), true);
  assert.equal(log.isUpToDate(2, 2), false);
  assert.equal(log.isUpToDate(9, 1), false);
});
