import { test } from "node:test";
import assert from "node:assert/strict";
import { seededRandom } from "../lib/seeded_random.js";
import { compareElements, SortedSet, type ScoredMember } from "./sorted_set.js";

/** The obvious model: an array kept sorted by (score, member). */
class NaiveSortedSet {
  elements: Array<[string, number]> = [];

  add(member: string, score: number): boolean {
    const stored = score === 0 ? 0 : score;
    const at = this.elements.findIndex(([existing]) => existing === member);
    if (at >= 0) this.elements.splice(at, 1);
    this.elements.push([member, stored]);
    this.elements.sort(([ma, sa], [mb, sb]) => compareElements(sa, ma, sb, mb));
    return at < 0;
  }

  delete(member: string): boolean {
    const at = this.elements.findIndex(([existing]) => existing === member);
    if (at >= 0) this.elements.splice(at, 1);
    return at >= 0;
  }
}

function pairs(elements: Iterable<ScoredMember>): Array<[string, number]> {
  return [...elements].map(([member, score]) => [member, score]);
}

test("a sorted set orders by score, then bytewise by member, and answers ranks both ways", () => {
  const sorted = new SortedSet();
  assert.equal(sorted.add("b", 2), true);
  assert.equal(sorted.add("a", 2), true);
  assert.equal(sorted.add("\xff", -1), true);
  assert.equal(sorted.add("c", Infinity), true);
  assert.equal(sorted.add("b", 2), false, "same score: nothing changes");
  assert.deepEqual(pairs(sorted.entries()), [["\xff", -1], ["a", 2], ["b", 2], ["c", Infinity]]);
  assert.equal(sorted.rank("b"), 2);
  assert.equal(sorted.rank("nope"), undefined);
  assert.deepEqual(sorted.at(0), ["\xff", -1]);
  assert.equal(sorted.at(4), undefined);
  assert.deepEqual(sorted.slice(2, 10, { reverse: true }), [["b", 2], ["a", 2], ["\xff", -1]]);
  assert.equal(sorted.countWhile((_member, score) => score < 2), 1);
  assert.deepEqual(sorted.last(), ["c", Infinity]);
  assert.equal(sorted.add("a", 5), false, "moving a member is not adding one");
  assert.deepEqual(pairs(sorted.entries()), [["\xff", -1], ["b", 2], ["a", 5], ["c", Infinity]]);
});

test("-0 is stored as 0, and a NaN score is refused as a bug", () => {
  const sorted = new SortedSet();
  sorted.add("z", -0);
  assert.ok(Object.is(sorted.score("z"), 0));
  assert.throws(() => sorted.add("n", NaN), /never NaN/);
});

test("a clone shares nothing: changing one leaves the other as it was, and equal sets are deepEqual", () => {
  const original = new SortedSet();
  for (let i = 0; i < 200; i++) original.add(`m${i}`, i % 7);
  const copy = original.clone();
  assert.deepEqual(copy, original, "same elements, same shape, however they were built");
  copy.delete("m5");
  copy.add("new", 3);
  original.add("m1", 100);
  assert.equal(copy.size, 200);
  assert.equal(copy.has("m5"), false);
  assert.equal(original.has("m5"), true);
  assert.equal(copy.score("m1"), 1);
  assert.equal(original.rank("m1"), 199);
});

test("10,000 random adds, moves and deletes agree with a naive sorted array at every step", () => {
  const random = seededRandom(20261207);
  const sorted = new SortedSet();
  const naive = new NaiveSortedSet();
  const scoreChoices = [-Infinity, Infinity, 0, -0, 1, 1.5, -2.25, 1e300];
  for (let step = 0; step < 10_000; step++) {
    const member = `m${Math.floor(random() * 300)}`;
    const roll = random();
    if (roll < 0.6) {
      const score = random() < 0.5 ? scoreChoices[Math.floor(random() * scoreChoices.length)]! : Math.floor(random() * 50) - 25;
      assert.equal(sorted.add(member, score), naive.add(member, score), `add ${member} ${score} at step ${step}`);
    } else {
      assert.equal(sorted.delete(member), naive.delete(member), `delete ${member} at step ${step}`);
    }
    assert.equal(sorted.size, naive.elements.length);
    if (step % 97 === 0 || sorted.size < 3) {
      assert.deepEqual(pairs(sorted.entries()), naive.elements, `order at step ${step}`);
      assert.deepEqual(pairs(sorted.clone().entries()), naive.elements, `clone at step ${step}`);
    }
    const rankProbe = naive.elements.findIndex(([existing]) => existing === member);
    assert.equal(sorted.rank(member), rankProbe < 0 ? undefined : rankProbe);
    const at = Math.floor(random() * (naive.elements.length + 1));
    assert.deepEqual(sorted.at(at), naive.elements[at]);
    const bound = Math.floor(random() * 50) - 25;
    assert.equal(
      sorted.countWhile((_m, score) => score <= bound),
      naive.elements.filter(([, score]) => score <= bound).length,
    );
    assert.deepEqual(pairs(sorted.slice(at, 5)), naive.elements.slice(at, at + 5));
    const reversed = at < naive.elements.length ? naive.elements.slice(Math.max(0, at - 2), at + 1).reverse() : [];
    assert.deepEqual(pairs(sorted.slice(at, 3, { reverse: true })), reversed);
    assert.deepEqual(sorted.last(), naive.elements[naive.elements.length - 1]);
  }
});

test("a large set keeps ranks exact after many deletes (the spans stay right)", () => {
  const sorted = new SortedSet();
  for (let i = 0; i < 5000; i++) sorted.add(`k${i}`, i);
  for (let i = 0; i < 5000; i += 3) sorted.delete(`k${i}`);
  let expectedRank = 0;
  for (let i = 0; i < 5000; i++) {
    if (i % 3 === 0) continue;
    assert.equal(sorted.rank(`k${i}`), expectedRank);
    assert.deepEqual(sorted.at(expectedRank), [`k${i}`, i]);
    expectedRank += 1;
  }
});
