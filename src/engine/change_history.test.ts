import { test } from "node:test";
import assert from "node:assert/strict";
import { ChangeHistory, changeBytes, type Change } from "./change_history.js";

function put(index: number, key: string, value = "v", collection = "default"): Change {
  return { index, collection, type: "put", key, kind: "string", value };
}

function readAll(history: ChangeHistory, from: number, filter = {}): Array<string> {
  const read = history.read(from, filter);
  assert.equal(read.compacted, false);
  return read.changes.map((change) => `${change.index}:${change.type}:${change.key}`);
}

test("a read returns every matching change with index >= from, in index order, and how far it has seen", () => {
  const history = new ChangeHistory();
  history.record(1, [put(1, "a/1")]);
  history.record(2, []);
  history.record(3, [put(3, "b/1"), put(3, "a/2")]);
  history.record(4, [{ index: 4, collection: "default", type: "delete", key: "a/1", kind: null, value: null }]);
  assert.deepEqual(readAll(history, 1), ["1:put:a/1", "3:put:b/1", "3:put:a/2", "4:delete:a/1"]);
  assert.deepEqual(readAll(history, 2, { prefix: "a/" }), ["3:put:a/2", "4:delete:a/1"]);
  assert.deepEqual(readAll(history, 1, { key: "a/1" }), ["1:put:a/1", "4:delete:a/1"]);
  const tail = history.read(5, {});
  assert.deepEqual(tail, { compacted: false, changes: [], through: 4 }, "from = next index: nothing yet, current through 4");
});

test("a flush matches every filter of its collection, and a collection filter keeps other collections out", () => {
  const history = new ChangeHistory();
  history.record(1, [put(1, "x", "v", "db1"), put(1, "a", "v", "default")]);
  history.record(2, [{ index: 2, collection: "db1", type: "flush", key: "", kind: null, value: null }]);
  assert.deepEqual(readAll(history, 1, { collection: "db1", key: "zzz" }), ["2:flush:"]);
  assert.deepEqual(readAll(history, 1, { collection: "default" }), ["1:put:a"]);
});

test("the change bound evicts whole entries, oldest first, and a read from before the window answers compacted", () => {
  const history = new ChangeHistory({ maxChanges: 3, maxBytes: Number.MAX_SAFE_INTEGER, maxValueBytes: 1024 });
  history.record(1, [put(1, "a")]);
  history.record(2, [put(2, "b"), put(2, "c")]);
  assert.equal(history.compactedThrough, 0);
  history.record(3, [put(3, "d")]);
  assert.equal(history.compactedThrough, 1, "4 changes > 3: entry 1 goes");
  history.record(4, [put(4, "e")]);
  assert.equal(history.compactedThrough, 2, "4 changes again: both changes of entry 2 go together");
  assert.equal(history.compactedThrough, 2);
  assert.equal(history.oldestIndex, 3);
  assert.equal(history.size, 2);
  assert.deepEqual(history.read(2, {}), { compacted: true, oldestIndex: 3 });
  assert.deepEqual(history.read(1, {}), { compacted: true, oldestIndex: 3 });
  assert.deepEqual(readAll(history, 3), ["3:put:d", "4:put:e"]);
});

test("the byte bound counts keys, values and a per-change overhead", () => {
  const big = put(1, "k", "x".repeat(1000));
  const history = new ChangeHistory({ maxChanges: 1000, maxBytes: changeBytes(big) + changeBytes(put(2, "k2")), maxValueBytes: 1000 });
  history.record(1, [big]);
  history.record(2, [put(2, "k2")]);
  assert.equal(history.compactedThrough, 0);
  history.record(3, [put(3, "k3")]);
  assert.equal(history.compactedThrough, 1);
  assert.equal(history.sizeBytes, changeBytes(put(2, "k2")) + changeBytes(put(3, "k3")));
});

test("an index that skips ahead (a checkpoint installed) restarts the window", () => {
  const history = new ChangeHistory();
  history.record(1, [put(1, "a")]);
  history.record(10, [put(10, "b")]);
  assert.equal(history.compactedThrough, 9);
  assert.deepEqual(history.read(5, {}), { compacted: true, oldestIndex: 10 });
  assert.deepEqual(readAll(history, 10), ["10:put:b"]);
  assert.throws(() => history.record(10, []), /index order/);
});

test("a limited read stops at an entry boundary and says through which index it has seen", () => {
  const history = new ChangeHistory();
  history.record(1, [put(1, "a"), put(1, "b")]);
  history.record(2, [put(2, "c")]);
  history.record(3, [put(3, "d")]);
  const first = history.read(1, {}, 1);
  assert.equal(first.compacted, false);
  if (first.compacted) return;
  assert.deepEqual(first.changes.map((change) => change.key), ["a", "b"], "an entry's changes are never split");
  assert.equal(first.through, 1);
  const second = history.read(first.through + 1, {}, 1);
  assert.ok(!second.compacted);
  if (second.compacted) return;
  assert.deepEqual(second.changes.map((change) => change.key), ["c"]);
  assert.equal(second.through, 2);
});

test("listeners hear after records, in a microtask, not during them", async () => {
  const history = new ChangeHistory();
  let heard = 0;
  const stop = history.listen(() => (heard += 1));
  history.record(1, [put(1, "a")]);
  history.record(2, [put(2, "b")]);
  assert.equal(heard, 0);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(heard, 1, "two records in one turn: one notification");
  stop();
  history.record(3, []);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(heard, 1);
});

test("a value longer than maxValueBytes is left out of the window: the put carries null", () => {
  const history = new ChangeHistory({ maxChanges: 10, maxBytes: 1_000_000, maxValueBytes: 3 });
  history.record(1, [put(1, "short", "abc"), put(1, "long", "abcd")]);
  const read = history.read(1, {});
  assert.ok(!read.compacted);
  if (read.compacted) return;
  assert.deepEqual(read.changes.map((change) => change.value), ["abc", null]);
  assert.equal(history.sizeBytes, changeBytes(put(1, "short", "abc")) + changeBytes({ ...put(1, "long"), value: null }));
});

test("the ring keeps exactly the newest whole entries that fit, through growth and wrap-around, as a plain list would", () => {
  const maxChanges = 1500;
  const history = new ChangeHistory({ maxChanges, maxBytes: Number.MAX_SAFE_INTEGER, maxValueBytes: 1024 });
  const model: Change[] = [];
  let seed = 7;
  const next = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
  for (let index = 1; index <= 6000; index++) {
    const changes = Array.from({ length: next() % 4 }, (_, n) => put(index, `k${next() % 50}-${n}`, `v${index}`));
    history.record(index, changes);
    model.push(...changes);
    while (model.length > maxChanges) {
      const oldest = (model[0] as Change).index;
      while (model.length > 0 && (model[0] as Change).index === oldest) model.shift();
    }
  }
  assert.equal(history.size, model.length);
  const from = history.oldestIndex;
  const read = history.read(from, {});
  assert.ok(!read.compacted);
  if (read.compacted) return;
  assert.deepEqual(read.changes, model.filter((change) => change.index >= from));
  assert.deepEqual(history.read(5000, { prefix: "k1" }), { compacted: false, changes: model.filter((c) => c.index >= 5000 && c.key.startsWith("k1")), through: 6000 });
});

test("an entry with more changes than the window holds is dropped whole: the window restarts after it", () => {
  const history = new ChangeHistory({ maxChanges: 3, maxBytes: Number.MAX_SAFE_INTEGER, maxValueBytes: 1024 });
  history.record(1, [put(1, "a")]);
  history.record(2, Array.from({ length: 2000 }, (_, n) => put(2, `big${n}`)));
  assert.equal(history.compactedThrough, 2);
  assert.equal(history.size, 0);
  history.record(3, [put(3, "b")]);
  assert.deepEqual(readAll(history, 3), ["3:put:b"]);
});
