/**
 * The byte layout of one stored key and its Item, shared by checkpoints (format.ts) and
 * collection images (collection_image.ts), so that both carry exactly the same data:
 * value kind, version, expiry instant and value.
 *
 * Layout (little-endian):
 *
 *   entry = u32 keyLength | key (latin1 bytes) | item
 *   item  = u8 kind | u64 version | u64 expiresAtMs (0 = no expiry) | value
 *   value by kind:
 *     1 string, 2 blob   u32 length | bytes
 *     3 integer          i64 (two's complement)
 *     4 float            f64 (IEEE 754)
 *     5 boolean          u8 0 | 1
 *     6 list             u32 count | count × (u32 length | bytes)
 *     7 (old) hyperloglog 16384 bytes, one register per byte: read only, as the string
 *                        holding Redis' dense HLL of those registers (HLLs are strings now)
 *     8 hash             u32 count | count × (u32 length | field | u32 length | value)
 *     9 set              u32 count | count × (u32 length | member)
 *    10 zset             u32 count | count × (u32 length | member | f64 score), ascending order
 *    11 stream           entries, groups and bookkeeping: see stream_codec.ts
 *
 * Example: key "k" holding the integer -2, written at log index 7, expiring at
 * 1700000000000 ms (0x018bcfe56800):
 *
 *   01000000 6b                         keyLength 1, "k"
 *   03                                  kind integer
 *   07000000 00000000                   version 7
 *   0068e5cf 8b010000                   expiresAtMs 1700000000000
 *   feffffff ffffffff                   -2
 *
 * Decoding checks every length against the bytes left and against lib/limits.ts, so a
 * damaged length is reported instead of allocating or reading past the end.
 */
import type { ByteString } from "../engine/bytes.js";
import { HashFields } from "../engine/hash_fields.js";
import { SortedSet } from "../engine/sorted_set.js";
import { Stream } from "../engine/stream.js";
import { readStream, writeStream } from "./stream_codec.js";
import { ListDeque } from "../engine/list_deque.js";
import { RedisHll } from "../engine/hll_format.js";
import { Item, type StoredValue, type ValueKind } from "../engine/values.js";
import { assert, unreachable } from "../lib/assert.js";
import { limits } from "../lib/limits.js";
import type { ByteReader, ByteWriter } from "./binary.js";

const INTEGER_MIN = -(2n ** 63n);
const INTEGER_MAX = 2n ** 63n - 1n;

/** Registers in an old checkpoint's hyperloglog value (kind 7), one per byte. */
export const HYPERLOGLOG_REGISTERS = 16384;
/** The kind code old checkpoints gave HyperLogLogs, before they became strings in Redis' format. */
export const LEGACY_HYPERLOGLOG_CODE = 7;

const KIND_CODES: Record<ValueKind, number> = {
  string: 1,
  blob: 2,
  integer: 3,
  float: 4,
  boolean: 5,
  list: 6,
  hash: 8,
  set: 9,
  zset: 10,
  stream: 11,
};

const KINDS_BY_CODE: ReadonlyMap<number, ValueKind> = new Map(
  Object.entries(KIND_CODES).map(([kind, code]) => [code, kind as ValueKind]),
);

export function writeEntry(writer: ByteWriter, key: ByteString, item: Item): void {
  assert(key.length <= limits.keyBytesMax, `key of ${key.length} bytes exceeds the key limit`);
  writer.u32(key.length);
  writer.latin1(key);
  writeItem(writer, item);
}

export function readEntry(reader: ByteReader): [ByteString, Item] {
  const keyOffset = reader.offset;
  const keyLength = reader.u32("key length");
  if (keyLength > limits.keyBytesMax) reader.fail(`key length ${keyLength} beyond ${limits.keyBytesMax}`, keyOffset);
  const key = reader.latin1(keyLength, "key");
  return [key, readItem(reader)];
}

export function writeItem(writer: ByteWriter, item: Item): void {
  writer.u8(KIND_CODES[item.kind]);
  writer.u64(item.version);
  writer.u64(item.expiresAtMs);
  writeValue(writer, item);
}

export function readItem(reader: ByteReader): Item {
  const kindOffset = reader.offset;
  const kindCode = reader.u8("value kind");
  if (kindCode === LEGACY_HYPERLOGLOG_CODE) return readLegacyHyperLogLog(reader);
  const kind = KINDS_BY_CODE.get(kindCode);
  if (kind === undefined) reader.fail(`unknown value kind ${kindCode}`, kindOffset);
  const version = reader.u64("version");
  const expiresAtMs = reader.u64("expiry instant");
  return new Item(readValue(reader, kind), version, expiresAtMs);
}

/** An old checkpoint's register array, as the string Redis would hold for those registers (dense). */
function readLegacyHyperLogLog(reader: ByteReader): Item {
  const version = reader.u64("version");
  const expiresAtMs = reader.u64("expiry instant");
  const registers = reader.bytes(HYPERLOGLOG_REGISTERS, "hyperloglog registers");
  return new Item({ kind: "string", value: RedisHll.denseFromRegisters(registers).toBytes() }, version, expiresAtMs);
}

/** Switches on the item's own fields: item.stored() would allocate once per key. */
function writeValue(writer: ByteWriter, item: Item): void {
  const kind = item.kind;
  switch (kind) {
    case "string":
    case "blob": {
      const value = item.value as ByteString;
      writer.u32(value.length);
      writer.latin1(value);
      return;
    }
    case "integer": {
      const value = item.value as bigint;
      assert(value >= INTEGER_MIN && value <= INTEGER_MAX, `integer ${value} beyond signed 64 bits`);
      writer.i64(value);
      return;
    }
    case "float":
      writer.f64(item.value as number);
      return;
    case "boolean":
      writer.u8(item.value === true ? 1 : 0);
      return;
    case "list": {
      const elements = item.value as ListDeque;
      writer.u32(elements.length);
      for (const element of elements) {
        writer.u32(element.length);
        writer.latin1(element);
      }
      return;
    }
    case "hash": {
      const fields = item.value as HashFields;
      writer.u32(fields.size);
      for (const [field, value] of fields) {
        writer.u32(field.length);
        writer.latin1(field);
        writer.u32(value.length);
        writer.latin1(value);
      }
      return;
    }
    case "set": {
      const members = item.value as Set<ByteString>;
      writer.u32(members.size);
      for (const member of members) {
        writer.u32(member.length);
        writer.latin1(member);
      }
      return;
    }
    case "zset": {
      const sorted = item.value as SortedSet;
      writer.u32(sorted.size);
      for (const [member, score] of sorted.entries()) {
        writer.u32(member.length);
        writer.latin1(member);
        writer.f64(score);
      }
      return;
    }
    case "stream":
      writeStream(writer, item.value as Stream);
      return;
    default:
      unreachable(kind, "value kind");
  }
}

function readValue(reader: ByteReader, kind: ValueKind): StoredValue {
  switch (kind) {
    case "string":
    case "blob":
      return { kind, value: readByteString(reader, "string value") };
    case "integer":
      return { kind, value: reader.i64("integer value") };
    case "float":
      return { kind, value: reader.f64("float value") };
    case "boolean":
      return { kind, value: readBoolean(reader) };
    case "list":
      return { kind, value: readList(reader) };
    case "hash":
      return { kind, value: readHash(reader) };
    case "set":
      return { kind, value: readSet(reader) };
    case "zset":
      return { kind, value: readSortedSet(reader) };
    case "stream":
      return { kind, value: readStream(reader) };
    default:
      return unreachable(kind, "value kind");
  }
}

function readByteString(reader: ByteReader, what: string): ByteString {
  const lengthOffset = reader.offset;
  const length = reader.u32(`${what} length`);
  if (length > limits.valueBytesMax) reader.fail(`${what} length ${length} beyond ${limits.valueBytesMax}`, lengthOffset);
  return reader.latin1(length, what);
}

function readBoolean(reader: ByteReader): boolean {
  const offset = reader.offset;
  const byte = reader.u8("boolean value");
  if (byte > 1) reader.fail(`boolean value ${byte} is neither 0 nor 1`, offset);
  return byte === 1;
}

/**
 * Reads an aggregate's element count. Every element takes at least `bytesPerElement`
 * (its 4-byte lengths): a larger count cannot be real, and checking it first keeps a
 * damaged count from allocating a huge array.
 */
function readCount(reader: ByteReader, what: string, bytesPerElement: number): number {
  const countOffset = reader.offset;
  const count = reader.u32(`${what} length`);
  if (count > reader.remaining / bytesPerElement || count > limits.listElementsMax) {
    reader.fail(`${what} length ${count} beyond the ${reader.remaining} bytes left`, countOffset);
  }
  return count;
}

function readList(reader: ByteReader): ListDeque {
  const count = readCount(reader, "list", 4);
  const elements: ByteString[] = new Array(count);
  for (let i = 0; i < count; i++) elements[i] = readByteString(reader, "list element");
  return ListDeque.from(elements); // one packed string for a small list, not one per push
}

function readHash(reader: ByteReader): HashFields {
  const count = readCount(reader, "hash", 8);
  const fields = new Map<ByteString, ByteString>();
  for (let i = 0; i < count; i++) {
    const offset = reader.offset;
    const field = readByteString(reader, "hash field");
    if (fields.has(field)) reader.fail("hash field repeated", offset);
    fields.set(field, readByteString(reader, "hash value"));
  }
  return HashFields.fromMap(fields);
}

function readSet(reader: ByteReader): Set<ByteString> {
  const count = readCount(reader, "set", 4);
  const members = new Set<ByteString>();
  for (let i = 0; i < count; i++) {
    const offset = reader.offset;
    const member = readByteString(reader, "set member");
    if (members.has(member)) reader.fail("set member repeated", offset);
    members.add(member);
  }
  return members;
}

/** A sorted set: a member is never repeated and a score is never NaN (no command stores one). */
function readSortedSet(reader: ByteReader): SortedSet {
  const count = readCount(reader, "zset", 12);
  const sorted = new SortedSet();
  for (let i = 0; i < count; i++) {
    const offset = reader.offset;
    const member = readByteString(reader, "zset member");
    if (sorted.has(member)) reader.fail("zset member repeated", offset);
    const scoreOffset = reader.offset;
    const score = reader.f64("zset score");
    if (Number.isNaN(score)) reader.fail("zset score is NaN", scoreOffset);
    sorted.add(member, score);
  }
  return sorted;
}

/** Writes a value alone (u8 kind | value), without key, version or expiry: DUMP's payload body. */
export function writeKindAndValue(writer: ByteWriter, item: Item): void {
  writer.u8(KIND_CODES[item.kind]);
  writeValue(writer, item);
}

/** Reads what writeKindAndValue wrote. */
export function readKindAndValue(reader: ByteReader): StoredValue {
  const kindOffset = reader.offset;
  const kindCode = reader.u8("value kind");
  const kind = KINDS_BY_CODE.get(kindCode);
  if (kind === undefined) reader.fail(`unknown value kind ${kindCode}`, kindOffset);
  return readValue(reader, kind);
}
