import { test } from "node:test";
import assert from "node:assert/strict";
import { createCollection } from "./collection.js";
import { Item } from "./values.js";

const item = (value: string, version: number): Item => new Item({ kind: "string", value }, version, 0);

for (const type of ["hash", "ordered"] as const) {
  test(`a ${type} view yields exactly the keys as of its index, however many are written after`, () => {
    const collection = createCollection("c", type);
    for (let i = 0; i < 5; i++) collection.put(`old${i}`, item("v", 1));
    const view = collection.openView(1);
    for (let i = 0; i < 1000; i++) collection.put(`new${i}`, item("n", 2));
    collection.put("old0", item("changed", 2));
    const seen = new Map<string, string>();
    let calls = 0;
    let emptyBeforeEnd = 0;
    while (!view.exhausted) {
      const entries = view.next(1);
      calls++;
      if (entries.length === 0 && !view.exhausted) emptyBeforeEnd++;
      for (const [key, entry] of entries) seen.set(key, entry.value as string);
      assert.ok(calls < 10_000, "the view ends");
    }
    collection.closeView();
    assert.deepEqual([...seen.keys()].sort(), ["old0", "old1", "old2", "old3", "old4"]);
    assert.equal(seen.get("old0"), "v", "the view keeps the value as of its index");
    if (type === "hash") assert.ok(emptyBeforeEnd > 0, "a call stops early instead of walking every new key");
  });
}

const setItem = (members: string[], version: number): Item => new Item({ kind: "set", value: new Set(members) }, version, 0);

/** Every entry a view yields, key by key, in order (a key yielded twice shows twice). */
function drain(view: ReturnType<ReturnType<typeof createCollection>["openView"]>): Array<[string, string[]]> {
  const yielded: Array<[string, string[]]> = [];
  for (let calls = 0; !view.exhausted; calls++) {
    assert.ok(calls < 10_000, "the view ends");
    for (const [key, entry] of view.next(1)) yielded.push([key, [...(entry.value as Set<string>)]]);
  }
  return yielded;
}

for (const type of ["hash", "ordered"] as const) {
  test(`a ${type} view keeps an item changed without a new version (a stream's groups), and the writer copies it once`, () => {
    const collection = createCollection("c", type);
    const original = setItem(["a"], 1);
    collection.put("k", original);
    collection.put("other", setItem(["o"], 1));
    const view = collection.openView(1);
    const first = collection.itemForUpdate("k")!;
    assert.notEqual(first, original, "the view's item is copied before it changes");
    (first.value as Set<string>).add("b");
    collection.put("k", first); // version 1 still: a change Redis does not count as a modification
    const second = collection.itemForUpdate("k")!;
    assert.equal(second, first, "the copy put since the view opened is the writer's own: not copied again");
    (second.value as Set<string>).add("c");
    collection.put("k", second);
    const yielded = drain(view);
    collection.closeView();
    assert.deepEqual(
      yielded.filter(([key]) => key === "k"),
      [["k", ["a"]]],
      "the view yields the key once, as of its index",
    );
    assert.deepEqual([...(collection.get("k")!.value as Set<string>)], ["a", "b", "c"]);
    assert.equal(collection.itemForUpdate("k"), second, "no view: changed in place");
  });
}
