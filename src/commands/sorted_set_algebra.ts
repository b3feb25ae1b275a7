/**
 * Set algebra over sorted sets: ZUNION ZINTER ZDIFF, their STORE forms, and ZINTERCARD,
 * as Redis 7.0's zunionInterDiffGenericCommand does them. A plain set may stand for a
 * sorted set whose every score is 1.
 *
 * Order of checks (it decides which error a bad call gets): numkeys, then that many keys
 * exist as arguments, then every key's type (WRONGTYPE before any option is read), then
 * the options WEIGHTS / AGGREGATE / WITHSCORES / LIMIT.
 *
 * Scores: a weighted score that is NaN (inf × 0) counts as 0, and so does a SUM that
 * comes out NaN (inf + -inf). Sources are combined smallest first, as Redis does, so that
 * sums of many scores round the same way.
 */
import type { ByteString } from "../engine/bytes.js";
import { SortedSet } from "../engine/sorted_set.js";
import { isWord, liveItem, NOT_AN_INTEGER, SYNTAX_ERROR } from "./access.js";
import { defineCommand } from "./define.js";
import { error, integer, WRONGTYPE, type Reply } from "../engine/reply.js";
import type { CommandContext, CommandSpec } from "./spec.js";
import { parseScore } from "./scores.js";
import { elementsReply, isReply, replaceWithSortedSet } from "./sorted_set_access.js";
import { parseLong } from "./sorted_set_ranges.js";

type Operation = "union" | "inter" | "diff";
type Aggregate = "sum" | "min" | "max";

/** One input: a sorted set, a set (scores 1), or an absent key (empty). */
interface Source {
  size: number;
  score(member: ByteString): number | undefined;
  elements(): Iterable<readonly [ByteString, number]>;
  weight: number;
}

function sourceOf(value: SortedSet | Set<ByteString> | undefined): Source {
  if (value instanceof SortedSet) {
    return { size: value.size, score: (member) => value.score(member), elements: () => value.entries(), weight: 1 };
  }
  if (value instanceof Set) {
    return {
      size: value.size,
      score: (member) => (value.has(member) ? 1 : undefined),
      elements: () => [...value].map((member): readonly [ByteString, number] => [member, 1]),
      weight: 1,
    };
  }
  return { size: 0, score: () => undefined, elements: () => [], weight: 1 };
}

interface AlgebraCall {
  sources: Source[];
  aggregate: Aggregate;
  withScores: boolean;
  /** ZINTERCARD's LIMIT; 0 = none. */
  limit: number;
}

interface AlgebraShape {
  name: string;
  operation: Operation;
  store: boolean;
  cardinalityOnly: boolean;
}

/** Parses `numkeys key... [options]` (args start at numkeys) and reads the sources. */
function parseAlgebra(ctx: CommandContext, args: readonly ByteString[], shape: AlgebraShape): AlgebraCall | Reply {
  const count = parseLong(args[0]!);
  if (count === null) return NOT_AN_INTEGER;
  if (count < 1) return error("ERR", `at least 1 input key is needed for '${shape.name.toLowerCase()}' command`);
  if (count > args.length - 1) return SYNTAX_ERROR;
  const sources: Source[] = [];
  for (let at = 1; at <= count; at++) {
    const item = liveItem(ctx, args[at]!);
    if (item !== undefined && !(item.value instanceof SortedSet) && item.kind !== "set") return WRONGTYPE;
    sources.push(sourceOf(item?.value as SortedSet | Set<ByteString> | undefined));
  }
  const call: AlgebraCall = { sources, aggregate: "sum", withScores: false, limit: 0 };
  const weighted = shape.operation !== "diff" && !shape.cardinalityOnly;
  let at = count + 1;
  while (at < args.length) {
    const remaining = args.length - at;
    const word = args[at]!;
    if (weighted && remaining >= count + 1 && isWord(word, "WEIGHTS")) {
      for (let index = 0; index < count; index++) {
        const weight = parseScore(args[at + 1 + index]!);
        if (weight === null) return error("ERR", "weight value is not a float");
        sources[index]!.weight = weight;
      }
      at += count + 1;
    } else if (weighted && remaining >= 2 && isWord(word, "AGGREGATE")) {
      const name = args[at + 1]!;
      if (isWord(name, "SUM")) call.aggregate = "sum";
      else if (isWord(name, "MIN")) call.aggregate = "min";
      else if (isWord(name, "MAX")) call.aggregate = "max";
      else return SYNTAX_ERROR;
      at += 2;
    } else if (!shape.store && !shape.cardinalityOnly && isWord(word, "WITHSCORES")) {
      call.withScores = true;
      at += 1;
    } else if (shape.cardinalityOnly && remaining >= 2 && isWord(word, "LIMIT")) {
      const limit = parseLong(args[at + 1]!);
      if (limit === null || limit < 0) return error("ERR", "LIMIT can't be negative");
      call.limit = limit;
      at += 2;
    } else return SYNTAX_ERROR;
  }
  return call;
}

function weigh(score: number, weight: number): number {
  const weighted = score * weight;
  return Number.isNaN(weighted) ? 0 : weighted;
}

function combine(current: number, value: number, aggregate: Aggregate): number {
  if (aggregate === "sum") {
    const sum = current + value;
    return Number.isNaN(sum) ? 0 : sum;
  }
  if (aggregate === "min") return value < current ? value : current;
  return value > current ? value : current;
}

/** Smallest first; a stable sort keeps the order of equally sized sources. */
function bySize(sources: Source[]): Source[] {
  return sources.map((source, index) => ({ source, index })).sort((a, b) => a.source.size - b.source.size || a.index - b.index).map(({ source }) => source);
}

function union(call: AlgebraCall): SortedSet {
  const scores = new Map<ByteString, number>();
  for (const source of bySize(call.sources)) {
    for (const [member, score] of source.elements()) {
      const weighted = weigh(score, source.weight);
      const current = scores.get(member);
      scores.set(member, current === undefined ? weighted : combine(current, weighted, call.aggregate));
    }
  }
  return sortedSetFrom(scores);
}

/** The intersection's elements, stopping after `limit` of them (0: all). */
function intersection(call: AlgebraCall, limit: number): Map<ByteString, number> {
  const scores = new Map<ByteString, number>();
  const [smallest, ...others] = bySize(call.sources);
  if (smallest === undefined || smallest.size === 0) return scores;
  for (const [member, score] of smallest.elements()) {
    let combined = weigh(score, smallest.weight);
    let inAll = true;
    for (const other of others) {
      const value = other.score(member);
      if (value === undefined) {
        inAll = false;
        break;
      }
      combined = combine(combined, value * other.weight, call.aggregate);
    }
    if (!inAll) continue;
    scores.set(member, combined);
    if (limit > 0 && scores.size >= limit) break;
  }
  return scores;
}

function difference(call: AlgebraCall): SortedSet {
  const [first, ...others] = call.sources;
  const scores = new Map<ByteString, number>();
  for (const [member, score] of first!.elements()) {
    if (others.every((other) => other.score(member) === undefined)) scores.set(member, score);
  }
  return sortedSetFrom(scores);
}

function sortedSetFrom(scores: Map<ByteString, number>): SortedSet {
  const sorted = new SortedSet();
  for (const [member, score] of scores) sorted.add(member, score);
  return sorted;
}

function compute(call: AlgebraCall, operation: Operation): SortedSet {
  if (operation === "union") return union(call);
  if (operation === "inter") return sortedSetFrom(intersection(call, 0));
  return difference(call);
}

function algebra(ctx: CommandContext, args: ByteString[], shape: AlgebraShape): Reply {
  const call = parseAlgebra(ctx, shape.store ? args.slice(1) : args, shape);
  if (isReply(call)) return call;
  if (shape.cardinalityOnly) return integer(intersection(call, call.limit).size);
  const result = compute(call, shape.operation);
  if (shape.store) return integer(replaceWithSortedSet(ctx, args[0]!, result));
  return elementsReply([...result.entries()], call.withScores);
}

function readCommand(name: string, operation: Operation, summary: string): CommandSpec {
  const shape: AlgebraShape = { name, operation, store: false, cardinalityOnly: false };
  return defineCommand({ name, arity: -3, flags: ["readonly", "movablekeys"], firstKey: 0, summary, run: (ctx, args) => algebra(ctx, args, shape) });
}

function storeCommand(name: string, operation: Operation, summary: string): CommandSpec {
  const shape: AlgebraShape = { name, operation, store: true, cardinalityOnly: false };
  return defineCommand({ name, arity: -4, flags: ["write", "denyoom", "movablekeys"], summary, run: (ctx, args) => algebra(ctx, args, shape) });
}

export const sortedSetAlgebraCommands: CommandSpec[] = [
  readCommand("ZUNION", "union", "Returns the union of sorted sets (WEIGHTS AGGREGATE WITHSCORES)."),
  storeCommand("ZUNIONSTORE", "union", "Stores the union of sorted sets; its size."),
  readCommand("ZINTER", "inter", "Returns the intersection of sorted sets (WEIGHTS AGGREGATE WITHSCORES)."),
  storeCommand("ZINTERSTORE", "inter", "Stores the intersection of sorted sets; its size."),
  readCommand("ZDIFF", "diff", "Returns the members of the first sorted set that no other holds."),
  storeCommand("ZDIFFSTORE", "diff", "Stores the difference of sorted sets; its size."),
  defineCommand({
    name: "ZINTERCARD",
    arity: -3,
    flags: ["readonly", "movablekeys"],
    firstKey: 0,
    summary: "Counts the members of the intersection of sorted sets (LIMIT stops counting early).",
    run: (ctx, args) => algebra(ctx, args, { name: "ZINTERCARD", operation: "inter", store: false, cardinalityOnly: true }),
  }),
];
