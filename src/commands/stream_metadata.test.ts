import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_COLLECTION, Engine } from "../engine/engine.js";
import type { ChangeSink } from "../engine/change_capture.js";
import type { ByteString } from "../engine/bytes.js";
import { Stream } from "../engine/stream.js";
import { integer, NIL } from "../engine/reply.js";
import { read, run, runBatch } from "./testing.js";

/** A stream with entries 1-1..3-1, group g at 0, consumer c0 holding 1-1 pending. */
function engineWithGroup(): Engine {
  const engine = new Engine();
  for (const line of ["XADD s 1-1 f v", "XADD s 2-1 f v", "XADD s 3-1 f v", "XGROUP CREATE s g 0", "XREADGROUP GROUP g c0 COUNT 1 STREAMS s >"]) run(engine, line);
  return engine;
}

const versionOf = (engine: Engine, key = "s"): unknown => read(engine, `VERSION ${key}`);

/** The watch history's changes of `key` from index `from` on, as "index type". */
function historyOf(engine: Engine, from: number, key = "s"): string[] {
  const found = engine.history.read(from, {});
  assert.ok(!found.compacted);
  return found.compacted ? [] : found.changes.filter((change) => change.key === key).map((change) => `${change.index} ${change.type}`);
}

const pendingIds = (stream: Stream): string[] => [...stream.groups.get("g")!.pending.keys()].map((id) => `${id.ms}-${id.seq}`);

test("a change of a stream's groups or XSETID keeps the key's version and records nothing in the watch history", () => {
  const engine = engineWithGroup();
  const version = versionOf(engine);
  const from = engine.appliedIndex + 1;
  for (const line of [
    "XREADGROUP GROUP g c1 COUNT 1 STREAMS s >",
    "XREADGROUP GROUP g c1 NOACK STREAMS s >",
    "XREADGROUP GROUP g c0 STREAMS s 0",
    "XACK s g 1-1",
    "XCLAIM s g c2 0 2-1 JUSTID",
    "XCLAIM s g c2 0 3-1 FORCE",
    "XAUTOCLAIM s g c3 0 0",
    "XGROUP CREATE s g2 $",
    "XGROUP CREATE s g3 0 MKSTREAM",
    "XGROUP SETID s g2 0",
    "XGROUP CREATECONSUMER s g2 c9",
    "XGROUP DELCONSUMER s g2 c9",
    "XGROUP DESTROY s g3",
    "XSETID s 9-9",
    "XDEL s 7-7",
    "XTRIM s MAXLEN 10",
  ]) {
    run(engine, line);
    assert.deepEqual(versionOf(engine), version, `${line} keeps the version`);
  }
  assert.deepEqual(historyOf(engine, from), []);
  assert.deepEqual(pendingIds(engine.collection(DEFAULT_COLLECTION)!.get("s")!.value as Stream), ["2-1", "3-1"], "the changes were made");
});

test("XADD, XDEL and XTRIM that removed something, and XGROUP CREATE MKSTREAM of a new key, are modifications", () => {
  const engine = engineWithGroup();
  const from = engine.appliedIndex + 1;
  for (const line of ["XADD s 4-1 f v", "XDEL s 1-1", "XTRIM s MAXLEN 1", "XGROUP CREATE t g $ MKSTREAM"]) {
    run(engine, line);
    assert.deepEqual(versionOf(engine, line.split(" ")[2] === "t" ? "t" : "s"), integer(engine.appliedIndex), `${line} gives its key the entry's index`);
  }
  assert.deepEqual(historyOf(engine, from), [`${from} put`, `${from + 1} put`, `${from + 2} put`]);
  assert.deepEqual(historyOf(engine, from, "t"), [`${from + 3} put`]);
});

test("a batch watching a stream runs after another client's XACK and XREADGROUP, and not after its XADD", () => {
  const engine = engineWithGroup();
  const conditions = [{ collection: DEFAULT_COLLECTION, key: "s", version: Number((versionOf(engine) as { value: number }).value) }];
  run(engine, "XACK s g 1-1");
  run(engine, "XREADGROUP GROUP g c1 STREAMS s >");
  assert.notDeepEqual(runBatch(engine, ["SET result 1"], { conditions }), NIL);
  run(engine, "XADD s 5-1 f v");
  assert.deepEqual(runBatch(engine, ["SET result 2"], { conditions }), NIL);
});

test("a change of a stream's groups is told to the collection's change sink, and a checkpoint view sees it only if opened after it", () => {
  const engine = engineWithGroup();
  const collection = engine.collection(DEFAULT_COLLECTION)!;
  // What checkpoint bookkeeping hooks (the collection's change sink) hears of: every put.
  const inner = collection.changes!;
  const touched: ByteString[] = [];
  const spy: ChangeSink = {
    touched: (where, key, storing) => {
      touched.push(key);
      inner.touched(where, key, storing);
    },
    cleared: (where) => inner.cleared(where),
  };
  collection.changes = spy;
  const before = engine.openView();
  run(engine, "XREADGROUP GROUP g c1 STREAMS s >");
  run(engine, "XACK s g 1-1");
  assert.deepEqual(touched, ["s", "s"]);
  const streamIn = (view: ReturnType<Engine["openView"]>): Stream => {
    const found = view.collections.find((candidate) => candidate.name === DEFAULT_COLLECTION)!;
    const entries = [];
    while (!found.exhausted) entries.push(...found.next(16));
    const items = entries.filter(([key]) => key === "s");
    assert.equal(items.length, 1, "the view yields the stream once");
    return items[0]![1].value as Stream;
  };
  assert.deepEqual(pendingIds(streamIn(before)), ["1-1"], "a view opened before keeps the groups as they were");
  before.close();
  const after = engine.openView();
  assert.deepEqual(pendingIds(streamIn(after)), ["2-1", "3-1"], "a view opened after has the change");
  after.close();
  collection.changes = inner;
});
