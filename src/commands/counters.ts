/**
 * The counter commands, as Redis defines them: INCR DECR INCRBY DECRBY INCRBYFLOAT.
 *
 * INCR and friends work on signed 64-bit integers, exactly (bigint): the key's value is
 * read as an integer (an `integer` item as is, a string-like item through its text), the
 * result is stored as an `integer` item, and a result beyond int64 is refused as in
 * Redis. INCRBYFLOAT reads any number and stores a `float` item (a double). Both keep
 * the key's expiry, as Redis does.
 */
import type { ByteString } from "../engine/bytes.js";
import { NO_EXPIRY, type Item } from "../engine/values.js";
import { integerReply, liveItem, NOT_A_FLOAT, NOT_AN_INTEGER, textOf, writeValue } from "./access.js";
import { defineCommand } from "./define.js";
import { formatFloat, INT64_MAX, INT64_MIN, parseFloatStrict, parseInteger } from "./numbers.js";
import { bulk, error, WRONGTYPE, type Reply } from "../engine/reply.js";
import type { CommandContext, CommandSpec } from "./spec.js";

const OVERFLOW: Reply = Object.freeze(error("ERR", "increment or decrement would overflow"));
const NOT_FINITE: Reply = Object.freeze(error("ERR", "increment would produce NaN or Infinity"));

/** The integer a counter holds: 0 when absent, or the error its value deserves. */
function currentInteger(item: Item | undefined): bigint | Reply {
  if (item === undefined) return 0n;
  const stored = item.stored();
  if (stored.kind === "integer") return stored.value;
  const text = textOf(item);
  if (text === null) return WRONGTYPE;
  return parseInteger(text) ?? NOT_AN_INTEGER;
}

/** The number a float counter holds: 0 when absent, or the error its value deserves. */
function currentFloat(item: Item | undefined): number | Reply {
  if (item === undefined) return 0;
  const stored = item.stored();
  if (stored.kind === "float") return stored.value;
  const text = textOf(item);
  if (text === null) return WRONGTYPE;
  return parseFloatStrict(text) ?? NOT_A_FLOAT;
}

function incrementBy(ctx: CommandContext, key: ByteString, delta: bigint): Reply {
  const item = liveItem(ctx, key);
  const current = currentInteger(item);
  if (typeof current !== "bigint") return current;
  const sum = current + delta;
  if (sum > INT64_MAX || sum < INT64_MIN) return OVERFLOW;
  writeValue(ctx, key, { kind: "integer", value: sum }, item?.expiresAtMs ?? NO_EXPIRY);
  return integerReply(sum);
}

/** INCRBY and DECRBY: the amount argument, negated for DECRBY. */
function incrementByArgument(sign: 1n | -1n) {
  return (ctx: CommandContext, [key, amountText]: ByteString[]): Reply => {
    const amount = parseInteger(amountText);
    if (amount === null) return NOT_AN_INTEGER;
    // -INT64_MIN does not fit in int64: Redis refuses it before reading the key.
    if (sign === -1n && amount === INT64_MIN) return error("ERR", "decrement would overflow");
    return incrementBy(ctx, key, sign * amount);
  };
}

function incrbyfloat(ctx: CommandContext, [key, amountText]: ByteString[]): Reply {
  const item = liveItem(ctx, key);
  const current = currentFloat(item);
  if (typeof current !== "number") return current;
  const amount = parseFloatStrict(amountText);
  if (amount === null) return NOT_A_FLOAT;
  const sum = current + amount;
  if (!Number.isFinite(sum)) return NOT_FINITE;
  const stored = sum === 0 ? 0 : sum; // never store -0
  writeValue(ctx, key, { kind: "float", value: stored }, item?.expiresAtMs ?? NO_EXPIRY);
  return bulk(formatFloat(stored));
}

export const counterCommands: CommandSpec[] = [
  defineCommand({
    name: "INCR",
    arity: 2,
    flags: ["write", "denyoom", "fast"],
    summary: "Add 1 to a key's integer value",
    run: (ctx, [key]) => incrementBy(ctx, key, 1n),
  }),
  defineCommand({
    name: "DECR",
    arity: 2,
    flags: ["write", "denyoom", "fast"],
    summary: "Subtract 1 from a key's integer value",
    run: (ctx, [key]) => incrementBy(ctx, key, -1n),
  }),
  defineCommand({
    name: "INCRBY",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    summary: "Add an integer to a key's integer value",
    run: incrementByArgument(1n),
  }),
  defineCommand({
    name: "DECRBY",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    summary: "Subtract an integer from a key's integer value",
    run: incrementByArgument(-1n),
  }),
  defineCommand({
    name: "INCRBYFLOAT",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    summary: "Add a floating point number to a key's numeric value",
    run: incrbyfloat,
  }),
];
