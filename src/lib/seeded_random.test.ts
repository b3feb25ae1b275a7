import { test } from "node:test";
import assert from "node:assert/strict";
import { Random } from "./seeded_random.js";

test("the same seed gives the same sequence", () => {
  const first = new Random(42);
  const second = new Random(42);
  for (let i = 0; i < 100; i++) assert.equal(first.nextUint32(), second.nextUint32());
});

test("different seeds give different sequences", () => {
  assert.notEqual(new Random(1).nextUint32(), new Random(2).nextUint32());
  assert.notEqual(new Random(1).nextUint32(), new Random(2 ** 32 + 1).nextUint32());
});

test("helpers stay within their bounds", () => {
  const random = new Random(7);
  for (let i = 0; i < 1000; i++) {
    const float = random.next();
    assert.ok(float >= 0 && float < 1);
    const int = random.below(5);
    assert.ok(Number.isInteger(int) && int >= 0 && int < 5);
    const between = random.between(3, 4);
    assert.ok(between === 3 || between === 4);
  }
  assert.equal(random.chance(0), false);
  assert.equal(random.chance(1), true);
});

test("shuffle is a permutation and leaves its input alone", () => {
  const items = [1, 2, 3, 4, 5, 6];
  const shuffled = new Random(3).shuffle(items);
  assert.deepEqual(items, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...shuffled].sort(), items);
});

test("a fork is independent of the draws its parent makes afterwards", () => {
  const parent = new Random(9);
  const child = parent.fork();
  const expected = new Random(9).fork().nextUint32();
  parent.nextUint32();
  assert.equal(child.nextUint32(), expected);
});
