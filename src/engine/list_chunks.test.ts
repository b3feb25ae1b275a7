import { test } from "node:test";
import assert from "node:assert/strict";
import { Random } from "../lib/seeded_random.js";
import { ChunkedList, NODE_BYTES_MAX } from "./list_chunks.js";
import { pack } from "./list_packed.js";

function assertSame(list: ChunkedList, model: string[], context: string): void {
  assert.equal(list.length, model.length, `${context}: length`);
  assert.deepEqual(list.toArray(), model, `${context}: contents`);
  assert.deepEqual([...list], model, `${context}: iteration`);
  for (let i = -1; i <= model.length; i += Math.max(1, Math.floor(model.length / 50))) assert.equal(list.at(i), model[i], `${context}: at(${i})`);
  assert.equal(list.at(model.length - 1), model[model.length - 1], `${context}: at(last)`);
}

test("a chunked list spreads elements over 8 KB nodes and answers as an array across node boundaries", () => {
  const model = Array.from({ length: 5000 }, (_, at) => `element-${at}`); // about 12 bytes packed: 7 nodes
  const list = ChunkedList.from(model);
  assertSame(list, model, "built");
  assert.deepEqual(list.slice(680, 700), model.slice(680, 700), "a slice across a node boundary");
  list.set(2500, "x".repeat(NODE_BYTES_MAX)); // too long for a node: the node grows past 8 KB
  model[2500] = "x".repeat(NODE_BYTES_MAX);
  list.set(10, "y".repeat(40_000)); // too long for a frame: the list is rebuilt with a plain node
  model[10] = "y".repeat(40_000);
  assertSame(list, model, "after sets");
  for (let step = 0; step < 2000; step++) {
    assert.equal(list.pop("head"), model.shift(), `pop head ${step}`);
    assert.equal(list.pop("tail"), model.pop(), `pop tail ${step}`);
  }
  assertSame(list, model, "after pops");
  list.push("head", ["z".repeat(50_000), "a", "b"]);
  model.unshift("b", "a", "z".repeat(50_000));
  assertSame(list, model, "after pushes with a plain node");
  while (list.length > 0) assert.equal(list.pop("head"), model.shift());
  assert.equal(list.pop("tail"), undefined);
});

test("a chunked list made from a compact list's string continues it, and its clone shares no changes", () => {
  const first = ["a", "b", "c"];
  const list = ChunkedList.fromPacked(pack(first), first.length);
  const model = [...first];
  const random = new Random(99);
  for (let step = 0; step < 3000; step++) {
    const element = `e${step}`.repeat(1 + random.below(40));
    if (random.below(2) === 0) {
      list.push("tail", [element]);
      model.push(element);
    } else {
      list.push("head", [element]);
      model.unshift(element);
    }
  }
  const copy = list.clone();
  copy.set(1500, "changed");
  copy.pop("head");
  copy.push("tail", ["new"]);
  assertSame(list, model, "the original");
  assert.equal(copy.at(1499), "changed");
  assert.equal(copy.at(copy.length - 1), "new");
});
