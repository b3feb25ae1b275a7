/**
 * The HyperLogLog commands, PFADD PFCOUNT PFMERGE, over strings in Redis' own HLL format
 * (engine/hll_format.ts): an HLL is a string, GET answers Redis' bytes, and a string SET
 * from a Redis server's GET counts and merges here as it does there.
 *
 * Errors are Redis 7.0's: a list, hash or set answers the ordinary WRONGTYPE; a string
 * that does not have an HLL's shape (too short, no "HYLL", unknown encoding, dense of the
 * wrong length; also walnut's integer, float and boolean values, which Redis would hold
 * as integer-encoded or short strings) answers "WRONGTYPE Key is not a valid HyperLogLog
 * string value."; a sparse code that does not add up to 16384 registers answers
 * "INVALIDOBJ Corrupted HLL object detected".
 *
 * PFCOUNT of one key stores the cardinality it computed in the HLL's header, as Redis
 * does (a later GET shows it). That makes it a write when the cache is stale: the
 * executor asks `loggedWhen` as the read runs and then logs the call; a PFCOUNT whose
 * cache is fresh stays a read.
 */
import type { ByteString } from "../engine/bytes.js";
import { HLL_REGISTER_COUNT } from "../engine/hll.js";
import { countRegisters, hllShapeError, RedisHll } from "../engine/hll_format.js";
import type { Item } from "../engine/values.js";
import { integerReply, isErrorReply, isLoggedWrite, liveItem, writeEdited } from "./access.js";
import { defineCommand } from "./define.js";
import { error, integer, OK, WRONGTYPE, type Reply } from "../engine/reply.js";
import type { CommandContext, CommandSpec } from "./spec.js";

export const NOT_A_HYPERLOGLOG: Reply = Object.freeze(error("WRONGTYPE", "Key is not a valid HyperLogLog string value."));
export const CORRUPT_HYPERLOGLOG: Reply = Object.freeze(error("INVALIDOBJ", "Corrupted HLL object detected"));

interface StoredHll {
  item: Item;
  hll: RedisHll;
}

/** The HLL at `key`: undefined when absent or expired, or the error reply its value deserves. */
function readHll(ctx: CommandContext, key: ByteString): StoredHll | undefined | Reply {
  const item = liveItem(ctx, key);
  if (item === undefined) return undefined;
  const stored = item.stored();
  switch (stored.kind) {
    case "string":
    case "blob":
      return hllShapeError(stored.value) === null ? { item, hll: RedisHll.fromBytes(stored.value) } : NOT_A_HYPERLOGLOG;
    case "integer":
    case "float":
    case "boolean":
      return NOT_A_HYPERLOGLOG;
    default:
      return WRONGTYPE;
  }
}

/** Stores `hll` at `key`, keeping the key's expiry and its blob-ness (a new key: a string, no expiry). */
function writeHll(ctx: CommandContext, key: ByteString, hll: RedisHll, current: Item | undefined): void {
  writeEdited(ctx, key, hll.toBytes(), current);
}

/** PFADD key [element ...]: 1 if a register rose (or the key was created), else 0. */
function pfadd(ctx: CommandContext, [key, ...elements]: ByteString[]): Reply {
  const current = readHll(ctx, key!);
  if (isErrorReply(current)) return current;
  const hll = current?.hll ?? RedisHll.empty();
  let updated = current === undefined;
  for (const element of elements) {
    const added = hll.add(element);
    if (added === -1) return CORRUPT_HYPERLOGLOG;
    if (added === 1) updated = true;
  }
  if (!updated) return integer(0);
  hll.invalidateCache();
  writeHll(ctx, key!, hll, current?.item);
  return integer(1);
}

/** The union of the HLLs at `keys` as one register per byte (absent keys are empty), or an error reply. */
function unionOf(ctx: CommandContext, keys: ByteString[]): { registers: Uint8Array; anyDense: boolean } | Reply {
  const registers = new Uint8Array(HLL_REGISTER_COUNT);
  let anyDense = false;
  for (const key of keys) {
    const stored = readHll(ctx, key);
    if (stored === undefined) continue;
    if (isErrorReply(stored)) return stored;
    if (!stored.hll.isSparse) anyDense = true;
    if (!stored.hll.mergeInto(registers)) return CORRUPT_HYPERLOGLOG;
  }
  return { registers, anyDense };
}

/** PFCOUNT key [key ...]: the estimated cardinality of the union. */
function pfcount(ctx: CommandContext, keys: ByteString[]): Reply {
  if (keys.length > 1) {
    const union = unionOf(ctx, keys);
    return isErrorReply(union) ? union : cardinalityReply(countRegisters(union.registers));
  }
  const stored = readHll(ctx, keys[0]!);
  if (stored === undefined) return integer(0);
  if (isErrorReply(stored)) return stored;
  const cached = stored.hll.cachedCardinality();
  if (cached !== null) return cardinalityReply(cached);
  const cardinality = stored.hll.count();
  if (cardinality === null) return CORRUPT_HYPERLOGLOG;
  if (isLoggedWrite(ctx)) {
    stored.hll.setCachedCardinality(cardinality);
    writeHll(ctx, keys[0]!, stored.hll, stored.item);
  }
  return cardinalityReply(cardinality);
}

/** Redis answers the uint64 cardinality as a signed 64-bit integer. */
function cardinalityReply(cardinality: bigint): Reply {
  return integerReply(BigInt.asIntN(64, cardinality));
}

/** Whether PFCOUNT would store a cardinality: one key holding a valid HLL whose cache is stale. */
function pfcountWrites(ctx: CommandContext, keys: ByteString[]): boolean {
  if (keys.length !== 1) return false;
  const stored = readHll(ctx, keys[0]!);
  return stored !== undefined && !isErrorReply(stored) && stored.hll.cachedCardinality() === null;
}

/** PFMERGE destkey [sourcekey ...]: destkey becomes the union of itself and the sources. */
function pfmerge(ctx: CommandContext, keys: ByteString[]): Reply {
  const destination = keys[0]!;
  const union = unionOf(ctx, keys);
  if (isErrorReply(union)) return union;
  const current = readHll(ctx, destination);
  if (isErrorReply(current)) return current; // checked by unionOf already
  const hll = current?.hll ?? RedisHll.empty();
  // Redis turns the destination dense at once when any input is dense.
  if (union.anyDense && !hll.promote()) return CORRUPT_HYPERLOGLOG;
  for (let index = 0; index < HLL_REGISTER_COUNT; index++) {
    const value = union.registers[index]!;
    if (value !== 0) hll.raise(index, value);
  }
  hll.invalidateCache();
  writeHll(ctx, destination, hll, current?.item);
  return OK;
}

export const hyperLogLogCommands: CommandSpec[] = [
  defineCommand({
    name: "PFADD",
    arity: -2,
    flags: ["write", "denyoom", "fast"],
    summary: "Adds elements to a HyperLogLog; 1 if its estimate may have changed.",
    run: pfadd,
  }),
  defineCommand({
    name: "PFCOUNT",
    arity: -2,
    flags: ["readonly"],
    lastKey: -1,
    summary: "Estimates the number of distinct elements in the union of HyperLogLogs.",
    run: pfcount,
    loggedWhen: pfcountWrites,
  }),
  defineCommand({
    name: "PFMERGE",
    arity: -2,
    flags: ["write", "denyoom"],
    lastKey: -1,
    summary: "Merges HyperLogLogs into the destination key.",
    run: pfmerge,
  }),
];
