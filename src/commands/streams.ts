/**
 * The stream commands without consumer groups, as Redis 7.0 answers them: XADD XRANGE
 * XREVRANGE XLEN XDEL XTRIM XREAD (XREAD's BLOCK is read and checked; over RESP the call
 * answers at once, as inside MULTI: see docs/blocking.md).
 *
 * A stream is an item of kind "stream" (engine/stream.ts). Unlike lists, a stream may exist
 * empty (XTRIM MAXLEN 0, XDEL of every entry keep the key). IDs come from the entry's clock
 * (ctx.nowMs) and the stream's last ID, so every replica gives the same ones.
 *
 * Known difference: Redis' `~` trims only whole internal nodes (about 100 entries); walnut
 * has no such nodes and trims `~` as far as `=` would, within LIMIT (default 10000).
 */
import type { ByteString } from "../engine/bytes.js";
import { compareIds, formatId, MAX_ID, nextId, previousId, Stream, type StreamEntry, type StreamId } from "../engine/stream.js";
import { Item, NO_EXPIRY } from "../engine/values.js";
import { assert } from "../lib/assert.js";
import { liveItem, NOT_AN_INTEGER, putItem, putUnmodified, SYNTAX_ERROR } from "./access.js";
import { defineCommand } from "./define.js";
import { parseInteger } from "./numbers.js";
import { array, bulk, error, integer, NIL, NIL_ARRAY, WRONGTYPE, type Reply } from "../engine/reply.js";
import type { BlockingRead, CommandContext, CommandSpec } from "./spec.js";
import { INVALID_ID, parseAddId, parseId, parseIntervalEnd, type AddId } from "./stream_ids.js";

/** Redis' default LIMIT for `~` trimming: 100 × stream-node-max-entries (100). */
const APPROXIMATE_TRIM_LIMIT_DEFAULT = 10_000;

/** The stream at `key` (read only), undefined when absent, or WRONGTYPE. */
export function readStream(ctx: CommandContext, key: ByteString): Stream | undefined | Reply {
  const item = liveItem(ctx, key);
  if (item === undefined) return undefined;
  return item.value instanceof Stream ? item.value : WRONGTYPE;
}

export function isStreamReply(value: Stream | undefined | Reply): value is Reply {
  return value !== undefined && !(value instanceof Stream);
}

/** The stream item at `key`, safe to change in place; the caller checked it is a live stream. */
export function streamForUpdate(ctx: CommandContext, key: ByteString): { item: Item; stream: Stream } {
  const item = ctx.collection.itemForUpdate(key);
  assert(item !== undefined && item.value instanceof Stream, `key ${key} was checked to hold a stream`);
  return { item, stream: item.value };
}

/** Puts a changed stream back (streams exist empty: it is never deleted here). */
export function storeStream(ctx: CommandContext, key: ByteString, item: Item): void {
  item.version = ctx.index;
  putItem(ctx, key, item);
}

/**
 * Puts back a stream whose entries did not change, only what Redis 7.0 keeps beside them
 * without counting it as a modification of the key: its consumer groups (XREADGROUP, XACK,
 * XCLAIM, XAUTOCLAIM, XGROUP on an existing stream) or XSETID's last ID and counters. The
 * key keeps its version: WATCH, client tracking and the watch history ignore the change,
 * as Redis' WATCH and tracking do (access.ts putUnmodified). XADD, XDEL and XTRIM that
 * removed something, and XGROUP CREATE MKSTREAM of a new key, modify it (storeStream).
 */
export function storeStreamMetadata(ctx: CommandContext, key: ByteString, item: Item): void {
  putUnmodified(ctx, key, item);
}

export function entryReply(entry: StreamEntry): Reply {
  return array([bulk(formatId(entry.id)), array(entry.fields.map(bulk))]);
}

// ---- trimming options, shared by XADD and XTRIM ----

interface TrimOptions {
  strategy: "none" | "maxlen" | "minid";
  approximate: boolean;
  maxLength: number;
  minId: StreamId;
  /** Entries removed at most; undefined: no limit. */
  limit: number | undefined;
}

interface AddOptions extends TrimOptions {
  noMakeStream: boolean;
  /** Where XADD's ID argument is. */
  idAt: number;
}

/** Reads [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] from args[from]; XADD stops at its ID. */
function parseTrimOptions(args: ByteString[], from: number, forAdd: boolean): AddOptions | Reply {
  const options: AddOptions = { strategy: "none", approximate: false, maxLength: 0, minId: { ms: 0n, seq: 0n }, limit: undefined, noMakeStream: false, idAt: -1 };
  let limitGiven: number | undefined;
  let i = from;
  for (; i < args.length; i++) {
    const moreArgs = args.length - 1 - i;
    const option = args[i]!.toLowerCase();
    if (forAdd && args[i] === "*") break;
    if ((option === "maxlen" || option === "minid") && moreArgs > 0) {
      const other = option === "maxlen" ? "minid" : "maxlen";
      if (options.strategy === other) return error("ERR", "syntax error, MAXLEN and MINID options at the same time are not compatible");
      const next = args[i + 1]!;
      if (moreArgs >= 2 && next === "~") {
        options.approximate = true;
        i++;
      } else if (moreArgs >= 2 && next === "=") {
        i++;
      }
      const threshold = args[i + 1]!;
      if (option === "maxlen") {
        const value = parseInteger(threshold);
        if (value === null) return NOT_AN_INTEGER;
        if (value < 0n) return error("ERR", "The MAXLEN argument must be >= 0.");
        options.maxLength = Number(value);
      } else {
        const id = parseId(threshold, 0n, true);
        if (id === undefined) return INVALID_ID;
        options.minId = id;
      }
      options.strategy = option;
      i++;
    } else if (forAdd && option === "nomkstream") {
      options.noMakeStream = true;
    } else if (option === "limit" && moreArgs > 0) {
      const value = parseInteger(args[i + 1]!);
      if (value === null) return NOT_AN_INTEGER;
      if (value < 0n) return error("ERR", "The LIMIT argument must be >= 0.");
      limitGiven = Number(value);
      i++;
    } else if (forAdd) {
      break;
    } else {
      return SYNTAX_ERROR;
    }
  }
  if (limitGiven !== undefined && options.strategy === "none") {
    return error("ERR", "syntax error, LIMIT cannot be used without specifying a trimming strategy");
  }
  if (!forAdd && options.strategy === "none") return SYNTAX_ERROR;
  if (options.approximate) options.limit = limitGiven ?? APPROXIMATE_TRIM_LIMIT_DEFAULT;
  else if (limitGiven !== undefined) return error("ERR", "syntax error, LIMIT cannot be used without the special ~ option");
  // LIMIT 0 with ~ means no limit, as in Redis.
  if (options.limit === 0) options.limit = undefined;
  options.idAt = i;
  return options;
}

function trim(stream: Stream, options: TrimOptions): number {
  if (options.strategy === "maxlen") return stream.trimHead((_, length) => length > options.maxLength, options.limit);
  if (options.strategy === "minid") return stream.trimHead((entry) => compareIds(entry.id, options.minId) < 0, options.limit);
  return 0;
}

// ---- XADD ----

const ID_TOO_SMALL: Reply = Object.freeze(error("ERR", "The ID specified in XADD is equal or smaller than the target stream top item"));

/** The ID XADD gives a new entry, or its refusal. */
function newEntryId(requested: AddId, lastId: StreamId, nowMs: number): StreamId | Reply {
  if (requested.kind === "explicit") return compareIds(requested.id, lastId) > 0 ? requested.id : ID_TOO_SMALL;
  if (requested.kind === "autoSeq") {
    if (requested.ms < lastId.ms) return ID_TOO_SMALL;
    if (requested.ms > lastId.ms) return { ms: requested.ms, seq: 0n };
    const next = nextId(lastId);
    return next === undefined || next.ms !== requested.ms ? ID_TOO_SMALL : next;
  }
  const now = BigInt(nowMs);
  if (now > lastId.ms) return { ms: now, seq: 0n };
  const next = nextId(lastId);
  assert(next !== undefined, "an exhausted stream was refused before");
  return next;
}

function xadd(ctx: CommandContext, args: ByteString[]): Reply {
  const key = args[0]!;
  const options = parseTrimOptions(args, 1, true);
  if (!("idAt" in options)) return options;
  const idText = args[options.idAt];
  const requested = idText === undefined ? undefined : parseAddId(idText);
  if (requested === undefined) return INVALID_ID;
  const fieldCount = args.length - options.idAt - 1;
  if (fieldCount < 2 || fieldCount % 2 !== 0) return error("ERR", "wrong number of arguments for 'xadd' command");
  if (requested.kind === "explicit" && requested.id.ms === 0n && requested.id.seq === 0n) {
    return error("ERR", "The ID specified in XADD must be greater than 0-0");
  }
  const current = readStream(ctx, key);
  if (isStreamReply(current)) return current;
  if (current === undefined && options.noMakeStream) return NIL;
  const lastId = current?.lastId ?? { ms: 0n, seq: 0n };
  if (compareIds(lastId, MAX_ID) === 0) return error("ERR", "The stream has exhausted the last possible ID, unable to add more items");
  const id = newEntryId(requested, lastId, ctx.nowMs);
  if (!("ms" in id)) return id;
  const { item, stream } =
    current === undefined ? { item: new Item({ kind: "stream", value: new Stream() }, ctx.index, NO_EXPIRY), stream: undefined } : streamForUpdate(ctx, key);
  const target = stream ?? (item.value as Stream);
  target.append(id, args.slice(options.idAt + 1));
  trim(target, options);
  storeStream(ctx, key, item);
  return bulk(formatId(id));
}

// ---- XTRIM ----

function xtrim(ctx: CommandContext, args: ByteString[]): Reply {
  const key = args[0]!;
  const options = parseTrimOptions(args, 1, false);
  if (!("idAt" in options)) return options;
  const current = readStream(ctx, key);
  if (isStreamReply(current)) return current;
  if (current === undefined) return integer(0);
  const { item, stream } = streamForUpdate(ctx, key);
  const removed = trim(stream, options);
  // Nothing trimmed: nothing stored, as Redis signals and announces only a removal.
  if (removed > 0) storeStream(ctx, key, item);
  return integer(removed);
}

// ---- XDEL ----

function xdel(ctx: CommandContext, args: ByteString[]): Reply {
  const key = args[0]!;
  const current = readStream(ctx, key);
  if (isStreamReply(current)) return current;
  if (current === undefined) return integer(0);
  const ids: StreamId[] = [];
  for (const text of args.slice(1)) {
    const id = parseId(text, 0n, true);
    if (id === undefined) return INVALID_ID;
    ids.push(id);
  }
  const { item, stream } = streamForUpdate(ctx, key);
  let deleted = 0;
  for (const id of ids) if (stream.delete(id)) deleted++;
  // Nothing deleted: nothing stored, as Redis signals and announces only a removal.
  if (deleted > 0) storeStream(ctx, key, item);
  return integer(deleted);
}

// ---- XLEN ----

function xlen(ctx: CommandContext, args: ByteString[]): Reply {
  const current = readStream(ctx, args[0]!);
  if (isStreamReply(current)) return current;
  return integer(current?.length ?? 0);
}

// ---- XRANGE / XREVRANGE ----

function xrange(ctx: CommandContext, args: ByteString[], reverse: boolean): Reply {
  const [key, lowText, highText] = reverse ? [args[0]!, args[2]!, args[1]!] : [args[0]!, args[1]!, args[2]!];
  const low = parseIntervalEnd(lowText, 0n);
  if (low === undefined) return INVALID_ID;
  const high = parseIntervalEnd(highText, 2n ** 64n - 1n);
  if (high === undefined) return INVALID_ID;
  let start: StreamId | undefined = low.id;
  let end: StreamId | undefined = high.id;
  if (low.exclusive) {
    start = nextId(low.id);
    if (start === undefined) return error("ERR", "invalid start ID for the interval");
  }
  if (high.exclusive) {
    end = previousId(high.id);
    if (end === undefined) return error("ERR", "invalid end ID for the interval");
  }
  let count: number | undefined;
  for (let i = 3; i < args.length; i++) {
    if (args[i]!.toLowerCase() === "count" && i + 1 < args.length) {
      const value = parseInteger(args[i + 1]!);
      if (value === null) return NOT_AN_INTEGER;
      count = value < 0n ? 0 : Number(value);
      i++;
    } else {
      return SYNTAX_ERROR;
    }
  }
  const stream = readStream(ctx, key);
  if (isStreamReply(stream)) return stream;
  if (stream === undefined) return array([]);
  if (count === 0) return NIL_ARRAY;
  const entries = reverse ? stream.reverseRange(start, end, count) : stream.range(start, end, count);
  return array(entries.map(entryReply));
}

// ---- XREAD ----

interface ReadRequest {
  count: number | undefined;
  blockMs: number | undefined;
  keys: ByteString[];
  idTexts: ByteString[];
}

/** XREAD's and XREADGROUP's BLOCK milliseconds, or Redis' error. */
export function parseBlockMs(text: ByteString): number | Reply {
  const value = parseInteger(text);
  if (value === null) return error("ERR", "timeout is not an integer or out of range");
  if (value < 0n) return error("ERR", "timeout is negative");
  return Number(value);
}

/** XREAD's and XREADGROUP's COUNT: undefined for no limit (0 or less), or Redis' error. */
export function parseReadCount(text: ByteString): number | undefined | Reply {
  const value = parseInteger(text);
  if (value === null) return NOT_AN_INTEGER;
  return value <= 0n ? undefined : Number(value);
}

function parseXread(args: ByteString[]): ReadRequest | Reply {
  const request: ReadRequest = { count: undefined, blockMs: undefined, keys: [], idTexts: [] };
  let streamsAt = -1;
  for (let i = 0; i < args.length; i++) {
    const moreArgs = args.length - 1 - i;
    const option = args[i]!.toLowerCase();
    if (option === "block" && moreArgs > 0) {
      const blockMs = parseBlockMs(args[++i]!);
      if (typeof blockMs !== "number") return blockMs;
      request.blockMs = blockMs;
    } else if (option === "count" && moreArgs > 0) {
      const count = parseReadCount(args[++i]!);
      if (typeof count === "object") return count;
      request.count = count;
    } else if (option === "streams" && moreArgs > 0) {
      streamsAt = i + 1;
      break;
    } else if (option === "group" && moreArgs >= 2) {
      return error("ERR", "The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
    } else {
      return SYNTAX_ERROR;
    }
  }
  if (streamsAt < 0) return SYNTAX_ERROR;
  const rest = args.slice(streamsAt);
  if (rest.length % 2 !== 0) {
    return error("ERR", "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
  }
  request.keys = rest.slice(0, rest.length / 2);
  request.idTexts = rest.slice(rest.length / 2);
  return request;
}

/**
 * XREAD ... BLOCK ms over RESP: waits on its streams; each `$` is fixed to the stream's last
 * ID as the command arrives (0-0 for a missing stream), as Redis fixes it, so entries added
 * while it waits are what it answers.
 */
function blockingXread(args: ByteString[], itemAt: (key: ByteString) => Item | undefined): BlockingRead | null {
  const request = parseXread(args);
  if (!("keys" in request) || request.blockMs === undefined) return null;
  const ids: ByteString[] = [];
  for (let i = 0; i < request.keys.length; i++) {
    const text = request.idTexts[i]!;
    if (text !== "$") {
      ids.push(text);
      continue;
    }
    const value = itemAt(request.keys[i]!)?.value;
    if (value !== undefined && !(value instanceof Stream)) return null; // run() answers WRONGTYPE
    ids.push(formatId(value?.lastId ?? { ms: 0n, seq: 0n }));
  }
  const count = request.count === undefined ? [] : ["COUNT", String(request.count)];
  return { keys: request.keys, timeoutMs: request.blockMs, readArgv: ["XREAD", ...count, "STREAMS", ...request.keys, ...ids] };
}

function xread(ctx: CommandContext, args: ByteString[]): Reply {
  const request = parseXread(args);
  if (!("keys" in request)) return request;
  const after: StreamId[] = [];
  for (let i = 0; i < request.keys.length; i++) {
    const stream = readStream(ctx, request.keys[i]!);
    if (isStreamReply(stream)) return stream;
    const text = request.idTexts[i]!;
    if (text === "$") {
      after.push(stream?.lastId ?? { ms: 0n, seq: 0n });
    } else if (text === ">") {
      return error("ERR", "The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.");
    } else {
      const id = parseId(text, 0n, true);
      if (id === undefined) return INVALID_ID;
      after.push(id);
    }
  }
  const found: Array<[Reply, Reply]> = [];
  for (let i = 0; i < request.keys.length; i++) {
    const stream = readStream(ctx, request.keys[i]!) as Stream | undefined;
    if (stream === undefined || stream.length === 0 || compareIds(stream.lastId, after[i]!) <= 0) continue;
    const start = nextId(after[i]!);
    if (start === undefined) continue;
    const entries = stream.range(start, MAX_ID, request.count);
    if (entries.length > 0) found.push([bulk(request.keys[i]!), array(entries.map(entryReply))]);
  }
  return found.length === 0 ? NIL_ARRAY : { type: "map", entries: found, pairsInResp2: true };
}

export const streamCommands: CommandSpec[] = [
  defineCommand({
    name: "XADD",
    arity: -5,
    flags: ["write", "denyoom", "fast"],
    summary: "Appends an entry to a stream (creating it), optionally trimming; the entry's ID.",
    run: xadd,
  }),
  defineCommand({
    name: "XTRIM",
    arity: -4,
    flags: ["write"],
    summary: "Removes a stream's oldest entries by MAXLEN or MINID; how many were removed.",
    run: xtrim,
  }),
  defineCommand({
    name: "XDEL",
    arity: -3,
    flags: ["write", "fast"],
    summary: "Deletes entries of a stream by ID; how many were deleted.",
    run: xdel,
  }),
  defineCommand({
    name: "XLEN",
    arity: 2,
    flags: ["readonly", "fast"],
    summary: "The number of entries in a stream.",
    run: xlen,
  }),
  defineCommand({
    name: "XRANGE",
    arity: -4,
    flags: ["readonly"],
    summary: "The entries of a stream between two IDs (`(` excludes one), ascending, at most COUNT.",
    run: (ctx, args) => xrange(ctx, args, false),
  }),
  defineCommand({
    name: "XREVRANGE",
    arity: -4,
    flags: ["readonly"],
    summary: "The entries of a stream between two IDs, descending, at most COUNT.",
    run: (ctx, args) => xrange(ctx, args, true),
  }),
  defineCommand({
    name: "XREAD",
    arity: -4,
    flags: ["readonly", "movablekeys"],
    firstKey: 0,
    summary: "Entries after the given IDs of one or more streams: XREAD [COUNT n] [BLOCK ms] STREAMS key ... id ...",
    // COMMAND INFO gives Redis' flags; walnut routes a blocking XREAD by blockingRead, not by the flag (docs/blocking.md).
    info: { flags: ["readonly", "blocking", "movablekeys"], categories: ["@read", "@stream", "@slow", "@blocking"] },
    run: xread,
    blockingRead: blockingXread,
  }),
];
