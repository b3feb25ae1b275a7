import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_COLLECTION, Engine } from "../engine/engine.js";
import { RemovedKeys } from "../engine/removed_keys.js";
import { FLUSHED_KEYS_MAX } from "../engine/change_capture.js";
import { decodeEntry, encodeEntry, type VersionCondition } from "../node/entry.js";
import { restoreRemovedKeys } from "../node/removed_keys_metadata.js";
import { NOW_MS, run, runBatch } from "./testing.js";

/** The condition WATCH records for a key it finds absent now. */
function absentNow(engine: Engine, key: string): VersionCondition {
  assert.equal(engine.collection(DEFAULT_COLLECTION)!.get(key), undefined, `${key} is absent`);
  return { collection: DEFAULT_COLLECTION, key, version: 0, absentSince: engine.appliedIndex };
}

function execWatching(engine: Engine, condition: VersionCondition): string {
  const reply = runBatch(engine, ["SET marker ran"], { conditions: [condition] });
  return reply.type === "nil" ? "aborted" : "ran";
}

test("a batch watching an absent key aborts when the key was created and deleted after the watch", () => {
  const engine = new Engine();
  run(engine, "SET other 1");
  const watched = absentNow(engine, "k");
  run(engine, "SET k v");
  run(engine, "DEL k");
  assert.equal(execWatching(engine, watched), "aborted");
  assert.equal(engine.collection(DEFAULT_COLLECTION)!.get("marker"), undefined, "nothing applied");
});

test("a batch watching an absent key runs when nothing wrote it, or when it was removed before the watch", () => {
  const engine = new Engine();
  run(engine, "SET k v");
  run(engine, "DEL k");
  const watched = absentNow(engine, "k");
  run(engine, "SET other 1");
  run(engine, "DEL other");
  run(engine, "DEL k"); // a DEL that removes nothing is no write
  assert.equal(execWatching(engine, watched), "ran");
});

test("a batch watching an absent key aborts when it was created after the watch and is present, or present but expired", () => {
  const engine = new Engine();
  const present = absentNow(engine, "k");
  run(engine, "SET k v");
  assert.equal(execWatching(engine, present), "aborted");
  const expired = absentNow(engine, "e");
  run(engine, "SET e v PX 10");
  const later = runBatch(engine, ["SET marker ran"], { conditions: [expired], nowMs: NOW_MS + 1000 });
  assert.equal(later.type, "nil", "an expired key written after the watch still counts as written");
});

test("a flush after the watch aborts a batch watching an absent key only if it removed that key (as Redis), or too many keys to list", () => {
  const engine = new Engine();
  const untouched = absentNow(engine, "k");
  run(engine, "SET other v");
  run(engine, "FLUSHALL");
  assert.equal(execWatching(engine, untouched), "ran", "the flush did not remove k: Redis runs the transaction too");
  const flushed = absentNow(engine, "k");
  run(engine, "SET k v");
  run(engine, "FLUSHDB");
  assert.equal(execWatching(engine, flushed), "aborted");
  const many = absentNow(engine, "k");
  for (let key = 0; key <= FLUSHED_KEYS_MAX; key += 1000) run(engine, `MSET ${Array.from({ length: 1000 }, (_, at) => `m${key + at} v`).join(" ")}`);
  run(engine, "FLUSHDB");
  assert.equal(execWatching(engine, many), "aborted", "a flush of more keys than it lists stands for every key");
});

test("a batch watching an absent key aborts when its collection was emptied by a pop", () => {
  const engine = new Engine();
  const popped = absentNow(engine, "list");
  run(engine, "RPUSH list a");
  run(engine, "LPOP list");
  assert.equal(execWatching(engine, popped), "aborted");
});

test("a condition without absentSince keeps the old meaning: absent now is enough", () => {
  const engine = new Engine();
  const old: VersionCondition = { collection: DEFAULT_COLLECTION, key: "k", version: 0 };
  run(engine, "SET k v");
  run(engine, "DEL k");
  assert.equal(execWatching(engine, old), "ran");
});

test("absentSince travels in the batch's log entry and an old entry decodes without it", () => {
  const conditions: VersionCondition[] = [
    { collection: "c", key: "a", version: 0, absentSince: 0 },
    { collection: "c", key: "b", version: 0, absentSince: 41 },
    { collection: "c", key: "d", version: 7 },
    { collection: "c", key: "e", version: 0 },
  ];
  const decoded = decodeEntry(encodeEntry({ type: "batch", nowMs: 1, clientId: "", requestId: 0, conditions, calls: [] }));
  assert.ok(decoded.type === "batch");
  assert.deepEqual(decoded.conditions, conditions);
  assert.throws(() => encodeEntry({ type: "batch", nowMs: 1, clientId: "", requestId: 0, conditions: [{ collection: "c", key: "x", version: 3, absentSince: 1 }], calls: [] }));
});

test("RemovedKeys forgets its oldest removals past its bound and then answers 'maybe removed' for watches before them", () => {
  const removed = new RemovedKeys(2);
  const removal = (index: number, key: string) => ({ index, collection: "c", type: "delete" as const, key, kind: null, value: null });
  removed.record(5, [removal(5, "a")]);
  removed.record(6, [removal(6, "b")]);
  removed.record(7, [removal(7, "a")]); // a again: moves to the end
  assert.equal(removed.forgottenThrough, 0);
  removed.record(9, [removal(9, "c")]); // b (6) is forgotten
  assert.equal(removed.forgottenThrough, 6);
  assert.equal(removed.removedAfter("c", "zzz", 5), true, "before the forgotten index: cannot tell");
  assert.equal(removed.removedAfter("c", "zzz", 6), false);
  assert.equal(removed.removedAfter("c", "a", 6), true);
  assert.equal(removed.removedAfter("c", "a", 7), false);
  assert.equal(removed.removedAfter("other", "a", 6), false, "removals are per collection");
});

test("the removals survive a checkpoint image with keys of every byte, and a checkpoint without them forgets up to its index", () => {
  const engine = new Engine();
  run(engine, "SET plain v");
  run(engine, "DEL plain");
  run(engine, "SET plain v");
  run(engine, "FLUSHALL");
  const key = "\x00k\xff\n:";
  engine.removedKeys.record(5, [{ index: 5, collection: "c:1", type: "expire", key, kind: null, value: null }]);
  const view = engine.openView();
  const image = JSON.parse(JSON.stringify(view.removedKeys)) as unknown;
  view.close();
  const restored = new Engine();
  restoreRemovedKeys(restored.removedKeys, image, { path: "test", index: engine.appliedIndex });
  assert.deepEqual(restored.removedKeys.image(), engine.removedKeys.image());
  assert.equal(restored.removedKeys.removedAfter(DEFAULT_COLLECTION, "plain", 2), true);
  assert.equal(restored.removedKeys.removedAfter(DEFAULT_COLLECTION, "plain", 4), false);
  assert.equal(restored.removedKeys.removedAfter("c:1", key, 4), true);
  assert.equal(restored.removedKeys.removedAfter("c", `1${key}`, 4), false, "collection and key stay apart");

  const old = new Engine();
  restoreRemovedKeys(old.removedKeys, undefined, { path: "test", index: 40 });
  assert.equal(old.removedKeys.removedAfter(DEFAULT_COLLECTION, "never", 39), true);
  assert.equal(old.removedKeys.removedAfter(DEFAULT_COLLECTION, "never", 40), false);
  assert.throws(() => restoreRemovedKeys(old.removedKeys, { removals: "no" }, { path: "test", index: 1 }), /removedKeys is malformed/);
});
