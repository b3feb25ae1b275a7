/**
 * The list commands, as Redis defines them: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LRANGE
 * LLEN LINDEX LSET LREM LTRIM LINSERT LPOS.
 *
 * A list is an item of kind "list" whose value is an array of byte strings, head first.
 * A list never exists empty: the write that removes its last element deletes the key.
 * Writes change the item they get from `itemForUpdate` (a private copy while a
 * checkpoint view may still read the original), stamp it with the entry's index and put
 * it back; an existing list keeps its expiry, as in Redis.
 *
 * Cost: pushing or popping at the tail is O(1); at the head it moves the whole array,
 * O(n) per call (one move per call however many elements it pushes or pops).
 */
import type { ByteString } from "../engine/bytes.js";
import { Item, NO_EXPIRY } from "../engine/values.js";
import { assert } from "../lib/assert.js";
import { limits } from "../lib/limits.js";
import { liveItem, NOT_AN_INTEGER, putItem, SYNTAX_ERROR } from "./access.js";
import { defineCommand } from "./define.js";
import { parseInteger } from "./numbers.js";
import { array, bulk, error, integer, NIL, OK, WRONGTYPE, type Reply } from "../engine/reply.js";
import type { CommandContext, CommandSpec } from "./spec.js";

type End = "head" | "tail";

/** A list index or count: a Redis integer argument, as a number (lists are far shorter than 2^53). */
function parseIndex(text: ByteString): number | undefined {
  const value = parseInteger(text);
  return value === null ? undefined : Number(value);
}

/** The elements of the list at `key` (read only), undefined when absent, or WRONGTYPE. */
function readList(ctx: CommandContext, key: ByteString): ByteString[] | undefined | Reply {
  const item = liveItem(ctx, key);
  if (item === undefined) return undefined;
  const stored = item.stored();
  return stored.kind === "list" ? stored.value : WRONGTYPE;
}

function isReply(value: ByteString[] | undefined | Reply): value is Reply {
  return value !== undefined && !Array.isArray(value);
}

/** The list item at `key`, safe to change in place; the caller checked it is a live list. */
function listForUpdate(ctx: CommandContext, key: ByteString): { item: Item; elements: ByteString[] } {
  const item = ctx.collection.itemForUpdate(key);
  assert(item !== undefined && Array.isArray(item.value), `key ${key} was checked to hold a list`);
  return { item, elements: item.value };
}

/** Puts a changed list back, or deletes the key when the list became empty. */
function storeList(ctx: CommandContext, key: ByteString, item: Item): void {
  assert(Array.isArray(item.value), "a list item holds an array");
  if (item.value.length === 0) {
    ctx.collection.delete(key);
    return;
  }
  item.version = ctx.index;
  putItem(ctx, key, item);
}

/** Resolves a Redis index (negative counts from the tail); may fall outside 0..length-1. */
function resolveIndex(index: number, length: number): number {
  return index < 0 ? length + index : index;
}

/** The inclusive range [first, last] that LRANGE/LTRIM select, or undefined when empty. */
function resolveRange(start: number, stop: number, length: number): { first: number; last: number } | undefined {
  const first = Math.max(resolveIndex(start, length), 0);
  const last = Math.min(resolveIndex(stop, length), length - 1);
  return first > last || first >= length ? undefined : { first, last };
}

// ---- pushes ----

function push(ctx: CommandContext, args: ByteString[], options: { end: End; onlyIfExists: boolean }): Reply {
  const key = args[0]!;
  const pushed = args.slice(1);
  const current = readList(ctx, key);
  if (isReply(current)) return current;
  if (current === undefined && options.onlyIfExists) return integer(0);
  const length = (current?.length ?? 0) + pushed.length;
  if (length > limits.listElementsMax) {
    return error("ERR", `list would exceed the maximum length of ${limits.listElementsMax} elements`);
  }
  // LPUSH a b c leaves c at the head: the head receives the arguments in reverse.
  const ordered = options.end === "head" ? pushed.reverse() : pushed;
  if (current === undefined) {
    putItem(ctx, key, new Item({ kind: "list", value: ordered }, ctx.index, NO_EXPIRY));
    return integer(length);
  }
  const { item, elements } = listForUpdate(ctx, key);
  if (options.end === "tail") for (const element of ordered) elements.push(element);
  else if (ordered.length === 1) elements.unshift(ordered[0]!);
  else item.value = ordered.concat(elements);
  storeList(ctx, key, item);
  return integer(length);
}

// ---- pops ----

/** Removes up to `count` elements from one end, in pop order. */
function takeFrom(elements: ByteString[], end: End, count: number): ByteString[] {
  if (end === "head") return elements.splice(0, count);
  return elements.splice(Math.max(elements.length - count, 0)).reverse();
}

function pop(ctx: CommandContext, args: ByteString[], end: End): Reply {
  const key = args[0]!;
  if (args.length > 2) return error("ERR", `wrong number of arguments for '${end === "head" ? "lpop" : "rpop"}' command`);
  let count: number | undefined;
  if (args.length === 2) {
    count = parseIndex(args[1]!);
    if (count === undefined) return NOT_AN_INTEGER;
    if (count < 0) return error("ERR", "value is out of range, must be positive");
  }
  const current = readList(ctx, key);
  if (isReply(current)) return current;
  if (current === undefined) return NIL;
  if (count === 0) return array([]);
  const { item, elements } = listForUpdate(ctx, key);
  const taken = takeFrom(elements, end, count ?? 1);
  storeList(ctx, key, item);
  return count === undefined ? bulk(taken[0]!) : array(taken.map(bulk));
}

// ---- reads ----

function lrange(ctx: CommandContext, args: ByteString[]): Reply {
  const start = parseIndex(args[1]!);
  const stop = parseIndex(args[2]!);
  if (start === undefined || stop === undefined) return NOT_AN_INTEGER;
  const elements = readList(ctx, args[0]!);
  if (isReply(elements)) return elements;
  if (elements === undefined) return array([]);
  const range = resolveRange(start, stop, elements.length);
  return range === undefined ? array([]) : array(elements.slice(range.first, range.last + 1).map(bulk));
}

function llen(ctx: CommandContext, args: ByteString[]): Reply {
  const elements = readList(ctx, args[0]!);
  if (isReply(elements)) return elements;
  return integer(elements?.length ?? 0);
}

function lindex(ctx: CommandContext, args: ByteString[]): Reply {
  const index = parseIndex(args[1]!);
  if (index === undefined) return NOT_AN_INTEGER;
  const elements = readList(ctx, args[0]!);
  if (isReply(elements)) return elements;
  if (elements === undefined) return NIL;
  const element = elements[resolveIndex(index, elements.length)];
  return element === undefined ? NIL : bulk(element);
}

// ---- edits ----

function lset(ctx: CommandContext, args: ByteString[]): Reply {
  const [key, indexText, element] = args as [ByteString, ByteString, ByteString];
  const index = parseIndex(indexText);
  if (index === undefined) return NOT_AN_INTEGER;
  const current = readList(ctx, key);
  if (isReply(current)) return current;
  if (current === undefined) return error("ERR", "no such key");
  const at = resolveIndex(index, current.length);
  if (at < 0 || at >= current.length) return error("ERR", "index out of range");
  const { item, elements } = listForUpdate(ctx, key);
  elements[at] = element;
  storeList(ctx, key, item);
  return OK;
}

/** The elements left after removing `count` occurrences of `removed` (Redis LREM counting). */
function withoutOccurrences(elements: ByteString[], removed: ByteString, count: number): ByteString[] {
  const limit = count === 0 ? Infinity : Math.abs(count);
  const kept: ByteString[] = [];
  let taken = 0;
  const fromTail = count < 0;
  for (let step = 0; step < elements.length; step++) {
    const element = elements[fromTail ? elements.length - 1 - step : step]!;
    if (element === removed && taken < limit) taken += 1;
    else kept.push(element);
  }
  return fromTail ? kept.reverse() : kept;
}

function lrem(ctx: CommandContext, args: ByteString[]): Reply {
  const [key, countText, removed] = args as [ByteString, ByteString, ByteString];
  const count = parseIndex(countText);
  if (count === undefined) return NOT_AN_INTEGER;
  const current = readList(ctx, key);
  if (isReply(current)) return current;
  if (current === undefined) return integer(0);
  const kept = withoutOccurrences(current, removed, count);
  const removedCount = current.length - kept.length;
  if (removedCount === 0) return integer(0);
  const { item } = listForUpdate(ctx, key);
  item.value = kept;
  storeList(ctx, key, item);
  return integer(removedCount);
}

function ltrim(ctx: CommandContext, args: ByteString[]): Reply {
  const key = args[0]!;
  const start = parseIndex(args[1]!);
  const stop = parseIndex(args[2]!);
  if (start === undefined || stop === undefined) return NOT_AN_INTEGER;
  const current = readList(ctx, key);
  if (isReply(current)) return current;
  if (current === undefined) return OK;
  const range = resolveRange(start, stop, current.length);
  if (range !== undefined && range.first === 0 && range.last === current.length - 1) return OK;
  const { item } = listForUpdate(ctx, key);
  item.value = range === undefined ? [] : current.slice(range.first, range.last + 1);
  storeList(ctx, key, item);
  return OK;
}

function linsert(ctx: CommandContext, args: ByteString[]): Reply {
  const [key, where, pivot, element] = args as [ByteString, ByteString, ByteString, ByteString];
  const placement = where.toUpperCase();
  if (placement !== "BEFORE" && placement !== "AFTER") return SYNTAX_ERROR;
  const current = readList(ctx, key);
  if (isReply(current)) return current;
  if (current === undefined) return integer(0);
  const pivotAt = current.indexOf(pivot);
  if (pivotAt < 0) return integer(-1);
  if (current.length + 1 > limits.listElementsMax) {
    return error("ERR", `list would exceed the maximum length of ${limits.listElementsMax} elements`);
  }
  const { item, elements } = listForUpdate(ctx, key);
  elements.splice(placement === "BEFORE" ? pivotAt : pivotAt + 1, 0, element);
  storeList(ctx, key, item);
  return integer(elements.length);
}

// ---- LPOS ----

interface PositionOptions {
  /** 1 = first match from the head, -1 = first from the tail, 2 = second from the head... */
  rank: number;
  /** undefined = no COUNT (reply with one position); 0 = all matches. */
  count: number | undefined;
  /** Elements compared at most; 0 = no bound. */
  maxLength: number;
}

/** Parses LPOS's [RANK r] [COUNT n] [MAXLEN m] options, or returns the error reply. */
function parsePositionOptions(args: ByteString[]): PositionOptions | Reply {
  const options: PositionOptions = { rank: 1, count: undefined, maxLength: 0 };
  for (let at = 0; at < args.length; at += 2) {
    const name = args[at]!.toUpperCase();
    if (at + 1 >= args.length) return SYNTAX_ERROR;
    const value = parseIndex(args[at + 1]!);
    if (name !== "RANK" && name !== "COUNT" && name !== "MAXLEN") return SYNTAX_ERROR;
    if (value === undefined) return NOT_AN_INTEGER;
    if (name === "RANK") {
      if (value === 0) {
        return error(
          "ERR",
          "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
        );
      }
      options.rank = value;
    } else if (value < 0) {
      return error("ERR", `${name} can't be negative`);
    } else if (name === "COUNT") options.count = value;
    else options.maxLength = value;
  }
  return options;
}

function isPositionOptions(parsed: PositionOptions | Reply): parsed is PositionOptions {
  return "rank" in parsed;
}

/** Positions of `wanted` in `elements` under the LPOS options. */
function findPositions(elements: ByteString[], wanted: ByteString, options: PositionOptions): number[] {
  const positions: number[] = [];
  const wantedCount = options.count === undefined ? 1 : options.count === 0 ? Infinity : options.count;
  const compared = options.maxLength === 0 ? elements.length : Math.min(options.maxLength, elements.length);
  const fromTail = options.rank < 0;
  let skip = Math.abs(options.rank) - 1;
  for (let step = 0; step < compared && positions.length < wantedCount; step++) {
    const at = fromTail ? elements.length - 1 - step : step;
    if (elements[at] !== wanted) continue;
    if (skip > 0) skip -= 1;
    else positions.push(at);
  }
  return positions;
}

function lpos(ctx: CommandContext, args: ByteString[]): Reply {
  const options = parsePositionOptions(args.slice(2));
  if (!isPositionOptions(options)) return options;
  const elements = readList(ctx, args[0]!);
  if (isReply(elements)) return elements;
  const positions = elements === undefined ? [] : findPositions(elements, args[1]!, options);
  if (options.count !== undefined) return array(positions.map((at) => integer(at)));
  return positions.length === 0 ? NIL : integer(positions[0]!);
}

// ---- the table ----

export const listCommands: CommandSpec[] = [
  defineCommand({
    name: "LPUSH",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    summary: "Prepends elements to a list; the new length.",
    run: (ctx, args) => push(ctx, args, { end: "head", onlyIfExists: false }),
  }),
  defineCommand({
    name: "RPUSH",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    summary: "Appends elements to a list; the new length.",
    run: (ctx, args) => push(ctx, args, { end: "tail", onlyIfExists: false }),
  }),
  defineCommand({
    name: "LPUSHX",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    summary: "Prepends elements only if the list exists.",
    run: (ctx, args) => push(ctx, args, { end: "head", onlyIfExists: true }),
  }),
  defineCommand({
    name: "RPUSHX",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    summary: "Appends elements only if the list exists.",
    run: (ctx, args) => push(ctx, args, { end: "tail", onlyIfExists: true }),
  }),
  defineCommand({
    name: "LPOP",
    arity: -2,
    flags: ["write", "fast"],
    summary: "Removes and returns the first elements of a list.",
    run: (ctx, args) => pop(ctx, args, "head"),
  }),
  defineCommand({
    name: "RPOP",
    arity: -2,
    flags: ["write", "fast"],
    summary: "Removes and returns the last elements of a list.",
    run: (ctx, args) => pop(ctx, args, "tail"),
  }),
  defineCommand({ name: "LRANGE", arity: 4, flags: ["readonly"], summary: "Returns a range of elements of a list.", run: lrange }),
  defineCommand({ name: "LLEN", arity: 2, flags: ["readonly", "fast"], summary: "Returns the length of a list.", run: llen }),
  defineCommand({ name: "LINDEX", arity: 3, flags: ["readonly"], summary: "Returns the element at an index of a list.", run: lindex }),
  defineCommand({ name: "LSET", arity: 4, flags: ["write", "denyoom"], summary: "Sets the element at an index of a list.", run: lset }),
  defineCommand({ name: "LREM", arity: 4, flags: ["write"], summary: "Removes occurrences of an element from a list.", run: lrem }),
  defineCommand({ name: "LTRIM", arity: 4, flags: ["write"], summary: "Trims a list to a range of indexes.", run: ltrim }),
  defineCommand({
    name: "LINSERT",
    arity: 5,
    flags: ["write", "denyoom"],
    summary: "Inserts an element before or after a pivot element.",
    run: linsert,
  }),
  defineCommand({ name: "LPOS", arity: -3, flags: ["readonly"], summary: "Returns the positions of an element in a list.", run: lpos }),
];
