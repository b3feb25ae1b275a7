/**
 * The sorted-set commands, as Redis 7.0 defines them: ZADD ZINCRBY ZREM ZSCORE ZMSCORE
 * ZCARD ZCOUNT ZLEXCOUNT ZRANGE ZRANGESTORE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX
 * ZREVRANGEBYLEX ZREVRANGE ZRANK ZREVRANK ZPOPMIN ZPOPMAX ZMPOP ZRANDMEMBER
 * ZREMRANGEBYSCORE ZREMRANGEBYRANK ZREMRANGEBYLEX ZSCAN. The set algebra (ZUNION, ZINTER,
 * ZDIFF and their STORE forms, ZINTERCARD) is in sorted_set_algebra.ts.
 *
 * A sorted set is an item of kind "zset" holding a SortedSet (engine/sorted_set.ts):
 * O(log n) add, remove, rank and range (a walk of at most 128 elements while compact). Each handler checks its arguments in the order
 * Redis does, so that the same bad call gets the same error; see sorted_set_access.ts for
 * how items are read and written (a sorted set never exists empty).
 *
 * Scores in replies are Redis 7.0's "%.17g" (RESP2 bulk strings, RESP3 doubles); a -0
 * score is stored as 0 (sorted_set.ts says why).
 */
import type { ByteString } from "../engine/bytes.js";
import { SortedSet, type ScoredMember } from "../engine/sorted_set.js";
import { isWord, NOT_A_FLOAT, NOT_AN_INTEGER, SYNTAX_ERROR } from "./access.js";
import { INT64_MAX, parseInteger } from "./numbers.js";
import { defineCommand } from "./define.js";
import { array, bulk, error, integer, NIL, NIL_ARRAY, type Reply } from "../engine/reply.js";
import type { CommandContext, CommandSpec } from "./spec.js";
import { parseLexBound, parseScore, parseScoreBound } from "./scores.js";
import {
  elementsReply,
  isReply,
  newSortedSetItem,
  popElements,
  popFirstNonEmpty,
  readSortedSet,
  replaceWithSortedSet,
  scoreReply,
  sortedSetForUpdate,
  storeSortedSet,
  type PopEnd,
} from "./sorted_set_access.js";
import {
  lexWindow,
  NOT_A_FLOAT_RANGE,
  NOT_A_LEX_RANGE,
  parseLong,
  parseRange,
  rankWindow,
  scoreWindow,
  selectElements,
  type RangeCommandShape,
} from "./sorted_set_ranges.js";
import { sortedSetAlgebraCommands } from "./sorted_set_algebra.js";
import { zscan } from "./sorted_set_scan.js";

const NAN_RESULT: Reply = Object.freeze(error("ERR", "resulting score is not a number (NaN)"));

// ---- ZADD, ZINCRBY ----

interface AddFlags {
  nx: boolean;
  xx: boolean;
  gt: boolean;
  lt: boolean;
  ch: boolean;
  incr: boolean;
}

/** What adding one element did. */
type AddOutcome = "added" | "updated" | "unchanged" | "skipped" | "nan";

/** zsetAdd: adds or updates one member under the flags; `score` is the increment with INCR. */
function addOne(sorted: SortedSet, member: ByteString, score: number, flags: AddFlags): { outcome: AddOutcome; score: number } {
  const current = sorted.score(member);
  if (current === undefined) {
    if (flags.xx) return { outcome: "skipped", score };
    sorted.add(member, score);
    return { outcome: "added", score };
  }
  if (flags.nx) return { outcome: "skipped", score: current };
  const wanted = flags.incr ? current + score : score;
  if (Number.isNaN(wanted)) return { outcome: "nan", score: current };
  if ((flags.lt && wanted >= current) || (flags.gt && wanted <= current)) return { outcome: "skipped", score: current };
  if (wanted === current) return { outcome: "unchanged", score: wanted };
  sorted.add(member, wanted);
  return { outcome: "updated", score: wanted };
}

/** Reads ZADD's leading flags; returns the flags and where the score/member pairs start. */
function parseAddFlags(args: ByteString[], incr: boolean): { flags: AddFlags; first: number } {
  const flags: AddFlags = { nx: false, xx: false, gt: false, lt: false, ch: false, incr };
  let at = 1;
  for (; at < args.length; at++) {
    const word = args[at]!.toUpperCase();
    if (word === "NX") flags.nx = true;
    else if (word === "XX") flags.xx = true;
    else if (word === "GT") flags.gt = true;
    else if (word === "LT") flags.lt = true;
    else if (word === "CH") flags.ch = true;
    else if (word === "INCR") flags.incr = true;
    else break;
  }
  return { flags, first: at };
}

export function zaddGeneric(ctx: CommandContext, args: ByteString[], options: { incr: boolean; flags: boolean }): Reply {
  const key = args[0]!;
  const { flags, first } = options.flags ? parseAddFlags(args, options.incr) : { flags: { nx: false, xx: false, gt: false, lt: false, ch: false, incr: options.incr }, first: 1 };
  const pairCount = args.length - first;
  if (pairCount === 0 || pairCount % 2 !== 0) return SYNTAX_ERROR;
  if (flags.nx && flags.xx) return error("ERR", "XX and NX options at the same time are not compatible");
  if ((flags.gt && flags.nx) || (flags.lt && flags.nx) || (flags.gt && flags.lt)) {
    return error("ERR", "GT, LT, and/or NX options at the same time are not compatible");
  }
  if (flags.incr && pairCount > 2) return error("ERR", "INCR option supports a single increment-element pair");
  const scores: number[] = [];
  for (let at = first; at < args.length; at += 2) {
    const score = parseScore(args[at]!);
    if (score === null) return NOT_A_FLOAT;
    scores.push(score);
  }
  const current = readSortedSet(ctx, key);
  if (isReply(current)) return current;
  if (current === undefined && flags.xx) return flags.incr ? NIL : integer(0);
  const { item, sorted } = current === undefined ? newSortedSetItem(ctx) : sortedSetForUpdate(ctx, key);
  let added = 0;
  let updated = 0;
  let processed = 0;
  let lastScore = 0;
  for (let index = 0; index < scores.length; index++) {
    const result = addOne(sorted, args[first + index * 2 + 1]!, scores[index]!, flags);
    // Only INCR can produce NaN, and INCR takes one element: nothing was changed.
    if (result.outcome === "nan") return NAN_RESULT;
    if (result.outcome === "added") added += 1;
    if (result.outcome === "updated") updated += 1;
    if (result.outcome !== "skipped") processed += 1;
    lastScore = result.score;
  }
  if (added + updated > 0) storeSortedSet(ctx, key, item);
  if (flags.incr) return processed > 0 ? scoreReply(lastScore) : NIL;
  return integer(flags.ch ? added + updated : added);
}

// ---- ZREM, ZSCORE, ZMSCORE, ZCARD, ZCOUNT, ZLEXCOUNT, ZRANK ----

function zrem(ctx: CommandContext, args: ByteString[]): Reply {
  const key = args[0]!;
  const current = readSortedSet(ctx, key);
  if (isReply(current)) return current;
  if (current === undefined) return integer(0);
  const present = args.slice(1).filter((member) => current.has(member));
  if (present.length === 0) return integer(0);
  const { item, sorted } = sortedSetForUpdate(ctx, key);
  let removed = 0;
  for (const member of present) if (sorted.delete(member)) removed += 1;
  storeSortedSet(ctx, key, item);
  return integer(removed);
}

function zscore(ctx: CommandContext, args: ByteString[]): Reply {
  const current = readSortedSet(ctx, args[0]!);
  if (isReply(current)) return current;
  const score = current?.score(args[1]!);
  return score === undefined ? NIL : scoreReply(score);
}

function zmscore(ctx: CommandContext, args: ByteString[]): Reply {
  const current = readSortedSet(ctx, args[0]!);
  if (isReply(current)) return current;
  return array(
    args.slice(1).map((member) => {
      const score = current?.score(member);
      return score === undefined ? NIL : scoreReply(score);
    }),
  );
}

function zcard(ctx: CommandContext, args: ByteString[]): Reply {
  const current = readSortedSet(ctx, args[0]!);
  if (isReply(current)) return current;
  return integer(current?.size ?? 0);
}

function zcount(ctx: CommandContext, args: ByteString[]): Reply {
  const min = parseScoreBound(args[1]!);
  const max = parseScoreBound(args[2]!);
  if (min === null || max === null) return NOT_A_FLOAT_RANGE;
  const current = readSortedSet(ctx, args[0]!);
  if (isReply(current)) return current;
  if (current === undefined) return integer(0);
  const window = scoreWindow(current, { min, max });
  return integer(window.end - window.first);
}

function zlexcount(ctx: CommandContext, args: ByteString[]): Reply {
  const min = parseLexBound(args[1]!);
  const max = parseLexBound(args[2]!);
  if (min === null || max === null) return NOT_A_LEX_RANGE;
  const current = readSortedSet(ctx, args[0]!);
  if (isReply(current)) return current;
  if (current === undefined) return integer(0);
  const window = lexWindow(current, { min, max });
  return integer(window.end - window.first);
}

function zrank(ctx: CommandContext, args: ByteString[], reverse: boolean): Reply {
  const current = readSortedSet(ctx, args[0]!);
  if (isReply(current)) return current;
  const rank = current?.rank(args[1]!);
  if (current === undefined || rank === undefined) return NIL;
  return integer(reverse ? current.size - 1 - rank : rank);
}

// ---- ZRANGE and its spellings, ZRANGESTORE ----

function zrangeGeneric(ctx: CommandContext, args: ByteString[], shape: RangeCommandShape): Reply {
  const source = shape.store ? args[1]! : args[0]!;
  const rangeArgs = shape.store ? args.slice(2) : args.slice(1);
  const parsed = parseRange(rangeArgs, shape);
  if (isReply(parsed)) return parsed;
  const current = readSortedSet(ctx, source);
  if (isReply(current)) return current;
  const elements = current === undefined ? [] : selectElements(current, parsed.selection);
  if (!shape.store) return elementsReply(elements, parsed.withScores);
  const result = new SortedSet();
  for (const [member, score] of elements) result.add(member, score);
  return integer(replaceWithSortedSet(ctx, args[0]!, result));
}

// ---- ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX ----

function zremrangeGeneric(ctx: CommandContext, args: ByteString[], kind: "rank" | "score" | "lex"): Reply {
  const key = args[0]!;
  let window: (sorted: SortedSet) => { first: number; end: number } | null;
  if (kind === "rank") {
    const start = parseLong(args[1]!);
    const stop = parseLong(args[2]!);
    if (start === null || stop === null) return NOT_AN_INTEGER;
    window = (sorted) => rankWindow(start, stop, sorted.size);
  } else if (kind === "score") {
    const min = parseScoreBound(args[1]!);
    const max = parseScoreBound(args[2]!);
    if (min === null || max === null) return NOT_A_FLOAT_RANGE;
    window = (sorted) => scoreWindow(sorted, { min, max });
  } else {
    const min = parseLexBound(args[1]!);
    const max = parseLexBound(args[2]!);
    if (min === null || max === null) return NOT_A_LEX_RANGE;
    window = (sorted) => lexWindow(sorted, { min, max });
  }
  const current = readSortedSet(ctx, key);
  if (isReply(current)) return current;
  if (current === undefined) return integer(0);
  const selected = window(current);
  if (selected === null || selected.end <= selected.first) return integer(0);
  const { item, sorted } = sortedSetForUpdate(ctx, key);
  const removed = sorted.slice(selected.first, selected.end - selected.first);
  for (const [member] of removed) sorted.delete(member);
  storeSortedSet(ctx, key, item);
  return integer(removed.length);
}

// ---- ZPOPMIN, ZPOPMAX, ZMPOP ----

const NOT_POSITIVE: Reply = Object.freeze(error("ERR", "value is out of range, must be positive"));

/** The reply of ZPOPMIN/ZPOPMAX: flat (member, score ...) without COUNT; RESP3 pairs with it. */
function poppedReply(popped: readonly ScoredMember[], counted: boolean): Reply {
  if (counted) return elementsReply(popped, true);
  return array(popped.flatMap(([member, score]) => [bulk(member), scoreReply(score)]));
}

function zpop(ctx: CommandContext, args: ByteString[], end: PopEnd): Reply {
  if (args.length > 2) return SYNTAX_ERROR;
  let count = 1;
  const counted = args.length === 2;
  if (counted) {
    const parsed = parseLong(args[1]!);
    if (parsed === null || parsed < 0) return NOT_POSITIVE;
    count = parsed;
  }
  const current = readSortedSet(ctx, args[0]!);
  if (isReply(current)) return current;
  if (current === undefined || count === 0) return array([]);
  return poppedReply(popElements(ctx, args[0]!, end, count), counted);
}

/** ZMPOP's reply: [key, [[member, score] ...]] in both protocols. */
export function multiPopReply(key: ByteString, popped: readonly ScoredMember[]): Reply {
  return array([bulk(key), array(popped.map(([member, score]) => array([bulk(member), scoreReply(score)])))]);
}

/** ZMPOP numkeys key [key ...] MIN|MAX [COUNT count], parsed (what BZMPOP parses too, after its timeout). */
export function parseMultiPop(args: readonly ByteString[]): { keys: ByteString[]; end: PopEnd; count: number } | Reply {
  const numkeys = parseLong(args[0]!);
  if (numkeys === null || numkeys < 1) return error("ERR", "numkeys should be greater than 0");
  const whereAt = 1 + numkeys;
  if (whereAt >= args.length) return SYNTAX_ERROR;
  const where = args[whereAt]!;
  if (!isWord(where, "MIN") && !isWord(where, "MAX")) return SYNTAX_ERROR;
  let count = -1;
  for (let at = whereAt + 1; at < args.length; at++) {
    const more = args.length - 1 - at;
    if (count === -1 && isWord(args[at]!, "COUNT") && more > 0) {
      at += 1;
      const parsed = parseLong(args[at]!);
      if (parsed === null || parsed < 1) return error("ERR", "count should be greater than 0");
      count = parsed;
    } else return SYNTAX_ERROR;
  }
  return { keys: args.slice(1, whereAt), end: isWord(where, "MIN") ? "min" : "max", count: count === -1 ? 1 : count };
}

function zmpop(ctx: CommandContext, args: ByteString[]): Reply {
  const parsed = parseMultiPop(args);
  if (isReply(parsed)) return parsed;
  const result = popFirstNonEmpty(ctx, parsed.keys, parsed.end, parsed.count);
  if (result === null) return NIL_ARRAY;
  if (isReply(result)) return result;
  return multiPopReply(result.key, result.popped);
}

// ---- ZRANDMEMBER (a read: any randomness is fine here) ----

/** |count| beyond this with WITHSCORES is "value is out of range" in Redis (LONG_MAX / 2). */
const RANDOM_COUNT_WITH_SCORES_MAX = 2 ** 62;
/** The most elements one ZRANDMEMBER with a negative count returns: Redis has no bound, walnut keeps a reply finite. */
const RANDOM_REPEATED_MAX = 10_000_000;

const COUNT_OUT_OF_RANGE: Reply = Object.freeze(
  error("ERR", "value is out of range, value must between -9223372036854775807 and 9223372036854775807"),
);

function zrandmember(ctx: CommandContext, args: ByteString[]): Reply {
  if (args.length === 1) {
    const current = readSortedSet(ctx, args[0]!);
    if (isReply(current)) return current;
    if (current === undefined) return NIL;
    return bulk(current.at(Math.floor(Math.random() * current.size))![0]);
  }
  const count = parseLong(args[1]!);
  if (count === null) return NOT_AN_INTEGER;
  // Redis takes the count within -LONG_MAX..LONG_MAX: -2^63 alone is out of range.
  if (parseInteger(args[1]!)! < -INT64_MAX) return COUNT_OUT_OF_RANGE;
  if (args.length > 3 || (args.length === 3 && !isWord(args[2]!, "WITHSCORES"))) return SYNTAX_ERROR;
  const withScores = args.length === 3;
  if (withScores && Math.abs(count) > RANDOM_COUNT_WITH_SCORES_MAX) return error("ERR", "value is out of range");
  const current = readSortedSet(ctx, args[0]!);
  if (isReply(current)) return current;
  if (current === undefined || count === 0) return array([]);
  if (count < 0) {
    if (-count > RANDOM_REPEATED_MAX) {
      return error("ERR", `Cannot pick ${-count} random members: walnut answers at most ${RANDOM_REPEATED_MAX} at once`);
    }
    const picked: ScoredMember[] = [];
    for (let i = 0; i < -count; i++) picked.push(current.at(Math.floor(Math.random() * current.size))!);
    return elementsReply(picked, withScores);
  }
  if (count >= current.size) return elementsReply([...current.entries()], withScores);
  return elementsReply(distinctRandomElements(current, count), withScores);
}

/** `count` distinct elements (count < size), in random order. */
function distinctRandomElements(sorted: SortedSet, count: number): ScoredMember[] {
  const ranks = new Set<number>();
  if (count * 2 <= sorted.size) {
    while (ranks.size < count) ranks.add(Math.floor(Math.random() * sorted.size));
    return [...ranks].map((rank) => sorted.at(rank)!);
  }
  // Most of the set: shuffle all ranks and keep the first `count`.
  const all = Array.from({ length: sorted.size }, (_, rank) => rank);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, count).map((rank) => sorted.at(rank)!);
}

// ---- the table ----

function readonly(name: string, arity: number, summary: string, run: CommandSpec["run"], fast = false): CommandSpec {
  return defineCommand({ name, arity, flags: fast ? ["readonly", "fast"] : ["readonly"], summary, run });
}

export const sortedSetCommands: CommandSpec[] = [
  defineCommand({
    name: "ZADD",
    arity: -4,
    flags: ["write", "denyoom", "fast"],
    summary: "Adds members with scores to a sorted set, or updates their scores (NX XX GT LT CH INCR).",
    run: (ctx, args) => zaddGeneric(ctx, args, { incr: false, flags: true }),
  }),
  defineCommand({
    name: "ZINCRBY",
    arity: 4,
    flags: ["write", "denyoom", "fast"],
    summary: "Increments a member's score in a sorted set; the new score.",
    run: (ctx, args) => zaddGeneric(ctx, args, { incr: true, flags: false }),
  }),
  defineCommand({ name: "ZREM", arity: -3, flags: ["write", "fast"], summary: "Removes members from a sorted set.", run: zrem }),
  readonly("ZSCORE", 3, "Returns a member's score in a sorted set.", zscore, true),
  readonly("ZMSCORE", -3, "Returns the scores of members in a sorted set.", zmscore, true),
  readonly("ZCARD", 2, "Returns the number of members in a sorted set.", zcard, true),
  readonly("ZCOUNT", 4, "Counts the members of a sorted set within a score range.", zcount, true),
  readonly("ZLEXCOUNT", 4, "Counts the members of a sorted set within a lex range.", zlexcount, true),
  readonly("ZRANK", 3, "Returns a member's rank in a sorted set, lowest score first.", (ctx, args) => zrank(ctx, args, false), true),
  readonly("ZREVRANK", 3, "Returns a member's rank in a sorted set, highest score first.", (ctx, args) => zrank(ctx, args, true), true),
  readonly("ZRANGE", -4, "Returns members of a sorted set by rank, score or lex range (BYSCORE BYLEX REV LIMIT WITHSCORES).", (ctx, args) =>
    zrangeGeneric(ctx, args, { store: false }),
  ),
  defineCommand({
    name: "ZRANGESTORE",
    arity: -5,
    flags: ["write", "denyoom"],
    lastKey: 2,
    summary: "Stores a range of a sorted set (by rank, score or lex) as a new sorted set; its size.",
    run: (ctx, args) => zrangeGeneric(ctx, args, { store: true }),
  }),
  readonly("ZRANGEBYSCORE", -4, "Returns members of a sorted set within a score range.", (ctx, args) =>
    zrangeGeneric(ctx, args, { store: false, kind: "score", reverse: false }),
  ),
  readonly("ZREVRANGEBYSCORE", -4, "Returns members of a sorted set within a score range, highest first.", (ctx, args) =>
    zrangeGeneric(ctx, args, { store: false, kind: "score", reverse: true }),
  ),
  readonly("ZRANGEBYLEX", -4, "Returns members of a sorted set within a lex range.", (ctx, args) =>
    zrangeGeneric(ctx, args, { store: false, kind: "lex", reverse: false }),
  ),
  readonly("ZREVRANGEBYLEX", -4, "Returns members of a sorted set within a lex range, in reverse.", (ctx, args) =>
    zrangeGeneric(ctx, args, { store: false, kind: "lex", reverse: true }),
  ),
  readonly("ZREVRANGE", -4, "Returns members of a sorted set by rank, highest score first.", (ctx, args) =>
    zrangeGeneric(ctx, args, { store: false, kind: "rank", reverse: true }),
  ),
  defineCommand({
    name: "ZREMRANGEBYRANK",
    arity: 4,
    flags: ["write"],
    summary: "Removes the members of a sorted set within a rank range.",
    run: (ctx, args) => zremrangeGeneric(ctx, args, "rank"),
  }),
  defineCommand({
    name: "ZREMRANGEBYSCORE",
    arity: 4,
    flags: ["write"],
    summary: "Removes the members of a sorted set within a score range.",
    run: (ctx, args) => zremrangeGeneric(ctx, args, "score"),
  }),
  defineCommand({
    name: "ZREMRANGEBYLEX",
    arity: 4,
    flags: ["write"],
    summary: "Removes the members of a sorted set within a lex range.",
    run: (ctx, args) => zremrangeGeneric(ctx, args, "lex"),
  }),
  defineCommand({
    name: "ZPOPMIN",
    arity: -2,
    flags: ["write", "fast"],
    summary: "Removes and returns the members with the lowest scores.",
    run: (ctx, args) => zpop(ctx, args, "min"),
  }),
  defineCommand({
    name: "ZPOPMAX",
    arity: -2,
    flags: ["write", "fast"],
    summary: "Removes and returns the members with the highest scores.",
    run: (ctx, args) => zpop(ctx, args, "max"),
  }),
  defineCommand({
    name: "ZMPOP",
    arity: -4,
    flags: ["write", "movablekeys"],
    firstKey: 0,
    summary: "Removes and returns members by score from the first non-empty sorted set of several.",
    run: zmpop,
  }),
  readonly("ZRANDMEMBER", -2, "Returns random members of a sorted set.", zrandmember),
  readonly("ZSCAN", -3, "Iterates over the members and scores of a sorted set.", zscan),
  ...sortedSetAlgebraCommands,
];
