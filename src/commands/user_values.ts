/**
 * A user's value as walnut stores it: the JavaScript values the embedded API and the HTTP API
 * take and hand back, the commands that store one under a key, and the value an engine item
 * reads as. Both faces (db.ts, server/http/) use it, so it lives below them, in commands/.
 */
import { isUtf8 } from "node:buffer";
import { fromInput, toText, type ByteString } from "../engine/bytes.js";
import type { HashFields } from "../engine/hash_fields.js";
import type { SortedSet } from "../engine/sorted_set.js";
import { formatId, type Stream } from "../engine/stream.js";
import type { Item } from "../engine/values.js";
import type { ListDeque } from "../engine/list_deque.js";
import { WalnutError } from "../lib/errors.js";
import type { CommandCall } from "../node/entry.js";

/**
 * What walnut stores and returns: text, binary, numbers, booleans, lists of text, hashes
 * (an object of field to text), sets (`get` returns a set's members as an array) and sorted
 * sets (`get` returns [member, score] pairs, lowest score first).
 */
export type Value = string | Buffer | number | bigint | boolean | Array<string | Buffer | number> | HashValue | SortedSetValue | StreamValue;

/** A stream as the HTTP and embedded APIs read it: its entries in ID order, fields as [field, value] pairs (a field may repeat). */
export type StreamValue = Array<{ id: string; fields: Array<[string, string]> }>;

/** A sorted set as the embedded and HTTP APIs give it: [member, score] pairs in the set's order. */
export type SortedSetValue = Array<[string, number]>;

/** A hash as the embedded and HTTP APIs give it: field to value, in the hash's order. */
export type HashValue = { [field: string]: string };

export interface SetOptions {
  /** Time to live in milliseconds. */
  ttlMs?: number;
  /** Absolute expiry, ms since the Unix epoch. */
  expireAtMs?: number;
  /** Only set when the key does not exist. */
  ifNotExists?: boolean;
  /** Only set when the key exists. */
  ifExists?: boolean;
  /** Keep the key's current expiry. */
  keepTtl?: boolean;
  /** Compare-and-set: only when the key's version is this (0: absent); else VERSION_CONFLICT. */
  ifVersion?: number;
}

/** An integer as a number when it fits exactly, else a bigint (as `get` and `incr` return integers). */
export function integerValue(value: number | bigint): number | bigint {
  if (typeof value === "number") return value;
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** A value as one command argument: numbers as their decimal text, text and Buffers as byte strings. */
export function commandArgument(value: string | Buffer | number | bigint): ByteString {
  return typeof value === "number" || typeof value === "bigint" ? String(value) : fromInput(value);
}

/**
 * A string's value: its text when its bytes are UTF-8, else its bytes as a Buffer, so that
 * binary strings written over RESP (a HyperLogLog, a bitmap) come back whole, not mangled.
 */
function textOrBytes(bytes: ByteString): string | Buffer {
  const buffer = Buffer.from(bytes, "latin1");
  return isUtf8(buffer) ? buffer.toString("utf8") : buffer;
}

/** The value an engine item reads as (what `get` returns). */
export function itemValue(item: Item): Value {
  switch (item.kind) {
    case "string":
      return textOrBytes(item.value as ByteString);
    case "blob":
      return Buffer.from(item.value as ByteString, "latin1");
    case "integer":
      return integerValue(item.value as bigint);
    case "float":
    case "boolean":
      return item.value as number | boolean;
    case "list":
      return (item.value as ListDeque).toArray().map(toText);
    case "hash":
      return Object.fromEntries([...(item.value as HashFields)].map(([field, value]) => [toText(field), toText(value)]));
    case "set":
      return [...(item.value as Set<ByteString>)].map(toText);
    case "zset":
      return [...(item.value as SortedSet).entries()].map(([member, score]): [string, number] => [toText(member), score]);
    case "stream":
      return [...(item.value as Stream).allEntries()].map((entry) => ({ id: formatId(entry.id), fields: fieldPairs(entry.fields) }));
  }
}

function fieldPairs(flat: readonly ByteString[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([toText(flat[i]!), toText(flat[i + 1]!)]);
  return pairs;
}

/** True for a non-empty array of objects: a stream's entries (what itemValue reads a stream as). */
function isStreamValue(value: Value): value is StreamValue {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((element) => typeof element === "object" && element !== null && !Array.isArray(element) && !Buffer.isBuffer(element))
  );
}

/** True for a non-empty array of [member, score] pairs: a sorted set (an empty array is an empty list). */
function isSortedSetValue(value: Value): value is SortedSetValue {
  return Array.isArray(value) && value.length > 0 && value.every((element) => Array.isArray(element));
}

/** DEL + ZADD (+ PEXPIRE or PEXPIREAT): a sorted set replaces whatever the key held. */
function sortedSetCalls(collection: string, key: ByteString, value: SortedSetValue, options: SetOptions): CommandCall[] {
  if (options.ifNotExists || options.ifExists) {
    throw new WalnutError("BAD_ARGUMENT", "Cannot set a sorted set with ifExists/ifNotExists: use a batch with a version condition");
  }
  if (options.keepTtl) throw new WalnutError("BAD_ARGUMENT", "Cannot set a sorted set with keepTtl: it is stored anew (DEL, then ZADD)");
  const zadd: ByteString[] = ["ZADD", key];
  for (const element of value) {
    const [member, score] = element as unknown[];
    if (element.length !== 2 || typeof member !== "string" || typeof score !== "number") {
      throw new WalnutError("BAD_ARGUMENT", "Cannot store a sorted set: every element must be a [member, score] pair of a string and a number");
    }
    if (Number.isNaN(score)) throw new WalnutError("BAD_ARGUMENT", `Cannot store a sorted set: the score of ${JSON.stringify(member)} is NaN`);
    zadd.push(String(score), fromInput(member));
  }
  const calls: CommandCall[] = [{ collection, argv: ["DEL", key] }, { collection, argv: zadd }];
  if (options.ttlMs !== undefined) calls.push({ collection, argv: ["PEXPIRE", key, String(options.ttlMs)] });
  if (options.expireAtMs !== undefined) calls.push({ collection, argv: ["PEXPIREAT", key, String(options.expireAtMs)] });
  return calls;
}

/** Whether `value` is a hash: a plain object (not an array, a Buffer, a Map, a Date or null). */
export function isHashValue(value: unknown): value is HashValue {
  if (typeof value !== "object" || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** HSET's field, value arguments for a hash; a value must be text (or a finite number, stored as its text). */
function hashArguments(value: HashValue): ByteString[] {
  const argv: ByteString[] = [];
  for (const [field, fieldValue] of Object.entries(value) as Array<[string, unknown]>) {
    if (typeof fieldValue === "number" && Number.isFinite(fieldValue)) argv.push(fromInput(field), String(fieldValue));
    else if (typeof fieldValue === "string") argv.push(fromInput(field), fromInput(fieldValue));
    else throw new WalnutError("BAD_ARGUMENT", `Cannot store hash field ${JSON.stringify(field)}: its value must be a string or a finite number`);
  }
  return argv;
}

/**
 * The calls that store `value` under `key`: one SET for the string-like kinds; DEL + RPUSH
 * for a list, DEL + HSET for a hash and DEL + ZADD for a sorted set (an empty one just
 * deletes the key, as none exists empty), then PEXPIRE or PEXPIREAT for an expiry.
 */
export function setCalls(collection: string, key: ByteString, value: Value, options: SetOptions): CommandCall[] {
  const expiry: ByteString[] = [];
  if (options.ttlMs !== undefined) expiry.push("PX", String(options.ttlMs));
  if (options.expireAtMs !== undefined) expiry.push("PXAT", String(options.expireAtMs));
  if (options.keepTtl) expiry.push("KEEPTTL");
  if (isSortedSetValue(value)) return sortedSetCalls(collection, key, value, options);
  if (isStreamValue(value)) throw new WalnutError("BAD_ARGUMENT", "Cannot set a stream: add its entries with XADD");
  if (Array.isArray(value) || isHashValue(value)) {
    const kind = Array.isArray(value) ? "list" : "hash";
    if (options.ifNotExists || options.ifExists) {
      throw new WalnutError("BAD_ARGUMENT", `Cannot set a ${kind} with ifExists/ifNotExists: use a batch with a version condition`);
    }
    if (options.keepTtl) {
      throw new WalnutError("BAD_ARGUMENT", `Cannot set a ${kind} with keepTtl: it is stored anew (DEL, then ${kind === "list" ? "RPUSH" : "HSET"})`);
    }
    const elements = Array.isArray(value) ? (value as Array<string | Buffer | number>).map(commandArgument) : hashArguments(value);
    const calls: CommandCall[] = [{ collection, argv: ["DEL", key] }];
    if (elements.length > 0) calls.push({ collection, argv: [kind === "list" ? "RPUSH" : "HSET", key, ...elements] });
    if (elements.length > 0 && options.ttlMs !== undefined) calls.push({ collection, argv: ["PEXPIRE", key, String(options.ttlMs)] });
    if (elements.length > 0 && options.expireAtMs !== undefined) calls.push({ collection, argv: ["PEXPIREAT", key, String(options.expireAtMs)] });
    return calls;
  }
  const argv: ByteString[] = ["SET", key];
  if (typeof value === "string") argv.push(fromInput(value));
  else if (Buffer.isBuffer(value)) argv.push(fromInput(value), "AS", "blob");
  else if (typeof value === "bigint") argv.push(String(value), "AS", "integer");
  else if (typeof value === "boolean") argv.push(String(value), "AS", "boolean");
  else if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new WalnutError("BAD_ARGUMENT", `Cannot store ${value}: only finite numbers`);
    argv.push(String(value), "AS", Number.isInteger(value) ? "integer" : "float");
  } else throw new WalnutError("BAD_ARGUMENT", `Cannot store a value of type ${typeof value}`);
  argv.push(...expiry);
  if (options.ifNotExists) argv.push("NX");
  if (options.ifExists) argv.push("XX");
  return [{ collection, argv }];
}
