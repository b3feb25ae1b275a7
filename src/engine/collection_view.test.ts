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
