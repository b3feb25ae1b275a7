import { test } from "node:test";
import assert from "node:assert/strict";
import { seededRandom } from "../lib/seeded_random.js";
import { compareElements, COMPACT_ENTRIES_MAX, COMPACT_MEMBER_BYTES_MAX, SortedSet, type ScoredMember } from "./sorted_set.js";

function pairs(elements: Iterable<ScoredMember>): Array<[string, number]> {
  return [...elements].map(([member, score]) => [member, score]);
}

test("a small sorted set stays compact through random adds, moves and deletes, and answers as a sorted array", () => {
  const random = seededRandom(7);
  const sorted = new SortedSet();
  let model: Array<[string, number]> = [];
  for (let step = 0; step < 5000; step++) {
    const member = `m${Math.floor(random() * 100)}`;
    const at = model.findIndex(([existing]) => existing === member);
    if (random() < 0.6) {
      const score = [-Infinity, Infinity, 0, -0, 2.5][Math.floor(random() * 7)] ?? Math.floor(random() * 10);
      const stored = score === 0 ? 0 : score;
      assert.equal(sorted.add(member, score), at < 0, `add ${member} at step ${step}`);
      model = model.filter(([existing]) => existing !== member);
      model.push([member, stored]);
      model.sort(([ma, sa], [mb, sb]) => compareElements(sa, ma, sb, mb));
    } else {
      assert.equal(sorted.delete(member), at >= 0, `delete ${member} at step ${step}`);
      model = model.filter(([existing]) => existing !== member);
    }
    assert.ok(sorted.isCompact);
    assert.deepEqual(pairs(sorted.entries()), model);
    const probe = model.findIndex(([existing]) => existing === member);
    assert.equal(sorted.rank(member), probe < 0 ? undefined : probe);
    assert.equal(sorted.score(member), probe < 0 ? undefined : model[probe]![1]);
    const bound = Math.floor(random() * 10);
    assert.equal(sorted.countWhile((_m, score) => score < bound), model.filter(([, score]) => score < bound).length);
    const start = Math.floor(random() * (model.length + 1));
    assert.deepEqual(pairs(sorted.slice(start, 4)), model.slice(start, start + 4));
    const reversed = start < model.length ? model.slice(Math.max(0, start - 3), start + 1).reverse() : [];
    assert.deepEqual(pairs(sorted.slice(start, 4, { reverse: true })), reversed);
    assert.deepEqual(sorted.last(), model[model.length - 1]);
  }
});

test("a sorted set takes the skip list past 128 members or with a member over 64 bytes, and never goes back", () => {
  const sorted = new SortedSet();
  for (let i = 0; i < COMPACT_ENTRIES_MAX; i++) sorted.add(`m${i}`, COMPACT_ENTRIES_MAX - i);
  assert.ok(sorted.isCompact, "128 members fit");
  sorted.add("one more", 0);
  assert.equal(sorted.isCompact, false);
  assert.deepEqual(sorted.at(0), ["one more", 0]);
  assert.equal(sorted.rank("m0"), COMPACT_ENTRIES_MAX);
  for (let i = 0; i < COMPACT_ENTRIES_MAX; i++) sorted.delete(`m${i}`);
  assert.equal(sorted.isCompact, false, "shrinking does not convert back");
  assert.equal(sorted.clone().isCompact, false, "a clone keeps the representation");

  const long = new SortedSet();
  long.add("a".repeat(COMPACT_MEMBER_BYTES_MAX), 1);
  assert.ok(long.isCompact, "64 bytes fit");
  long.add("b".repeat(COMPACT_MEMBER_BYTES_MAX + 1), 0);
  assert.equal(long.isCompact, false);
  assert.deepEqual(pairs(long.entries()), [["b".repeat(65), 0], ["a".repeat(64), 1]]);
});

test("a clone of a compact set shares nothing with it, and equal compact sets are deepEqual", () => {
  const original = new SortedSet();
  for (let i = 0; i < 50; i++) original.add(`m${i}`, i % 5);
  const copy = original.clone();
  const rebuilt = new SortedSet();
  for (let i = 49; i >= 0; i--) rebuilt.add(`m${i}`, i % 5);
  assert.deepEqual(copy, original);
  assert.deepEqual(rebuilt, original, "built in another order");
  copy.delete("m5");
  copy.add("m1", 100);
  assert.equal(original.has("m5"), true);
  assert.equal(original.score("m1"), 1);
  assert.equal(copy.rank("m1"), 48);
  assert.notDeepEqual(copy, original);
});
