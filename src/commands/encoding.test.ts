import { test } from "node:test";
import assert from "node:assert/strict";
import { Item, type StoredValue } from "../engine/values.js";
import { HashFields } from "../engine/hash_fields.js";
import { ListDeque } from "../engine/list_deque.js";
import { markEditedInPlace, noteEncodingGrowth, redisEncoding, redisRefcount, SHARED_REFCOUNT, stringEncoding } from "./encoding.js";
import { textOf } from "./access.js";

function item(value: StoredValue): Item {
  return new Item(value, 1, 0);
}

function encodingOf(stored: Item): string {
  return redisEncoding(stored, textOf(stored));
}

function hashOf(count: number, valueBytes = 1): HashFields {
  return new HashFields(Array.from({ length: count }, (_, index) => [`f${index}`, "v".repeat(valueBytes)]));
}

test("strings are int by Redis' strict integer rule, embstr up to 44 bytes, raw beyond", () => {
  assert.equal(stringEncoding("123"), "int");
  assert.equal(stringEncoding("-9223372036854775808"), "int");
  assert.equal(stringEncoding("9223372036854775808"), "embstr", "beyond int64");
  for (const text of ["007", "-0", "+1", " 1", "1.5", ""]) assert.equal(stringEncoding(text), "embstr", text);
  assert.equal(stringEncoding("x".repeat(44)), "embstr");
  assert.equal(stringEncoding("x".repeat(45)), "raw");
});

test("walnut's kinds answer the encoding Redis gives the same bytes: integer int, float and boolean embstr", () => {
  assert.equal(encodingOf(item({ kind: "integer", value: 5n })), "int");
  assert.equal(encodingOf(item({ kind: "float", value: 3 })), "embstr", "INCRBYFLOAT's result is never int-encoded");
  assert.equal(encodingOf(item({ kind: "boolean", value: true })), "embstr");
  assert.equal(encodingOf(item({ kind: "blob", value: "12" })), "int");
  assert.equal(encodingOf(item({ kind: "list", value: ListDeque.from(["a"]) })), "quicklist");
});

test("a string edited in place is raw whatever its length", () => {
  const edited = item({ kind: "string", value: "12" });
  markEditedInPlace(edited);
  assert.equal(encodingOf(edited), "raw");
  assert.equal(encodingOf(edited.clone()), "raw", "a copy keeps the encoding, as Redis' COPY does");
});

test("hashes are listpack up to 512 fields of at most 64 bytes, and stay hashtable once they outgrew it", () => {
  assert.equal(encodingOf(item({ kind: "hash", value: hashOf(512, 64) })), "listpack");
  assert.equal(encodingOf(item({ kind: "hash", value: hashOf(513) })), "hashtable");
  assert.equal(encodingOf(item({ kind: "hash", value: hashOf(1, 65) })), "hashtable");
  assert.equal(encodingOf(item({ kind: "hash", value: new HashFields([["f".repeat(65), "v"]]) })), "hashtable");
  const grown = item({ kind: "hash", value: hashOf(513) });
  noteEncodingGrowth(grown);
  (grown.value as HashFields).delete("f0");
  (grown.value as HashFields).delete("f1");
  assert.equal(encodingOf(grown), "hashtable", "HDEL below the limit keeps the hashtable");
});

test("sets are intset up to 512 integers, hashtable otherwise, and stay hashtable", () => {
  const integers = (count: number): Set<string> => new Set(Array.from({ length: count }, (_, index) => String(index - 3)));
  assert.equal(encodingOf(item({ kind: "set", value: integers(512) })), "intset");
  assert.equal(encodingOf(item({ kind: "set", value: integers(513) })), "hashtable");
  assert.equal(encodingOf(item({ kind: "set", value: new Set(["1", "x"]) })), "hashtable");
  assert.equal(encodingOf(item({ kind: "set", value: new Set(["007"]) })), "hashtable", "007 is not an integer to Redis");
  const mixed = item({ kind: "set", value: new Set(["1", "x"]) });
  noteEncodingGrowth(mixed);
  (mixed.value as Set<string>).delete("x");
  assert.equal(encodingOf(mixed), "hashtable", "SREM of the non-integer keeps the hashtable");
});

test("OBJECT REFCOUNT answers Redis' shared-object count for int-encoded 0..9999, else 1", () => {
  const refcount = (stored: Item): number => redisRefcount(stored, textOf(stored));
  assert.equal(refcount(item({ kind: "string", value: "0" })), SHARED_REFCOUNT);
  assert.equal(refcount(item({ kind: "integer", value: 9999n })), SHARED_REFCOUNT);
  assert.equal(refcount(item({ kind: "string", value: "10000" })), 1);
  assert.equal(refcount(item({ kind: "string", value: "-1" })), 1);
  assert.equal(refcount(item({ kind: "string", value: "abc" })), 1);
  assert.equal(refcount(item({ kind: "list", value: ListDeque.from(["1"]) })), 1);
});
