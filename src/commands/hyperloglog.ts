/**
 * The HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, over items of kind "hyperloglog"
 * (see engine/hll.ts for the registers and the estimator).
 *
 * Redis keeps HyperLogLogs in strings, so it answers a string that is not a sketch with
 * "WRONGTYPE Key is not a valid HyperLogLog string value." and a list with the ordinary
 * WRONGTYPE. walnut does the same: every scalar kind (string, blob, integer, float,
 * boolean) gets the HyperLogLog wording, a list the ordinary one.
 */
import { assert } from "../lib/assert.js";
import type { ByteString } from "../engine/bytes.js";
import { addElement, createRegisters, estimateCardinality, mergeInto, wouldChange } from "../engine/hll.js";
import { Item, NO_EXPIRY, redisTypeName } from "../engine/values.js";
import { liveItem, putItem } from "./access.js";
import { defineCommand } from "./define.js";
import { error, integer, OK, WRONGTYPE, type Reply } from "../engine/reply.js";
import type { CommandContext, CommandSpec } from "./spec.js";

export const NOT_A_HYPERLOGLOG: Reply = Object.freeze(error("WRONGTYPE", "Key is not a valid HyperLogLog string value."));

/** The registers at `key`, undefined when absent or expired, or the error reply for another kind. */
function readRegisters(ctx: CommandContext, key: ByteString): Uint8Array | undefined | Reply {
  const item = liveItem(ctx, key);
  if (item === undefined) return undefined;
  const stored = item.stored();
  if (stored.kind === "hyperloglog") return stored.value;
  // Redis checks the type first: a list, hash or set is WRONGTYPE, a string that is no sketch is not.
  return redisTypeName(stored.kind) === "string" ? NOT_A_HYPERLOGLOG : WRONGTYPE;
}

function isReply(value: Uint8Array | undefined | Reply): value is Reply {
  return value !== undefined && !(value instanceof Uint8Array);
}

/** Stores fresh registers at `key` as a new item without expiry. */
function putNewSketch(ctx: CommandContext, key: ByteString, registers: Uint8Array): void {
  putItem(ctx, key, new Item({ kind: "hyperloglog", value: registers }, ctx.index, NO_EXPIRY));
}

/** The live sketch at `key`, as a private copy safe to change; the caller puts it back. */
function sketchForUpdate(ctx: CommandContext, key: ByteString): { item: Item; registers: Uint8Array } {
  const item = ctx.collection.itemForUpdate(key);
  assert(item !== undefined && item.value instanceof Uint8Array, `key ${key} was checked to hold a HyperLogLog`);
  return { item, registers: item.value };
}

/** PFADD key [element ...]: 1 if a register changed (or the key was created), else 0. */
function pfadd(ctx: CommandContext, args: ByteString[]): Reply {
  const key = args[0]!;
  const elements = args.slice(1);
  const current = readRegisters(ctx, key);
  if (isReply(current)) return current;
  if (current === undefined) {
    const registers = createRegisters();
    for (const element of elements) addElement(registers, element);
    putNewSketch(ctx, key, registers);
    return integer(1);
  }
  // Check first, so that a PFADD that changes nothing copies and writes nothing.
  if (!elements.some((element) => wouldChange(current, element))) return integer(0);
  const { item, registers } = sketchForUpdate(ctx, key);
  for (const element of elements) addElement(registers, element);
  item.version = ctx.index;
  putItem(ctx, key, item);
  return integer(1);
}

/** The union of the sketches at `keys` (absent keys count as empty), or an error reply. */
function unionOf(ctx: CommandContext, keys: ByteString[]): Uint8Array | Reply {
  const union = createRegisters();
  for (const key of keys) {
    const registers = readRegisters(ctx, key);
    if (isReply(registers)) return registers;
    if (registers !== undefined) mergeInto(union, registers);
  }
  return union;
}

/** PFCOUNT key [key ...]: the estimated cardinality of the union; changes nothing. */
function pfcount(ctx: CommandContext, args: ByteString[]): Reply {
  if (args.length === 1) {
    const registers = readRegisters(ctx, args[0]!);
    if (isReply(registers)) return registers;
    return integer(registers === undefined ? 0 : estimateCardinality(registers));
  }
  const union = unionOf(ctx, args);
  if (!(union instanceof Uint8Array)) return union;
  return integer(estimateCardinality(union));
}

/** PFMERGE destkey [sourcekey ...]: destkey becomes the union of itself and the sources. */
function pfmerge(ctx: CommandContext, args: ByteString[]): Reply {
  const destination = args[0]!;
  const union = unionOf(ctx, args);
  if (!(union instanceof Uint8Array)) return union;
  if (readRegisters(ctx, destination) === undefined) {
    putNewSketch(ctx, destination, union);
    return OK;
  }
  // Keep the destination's item (and so its expiry), as Redis does.
  const { item, registers } = sketchForUpdate(ctx, destination);
  registers.set(union);
  item.version = ctx.index;
  putItem(ctx, destination, item);
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
