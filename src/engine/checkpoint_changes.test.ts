import assert from "node:assert/strict";
import { test } from "node:test";
import { collectionsOf } from "./checkpoint_changes.js";
import { DEFAULT_COLLECTION, Engine } from "./engine.js";
import { Item, NO_EXPIRY } from "./values.js";

function put(engine: Engine, collection: string, key: string): void {
  engine.collection(collection)!.put(key, new Item({ kind: "string", value: "v" }, engine.appliedIndex + 1, NO_EXPIRY));
  engine.appliedIndex += 1;
}

/** What a checkpoint begun now would record, per collection: "whole" or the sorted keys. */
function changesNow(engine: Engine): { previousIndex: number | null; collections: Record<string, string | string[]> } {
  const changes = engine.checkpointChanges.begin(collectionsOf(engine), engine.appliedIndex);
  const collections: Record<string, string | string[]> = {};
  for (const each of changes.collections) collections[each.name] = each.whole ? "whole" : [...each.keys].sort();
  return { previousIndex: changes.previousIndex, collections };
}

test("nothing is noted before a baseline; after one, the keys written and deleted, and whole collections when cleared or new", () => {
  const engine = new Engine();
  put(engine, DEFAULT_COLLECTION, "before");
  assert.equal(engine.checkpointChanges.tracking, false);
  assert.deepEqual(changesNow(engine), { previousIndex: null, collections: { default: "whole" } });
  engine.checkpointChanges.finished();
  assert.equal(engine.checkpointChanges.baselineIndex, 1);

  put(engine, DEFAULT_COLLECTION, "a");
  engine.collection(DEFAULT_COLLECTION)!.delete("before");
  engine.collection(DEFAULT_COLLECTION)!.delete("never-there");
  engine.createCollection("made", "ordered");
  put(engine, "made", "m");
  assert.deepEqual(changesNow(engine), { previousIndex: 1, collections: { default: ["a", "before", "never-there"], made: "whole" } });
  engine.checkpointChanges.finished();

  engine.collection(DEFAULT_COLLECTION)!.clear();
  put(engine, "made", "n");
  assert.deepEqual(changesNow(engine), { previousIndex: 3, collections: { default: "whole", made: ["n"] } });
  engine.checkpointChanges.finished();
  assert.deepEqual(changesNow(engine), { previousIndex: 4, collections: { default: [], made: [] } });
});

test("a failed checkpoint puts back what it took; a collection mostly rewritten is written whole", () => {
  const engine = new Engine();
  engine.checkpointChanges.reset(collectionsOf(engine), 0);
  put(engine, DEFAULT_COLLECTION, "a");
  assert.deepEqual(changesNow(engine).collections, { default: ["a"] });
  put(engine, DEFAULT_COLLECTION, "b");
  engine.checkpointChanges.failed();
  assert.deepEqual(changesNow(engine), { previousIndex: 0, collections: { default: ["a", "b"] } }, "still on the old baseline, with both");
  engine.checkpointChanges.finished();

  for (let i = 0; i < 3000; i++) put(engine, DEFAULT_COLLECTION, `k${i}`);
  assert.deepEqual(changesNow(engine).collections, { default: "whole" }, "3,000 of 3,002 keys changed");
});
