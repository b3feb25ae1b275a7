/**
 * Ranges of a sorted set, as ZRANGE and its older spellings (ZRANGEBYSCORE, ZREVRANGE,
 * ZRANGEBYLEX ...), ZRANGESTORE and the ZREMRANGEBY* commands select them: by rank, by
 * score or by member (lex), forward or reversed, with LIMIT offset count.
 *
 * Parsing follows Redis 7.0's zrangeGenericCommand step by step, because the step that
 * fails decides the error a client sees: options first (syntax errors), then the
 * conflicts between them, then the range itself, and only then the key.
 */
import type { ByteString } from "../engine/bytes.js";
import type { ScoredMember, SortedSet } from "../engine/sorted_set.js";
import { isWord, NOT_AN_INTEGER, SYNTAX_ERROR } from "./access.js";
import { parseInteger } from "./numbers.js";
import { error, type Reply } from "../engine/reply.js";
import {
  isBelowLexMin,
  isBelowMin,
  isEmptyLexRange,
  isEmptyScoreRange,
  isWithinLexMax,
  isWithinMax,
  parseLexBound,
  parseScoreBound,
  type LexRange,
  type ScoreRange,
} from "./scores.js";

export const NOT_A_FLOAT_RANGE: Reply = Object.freeze(error("ERR", "min or max is not a float"));
export const NOT_A_LEX_RANGE: Reply = Object.freeze(error("ERR", "min or max not valid string range item"));

export type RangeKind = "rank" | "score" | "lex";

/** A range as parsed: which elements, in which direction, how many. */
export type RangeSelection =
  | { kind: "rank"; start: number; stop: number; reverse: boolean }
  | { kind: "score"; range: ScoreRange; reverse: boolean; offset: number; limit: number }
  | { kind: "lex"; range: LexRange; reverse: boolean; offset: number; limit: number };

export interface ParsedRange {
  selection: RangeSelection;
  withScores: boolean;
}

/** What the command fixes before its options are read. */
export interface RangeCommandShape {
  /** ZRANGESTORE: no WITHSCORES. */
  store: boolean;
  /** Preset by ZRANGEBYSCORE/ZRANGEBYLEX...: then BYSCORE/BYLEX are syntax errors. */
  kind?: RangeKind;
  /** Preset by ZREVRANGE...: then REV is a syntax error. */
  reverse?: boolean;
}

/** An integer argument as a JS number (ranks, offsets and counts; int64 beyond 2^53 loses only digits no set reaches). */
export function parseLong(text: ByteString): number | null {
  const value = parseInteger(text);
  return value === null ? null : Number(value);
}

/**
 * Parses `min max [options...]` of a range command (`args` starts at min).
 */
export function parseRange(args: readonly ByteString[], shape: RangeCommandShape): ParsedRange | Reply {
  let kind: RangeKind | undefined = shape.kind;
  let reverse: boolean | undefined = shape.reverse;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  let limited = false;
  for (let at = 2; at < args.length; at++) {
    const word = args[at]!;
    const left = args.length - at - 1;
    if (!shape.store && isWord(word, "WITHSCORES")) withScores = true;
    else if (isWord(word, "LIMIT") && left >= 2) {
      const parsedOffset = parseLong(args[at + 1]!);
      const parsedLimit = parseLong(args[at + 2]!);
      if (parsedOffset === null || parsedLimit === null) return NOT_AN_INTEGER;
      offset = parsedOffset;
      limit = parsedLimit;
      limited = true;
      at += 2;
    } else if (reverse === undefined && isWord(word, "REV")) reverse = true;
    else if (kind === undefined && isWord(word, "BYLEX")) kind = "lex";
    else if (kind === undefined && isWord(word, "BYSCORE")) kind = "score";
    else return SYNTAX_ERROR;
  }
  const direction = reverse ?? false;
  const rangeKind = kind ?? "rank";
  // Redis tests `opt_limit != -1`: "LIMIT 0 -1" by rank is no error.
  if (limited && limit !== -1 && rangeKind === "rank") {
    return error("ERR", "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
  }
  if (withScores && rangeKind === "lex") return error("ERR", "syntax error, WITHSCORES not supported in combination with BYLEX");
  // Reversed score and lex ranges are written max first.
  const [minText, maxText] = direction && rangeKind !== "rank" ? [args[1]!, args[0]!] : [args[0]!, args[1]!];
  if (rangeKind === "rank") {
    const start = parseLong(minText);
    const stop = parseLong(maxText);
    if (start === null || stop === null) return NOT_AN_INTEGER;
    return { selection: { kind: "rank", start, stop, reverse: direction }, withScores };
  }
  if (rangeKind === "score") {
    const min = parseScoreBound(minText);
    const max = parseScoreBound(maxText);
    if (min === null || max === null) return NOT_A_FLOAT_RANGE;
    return { selection: { kind: "score", range: { min, max }, reverse: direction, offset, limit }, withScores };
  }
  const min = parseLexBound(minText);
  const max = parseLexBound(maxText);
  if (min === null || max === null) return NOT_A_LEX_RANGE;
  return { selection: { kind: "lex", range: { min, max }, reverse: direction, offset, limit }, withScores };
}

/** The ascending ranks [first, end) that a rank range selects, as Redis sanitizes them; null when empty. */
export function rankWindow(start: number, stop: number, size: number): { first: number; end: number } | null {
  let first = start < 0 ? size + start : start;
  let last = stop < 0 ? size + stop : stop;
  if (first < 0) first = 0;
  if (first > last || first >= size) return null;
  if (last >= size) last = size - 1;
  return { first, end: last + 1 };
}

/** The ascending ranks [first, end) of the elements whose score is in `range`. */
export function scoreWindow(sorted: SortedSet, range: ScoreRange): { first: number; end: number } {
  if (isEmptyScoreRange(range)) return { first: 0, end: 0 };
  const first = sorted.countWhile((_member, score) => isBelowMin(score, range.min));
  const end = sorted.countWhile((_member, score) => isWithinMax(score, range.max));
  return { first, end: Math.max(first, end) };
}

/** Redis 7.0's compact encoding holds up to this many members; lex ranges over it are linear scans. */
const COMPACT_MEMBERS_MAX = 128;

/**
 * The ascending ranks [first, end) of the members in `range`, found as Redis finds them.
 * With every score equal (what lex ranges are for) that is simply the members between the
 * bounds. With mixed scores Redis documents the answer as unspecified; walnut gives what
 * redis-server gives for a set of up to 128 members (its listpack scans): the run of
 * consecutive members that starts at the first member not below the lower bound (or, in
 * reverse, ends at the last member not above the upper bound). Larger sets find the ends
 * by descending the skip list, as Redis does with its own.
 */
export function lexWindow(sorted: SortedSet, range: LexRange, options: { reverse?: boolean } = {}): { first: number; end: number } {
  const none = { first: 0, end: 0 };
  if (isEmptyLexRange(range) || sorted.size === 0) return none;
  const atLeastMin = (member: ByteString): boolean => !isBelowLexMin(member, range.min);
  const atMostMax = (member: ByteString): boolean => isWithinLexMax(member, range.max);
  if (!atLeastMin(sorted.last()![0]) || !atMostMax(sorted.at(0)![0])) return none;
  if (sorted.size > COMPACT_MEMBERS_MAX) {
    const first = sorted.countWhile((member) => !atLeastMin(member));
    const end = sorted.countWhile((member) => atMostMax(member));
    return end > first ? { first, end } : none;
  }
  const members = [...sorted.entries()].map(([member]) => member);
  if (options.reverse) {
    let last = members.length - 1;
    while (last >= 0 && !atMostMax(members[last]!)) last -= 1;
    if (last < 0 || !atLeastMin(members[last]!)) return none;
    let first = last;
    while (first > 0 && atLeastMin(members[first - 1]!)) first -= 1;
    return { first, end: last + 1 };
  }
  let first = 0;
  while (first < members.length && !atLeastMin(members[first]!)) first += 1;
  if (first >= members.length || !atMostMax(members[first]!)) return none;
  let end = first;
  while (end < members.length && atMostMax(members[end]!)) end += 1;
  return { first, end };
}

/** The elements a selection picks, in reply order. */
export function selectElements(sorted: SortedSet, selection: RangeSelection): ScoredMember[] {
  if (selection.kind === "rank") {
    const window = rankWindow(selection.start, selection.stop, sorted.size);
    if (window === null) return [];
    const count = window.end - window.first;
    if (!selection.reverse) return sorted.slice(window.first, count);
    // Reversed ranks count from the highest element.
    return sorted.slice(sorted.size - 1 - window.first, count, { reverse: true });
  }
  const window =
    selection.kind === "score" ? scoreWindow(sorted, selection.range) : lexWindow(sorted, selection.range, { reverse: selection.reverse });
  // A negative offset selects nothing, as in Redis; a negative limit means no limit.
  if (selection.offset < 0) return [];
  const available = window.end - window.first - selection.offset;
  if (available <= 0) return [];
  const count = selection.limit < 0 ? available : Math.min(available, selection.limit);
  if (!selection.reverse) return sorted.slice(window.first + selection.offset, count);
  return sorted.slice(window.end - 1 - selection.offset, count, { reverse: true });
}
