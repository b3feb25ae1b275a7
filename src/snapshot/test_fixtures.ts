/**
 * Shared pieces of the snapshot tests: temporary directories, one item of every value
 * kind, a seeded random source, and a plain-data picture of collections that
 * assert.deepStrictEqual can compare. Not part of walnut's API.
 */
import { RedisHll } from "../engine/hll_format.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Collection, CollectionType } from "../engine/collection.js";
import type { Engine } from "../engine/engine.js";
import { HashFields } from "../engine/hash_fields.js";
import { ListDeque } from "../engine/list_deque.js";
import { SortedSet } from "../engine/sorted_set.js";
import { Item, NO_EXPIRY, type StoredValue } from "../engine/values.js";


/** A fresh directory under the OS temp dir, removed when the test ends. */
export async function temporaryDirectory(context: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-snapshot-"));
  context.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Every byte value once, as a byte string. */
export const ALL_BYTES = String.fromCharCode(...Array.from({ length: 256 }, (_, byte) => byte));

/** One value of every kind, with edge cases (extremes, empties, every byte). */
export function valuesOfEveryKind(): Array<[string, StoredValue]> {
  const registers = new Uint8Array(16384);
  for (let i = 0; i < registers.length; i++) registers[i] = (i * 7) % 64;
  return [
    ["string", { kind: "string", value: "hello" }],
    ["string-empty", { kind: "string", value: "" }],
    ["string-binary", { kind: "string", value: ALL_BYTES }],
    ["blob", { kind: "blob", value: "\x00\xff\x80binary" }],
    ["integer-min", { kind: "integer", value: -(2n ** 63n) }],
    ["integer-max", { kind: "integer", value: 2n ** 63n - 1n }],
    ["integer-zero", { kind: "integer", value: 0n }],
    ["float", { kind: "float", value: 3.141592653589793 }],
    ["float-negative-zero", { kind: "float", value: -0 }],
    ["float-infinity", { kind: "float", value: -Infinity }],
    ["float-nan", { kind: "float", value: NaN }],
    ["boolean-true", { kind: "boolean", value: true }],
    ["boolean-false", { kind: "boolean", value: false }],
    ["list", { kind: "list", value: ListDeque.from(["a", "", ALL_BYTES, "z"]) }],
    ["list-empty", { kind: "list", value: new ListDeque() }],
    ["hyperloglog", { kind: "string", value: RedisHll.denseFromRegisters(registers).toBytes() }],
    ["hash", { kind: "hash", value: new HashFields([["field", "value"], ["", ALL_BYTES], [ALL_BYTES, ""]]) }],
    ["set", { kind: "set", value: new Set(["a", "", ALL_BYTES]) }],
    ["zset", { kind: "zset", value: sortedSetOf([["a", 1.5], ["", -Infinity], [ALL_BYTES, Infinity], ["b", 1.5], ["c", -2e-300]]) }],
  ];
}

/** Puts one item of every kind into `collection`, with varied versions and expiry. */
export function fillWithEveryKind(collection: Collection, options: { version: number }): void {
  for (const [position, [name, value]] of valuesOfEveryKind().entries()) {
    const expiresAtMs = position % 3 === 0 ? 1_700_000_000_000 + position : NO_EXPIRY;
    collection.put(`key:${name}`, new Item(value, Math.max(1, options.version - position), expiresAtMs));
  }
}

/** A deterministic pseudo-random source (mulberry32). */
export { seededRandom } from "../lib/seeded_random.js";

export interface ItemPicture {
  kind: string;
  value: unknown;
  version: number;
  expiresAtMs: number;
}

export interface CollectionPicture {
  name: string;
  type: CollectionType;
  entries: Array<[string, ItemPicture]>;
}

/** Plain data for a collection: entries sorted by key, values deep-copied. */
export function pictureOf(collection: Collection): CollectionPicture {
  const entries: Array<[string, ItemPicture]> = [];
  for (const [key, item] of collection.entries()) {
    // Sorted sets and lists compare as their elements in order: two equal ones' skip lists
    // or ring buffers may differ in shape.
    const value =
      item.value instanceof SortedSet ? [...item.value.entries()] : item.value instanceof ListDeque ? item.value.toArray() : item.clone().value;
    entries.push([key, { kind: item.kind, value, version: item.version, expiresAtMs: item.expiresAtMs }]);
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { name: collection.name, type: collection.type, entries };
}

/** Plain data for every collection of an engine, in the engine's order. */
export function pictureOfEngine(engine: Engine): CollectionPicture[] {
  return engine.collectionNames().map((name) => pictureOf(engine.collection(name)!));
}

/** A sorted set holding `elements`. */
export function sortedSetOf(elements: Array<[string, number]>): SortedSet {
  const sorted = new SortedSet();
  for (const [member, score] of elements) sorted.add(member, score);
  return sorted;
}
