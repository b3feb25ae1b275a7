/**
 * The bitmap commands, as Redis 7.0 defines them: SETBIT GETBIT BITCOUNT BITPOS BITOP
 * BITFIELD BITFIELD_RO. They work on every string-like value (an integer 42 is the bytes
 * "42", as an integer-encoded string is in Redis); writes store a plain string (a blob
 * stays a blob) and keep the key's expiry, except BITOP, which replaces its destination.
 *
 * Checks come in Redis' order, so that a call with several faults gets Redis' error: e.g.
 * BITCOUNT looks the key up before parsing its range (an absent key answers 0 whatever
 * the range says), BITFIELD parses every operation before it looks at the key.
 * Offsets are limited as Redis limits them by proto-max-bulk-len: offset / 8 must be
 * below 512 MiB. A write past the largest value walnut can hold (limits.valueBytesMax,
 * 24 bytes short of 512 MiB in V8) answers Redis' "string exceeds maximum allowed size".
 */
import type { ByteString } from "../engine/bytes.js";
import {
  bitAt,
  checkSignedOverflow,
  checkUnsignedOverflow,
  combineBytes,
  countBits,
  editableBytes,
  findBit,
  readField,
  setBit,
  writeField,
  type BitfieldType,
  type BitwiseOperation,
  type OverflowMode,
} from "../engine/bits.js";
import { NO_EXPIRY, type Item } from "../engine/values.js";
import { limits } from "../lib/limits.js";
import { deleteKey, integerReply, isErrorReply, isWord, liveItem, NOT_AN_INTEGER, STRING_TOO_LONG, SYNTAX_ERROR, textOf, writeEdited, writeValue } from "./access.js";
import { defineCommand } from "./define.js";
import { parseInteger } from "./numbers.js";
import { array, error, integer, NIL, WRONGTYPE, type Reply } from "../engine/reply.js";
import type { CommandContext, CommandSpec } from "./spec.js";

const BAD_OFFSET: Reply = Object.freeze(error("ERR", "bit offset is not an integer or out of range"));
const BAD_BIT: Reply = Object.freeze(error("ERR", "bit is not an integer or out of range"));
const BAD_BIT_ARGUMENT: Reply = Object.freeze(error("ERR", "The bit argument must be 1 or 0."));
const BAD_BITFIELD_TYPE: Reply = Object.freeze(
  error("ERR", "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."),
);
const BAD_OVERFLOW: Reply = Object.freeze(error("ERR", "Invalid OVERFLOW type specified"));
const RO_ONLY_GET: Reply = Object.freeze(error("ERR", "BITFIELD_RO only supports the GET subcommand"));
/** Redis' proto-max-bulk-len, which bounds bit offsets: offset / 8 must be below it. */
const OFFSET_BYTES_MAX = 512n * 1024n * 1024n;

const NOT_ONE_SOURCE: Reply = Object.freeze(error("ERR", "BITOP NOT must be called with a single source key."));

/** The argument as C reads it: Redis parses these with strlen(), so a NUL byte ends it. */
function cString(arg: ByteString): ByteString {
  const nul = arg.indexOf("\0");
  return nul < 0 ? arg : arg.slice(0, nul);
}

/**
 * A bit offset argument (Redis' getBitOffsetFromArgument). With `fieldBits`, "#n" means
 * the n-th field of that width: offset n × fieldBits (multiplied in int64, as Redis does).
 */
function parseBitOffset(arg: ByteString, fieldBits?: number): number | Reply {
  const text = cString(arg);
  const byField = fieldBits !== undefined && text.startsWith("#");
  let offset = parseInteger(byField ? text.slice(1) : text);
  if (offset === null) return BAD_OFFSET;
  if (byField) offset = BigInt.asIntN(64, offset * BigInt(fieldBits));
  if (offset < 0n || offset >> 3n >= OFFSET_BYTES_MAX) return BAD_OFFSET;
  return Number(offset);
}

/** The bytes at `key`: "" when absent, undefined for a kind that is not a string. */
function bytesAt(item: Item | undefined): ByteString | undefined {
  if (item === undefined) return "";
  return textOf(item) ?? undefined;
}

function setbit(ctx: CommandContext, [key, offsetArg, bitArg]: ByteString[]): Reply {
  const offset = parseBitOffset(offsetArg);
  if (typeof offset !== "number") return offset;
  const bit = bitArg === "0" ? 0 : bitArg === "1" ? 1 : null;
  if (bit === null) return BAD_BIT;
  const current = liveItem(ctx, key);
  const bytes = bytesAt(current);
  if (bytes === undefined) return WRONGTYPE;
  const previous = bitAt(bytes, offset);
  if (Math.floor(offset / 8) >= limits.valueBytesMax) return STRING_TOO_LONG;
  const buffer = editableBytes(bytes, Math.floor(offset / 8) + 1);
  setBit(buffer, offset, bit);
  writeEdited(ctx, key, buffer.toString("latin1"), current);
  return integer(previous);
}

function getbit(ctx: CommandContext, [key, offsetArg]: ByteString[]): Reply {
  const offset = parseBitOffset(offsetArg);
  if (typeof offset !== "number") return offset;
  const bytes = bytesAt(liveItem(ctx, key));
  if (bytes === undefined) return WRONGTYPE;
  return integer(bitAt(bytes, offset));
}

/** A BYTE|BIT unit word: true for BIT, or the syntax error. */
function parseUnit(arg: ByteString): boolean | Reply {
  if (isWord(arg, "BIT")) return true;
  if (isWord(arg, "BYTE")) return false;
  return SYNTAX_ERROR;
}

/** Resolves Redis-style start/end indexes (negative from the end) against a length; clamped. */
function clampRange(start: bigint, end: bigint, length: bigint): { start: bigint; end: bigint } {
  if (start < 0n) start += length;
  if (end < 0n) end += length;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= length) end = length - 1n;
  return { start, end };
}

function bitcount(ctx: CommandContext, [key, ...range]: ByteString[]): Reply {
  const item = liveItem(ctx, key);
  if (item === undefined) return integer(0);
  const bytes = textOf(item);
  if (bytes === null) return WRONGTYPE;
  const byteLength = BigInt(bytes.length);
  if (range.length === 0) return integer(countBits(bytes, 0, bytes.length * 8 - 1));
  if (range.length !== 2 && range.length !== 3) return SYNTAX_ERROR;
  const start = parseInteger(range[0]!);
  if (start === null) return NOT_AN_INTEGER;
  const end = parseInteger(range[1]!);
  if (end === null) return NOT_AN_INTEGER;
  if (start < 0n && end < 0n && start > end) return integer(0);
  let inBits = false;
  if (range.length === 3) {
    const unit = parseUnit(range[2]!);
    if (typeof unit !== "boolean") return unit;
    inBits = unit;
  }
  const clamped = clampRange(start, end, inBits ? byteLength * 8n : byteLength);
  if (clamped.start > clamped.end) return integer(0);
  const first = Number(clamped.start) * (inBits ? 1 : 8);
  const last = inBits ? Number(clamped.end) : Number(clamped.end) * 8 + 7;
  return integer(countBits(bytes, first, last));
}

function bitpos(ctx: CommandContext, [key, bitArg, ...range]: ByteString[]): Reply {
  const wanted = parseInteger(bitArg!);
  if (wanted === null) return NOT_AN_INTEGER;
  if (wanted !== 0n && wanted !== 1n) return BAD_BIT_ARGUMENT;
  const bit = wanted === 1n ? 1 : 0;
  const item = liveItem(ctx, key!);
  // An absent key is an endless run of 0 bits.
  if (item === undefined) return integer(bit === 1 ? -1 : 0);
  const bytes = textOf(item);
  if (bytes === null) return WRONGTYPE;
  if (range.length > 3) return SYNTAX_ERROR;
  let inBits = false;
  let start = 0n;
  let end = BigInt(bytes.length) - 1n;
  const endGiven = range.length >= 2;
  if (range.length > 0) {
    const parsedStart = parseInteger(range[0]!);
    if (parsedStart === null) return NOT_AN_INTEGER;
    start = parsedStart;
    if (range.length === 3) {
      const unit = parseUnit(range[2]!);
      if (typeof unit !== "boolean") return unit;
      inBits = unit;
    }
    if (endGiven) {
      const parsedEnd = parseInteger(range[1]!);
      if (parsedEnd === null) return NOT_AN_INTEGER;
      end = parsedEnd;
    }
  }
  const length = BigInt(bytes.length) * (inBits ? 8n : 1n);
  if (!endGiven) end = length - 1n;
  const clamped = clampRange(start, end, length);
  if (clamped.start > clamped.end) return integer(-1);
  const first = Number(clamped.start) * (inBits ? 1 : 8);
  const last = inBits ? Number(clamped.end) : Number(clamped.end) * 8 + 7;
  const found = findBit(bytes, bit, first, last);
  if (found >= 0) return integer(found);
  // No 0 bit in range: without an explicit end the string is taken as padded with zeros.
  if (bit === 0 && !endGiven) return integer(last + 1);
  return integer(-1);
}

const BITWISE_OPERATIONS: readonly BitwiseOperation[] = ["AND", "OR", "XOR", "NOT"];

function bitop(ctx: CommandContext, [operationArg, destination, ...keys]: ByteString[]): Reply {
  const operation = BITWISE_OPERATIONS.find((name) => isWord(operationArg!, name));
  if (operation === undefined) return SYNTAX_ERROR;
  if (operation === "NOT" && keys.length !== 1) return NOT_ONE_SOURCE;
  const sources: ByteString[] = [];
  for (const key of keys) {
    const bytes = bytesAt(liveItem(ctx, key));
    if (bytes === undefined) return WRONGTYPE;
    sources.push(bytes);
  }
  const result = combineBytes(operation, sources);
  if (result.length === 0) deleteKey(ctx, destination!);
  else writeValue(ctx, destination!, { kind: "string", value: result }, NO_EXPIRY);
  return integer(result.length);
}

type BitfieldOperation =
  | { op: "GET"; type: BitfieldType; offset: number }
  | { op: "SET" | "INCRBY"; type: BitfieldType; offset: number; value: bigint; overflow: OverflowMode };

/** A bitfield type argument: i1..i64 or u1..u63 (lower-case letter, as Redis reads it). */
function parseBitfieldType(arg: ByteString): BitfieldType | Reply {
  const text = cString(arg);
  const signed = text.startsWith("i");
  if (!signed && !text.startsWith("u")) return BAD_BITFIELD_TYPE;
  const bits = parseInteger(text.slice(1));
  if (bits === null || bits < 1n || bits > (signed ? 64n : 63n)) return BAD_BITFIELD_TYPE;
  return { signed, bits: Number(bits) };
}

/** BITFIELD's operations, parsed whole before anything runs, or the first error. */
function parseBitfieldOperations(args: ByteString[]): BitfieldOperation[] | Reply {
  const operations: BitfieldOperation[] = [];
  let overflow: OverflowMode = "WRAP";
  for (let at = 0; at < args.length; ) {
    const word = args[at]!;
    const remaining = args.length - at - 1;
    if (isWord(word, "OVERFLOW") && remaining >= 1) {
      const mode = (["WRAP", "SAT", "FAIL"] as const).find((name) => isWord(args[at + 1]!, name));
      if (mode === undefined) return BAD_OVERFLOW;
      overflow = mode;
      at += 2;
      continue;
    }
    let op: "GET" | "SET" | "INCRBY";
    if (isWord(word, "GET") && remaining >= 2) op = "GET";
    else if (isWord(word, "SET") && remaining >= 3) op = "SET";
    else if (isWord(word, "INCRBY") && remaining >= 3) op = "INCRBY";
    else return SYNTAX_ERROR;
    const type = parseBitfieldType(args[at + 1]!);
    if (isErrorReply(type)) return type;
    const offset = parseBitOffset(args[at + 2]!, type.bits);
    if (typeof offset !== "number") return offset;
    if (op === "GET") {
      operations.push({ op, type, offset });
      at += 3;
      continue;
    }
    const value = parseInteger(args[at + 3]!);
    if (value === null) return NOT_AN_INTEGER;
    operations.push({ op, type, offset, value, overflow });
    at += 4;
  }
  return operations;
}

/** Runs one SET or INCRBY on `buffer`: the reply (nil when OVERFLOW FAIL refused it). */
function changeField(buffer: Buffer, operation: Extract<BitfieldOperation, { op: "SET" | "INCRBY" }>): Reply {
  const { type, offset, value, overflow } = operation;
  const old = readField(buffer, offset, type);
  const check = type.signed ? checkSignedOverflow : checkUnsignedOverflow;
  // SET checks its value against the field (as uint64 for unsigned fields); INCRBY the sum.
  const base = operation.op === "SET" ? (type.signed ? value : BigInt.asUintN(64, value)) : old;
  const increment = operation.op === "SET" ? 0n : value;
  const result = check(base, increment, type.bits, overflow);
  if (result.overflow && result.replacement === undefined) return NIL;
  const stored = result.replacement ?? base + increment;
  writeField(buffer, offset, type.bits, stored);
  return integerReply(operation.op === "SET" ? old : stored);
}

function bitfieldCommand(readOnly: boolean) {
  return (ctx: CommandContext, [key, ...args]: ByteString[]): Reply => {
    const operations = parseBitfieldOperations(args);
    if (!Array.isArray(operations)) return operations;
    const current = liveItem(ctx, key!);
    const bytes = bytesAt(current);
    const writes = operations.filter((operation) => operation.op !== "GET");
    if (writes.length === 0) {
      if (bytes === undefined) return WRONGTYPE;
      return array(operations.map((operation) => integerReply(readField(bytes, operation.offset, operation.type))));
    }
    if (readOnly) return RO_ONLY_GET;
    if (bytes === undefined) return WRONGTYPE;
    // Redis grows the string to the farthest bit written before running any operation.
    const highestBit = Math.max(...writes.map((operation) => operation.offset + operation.type.bits - 1));
    const neededBytes = Math.floor(highestBit / 8) + 1;
    if (neededBytes > limits.valueBytesMax) return STRING_TOO_LONG;
    const buffer = editableBytes(bytes, neededBytes);
    const replies = operations.map((operation) =>
      operation.op === "GET" ? integerReply(readField(buffer, operation.offset, operation.type)) : changeField(buffer, operation),
    );
    writeEdited(ctx, key!, buffer.toString("latin1"), current);
    return array(replies);
  };
}

export const bitmapCommands: CommandSpec[] = [
  defineCommand({
    name: "SETBIT",
    arity: 4,
    flags: ["write", "denyoom"],
    summary: "Sets or clears the bit at an offset of a string; returns the bit's previous value",
    run: setbit,
  }),
  defineCommand({
    name: "GETBIT",
    arity: 3,
    flags: ["readonly", "fast"],
    summary: "The bit at an offset of a string (0 past its end)",
    run: getbit,
  }),
  defineCommand({
    name: "BITCOUNT",
    arity: -2,
    flags: ["readonly"],
    summary: "Counts the set bits of a string [start end [BYTE|BIT]]",
    run: bitcount,
  }),
  defineCommand({
    name: "BITPOS",
    arity: -3,
    flags: ["readonly"],
    summary: "The first bit set to 0 or 1 in a string [start [end [BYTE|BIT]]]",
    run: bitpos,
  }),
  defineCommand({
    name: "BITOP",
    arity: -4,
    flags: ["write", "denyoom"],
    firstKey: 2,
    lastKey: -1,
    summary: "Stores AND, OR, XOR of strings, or NOT of one, at the destination key; returns its length",
    run: bitop,
  }),
  defineCommand({
    name: "BITFIELD",
    arity: -2,
    flags: ["write", "denyoom"],
    summary: "Gets, sets and increments integer fields of a string [GET type offset] [SET type offset value] [INCRBY type offset increment] [OVERFLOW WRAP|SAT|FAIL]",
    run: bitfieldCommand(false),
  }),
  defineCommand({
    name: "BITFIELD_RO",
    arity: -2,
    flags: ["readonly", "fast"],
    summary: "Reads integer fields of a string [GET type offset ...]",
    run: bitfieldCommand(true),
  }),
];
