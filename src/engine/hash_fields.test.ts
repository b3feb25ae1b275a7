import { test } from "node:test";
import assert from "node:assert/strict";
import { seededRandom } from "../lib/seeded_random.js";
import { COMPACT_ENTRIES_MAX, COMPACT_VALUE_BYTES_MAX, HashFields } from "./hash_fields.js";

test("a hash answers as a Map in insertion order through random sets and deletes, compact while small", () => {
  const random = seededRandom(13);
  const hash = new HashFields();
  const model = new Map<string, string>();
  for (let step = 0; step < 5000; step++) {
    const field = `f${Math.floor(random() * 60)}`;
    if (random() < 0.6) {
      const value = `v${step}`;
      hash.set(field, value);
      model.set(field, value);
    } else {
      assert.equal(hash.delete(field), model.delete(field), `delete ${field} at step ${step}`);
    }
    assert.ok(hash.isCompact);
    assert.equal(hash.size, model.size);
    assert.equal(hash.get(field), model.get(field));
    assert.equal(hash.has(field), model.has(field));
    if (step % 50 === 0) {
      assert.deepEqual([...hash], [...model]);
      assert.deepEqual([...hash.keys()], [...model.keys()]);
      assert.deepEqual([...hash.values()], [...model.values()]);
    }
  }
});

test("a hash takes the Map past 512 fields or with a field or value over 64 bytes, keeps its order, and never goes back", () => {
  const hash = new HashFields();
  for (let i = 0; i < COMPACT_ENTRIES_MAX; i++) hash.set(`f${i}`, "v");
  assert.ok(hash.isCompact);
  hash.set("f0", "again");
  assert.ok(hash.isCompact, "setting an existing field adds none");
  hash.set("last", "v");
  assert.equal(hash.isCompact, false);
  assert.deepEqual([...hash.keys()].slice(0, 2), ["f0", "f1"]);
  assert.equal(hash.get("f0"), "again");
  assert.equal([...hash.keys()].at(-1), "last");
  for (let i = 0; i < COMPACT_ENTRIES_MAX; i++) hash.delete(`f${i}`);
  assert.equal(hash.isCompact, false, "shrinking does not convert back");
  assert.deepEqual([...hash], [["last", "v"]]);

  const long = new HashFields([["a", "x".repeat(COMPACT_VALUE_BYTES_MAX)]]);
  assert.ok(long.isCompact, "64 bytes fit");
  long.set("b", "y".repeat(COMPACT_VALUE_BYTES_MAX + 1));
  assert.equal(long.isCompact, false);
  const longField = new HashFields([["f".repeat(COMPACT_VALUE_BYTES_MAX + 1), ""]]);
  assert.equal(longField.isCompact, false);
});

test("a clone shares nothing with the original, compact or not", () => {
  for (const count of [3, COMPACT_ENTRIES_MAX + 1]) {
    const original = new HashFields(Array.from({ length: count }, (_, i): [string, string] => [`f${i}`, `${i}`]));
    const copy = original.clone();
    assert.deepEqual(copy, original);
    assert.equal(copy.isCompact, original.isCompact);
    copy.set("f0", "changed");
    copy.delete("f1");
    copy.set("new", "1");
    assert.equal(original.get("f0"), "0");
    assert.equal(original.has("f1"), true);
    assert.equal(original.has("new"), false);
    assert.equal(original.size, count);
  }
});

test("a hash made from a Map equals one built field by field, compact or not", () => {
  for (const [count, valueBytes] of [[0, 1], [COMPACT_ENTRIES_MAX, COMPACT_VALUE_BYTES_MAX], [COMPACT_ENTRIES_MAX + 1, 1], [3, COMPACT_VALUE_BYTES_MAX + 1]] as const) {
    const entries = Array.from({ length: count }, (_, i): [string, string] => [`f${i}`, "v".repeat(valueBytes)]);
    const fromMap = HashFields.fromMap(new Map(entries));
    const built = new HashFields(entries);
    assert.equal(fromMap.isCompact, built.isCompact, `${count} fields of ${valueBytes} bytes`);
    assert.deepEqual([...fromMap], [...built]);
    fromMap.set("f0", "changed");
    assert.equal(fromMap.get("f0"), "changed");
  }
});

test("a value too long for any frame (over 32 KiB) turns a compact hash into a Map without being packed", () => {
  const hash = new HashFields([["a", "1"], ["b", "x".repeat(20)]]);
  const huge = "h".repeat(100_000);
  hash.set("a", huge);
  assert.equal(hash.isCompact, false);
  assert.deepEqual([...hash], [["a", huge], ["b", "x".repeat(20)]]);
  const fresh = new HashFields([["k", huge]]);
  assert.deepEqual([...fresh], [["k", huge]]);
});

test("a compact hash packs its fields and values into one string, 2 framing bytes each for short ones", () => {
  const hash = new HashFields([["f1", "v1"], ["field2", ""]]);
  assert.equal(hash.packedBytes, 4 + 4 + 8 + 2);
  hash.set("f1", "longer value");
  assert.deepEqual([...hash], [["f1", "longer value"], ["field2", ""]]);
  assert.equal(hash.delete("f1"), true);
  assert.equal(hash.packedBytes, 8 + 2);
  assert.equal(hash.get("field"), undefined, "a prefix of a field is not the field");
  assert.equal(hash.get("field2"), "");
});
