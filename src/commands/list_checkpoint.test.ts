import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_COLLECTION, Engine } from "../engine/engine.js";
import { ListDeque } from "../engine/list_deque.js";
import { readCheckpoint } from "../snapshot/reader.js";
import { pictureOfEngine, temporaryDirectory } from "../snapshot/test_fixtures.js";
import { writeCheckpoint } from "../snapshot/writer.js";
import { run } from "./testing.js";

function listAt(engine: Engine, key: string): ListDeque {
  const value = engine.collection(DEFAULT_COLLECTION)!.get(key)!.value;
  assert.ok(value instanceof ListDeque);
  return value;
}

/** RPUSH of `count` elements of `bytes` bytes each, numbered from `first`. */
function rpush(engine: Engine, key: string, count: number, bytes: number, first = 0): void {
  const elements = Array.from({ length: count }, (_, at) => `e${first + at}`.padEnd(bytes, "."));
  run(engine, `RPUSH ${key} ${elements.join(" ")}`);
}

test("compact and large lists survive a checkpoint written while list commands change them, each loading in the form it fits", async (t) => {
  const dir = await temporaryDirectory(t);
  const engine = new Engine();
  rpush(engine, "small", 10, 8); // 100 bytes packed: compact
  rpush(engine, "edge", 8192 / 10, 8); // 8,190 bytes packed: compact, 2 bytes under the limit
  rpush(engine, "large", 1000, 8); // 10,000 bytes: large
  rpush(engine, "shrinks", 1000, 8);
  assert.deepEqual(
    ["small", "edge", "large", "shrinks"].map((key) => listAt(engine, key).isCompact),
    [true, true, false, false],
  );
  const view = engine.openView();
  const expected = pictureOfEngine(engine);
  const viewed = ["small", "edge", "large"].map((key) => listAt(engine, key));
  // Writes while the view is open: each list item is copied before it changes (itemForUpdate).
  const writes = ["LPUSH small h", "RPOP small", "LSET small 3 changed", "RPUSH edge x", "LPOP large 5", "LSET large 0 z", "LTRIM shrinks 0 9"];
  let written = 0;
  const writeBetweenSlices = (): void => {
    if (written === writes.length) return;
    run(engine, writes[written++]!);
    setImmediate(writeBetweenSlices);
  };
  setImmediate(writeBetweenSlices);
  const info = await writeCheckpoint(view, { dir, sliceKeys: 1 });
  while (written < writes.length) run(engine, writes[written++]!);

  assert.deepEqual(
    ["small", "edge", "large", "shrinks"].map((key) => listAt(engine, key).isCompact),
    [true, false, false, true],
    "edge outgrew the compact form; LTRIM rebuilt shrinks compact",
  );
  assert.deepEqual(listAt(engine, "small").toArray().slice(0, 5), ["h", "e0......", "e1......", "changed", "e3......"]);
  assert.deepEqual(
    viewed.map((list) => list.length),
    [10, 819, 1000],
    "the lists the view holds were not changed in place",
  );
  const loaded = await readCheckpoint(info.path);
  assert.equal(loaded.index, view.index);
  const collection = loaded.collections.find((each) => each.name === DEFAULT_COLLECTION)!;
  const reloaded = new Engine();
  reloaded.replaceContents(loaded.collections, loaded.index, 1);
  assert.deepEqual(pictureOfEngine(reloaded), expected, "the checkpoint holds the lists as of its index");
  assert.deepEqual(
    ["small", "edge", "large", "shrinks"].map((key) => (collection.get(key)!.value as ListDeque).isCompact),
    [true, true, false, false],
    "a loaded list is compact exactly when it fits",
  );
});
