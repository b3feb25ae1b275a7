import { test } from "node:test";
import assert from "node:assert/strict";
import { AssertionError } from "../lib/assert.js";
import type { Collection, CollectionType } from "./collection.js";
import { DEFAULT_COLLECTION, Engine } from "./engine.js";
import { Item, NO_EXPIRY } from "./values.js";
import { ListDeque } from "./list_deque.js";

function stringItem(value: string, version: number, expiresAtMs = NO_EXPIRY): Item {
  return new Item({ kind: "string", value }, version, expiresAtMs);
}

function listItem(elements: string[], version: number): Item {
  return new Item({ kind: "list", value: ListDeque.from(elements) }, version, NO_EXPIRY);
}

/**
 * The contents of a collection as plain data, values copied, in key order: a hash
 * collection's iteration order is not part of its state (rollback re-inserts a deleted
 * key at the end, as loading a checkpoint reorders keys too).
 */
function snapshot(collection: Collection): unknown {
  const sorted = [...collection.entries()].sort(([left], [right]) => (left < right ? -1 : 1));
  const entries = sorted.map(([key, item]) => [
    key,
    item.value instanceof ListDeque ? item.value.toArray() : item.value,
    item.version,
    item.expiresAtMs,
  ]);
  return { entries, volatileKeys: [...collection.volatileKeys].sort() };
}

for (const type of ["hash", "ordered"] as CollectionType[]) {
  function engineWith(): { engine: Engine; collection: Collection } {
    const engine = new Engine();
    engine.createCollection("c", type);
    const collection = engine.requireCollection("c");
    collection.put("a", stringItem("1", 1));
    collection.put("b", stringItem("2", 2, 5000));
    collection.put("list", listItem(["x", "y"], 3));
    return { engine, collection };
  }

  test(`rolling back a batch restores puts, deletes and in-place updates in a ${type} collection`, () => {
    const { engine, collection } = engineWith();
    const before = snapshot(collection);
    engine.beginBatch();
    collection.put("a", stringItem("changed", 10));
    collection.put("a", stringItem("again", 10));
    collection.delete("b");
    collection.put("new", stringItem("n", 10, 9000));
    const list = collection.itemForUpdate("list")!;
    (list.value as ListDeque).pushTail("z");
    list.version = 10;
    collection.put("list", list);
    (collection.itemForUpdate("list")!.value as ListDeque).popHead(); // a second touch, in place again
    engine.rollbackBatch();
    assert.deepEqual(snapshot(collection), before);
    assert.equal(collection.journal, null);
  });

  test(`rolling back a batch restores a cleared ${type} collection`, () => {
    const { engine, collection } = engineWith();
    const before = snapshot(collection);
    engine.beginBatch();
    collection.put("a", stringItem("changed", 10));
    collection.clear();
    collection.put("a", stringItem("after-clear", 10));
    collection.put("fresh", stringItem("f", 10, 7000));
    engine.rollbackBatch();
    assert.deepEqual(snapshot(collection), before);
  });

  test(`committing a batch keeps its changes in a ${type} collection`, () => {
    const { engine, collection } = engineWith();
    engine.beginBatch();
    collection.put("a", stringItem("changed", 10));
    collection.delete("b");
    engine.commitBatch();
    assert.equal(collection.get("a")?.value, "changed");
    assert.equal(collection.get("b"), undefined);
    assert.equal(collection.journal, null);
    collection.put("c", stringItem("later", 11)); // no journal: nothing records
  });

  test(`an open view of a ${type} collection is unaffected by a rolled back batch`, () => {
    const { engine, collection } = engineWith();
    engine.appliedIndex = 3; // the items above carry versions 1 to 3
    const view = engine.openView();
    engine.beginBatch();
    const list = collection.itemForUpdate("list")!;
    (list.value as ListDeque).pushTail("z");
    list.version = 10;
    collection.put("list", list);
    collection.clear();
    engine.rollbackBatch();
    const afterList = collection.itemForUpdate("list")!; // copy-on-write must still protect the view
    (afterList.value as ListDeque).pushTail("after");
    afterList.version = 11;
    collection.put("list", afterList);
    const seen = new Map<string, unknown>();
    for (const collectionView of view.collections) {
      for (let slice = collectionView.next(1); slice.length > 0; slice = collectionView.next(1)) {
        for (const [key, item] of slice) if (collectionView.name === "c") seen.set(key, item.value instanceof ListDeque ? item.value.toArray() : item.value);
      }
    }
    view.close();
    assert.deepEqual(seen.get("list"), ["x", "y"]);
    assert.deepEqual((collection.get("list")?.value as ListDeque).toArray(), ["x", "y", "after"]);
  });
}

test("rolling back a batch restores the set of collections and its order", () => {
  const engine = new Engine();
  engine.createCollection("first", "hash");
  engine.createCollection("second", "ordered");
  const second = engine.requireCollection("second");
  const namesBefore = engine.collectionNames();
  engine.beginBatch();
  engine.createCollection("third", "hash");
  engine.dropCollection("first");
  engine.createCollection("first", "ordered");
  engine.dropCollection("second");
  engine.rollbackBatch();
  assert.deepEqual(engine.collectionNames(), namesBefore);
  assert.equal(engine.requireCollection("first").type, "hash");
  assert.equal(engine.requireCollection("second"), second);
});

test("dropping the default collection in a batch empties it, and rollback refills it", () => {
  const engine = new Engine();
  const collection = engine.requireCollection(DEFAULT_COLLECTION);
  collection.put("k", stringItem("v", 1));
  engine.beginBatch();
  engine.dropCollection(DEFAULT_COLLECTION);
  assert.equal(collection.size, 0);
  engine.rollbackBatch();
  assert.equal(collection.get("k")?.value, "v");
});

test("a collection created during a batch records into the batch's journal", () => {
  const engine = new Engine();
  engine.beginBatch();
  engine.createCollection("fresh", "hash");
  const fresh = engine.requireCollection("fresh");
  assert.notEqual(fresh.journal, null);
  fresh.put("k", stringItem("v", 1));
  engine.commitBatch();
  assert.equal(fresh.journal, null);
  assert.equal(fresh.get("k")?.value, "v");
});

test("batches do not nest, and end once", () => {
  const engine = new Engine();
  engine.beginBatch();
  assert.throws(() => engine.beginBatch(), AssertionError);
  engine.commitBatch();
  assert.throws(() => engine.commitBatch(), AssertionError);
  assert.throws(() => engine.rollbackBatch(), AssertionError);
});
