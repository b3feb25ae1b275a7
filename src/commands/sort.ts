/**
 * SORT and SORT_RO, as Redis 7.0 runs them:
 *
 *   SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]]
 *            [ASC|DESC] [ALPHA] [STORE destination]
 *
 * on lists, sets and sorted sets (any other kind: WRONGTYPE; an absent key sorts as an
 * empty list). Elements compare as doubles read the way C's strtod reads them (leading
 * spaces, hex, "inf" allowed; anything left over, NaN or an overflow is "ERR One or more
 * scores can't be converted into double"); equal scores fall back to comparing the bytes,
 * so the order is total. ALPHA compares bytes (Redis' strcoll in the C locale).
 *
 * A pattern's first '*' is replaced by the element to name a key; "key->field" reads a
 * hash field; GET # is the element itself. A BY pattern without '*' skips sorting: lists
 * and sorted sets keep their order (DESC reverses it), sets answer their own order (which
 * is walnut's insertion order, not Redis' hash order), except with STORE, where Redis
 * sorts a set ALPHA so that replicas agree.
 *
 * STORE writes a list (replacing the destination, without expiry) or deletes the
 * destination when the result is empty, and answers the number of elements stored.
 * SORT is a write (its STORE goes through the log, so every replica sorts the same);
 * SORT_RO is SORT without STORE, on the read path.
 *
 * The sorted set kind is added in parallel: it is read by shape (encoding.ts).
 */
import type { ByteString } from "../engine/bytes.js";
import { Item, NO_EXPIRY, redisTypeName } from "../engine/values.js";
import { HashFields } from "../engine/hash_fields.js";
import { ListDeque } from "../engine/list_deque.js";
import { deleteKey, isErrorReply, isWord, liveItem, NOT_AN_INTEGER, putItem, SYNTAX_ERROR, textOf } from "./access.js";
import { defineCommand } from "./define.js";
import { sortedSetMembers } from "./encoding.js";
import { parseInteger } from "./numbers.js";
import { array, bulk, error, integer, NIL, WRONGTYPE, type Reply } from "../engine/reply.js";
import type { CommandContext, CommandSpec } from "./spec.js";

const NOT_A_DOUBLE = error("ERR", "One or more scores can't be converted into double");

interface SortOptions {
  descending: boolean;
  alpha: boolean;
  limitStart: bigint;
  limitCount: bigint;
  store: ByteString | null;
  by: ByteString | null;
  /** BY a pattern without '*': keep the value's own order. */
  dontSort: boolean;
  gets: ByteString[];
}

function parseSortOptions(args: ByteString[], readonly: boolean): SortOptions | Reply {
  const options: SortOptions = {
    descending: false,
    alpha: false,
    limitStart: 0n,
    limitCount: -1n,
    store: null,
    by: null,
    dontSort: false,
    gets: [],
  };
  for (let at = 0; at < args.length; at++) {
    const word = args[at];
    const left = args.length - at - 1;
    if (isWord(word, "ASC")) options.descending = false;
    else if (isWord(word, "DESC")) options.descending = true;
    else if (isWord(word, "ALPHA")) options.alpha = true;
    else if (isWord(word, "LIMIT") && left >= 2) {
      const start = parseInteger(args[at + 1]);
      const count = parseInteger(args[at + 2]);
      if (start === null || count === null) return NOT_AN_INTEGER;
      options.limitStart = start;
      options.limitCount = count;
      at += 2;
    } else if (!readonly && isWord(word, "STORE") && left >= 1) options.store = args[++at];
    else if (isWord(word, "BY") && left >= 1) {
      options.by = args[++at];
      options.dontSort = !options.by.includes("*");
    } else if (isWord(word, "GET") && left >= 1) options.gets.push(args[++at]);
    else return SYNTAX_ERROR;
  }
  return options;
}

/** The elements of the value at `key` in its own order; WRONGTYPE for kinds SORT does not take. */
function elementsOf(ctx: CommandContext, key: ByteString): { elements: ByteString[]; isSet: boolean; ordered: boolean } | Reply {
  const item = liveItem(ctx, key);
  if (item === undefined) return { elements: [], isSet: false, ordered: true };
  const value = item.value;
  if (value instanceof ListDeque) return { elements: value.toArray(), isSet: false, ordered: true };
  if (value instanceof Set) return { elements: [...value], isSet: true, ordered: false };
  const typeName: string = redisTypeName(item.kind);
  const members = typeName === "zset" ? sortedSetMembers(value) : null;
  if (members !== null) return { elements: members.map(([member]) => member), isSet: false, ordered: true };
  return WRONGTYPE;
}

/**
 * The value a pattern names for `element` (Redis' lookupKeyByPattern): "#" is the element,
 * a pattern without '*' names nothing, "...->field" reads a hash field, otherwise the key
 * must hold a string.
 */
function lookupByPattern(ctx: CommandContext, pattern: ByteString, element: ByteString): ByteString | null {
  if (pattern === "#") return element;
  const star = pattern.indexOf("*");
  if (star < 0) return null;
  const arrow = pattern.indexOf("->", star + 1);
  const hasField = arrow >= 0 && arrow + 2 < pattern.length;
  const key = pattern.slice(0, star) + element + pattern.slice(star + 1, hasField ? arrow : pattern.length);
  const item = liveItem(ctx, key);
  if (item === undefined) return null;
  if (hasField) {
    if (!(item.value instanceof HashFields)) return null;
    return item.value.get(pattern.slice(arrow + 2)) ?? null;
  }
  return textOf(item);
}

const STRTOD_DECIMAL = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?/;
const STRTOD_HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?[0-9]+))?/;
const STRTOD_WORD = /^[+-]?(infinity|inf|nan(\([0-9A-Za-z_]*\))?)/i;
const C_SPACE = /^[ \t\n\v\f\r]*/;

/**
 * A score as SORT reads it with C's strtod: the whole text must be read, the result must
 * not be NaN and must not overflow or underflow (ERANGE). "" reads as 0, as strtod leaves
 * it untouched and the check sees its end. null when SORT would refuse it.
 */
export function parseSortScore(text: ByteString): number | null {
  if (text === "") return 0;
  const spaces = C_SPACE.exec(text)?.[0].length ?? 0;
  const rest = text.slice(spaces);
  const word = STRTOD_WORD.exec(rest);
  if (word !== null) {
    if (word[0].length !== rest.length || /nan/i.test(word[1])) return null;
    return rest.startsWith("-") ? -Infinity : Infinity;
  }
  const hex = STRTOD_HEX.exec(rest);
  if (hex !== null && (hex[2] !== "" || (hex[3] ?? "") !== "")) {
    if (hex[0].length !== rest.length) return null;
    return hexScore(hex);
  }
  const decimal = STRTOD_DECIMAL.exec(rest);
  if (decimal === null || decimal[0].length !== rest.length) return null;
  const score = Number(decimal[0]);
  if (!Number.isFinite(score)) return null; // overflow: ERANGE
  if (score === 0 && /[1-9]/.test(decimal[1])) return null; // underflow to zero: ERANGE
  return score;
}

function hexScore(hex: RegExpExecArray): number | null {
  const whole = hex[2];
  const fraction = hex[3] ?? "";
  const exponent = Number(hex[4] ?? "0");
  let mantissa = 0;
  for (const digit of whole + fraction) mantissa = mantissa * 16 + parseInt(digit, 16);
  const score = mantissa * 2 ** (exponent - 4 * fraction.length);
  if (!Number.isFinite(score)) return null;
  if (score === 0 && /[1-9a-fA-F]/.test(whole + fraction)) return null;
  return hex[1] === "-" ? -score : score;
}

function compareBytes(a: ByteString, b: ByteString): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface Sortable {
  element: ByteString;
  score: number;
  /** ALPHA BY: the looked-up value (null when the key or field is missing). */
  compareWith: ByteString | null;
}

/** Sorts `entries` in place; null when a score cannot be read as a double. */
function sortEntries(ctx: CommandContext, entries: Sortable[], options: SortOptions): Sortable[] | null {
  let conversionError = false;
  for (const entry of entries) {
    const byValue = options.by === null ? entry.element : lookupByPattern(ctx, options.by, entry.element);
    if (byValue === null) continue; // missing: score 0, or sorts first with ALPHA
    if (options.alpha) {
      if (options.by !== null) entry.compareWith = byValue;
    } else {
      const score = parseSortScore(byValue);
      if (score === null) conversionError = true;
      else entry.score = score;
    }
  }
  if (conversionError) return null;
  const sign = options.descending ? -1 : 1;
  const compare = (a: Sortable, b: Sortable): number => {
    if (!options.alpha) return a.score > b.score ? 1 : a.score < b.score ? -1 : compareBytes(a.element, b.element);
    if (options.by === null) return compareBytes(a.element, b.element);
    if (a.compareWith === null || b.compareWith === null) {
      return a.compareWith === b.compareWith ? 0 : a.compareWith === null ? -1 : 1;
    }
    return compareBytes(a.compareWith, b.compareWith);
  };
  return entries.sort((a, b) => sign * compare(a, b));
}

/** Redis' LIMIT arithmetic: the inclusive range [start, end] of the sorted elements to answer. */
function limitRange(options: SortOptions, length: number): { start: number; end: number } {
  const size = BigInt(length);
  let start = options.limitStart < 0n ? 0n : options.limitStart;
  let end = options.limitCount < 0n ? size - 1n : start + options.limitCount - 1n;
  if (start >= size) {
    start = size - 1n;
    end = size - 2n;
  }
  if (end >= size) end = size - 1n;
  return { start: Number(start), end: Number(end) };
}

/** The elements to answer, in order (before GET). */
function selectElements(ctx: CommandContext, key: ByteString, options: SortOptions): ByteString[] | Reply {
  const found = elementsOf(ctx, key);
  if (isErrorReply(found)) return found;
  const settings = { ...options };
  if (settings.dontSort && found.isSet && settings.store !== null) {
    // Redis sorts a set it stores, so that the stored list is the same on every replica.
    settings.dontSort = false;
    settings.alpha = true;
    settings.by = null;
  }
  const { start, end } = limitRange(settings, found.elements.length);
  if (settings.dontSort) {
    if (end < start) return [];
    if (!found.ordered) return found.elements.slice(start, end + 1);
    const inOrder = settings.descending ? [...found.elements].reverse() : found.elements;
    return inOrder.slice(start, end + 1);
  }
  const entries: Sortable[] = found.elements.map((element) => ({ element, score: 0, compareWith: null }));
  const sorted = sortEntries(ctx, entries, settings);
  if (sorted === null) return NOT_A_DOUBLE; // every element is scored, even when LIMIT answers none
  return end < start ? [] : sorted.slice(start, end + 1).map((entry) => entry.element);
}

function sortGeneric(ctx: CommandContext, [key, ...args]: ByteString[], readonly: boolean): Reply {
  const options = parseSortOptions(args, readonly);
  if (isErrorReply(options)) return options;
  const selected = selectElements(ctx, key, options);
  if (isErrorReply(selected)) return selected;
  const values: Array<ByteString | null> =
    options.gets.length === 0
      ? selected
      : selected.flatMap((element) => options.gets.map((pattern) => lookupByPattern(ctx, pattern, element)));
  if (options.store === null) return array(values.map((value) => (value === null ? NIL : bulk(value))));
  if (values.length > 0) {
    const list = values.map((value) => value ?? "");
    putItem(ctx, options.store, new Item({ kind: "list", value: ListDeque.from(list) }, ctx.index, NO_EXPIRY));
  } else {
    deleteKey(ctx, options.store);
  }
  return integer(values.length);
}

export const sortCommands: CommandSpec[] = [
  defineCommand({
    name: "SORT",
    arity: -2,
    flags: ["write", "denyoom", "movablekeys"],
    categories: ["set", "sortedset", "list", "dangerous"],
    summary:
      "Sort a list, set or sorted set: SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE destination]",
    run: (ctx, args) => sortGeneric(ctx, args, false),
  }),
  defineCommand({
    name: "SORT_RO",
    arity: -2,
    flags: ["readonly", "movablekeys"],
    categories: ["set", "sortedset", "list", "dangerous"],
    summary: "SORT without STORE, on the read path: SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]",
    run: (ctx, args) => sortGeneric(ctx, args, true),
  }),
];
