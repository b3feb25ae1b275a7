/**
 * The string commands, as Redis defines them: GET SET SETNX SETEX PSETEX GETSET GETDEL
 * GETEX MGET MSET MSETNX APPEND STRLEN GETRANGE SUBSTR SETRANGE. (The INCR family is in
 * counters.ts, LCS in lcs.ts, the bit commands in bitmaps.ts.)
 *
 * Every string-like item (string, blob, integer, float, boolean) reads as its bytes (see
 * access.ts), so GET of `SET n 42 AS integer` answers "42". Writes that replace a value
 * store a plain string unless SET's `AS` says otherwise; APPEND and SETRANGE keep a
 * blob a blob and turn the other kinds into strings. Writes that replace a value clear
 * its expiry (SET without KEEPTTL, GETSET, MSET); writes that edit it keep the expiry.
 */
import type { ByteString } from "../engine/bytes.js";
import { NO_EXPIRY, type Item } from "../engine/values.js";
import { assert } from "../lib/assert.js";
import { limits } from "../lib/limits.js";
import {
  changeExpiry,
  deleteKey,
  isErrorReply,
  liveItem,
  NOT_AN_INTEGER,
  STRING_TOO_LONG,
  SYNTAX_ERROR,
  textOf,
  writeEdited,
  writeValue,
} from "./access.js";
import { defineCommand } from "./define.js";
import { EXPIRY_OPTIONS, positiveExpiryInstantMs } from "./expire_time.js";
import { parseInteger } from "./numbers.js";
import { array, bulk, error, integer, NIL, OK, WRONGTYPE, type Reply } from "../engine/reply.js";
import { parseGetExOptions, parseSetOptions, typedValue, type ExpiryChange } from "./set_options.js";
import type { CommandContext, CommandSpec } from "./spec.js";

const EMPTY: Reply = Object.freeze(bulk(""));

/** The text at `key`: null when absent, WRONGTYPE when it is not string-like. */
function readText(ctx: CommandContext, key: ByteString): ByteString | null | Reply {
  const item = liveItem(ctx, key);
  if (item === undefined) return null;
  return textOf(item) ?? WRONGTYPE;
}

function textReply(text: ByteString | null): Reply {
  return text === null ? NIL : bulk(text);
}

function expiryAfter(change: ExpiryChange, current: Item | undefined): number {
  if (change.type === "set") return change.instantMs;
  if (change.type === "keep") return current?.expiresAtMs ?? NO_EXPIRY;
  return NO_EXPIRY;
}

function get(ctx: CommandContext, [key]: ByteString[]): Reply {
  const text = readText(ctx, key);
  return isErrorReply(text) ? text : textReply(text);
}

function set(ctx: CommandContext, [key, text, ...optionArgs]: ByteString[]): Reply {
  const options = parseSetOptions(optionArgs, ctx.nowMs);
  if (isErrorReply(options)) return options;
  const value = typedValue(options.kind, text);
  if (isErrorReply(value)) return value;
  const current = liveItem(ctx, key);
  let previous: Reply = NIL;
  if (options.answerPrevious && current !== undefined) {
    const previousText = textOf(current);
    if (previousText === null) return WRONGTYPE;
    previous = bulk(previousText);
  }
  const blocked =
    (options.condition === "NX" && current !== undefined) || (options.condition === "XX" && current === undefined);
  if (!blocked) writeValue(ctx, key, value, expiryAfter(options.expiry, current));
  if (options.answerPrevious) return previous;
  return blocked ? NIL : OK;
}

function setnx(ctx: CommandContext, [key, text]: ByteString[]): Reply {
  if (liveItem(ctx, key) !== undefined) return integer(0);
  writeValue(ctx, key, { kind: "string", value: text }, NO_EXPIRY);
  return integer(1);
}

/** SETEX and PSETEX: SET with a mandatory positive expiry. */
function setWithExpiry(command: "SETEX" | "PSETEX") {
  const form = EXPIRY_OPTIONS.get(command === "SETEX" ? "EX" : "PX");
  assert(form !== undefined, "EX and PX are expiry options");
  return (ctx: CommandContext, [key, time, text]: ByteString[]): Reply => {
    const instantMs = positiveExpiryInstantMs({ text: time, form, nowMs: ctx.nowMs, command });
    if (typeof instantMs !== "number") return instantMs;
    writeValue(ctx, key, { kind: "string", value: text }, instantMs);
    return OK;
  };
}

function getset(ctx: CommandContext, [key, text]: ByteString[]): Reply {
  const previous = readText(ctx, key);
  if (isErrorReply(previous)) return previous;
  writeValue(ctx, key, { kind: "string", value: text }, NO_EXPIRY);
  return textReply(previous);
}

function getdel(ctx: CommandContext, [key]: ByteString[]): Reply {
  const text = readText(ctx, key);
  if (isErrorReply(text)) return text;
  if (text !== null) deleteKey(ctx, key);
  return textReply(text);
}

function getex(ctx: CommandContext, [key, ...optionArgs]: ByteString[]): Reply {
  const change = parseGetExOptions(optionArgs, ctx.nowMs);
  // As in Redis 7.0: the option words first, then the key (nil, WRONGTYPE), then the time's value.
  if (change === SYNTAX_ERROR) return change;
  const current = liveItem(ctx, key);
  if (current === undefined) return NIL;
  const text = textOf(current);
  if (text === null) return WRONGTYPE;
  if (isErrorReply(change)) return change;
  if (change !== null) {
    const expiresAtMs = expiryAfter(change, current);
    if (expiresAtMs !== current.expiresAtMs) changeExpiry(ctx, key, expiresAtMs);
  }
  return bulk(text);
}

function mget(ctx: CommandContext, keys: ByteString[]): Reply {
  return array(
    keys.map((key) => {
      const item = liveItem(ctx, key);
      const text = item === undefined ? null : textOf(item);
      return textReply(text);
    }),
  );
}

function wrongArgumentCount(command: string): Reply {
  return error("ERR", `wrong number of arguments for '${command}' command`);
}

function mset(ctx: CommandContext, args: ByteString[]): Reply {
  if (args.length % 2 !== 0) return wrongArgumentCount("mset");
  for (let at = 0; at < args.length; at += 2) {
    writeValue(ctx, args[at], { kind: "string", value: args[at + 1] }, NO_EXPIRY);
  }
  return OK;
}

function msetnx(ctx: CommandContext, args: ByteString[]): Reply {
  if (args.length % 2 !== 0) return wrongArgumentCount("msetnx");
  for (let at = 0; at < args.length; at += 2) {
    if (liveItem(ctx, args[at]) !== undefined) return integer(0);
  }
  mset(ctx, args);
  return integer(1);
}

function append(ctx: CommandContext, [key, suffix]: ByteString[]): Reply {
  const current = liveItem(ctx, key);
  const text = current === undefined ? "" : textOf(current);
  if (text === null) return WRONGTYPE;
  if (text.length + suffix.length > limits.valueBytesMax) return STRING_TOO_LONG;
  const appended = text + suffix;
  writeEdited(ctx, key, appended, current);
  return integer(appended.length);
}

function strlen(ctx: CommandContext, [key]: ByteString[]): Reply {
  const text = readText(ctx, key);
  return isErrorReply(text) ? text : integer(text?.length ?? 0);
}

function getrange(ctx: CommandContext, [key, startText, endText]: ByteString[]): Reply {
  let start = parseInteger(startText);
  let end = parseInteger(endText);
  if (start === null || end === null) return NOT_AN_INTEGER;
  const text = readText(ctx, key);
  if (isErrorReply(text)) return text;
  if (text === null || (start < 0n && end < 0n && start > end)) return EMPTY;
  const length = BigInt(text.length);
  if (start < 0n) start += length;
  if (end < 0n) end += length;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= length) end = length - 1n;
  if (start > end || length === 0n) return EMPTY;
  return bulk(text.slice(Number(start), Number(end) + 1));
}

function setrange(ctx: CommandContext, [key, offsetText, patch]: ByteString[]): Reply {
  const offset = parseInteger(offsetText);
  if (offset === null) return NOT_AN_INTEGER;
  if (offset < 0n) return error("ERR", "offset is out of range");
  const current = liveItem(ctx, key);
  const text = current === undefined ? "" : textOf(current);
  if (text === null) return WRONGTYPE;
  if (patch.length === 0) return integer(text.length);
  if (offset + BigInt(patch.length) > BigInt(limits.valueBytesMax)) return STRING_TOO_LONG;
  const at = Number(offset);
  const padded = text.length < at ? text + "\0".repeat(at - text.length) : text;
  const patched = padded.slice(0, at) + patch + padded.slice(at + patch.length);
  writeEdited(ctx, key, patched, current);
  return integer(patched.length);
}

export const stringCommands: CommandSpec[] = [
  defineCommand({
    name: "GET",
    arity: 2,
    flags: ["readonly", "fast"],
    summary: "Get the value of a key",
    run: get,
  }),
  defineCommand({
    name: "SET",
    arity: -3,
    flags: ["write", "denyoom"],
    summary: "Set a key's value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL] [AS string|blob|integer|float|boolean]",
    run: set,
  }),
  defineCommand({
    name: "SETNX",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    summary: "Set a key's value only when the key does not exist",
    run: setnx,
  }),
  defineCommand({
    name: "SETEX",
    arity: 4,
    flags: ["write", "denyoom"],
    summary: "Set a key's value and its expiry in seconds",
    run: setWithExpiry("SETEX"),
  }),
  defineCommand({
    name: "PSETEX",
    arity: 4,
    flags: ["write", "denyoom"],
    summary: "Set a key's value and its expiry in milliseconds",
    run: setWithExpiry("PSETEX"),
  }),
  defineCommand({
    name: "GETSET",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    summary: "Set a key's value and return its previous value",
    run: getset,
  }),
  defineCommand({
    name: "GETDEL",
    arity: 2,
    flags: ["write", "fast"],
    summary: "Return a key's value and delete the key",
    run: getdel,
  }),
  defineCommand({
    name: "GETEX",
    arity: -2,
    flags: ["write", "fast"],
    summary: "Return a key's value and change its expiry [EX|PX|EXAT|PXAT|PERSIST]",
    run: getex,
  }),
  defineCommand({
    name: "MGET",
    arity: -2,
    flags: ["readonly", "fast"],
    lastKey: -1,
    summary: "Get the values of several keys",
    run: mget,
  }),
  defineCommand({
    name: "MSET",
    arity: -3,
    flags: ["write", "denyoom"],
    lastKey: -1,
    keyStep: 2,
    summary: "Set several keys to several values",
    run: mset,
  }),
  defineCommand({
    name: "MSETNX",
    arity: -3,
    flags: ["write", "denyoom"],
    lastKey: -1,
    keyStep: 2,
    summary: "Set several keys only when none of them exists",
    run: msetnx,
  }),
  defineCommand({
    name: "APPEND",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    summary: "Append to a key's value; returns the new length",
    run: append,
  }),
  defineCommand({
    name: "STRLEN",
    arity: 2,
    flags: ["readonly", "fast"],
    summary: "The length of a key's value",
    run: strlen,
  }),
  defineCommand({
    name: "GETRANGE",
    arity: 4,
    flags: ["readonly"],
    summary: "A substring of a key's value (inclusive offsets)",
    run: getrange,
  }),
  defineCommand({
    name: "SUBSTR",
    arity: 4,
    flags: ["readonly"],
    summary: "A substring of a key's value (inclusive offsets); GETRANGE's old name",
    run: getrange,
  }),
  defineCommand({
    name: "SETRANGE",
    arity: 4,
    flags: ["write", "denyoom"],
    summary: "Overwrite part of a key's value at an offset",
    run: setrange,
  }),
];
