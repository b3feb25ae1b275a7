/**
 * How command handlers read and write items, so that every handler treats expiry,
 * versions and typed values alike:
 * - an item whose expiry instant is at or before ctx.nowMs does not exist;
 * - every write stamps the item with ctx.index (its version) and may carry an expiry;
 *   an expiry instant already past deletes the key instead;
 * - the string-like kinds (string, blob, integer, float, boolean) read as their bytes
 *   (integer 42 reads "42", float 1.5 reads "1.5", boolean true reads "true"); lists,
 *   hashes and sets are not strings (string commands answer WRONGTYPE for them).
 */
import type { ByteString } from "../engine/bytes.js";
import { Item, NO_EXPIRY, type StoredValue, type ValueKind } from "../engine/values.js";
import { accessClockAt } from "../engine/access_clock.js";
import { assert } from "../lib/assert.js";
import { WalnutError } from "../lib/errors.js";
import { limits } from "../lib/limits.js";
import { markEditedInPlace, noteEncodingGrowth } from "./encoding.js";
import { formatFloat, INT64_MAX, INT64_MIN } from "./numbers.js";
import { error, integer, type Reply } from "../engine/reply.js";
import type { CommandContext } from "./spec.js";

export const SYNTAX_ERROR: Reply = Object.freeze(error("ERR", "syntax error"));
export const NOT_AN_INTEGER: Reply = Object.freeze(error("ERR", "value is not an integer or out of range"));
export const NOT_A_FLOAT: Reply = Object.freeze(error("ERR", "value is not a valid float"));
export const STRING_TOO_LONG: Reply = Object.freeze(
  error("ERR", "string exceeds maximum allowed size (proto-max-bulk-len)"),
);

/** True when a parser or lookup answered an error reply instead of its result. */
export function isErrorReply(value: unknown): value is Reply {
  return typeof value === "object" && value !== null && (value as { type?: unknown }).type === "error";
}

/**
 * True when the handler runs inside apply(), as part of a log entry (its index is past
 * the engine's applied index); false on the read path, where nothing may change.
 */
export function isLoggedWrite(ctx: CommandContext): boolean {
  return ctx.index > ctx.engine.appliedIndex;
}

/**
 * The item at `key`, or undefined when it is absent or expired at ctx.nowMs. Marks it
 * accessed at ctx.nowMs (OBJECT IDLETIME), as Redis' lookupKey does.
 */
export function liveItem(ctx: CommandContext, key: ByteString): Item | undefined {
  const item = peekItem(ctx, key);
  if (item !== undefined) item.accessClock = accessClockAt(ctx.nowMs);
  return item;
}

/**
 * The item at `key` like liveItem, without marking it accessed: what Redis' commands
 * that look at a key without using it do (TYPE, EXISTS, OBJECT, SCAN: LOOKUP_NOTOUCH).
 */
export function peekItem(ctx: CommandContext, key: ByteString): Item | undefined {
  const item = ctx.collection.get(key);
  return item === undefined || item.isExpiredAt(ctx.nowMs) ? undefined : item;
}

const STRING_LIKE: ReadonlySet<ValueKind> = new Set(["string", "blob", "integer", "float", "boolean"]);

export function isStringLike(kind: ValueKind): boolean {
  return STRING_LIKE.has(kind);
}

/** The bytes a string-like item reads as; null for lists, hashes and sets. */
export function textOf(item: Item): ByteString | null {
  const stored = item.stored();
  switch (stored.kind) {
    case "string":
    case "blob":
      return stored.value;
    case "integer":
      return stored.value.toString();
    case "float":
      return formatFloat(stored.value);
    case "boolean":
      return stored.value ? "true" : "false";
    default:
      return null;
  }
}

/**
 * Stores `value` at `key` as of this write: version ctx.index, expiry `expiresAtMs`
 * (NO_EXPIRY for none). An expiry at or before ctx.nowMs deletes the key instead.
 */
export function writeValue(ctx: CommandContext, key: ByteString, value: StoredValue, expiresAtMs: number): void {
  if (expiresAtMs !== NO_EXPIRY && expiresAtMs <= ctx.nowMs) {
    ctx.collection.delete(key);
    return;
  }
  putItem(ctx, key, new Item(value, ctx.index, expiresAtMs));
}

/**
 * Stores edited bytes at `key` (APPEND, SETRANGE, SETBIT, BITFIELD, PFADD...): a blob stays a
 * blob, every other kind becomes a string, and the key keeps its expiry (a new key: none).
 * `inPlace`: Redis edits the existing string (everything but APPEND to a new key), which
 * leaves it in the "raw" encoding (encoding.ts).
 */
export function writeEdited(ctx: CommandContext, key: ByteString, bytes: ByteString, current: Item | undefined, inPlace = true): void {
  const kind = current?.kind === "blob" ? "blob" : "string";
  writeValue(ctx, key, { kind, value: bytes }, current?.expiresAtMs ?? NO_EXPIRY);
  const written = ctx.collection.get(key);
  if (inPlace && written !== undefined) markEditedInPlace(written);
}

/**
 * The aggregate item (hash, set ...) at `key`, safe to change in place: a private copy while
 * a checkpoint view may read it, or a new one holding `empty()` when the key is absent (the
 * caller checked the key's type; storeAggregate puts it back, or drops it if still empty).
 */
export function aggregateForUpdate(ctx: CommandContext, key: ByteString, empty: () => StoredValue): Item {
  if (liveItem(ctx, key) === undefined) return new Item(empty(), ctx.index, NO_EXPIRY);
  const item = ctx.collection.itemForUpdate(key);
  if (!(item !== undefined)) assert(false, `key ${key} was checked to hold an aggregate`);
  return item;
}

/**
 * Puts a changed aggregate (list, hash, set, sorted set) back with this write's version, or
 * deletes the key when it holds `size` 0 elements: Redis never keeps an empty aggregate.
 */
export function storeAggregate(ctx: CommandContext, key: ByteString, item: Item, size: number): void {
  if (size === 0) {
    ctx.collection.delete(key);
    return;
  }
  item.version = ctx.index;
  putItem(ctx, key, item);
}

/** Refuses a key longer than limits.keyBytesMax (apply() answers it as an ERR reply). */
export function checkKeyLength(key: ByteString): void {
  if (key.length > limits.keyBytesMax) {
    throw new WalnutError("LIMIT", `Cannot write key: ${key.length} bytes exceeds the limit of ${limits.keyBytesMax}`);
  }
}

/** Puts an item this write built or got from itemForUpdate, refusing oversized keys. */
export function putItem(ctx: CommandContext, key: ByteString, item: Item): void {
  if (!(item.version === ctx.index)) assert(false, `an item written at index ${ctx.index} carries version ${item.version}`);
  checkKeyLength(key);
  storeItem(ctx, key, item);
}

/**
 * Puts back an item from itemForUpdate whose change Redis 7.0 does not count as a
 * modification of the key (it calls no signalModifiedKey: a stream's consumer groups,
 * XSETID's bookkeeping). The item keeps its version, so a WATCH of the key does not abort
 * EXEC, tracking clients are not told, and the watch history records no change of the key
 * (engine/change_capture.ts records a put only for a version equal to the entry's index).
 * The change is state all the same: it came from the log, so every replica makes it, and
 * it goes through Collection.put, so the collection's change sink (and whatever notes keys
 * for the next checkpoint there) and copy-on-write see it; blocked clients are told too.
 */
export function putUnmodified(ctx: CommandContext, key: ByteString, item: Item): void {
  if (!(item.version <= ctx.index)) assert(false, `an unmodified item put at index ${ctx.index} carries version ${item.version}`);
  if (ctx.collection.get(key) === undefined) assert(false, `an unmodified item put at absent key ${key}`);
  storeItem(ctx, key, item);
}

function storeItem(ctx: CommandContext, key: ByteString, item: Item): void {
  item.accessClock = accessClockAt(ctx.nowMs);
  noteEncodingGrowth(item);
  ctx.collection.put(key, item);
  ctx.engine.writtenKeys.note(ctx.collection.name, key);
}

/**
 * Gives the live item at `key` a new expiry (NO_EXPIRY to persist it) and this write's
 * version, without copying its value unless a checkpoint view shares it. An instant at
 * or before ctx.nowMs deletes the key.
 */
export function changeExpiry(ctx: CommandContext, key: ByteString, expiresAtMs: number): void {
  if (expiresAtMs !== NO_EXPIRY && expiresAtMs <= ctx.nowMs) {
    ctx.collection.delete(key);
    return;
  }
  const item = ctx.collection.itemForUpdate(key);
  if (!(item !== undefined)) assert(false, `changing the expiry of absent key ${key}`);
  item.expiresAtMs = expiresAtMs;
  item.version = ctx.index;
  ctx.collection.put(key, item);
}

/** Deletes `key`, expired or not; true when it was live (a deletion a client can see). */
export function deleteKey(ctx: CommandContext, key: ByteString): boolean {
  const item = ctx.collection.get(key);
  if (item === undefined) return false;
  ctx.collection.delete(key);
  return !item.isExpiredAt(ctx.nowMs);
}

/** An integer reply: a JS number when exact, a bigint beyond 2^53. */
export function integerReply(value: bigint): Reply {
  const exact = value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER);
  if (!(value <= INT64_MAX && value >= INT64_MIN)) assert(false, `integer reply ${value} outside int64`);
  return integer(exact ? Number(value) : value);
}

/** Redis' upper-case comparison of an option word. */
export function isWord(arg: ByteString, word: string): boolean {
  return arg.length === word.length && arg.toUpperCase() === word;
}
