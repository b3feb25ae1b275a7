import assert from "node:assert/strict";
import { test } from "node:test";
import { RedisHll } from "../engine/hll_format.js";
import { Item } from "../engine/values.js";
import { ByteReader, ByteWriter, MalformedInput } from "./binary.js";
import { readEntry, readItem, writeEntry, writeItem } from "./item_codec.js";
import { valuesOfEveryKind } from "./test_fixtures.js";

function roundTrip(item: Item): Item {
  const writer = new ByteWriter(16);
  writeItem(writer, item);
  const reader = new ByteReader(writer.finish());
  const decoded = readItem(reader);
  assert.equal(reader.remaining, 0);
  return decoded;
}

function decodeHex(hex: string): () => Item {
  return () => readItem(new ByteReader(Buffer.from(hex.replace(/\s/g, ""), "hex")));
}

test("every value kind survives a round trip with its version and expiry", () => {
  for (const [name, value] of valuesOfEveryKind()) {
    const item = new Item(value, 2 ** 53 - 1, 1_700_000_000_123);
    assert.deepEqual(roundTrip(item), item, name);
  }
});

test("an entry round trip keeps a key made of every byte", () => {
  const key = "\x00key\xff\x80";
  const writer = new ByteWriter(1);
  writeEntry(writer, key, new Item({ kind: "string", value: "v" }, 1, 0));
  const [decodedKey, item] = readEntry(new ByteReader(writer.finish()));
  assert.equal(decodedKey, key);
  assert.equal(item.value, "v");
});

test("the worked example in the file comment is what the codec writes", () => {
  const writer = new ByteWriter(8);
  writeEntry(writer, "k", new Item({ kind: "integer", value: -2n }, 7, 1_700_000_000_000));
  const expected = "01000000 6b 03 07000000 00000000 0068e5cf 8b010000 feffffff ffffffff".replace(/\s/g, "");
  assert.equal(writer.finish().toString("hex"), expected);
});

test("an unknown kind, a bad boolean and an impossible list length are malformed", () => {
  const header = "00000000 00000000 00000000 00000000";
  assert.throws(decodeHex(`63 ${header}`), (error: unknown) => error instanceof MalformedInput && /unknown value kind 99/.test(error.what));
  assert.throws(decodeHex(`05 ${header} 02`), /boolean value 2/);
  assert.throws(decodeHex(`06 ${header} ffffffff 00000000`), /list length 4294967295/);
});

test("a truncated item is malformed at every cut, never decoded", () => {
  for (const [name, value] of valuesOfEveryKind()) {
    const writer = new ByteWriter(16);
    writeItem(writer, new Item(value, 5, 0));
    const bytes = writer.finish();
    for (let cut = 0; cut < bytes.length; cut += Math.max(1, Math.floor(bytes.length / 50))) {
      assert.throws(() => readItem(new ByteReader(bytes.subarray(0, cut))), MalformedInput, `${name} cut at ${cut}`);
    }
  }
});

test("a version beyond 2^53 is malformed", () => {
  assert.throws(decodeHex("01 ffffffff ffffffff 00000000 00000000 00000000"), /version beyond 2\^53/);
});

test("an old checkpoint's hyperloglog (kind 7, one register per byte) loads as Redis' dense HLL string", () => {
  const registers = new Uint8Array(16384);
  registers[0] = 5;
  registers[12711] = 2;
  registers[16383] = 51;
  const writer = new ByteWriter(16);
  writer.u8(7);
  writer.u64(9);
  writer.u64(1_700_000_000_000);
  writer.bytes(registers);
  const item = readItem(new ByteReader(writer.finish()));
  assert.equal(item.kind, "string");
  assert.equal(item.version, 9);
  assert.equal(item.expiresAtMs, 1_700_000_000_000);
  const bytes = item.value as string;
  assert.equal(bytes.length, 12304);
  assert.ok(bytes.startsWith("HYLL\x00\x00\x00\x00"), "dense header");
  assert.equal(bytes.charCodeAt(15) & 0x80, 0x80, "the cached cardinality is stale");
  const merged = new Uint8Array(16384);
  assert.ok(RedisHll.fromBytes(bytes).mergeInto(merged));
  assert.deepEqual(merged, registers);
  assert.equal(RedisHll.fromBytes(bytes).count(), 3n);
});
