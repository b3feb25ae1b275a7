/**
 * The list commands, as Redis defines them: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LRANGE
 * LLEN LINDEX LSET LREM LTRIM LINSERT LPOS (LMOVE, RPOPLPUSH and LMPOP are in
 * list_moves.ts, the blocking forms in list_blocking.ts; they share the helpers here).
 *
 * A list is an item of kind "list" whose value is a ListDeque of byte strings, head first.
 * A list never exists empty: the write that removes its last element deletes the key.
 * Writes change the item they get from `itemForUpdate` (a private copy while a
 * checkpoint view may still read the original), stamp it with the entry's index and put
 * it back; an existing list keeps its expiry, as in Redis.
 *
 * Cost: pushing or popping at either end is O(1) per element on a large list and O(bytes)
 * on a small one (at most 8 KB), reading or setting an index O(1) on a large list and a
 * walk on a small one (engine/list_deque.ts); LREM, LTRIM and LINSERT rebuild the list, O(n).
 */
import type { ByteString } from "../engine/bytes.js";
import { ListDeque } from "../engine/list_deque.js";
import { Item, NO_EXPIRY } from "../engine/values.js";
import { assert } from "../lib/assert.js";
import { limits } from "../lib/limits.js";
import { liveItem, NOT_AN_INTEGER, putItem, SYNTAX_ERROR } from "./access.js";
import { defineCommand } from "./define.js";
import { parseInteger } from "./numbers.js";
import { array, bulk, error, integer, NIL, NIL_ARRAY, OK, WRONGTYPE, type Reply } from "../engine/reply.js";
import type { CommandContext, CommandSpec } from "./spec.js";

export type End = "head" | "tail";

/** A list index or count: a Redis integer argument, as a number (lists are far shorter than 2^53). */
export function parseIndex(text: ByteString): number | undefined {
  const value = parseInteger(text);
  return value === null ? undefined : Number(value);
}

/** The elements of the list at `key` (read only), undefined when absent, or WRONGTYPE. */
export function readList(ctx: CommandContext, key: ByteString): ListDeque | undefined | Reply {
  const item = liveItem(ctx, key);
  if (item === undefined) return undefined;
  const stored = item.stored();
  return stored.kind === "list" ? stored.value : WRONGTYPE;
}

export function isReply(value: ListDeque | undefined | Reply): value is Reply {
  return value !== undefined && !(value instanceof ListDeque);
}

/** The list item at `key`, safe to change in place; the caller checked it is a live list. */
export function listForUpdate(ctx: CommandContext, key: ByteString): { item: Item; elements: ListDeque } {
  const item = ctx.collection.itemForUpdate(key);
  assert(item !== undefined && item.value instanceof ListDeque, `key ${key} was checked to hold a list`);
  return { item, elements: item.value };
}

/** Puts a changed list back, or deletes the key when the list became empty. */
export function storeList(ctx: CommandContext, key: ByteString, item: Item): void {
  assert(item.value instanceof ListDeque, "a list item holds a ListDeque");
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
  if (length > limits.listElementsMax) return listTooLong();
  // LPUSH a b c leaves c at the head: each argument in turn becomes the head.
  const { item, elements } = current === undefined ? newList(ctx, pushed.length) : listForUpdate(ctx, key);
  elements.push(options.end, pushed);
  storeList(ctx, key, item);
  return integer(length);
}

/** The refusal of a write that would take a list past limits.listElementsMax (walnut's own bound). */
export function listTooLong(): Reply {
  return error("ERR", `list would exceed the maximum length of ${limits.listElementsMax} elements`);
}

/** A new, empty list item written by this entry (storeList puts it once it holds elements). */
export function newList(ctx: CommandContext, capacity: number): { item: Item; elements: ListDeque } {
  const elements = new ListDeque(capacity);
  return { item: new Item({ kind: "list", value: elements }, ctx.index, NO_EXPIRY), elements };
}

export function pushTo(elements: ListDeque, end: End, element: ByteString): void {
  if (end === "head") elements.pushHead(element);
  else elements.pushTail(element);
}

// ---- pops ----

/** Removes up to `count` elements from one end, in pop order. */
function takeFrom(elements: ListDeque, end: End, count: number): ByteString[] {
  const taken: ByteString[] = [];
  while (taken.length < count && elements.length > 0) {
    taken.push((end === "head" ? elements.popHead() : elements.popTail())!);
  }
  return taken;
}

/**
 * Pops up to `count` elements from one end of the live list at `key` (the caller checked
 * it is a non-empty list), deleting the key when it empties; the elements in pop order.
 */
export function popElements(ctx: CommandContext, key: ByteString, end: End, count: number): ByteString[] {
  const { item, elements } = listForUpdate(ctx, key);
  const taken = takeFrom(elements, end, count);
  storeList(ctx, key, item);
  return taken;
}

const COUNT_NOT_POSITIVE: Reply = Object.freeze(error("ERR", "value is out of range, must be positive"));

function pop(ctx: CommandContext, args: ByteString[], end: End): Reply {
  const key = args[0]!;
  if (args.length > 2) return error("ERR", `wrong number of arguments for '${end === "head" ? "lpop" : "rpop"}' command`);
  let count: number | undefined;
  if (args.length === 2) {
    // Redis reads the count with getPositiveLongFromObjectOrReply: one message for both.
    count = parseIndex(args[1]!);
    if (count === undefined || count < 0) return COUNT_NOT_POSITIVE;
  }
  const current = readList(ctx, key);
  if (isReply(current)) return current;
  // With a count, Redis answers a missing key with a null array (RESP2 *-1), not a nil bulk.
  if (current === undefined) return count === undefined ? NIL : NIL_ARRAY;
  if (count === 0) return array([]);
  const taken = popElements(ctx, key, end, count ?? 1);
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

/** LINDEX looks the key up first, as Redis does: a missing key is nil, another type WRONGTYPE, whatever the index. */
function lindex(ctx: CommandContext, args: ByteString[]): Reply {
  const elements = readList(ctx, args[0]!);
  if (isReply(elements)) return elements;
  if (elements === undefined) return NIL;
  const index = parseIndex(args[1]!);
  if (index === undefined) return NOT_AN_INTEGER;
  const element = elements.at(resolveIndex(index, elements.length));
  return element === undefined ? NIL : bulk(element);
}

// ---- edits ----

function lset(ctx: CommandContext, args: ByteString[]): Reply {
  const [key, indexText, element] = args as [ByteString, ByteString, ByteString];
  // Redis looks the key up before it reads the index: no such key and WRONGTYPE come first.
  const current = readList(ctx, key);
  if (isReply(current)) return current;
  if (current === undefined) return error("ERR", "no such key");
  const index = parseIndex(indexText);
  if (index === undefined) return NOT_AN_INTEGER;
  const at = resolveIndex(index, current.length);
  if (at < 0 || at >= current.length) return error("ERR", "index out of range");
  const { item, elements } = listForUpdate(ctx, key);
  elements.set(at, element);
  storeList(ctx, key, item);
  return OK;
}

/** The elements left after removing `count` occurrences of `removed` (Redis LREM counting). */
function withoutOccurrences(list: ListDeque, removed: ByteString, count: number): ByteString[] {
  const limit = count === 0 ? Infinity : Math.abs(count);
  const kept: ByteString[] = [];
  let taken = 0;
  const fromTail = count < 0;
  const elements = list.toArray(); // one pass: a compact list finds an index by walking (list_deque.ts)
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
  item.value = ListDeque.from(kept);
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
  item.value = ListDeque.from(range === undefined ? [] : current.slice(range.first, range.last + 1));
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
  const pivotAt = current.toArray().indexOf(pivot);
  if (pivotAt < 0) return integer(-1);
  if (current.length + 1 > limits.listElementsMax) return listTooLong();
  const { item } = listForUpdate(ctx, key);
  const elements = current.toArray();
  elements.splice(placement === "BEFORE" ? pivotAt : pivotAt + 1, 0, element);
  item.value = ListDeque.from(elements);
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
    // Redis parses COUNT and MAXLEN with their own message for anything not a non-negative integer.
    if (value === undefined) return name === "RANK" ? NOT_AN_INTEGER : error("ERR", `${name} can't be negative`);
    if (name === "RANK") {
      if (value === 0) {
        return error(
          "ERR",
          "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
        );
      }
      // Redis negates a negative rank; -2^63 stays negative, and then every match counts: the first from the tail.
      options.rank = value <= -(2 ** 63) ? -1 : value;
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
function findPositions(list: ListDeque, wanted: ByteString, options: PositionOptions): number[] {
  const elements = list.toArray(); // one pass: a compact list finds an index by walking (list_deque.ts)
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
