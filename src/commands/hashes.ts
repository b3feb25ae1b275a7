/**
 * The hash commands, as Redis 7.0 defines them: HSET HSETNX HGET HMGET HMSET HGETALL HDEL
 * HEXISTS HLEN HKEYS HVALS HINCRBY HINCRBYFLOAT HSTRLEN HRANDFIELD HSCAN.
 *
 * A hash is an item of kind "hash" whose value is a HashFields, field to value (byte strings)
 * in insertion order; a field set again keeps its place. That is the order Redis answers
 * in for a small hash (a listpack: at most 512 fields, none and no value longer than 64
 * bytes); a larger Redis hash is a hash table that answers in no defined order, so
 * walnut's insertion order is one Redis could give too. HSCAN answers a small hash whole
 * with cursor 0, as Redis does, and walks a larger one with a cursor (element_scan.ts).
 *
 * A hash never exists empty: HDEL of its last field deletes the key. Writes change the
 * HashFields they get from `itemForUpdate` (a private copy while a checkpoint view may still read
 * the original), stamp the item with the entry's index and put it back; an existing hash
 * keeps its expiry. HINCRBYFLOAT computes in 80-bit long doubles as Redis does
 * (long_double.ts). HRANDFIELD only reads, so it may use Math.random.
 *
 * Cost: every command is O(1) per field it names; HGETALL, HKEYS, HVALS O(n); HRANDFIELD
 * with a count O(n) (it picks positions, then walks the hash once). A hash of
 * up to 512 short fields is one packed string (engine/hash_fields.ts): a field costs a walk there.
 */
import type { ByteString } from "../engine/bytes.js";
import { HashFields } from "../engine/hash_fields.js";
import type { Item } from "../engine/values.js";
import { assert } from "../lib/assert.js";
import { aggregateForUpdate, integerReply, isWord, liveItem, NOT_A_FLOAT, NOT_AN_INTEGER, storeAggregate, SYNTAX_ERROR } from "./access.js";
import { defineCommand } from "./define.js";
import {
  cursorScan,
  EMPTY_SCAN,
  INVALID_CURSOR,
  parseElementCursor,
  parseElementScanOptions,
  wholeScan,
  type ScannedElement,
} from "./element_scan.js";
import { addLongDoubles, formatLongDouble, parseLongDouble } from "./long_double.js";
import { INT64_MAX, INT64_MIN, parseInteger } from "./numbers.js";
import { randomCount, tooManyPicks } from "./random_count.js";
import { array, bulk, error, integer, map, NIL, OK, pairs, WRONGTYPE, type Reply } from "../engine/reply.js";
import type { CommandContext, CommandSpec } from "./spec.js";

type Hash = HashFields;

const EMPTY_ARRAY: Reply = Object.freeze(array([]));
const NOT_AN_INTEGER_FIELD: Reply = Object.freeze(error("ERR", "hash value is not an integer"));
const NOT_A_FLOAT_FIELD: Reply = Object.freeze(error("ERR", "hash value is not a float"));
const OVERFLOW: Reply = Object.freeze(error("ERR", "increment or decrement would overflow"));
const NOT_FINITE_INCREMENT: Reply = Object.freeze(error("ERR", "value is NaN or Infinity"));
const NOT_FINITE_RESULT: Reply = Object.freeze(error("ERR", "increment would produce NaN or Infinity"));

/** The hash at `key` (read only), undefined when absent, or WRONGTYPE. */
function readHash(ctx: CommandContext, key: ByteString): Hash | undefined | Reply {
  const item = liveItem(ctx, key);
  if (item === undefined) return undefined;
  const stored = item.stored();
  return stored.kind === "hash" ? stored.value : WRONGTYPE;
}

function isReply(value: Hash | undefined | Reply): value is Reply {
  return value !== undefined && !(value instanceof HashFields);
}

/**
 * The hash at `key`, safe to change: the live one through itemForUpdate, or a new empty
 * one when absent (storeHash puts it; a hash left empty is never stored). The caller
 * checked that the key holds a hash or nothing.
 */
function hashForUpdate(ctx: CommandContext, key: ByteString): { item: Item; fields: Hash } {
  const item = aggregateForUpdate(ctx, key, () => ({ kind: "hash", value: new HashFields() }));
  assert(item.value instanceof HashFields, `key ${key} was checked to hold a hash`);
  return { item, fields: item.value };
}

/** Puts a changed hash back, or deletes the key when it became empty. */
function storeHash(ctx: CommandContext, key: ByteString, item: Item): void {
  assert(item.value instanceof HashFields, "a hash item holds HashFields");
  storeAggregate(ctx, key, item, item.value.size);
}

// ---- writes ----

function hset(ctx: CommandContext, args: ByteString[], command: "hset" | "hmset"): Reply {
  if (args.length % 2 === 0) return error("ERR", `wrong number of arguments for '${command}' command`);
  const key = args[0]!;
  const current = readHash(ctx, key);
  if (isReply(current)) return current;
  const target = hashForUpdate(ctx, key);
  let created = 0;
  for (let at = 1; at < args.length; at += 2) {
    if (!target.fields.has(args[at]!)) created += 1;
    target.fields.set(args[at]!, args[at + 1]!);
  }
  storeHash(ctx, key, target.item);
  return command === "hset" ? integer(created) : OK;
}

function hsetnx(ctx: CommandContext, [key, field, value]: ByteString[]): Reply {
  const current = readHash(ctx, key!);
  if (isReply(current)) return current;
  if (current?.has(field!) === true) return integer(0);
  const target = hashForUpdate(ctx, key!);
  target.fields.set(field!, value!);
  storeHash(ctx, key!, target.item);
  return integer(1);
}

function hdel(ctx: CommandContext, [key, ...fields]: ByteString[]): Reply {
  const current = readHash(ctx, key!);
  if (isReply(current)) return current;
  if (current === undefined || !fields.some((field) => current.has(field))) return integer(0);
  const target = hashForUpdate(ctx, key!);
  let deleted = 0;
  for (const field of fields) if (target.fields.delete(field)) deleted += 1;
  storeHash(ctx, key!, target.item);
  return integer(deleted);
}

function hincrby(ctx: CommandContext, [key, field, incrementText]: ByteString[]): Reply {
  const increment = parseInteger(incrementText!);
  if (increment === null) return NOT_AN_INTEGER;
  const current = readHash(ctx, key!);
  if (isReply(current)) return current;
  const text = current?.get(field!);
  const value = text === undefined ? 0n : parseInteger(text);
  if (value === null) return NOT_AN_INTEGER_FIELD;
  const sum = value + increment;
  if (sum > INT64_MAX || sum < INT64_MIN) return OVERFLOW;
  const target = hashForUpdate(ctx, key!);
  target.fields.set(field!, sum.toString());
  storeHash(ctx, key!, target.item);
  return integerReply(sum);
}

function hincrbyfloat(ctx: CommandContext, [key, field, incrementText]: ByteString[]): Reply {
  const increment = parseLongDouble(incrementText!);
  if (increment === null) return NOT_A_FLOAT;
  if (typeof increment === "string") return NOT_FINITE_INCREMENT;
  const current = readHash(ctx, key!);
  if (isReply(current)) return current;
  const text = current?.get(field!);
  const value = text === undefined ? { negative: false, significand: 0n, exponent: 0 } : parseLongDouble(text);
  if (value === null) return NOT_A_FLOAT_FIELD;
  if (typeof value === "string") return NOT_FINITE_RESULT; // inf plus a finite increment
  const sum = addLongDoubles(value, increment);
  if (sum === null) return NOT_FINITE_RESULT;
  const written = formatLongDouble(sum);
  const target = hashForUpdate(ctx, key!);
  target.fields.set(field!, written);
  storeHash(ctx, key!, target.item);
  return bulk(written);
}

// ---- reads ----

function hget(ctx: CommandContext, [key, field]: ByteString[]): Reply {
  const fields = readHash(ctx, key!);
  if (isReply(fields)) return fields;
  const value = fields?.get(field!);
  return value === undefined ? NIL : bulk(value);
}

function hmget(ctx: CommandContext, [key, ...wanted]: ByteString[]): Reply {
  const fields = readHash(ctx, key!);
  if (isReply(fields)) return fields;
  return array(wanted.map((field) => {
    const value = fields?.get(field);
    return value === undefined ? NIL : bulk(value);
  }));
}

function hgetall(ctx: CommandContext, [key]: ByteString[]): Reply {
  const fields = readHash(ctx, key!);
  if (isReply(fields)) return fields;
  return map([...(fields ?? [])].map(([field, value]): [Reply, Reply] => [bulk(field), bulk(value)]));
}

function hkeys(ctx: CommandContext, [key]: ByteString[]): Reply {
  const fields = readHash(ctx, key!);
  if (isReply(fields)) return fields;
  return array([...(fields?.keys() ?? [])].map(bulk));
}

function hvals(ctx: CommandContext, [key]: ByteString[]): Reply {
  const fields = readHash(ctx, key!);
  if (isReply(fields)) return fields;
  return array([...(fields?.values() ?? [])].map(bulk));
}

function hlen(ctx: CommandContext, [key]: ByteString[]): Reply {
  const fields = readHash(ctx, key!);
  if (isReply(fields)) return fields;
  return integer(fields?.size ?? 0);
}

function hexists(ctx: CommandContext, [key, field]: ByteString[]): Reply {
  const fields = readHash(ctx, key!);
  if (isReply(fields)) return fields;
  return integer(fields?.has(field!) === true ? 1 : 0);
}

function hstrlen(ctx: CommandContext, [key, field]: ByteString[]): Reply {
  const fields = readHash(ctx, key!);
  if (isReply(fields)) return fields;
  return integer(fields?.get(field!)?.length ?? 0);
}

// ---- HRANDFIELD ----

/** Redis' bound on a count given WITHVALUES (LONG_MAX / 2, so that count × 2 fits). */
const WITHVALUES_COUNT_MAX = 2n ** 62n - 1n;

function hrandfield(ctx: CommandContext, args: ByteString[]): Reply {
  const key = args[0]!;
  if (args.length === 1) {
    const fields = readHash(ctx, key);
    if (isReply(fields)) return fields;
    if (fields === undefined) return NIL;
    return bulk(nthEntry(fields, Math.floor(Math.random() * fields.size))[0]);
  }
  const count = randomCount(args[1]!);
  if (typeof count !== "bigint") return count;
  if (args.length > 3 || (args.length === 3 && !isWord(args[2]!, "WITHVALUES"))) return SYNTAX_ERROR;
  const withValues = args.length === 3;
  if (withValues && (count < -WITHVALUES_COUNT_MAX || count > WITHVALUES_COUNT_MAX)) {
    return error("ERR", "value is out of range");
  }
  const fields = readHash(ctx, key);
  if (isReply(fields)) return fields;
  if (fields === undefined || count === 0n) return EMPTY_ARRAY;
  const refused = tooManyPicks(count);
  if (refused !== null) return refused;
  const entries = pickEntries(fields, count);
  if (!withValues) return array(entries.map(([field]) => bulk(field)));
  return pairs(entries.map(([field, value]): [Reply, Reply] => [bulk(field), bulk(value)]));
}

function nthEntry(fields: Hash, position: number): [ByteString, ByteString] {
  let at = 0;
  for (const entry of fields) if (at++ === position) return entry;
  throw new Error(`position ${position} is past the hash's ${fields.size} fields`);
}

/**
 * What HRANDFIELD key count answers: a positive count gives distinct fields (the whole
 * hash, in order, when count >= size); a negative one |count| fields that may repeat.
 */
function pickEntries(fields: Hash, count: bigint): Array<[ByteString, ByteString]> {
  const all = [...fields];
  if (count < 0n) {
    const wanted = Number(-count);
    const picked: Array<[ByteString, ByteString]> = [];
    for (let index = 0; index < wanted; index++) picked.push(all[Math.floor(Math.random() * all.length)]!);
    return picked;
  }
  if (count >= BigInt(all.length)) return all;
  const wanted = Number(count);
  // A partial Fisher-Yates shuffle: the first `wanted` places end up a random choice, in random order.
  for (let index = 0; index < wanted; index++) {
    const other = index + Math.floor(Math.random() * (all.length - index));
    [all[index], all[other]] = [all[other]!, all[index]!];
  }
  return all.slice(0, wanted);
}

// ---- HSCAN ----

function hashElements(fields: Hash): Iterator<ScannedElement> {
  return fields.entries();
}

function hscan(ctx: CommandContext, [key, cursorText, ...optionArgs]: ByteString[]): Reply {
  const cursor = parseElementCursor(cursorText!);
  if (cursor === null) return INVALID_CURSOR;
  const fields = readHash(ctx, key!);
  if (isReply(fields)) return fields;
  if (fields === undefined) return EMPTY_SCAN;
  const options = parseElementScanOptions(optionArgs);
  if (!("count" in options)) return options;
  // A compact hash is one Redis keeps as a listpack (the same limits: engine/hash_fields.ts),
  // which Redis answers whole. A cursor walk is only ever over the Map of a large one, whose
  // live iterator neither skips nor repeats a field that stays while fields come and go.
  if (fields.isCompact) return wholeScan(fields.entries(), options);
  return cursorScan(ctx.engine, ctx.collection, key!, cursor, () => hashElements(fields), options);
}

// ---- the table ----

export const hashCommands: CommandSpec[] = [
  defineCommand({
    name: "HSET",
    arity: -4,
    flags: ["write", "denyoom", "fast"],
    summary: "Sets fields of a hash; the number of fields added.",
    run: (ctx, args) => hset(ctx, args, "hset"),
  }),
  defineCommand({
    name: "HMSET",
    arity: -4,
    flags: ["write", "denyoom", "fast"],
    summary: "Sets fields of a hash; OK (deprecated: HSET does the same).",
    run: (ctx, args) => hset(ctx, args, "hmset"),
  }),
  defineCommand({ name: "HSETNX", arity: 4, flags: ["write", "denyoom", "fast"], summary: "Sets a field of a hash only if it is absent.", run: hsetnx }),
  defineCommand({ name: "HGET", arity: 3, flags: ["readonly", "fast"], summary: "Returns the value of a field of a hash.", run: hget }),
  defineCommand({ name: "HMGET", arity: -3, flags: ["readonly", "fast"], summary: "Returns the values of fields of a hash.", run: hmget }),
  defineCommand({ name: "HGETALL", arity: 2, flags: ["readonly"], summary: "Returns every field and value of a hash.", run: hgetall }),
  defineCommand({ name: "HDEL", arity: -3, flags: ["write", "fast"], summary: "Deletes fields of a hash; the number deleted.", run: hdel }),
  defineCommand({ name: "HEXISTS", arity: 3, flags: ["readonly", "fast"], summary: "Whether a field exists in a hash.", run: hexists }),
  defineCommand({ name: "HLEN", arity: 2, flags: ["readonly", "fast"], summary: "Returns the number of fields of a hash.", run: hlen }),
  defineCommand({ name: "HKEYS", arity: 2, flags: ["readonly"], summary: "Returns the fields of a hash.", run: hkeys }),
  defineCommand({ name: "HVALS", arity: 2, flags: ["readonly"], summary: "Returns the values of a hash.", run: hvals }),
  defineCommand({
    name: "HINCRBY",
    arity: 4,
    flags: ["write", "denyoom", "fast"],
    summary: "Adds an integer to the integer value of a field of a hash.",
    run: hincrby,
  }),
  defineCommand({
    name: "HINCRBYFLOAT",
    arity: 4,
    flags: ["write", "denyoom", "fast"],
    summary: "Adds a floating point number to the value of a field of a hash.",
    run: hincrbyfloat,
  }),
  defineCommand({ name: "HSTRLEN", arity: 3, flags: ["readonly", "fast"], summary: "Returns the length of the value of a field of a hash.", run: hstrlen }),
  defineCommand({
    name: "HRANDFIELD",
    arity: -2,
    flags: ["readonly"],
    summary: "Returns random fields of a hash: HRANDFIELD key [count [WITHVALUES]]",
    run: hrandfield,
  }),
  defineCommand({
    name: "HSCAN",
    arity: -3,
    flags: ["readonly"],
    summary: "Iterates the fields and values of a hash: HSCAN key cursor [MATCH pattern] [COUNT n]",
    run: hscan,
  }),
];
