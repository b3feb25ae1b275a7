import { test } from "node:test";
import assert from "node:assert/strict";
import { Random } from "../lib/seeded_random.js";
import { ListDeque } from "./list_deque.js";

/** Checks every observable of `list` against the plain array `model`. */
function assertSame(list: ListDeque, model: string[], context: string): void {
  assert.equal(list.length, model.length, `${context}: length`);
  assert.deepEqual(list.toArray(), model, `${context}: contents`);
  assert.deepEqual([...list], model, `${context}: iteration`);
  for (let i = -1; i <= model.length; i++) assert.equal(list.at(i), model[i], `${context}: at(${i})`);
}

test("ListDeque behaves as a plain array under a long random run of pushes, pops, sets and slices at both ends", () => {
  const seed = Math.floor(Math.random() * 2 ** 32) >>> 0;
  const random = new Random(seed);
  const list = new ListDeque();
  const model: string[] = [];
  for (let step = 0; step < 20_000; step++) {
    const context = `seed ${seed} step ${step}`;
    const operation = random.below(100);
    // Drift towards growth for a while, then towards shrinking, so the buffer both doubles and halves.
    const growing = Math.floor(step / 2_000) % 2 === 0;
    if (operation < (growing ? 30 : 15)) {
      const element = `h${step}`;
      list.pushHead(element);
      model.unshift(element);
    } else if (operation < (growing ? 60 : 30)) {
      const element = `t${step}`;
      list.pushTail(element);
      model.push(element);
    } else if (operation < 75) {
      assert.equal(list.popHead(), model.shift(), `${context}: popHead`);
    } else if (operation < 90) {
      assert.equal(list.popTail(), model.pop(), `${context}: popTail`);
    } else if (operation < 95 && model.length > 0) {
      const at = random.below(model.length);
      list.set(at, `s${step}`);
      model[at] = `s${step}`;
    } else {
      const first = random.below(model.length + 2) - 1;
      const end = random.below(model.length + 2);
      assert.deepEqual(list.slice(first, end), model.slice(Math.max(0, first), Math.max(0, end)), `${context}: slice`);
    }
    if (step % 97 === 0) assertSame(list, model, context);
  }
  assertSame(list, model, `seed ${seed} end`);
});

test("ListDeque.from copies its array and clone shares no storage", () => {
  const source = ["a", "b", "c"];
  const list = ListDeque.from(source);
  source[0] = "changed";
  assert.deepEqual(list.toArray(), ["a", "b", "c"]);
  const copy = list.clone();
  copy.pushHead("z");
  copy.set(1, "A");
  assert.deepEqual(list.toArray(), ["a", "b", "c"]);
  assert.deepEqual(copy.toArray(), ["z", "A", "b", "c"]);
});

test("ListDeque pops undefined when empty and refuses to set outside the list", () => {
  const list = new ListDeque();
  assert.equal(list.popHead(), undefined);
  assert.equal(list.popTail(), undefined);
  assert.throws(() => list.set(0, "x"));
  list.pushTail("x");
  assert.throws(() => list.set(1, "y"));
  assert.throws(() => list.set(-1, "y"));
});
