/**
 * ZSCAN key cursor [MATCH pattern] [COUNT count].
 *
 * A sorted set of up to SMALL_SET_MEMBERS members answers whole in one call with cursor
 * 0, as Redis 7.0 does for its compact (listpack) sets: in score order, whatever COUNT
 * says. A larger one is walked in score order, COUNT elements per call, and the cursor
 * names server-side state (one table per engine, least recently used forgotten): the
 * last element returned, so that the next call resumes after it. An element present for
 * the whole iteration is returned at least once, Redis' guarantee, whatever is added or
 * removed meanwhile. A cursor the table does not know starts over from the lowest
 * element (the client then sees some elements twice, which SCAN allows).
 *
 * MATCH filters members (the score goes with its member). Scores are bulk strings spelled
 * "%.17g" in RESP2 and RESP3 alike, as Redis sends them.
 */
import type { ByteString } from "../engine/bytes.js";
import type { Engine } from "../engine/engine.js";
import { compareElements, type ScoredMember } from "../engine/sorted_set.js";
import { formatDouble } from "../lib/double_text.js";
import { EMPTY_SCAN, INVALID_CURSOR, parseElementCursor, parseElementScanOptions } from "./element_scan.js";
import type { Glob } from "./glob.js";
import { array, bulk, type Reply } from "../engine/reply.js";
import type { CommandContext } from "./spec.js";
import { isReply, readSortedSet } from "./sorted_set_access.js";

/** Redis 7.0's zset-max-listpack-entries: up to this many members, ZSCAN answers everything at once. */
export const SMALL_SET_MEMBERS = 128;
/** Iterations one engine keeps open at once. */
const CURSORS_MAX = 1024;

interface Iteration {
  /** Which set: its collection and key (not the SortedSet object, which a write under a checkpoint replaces with a copy). */
  collection: CommandContext["collection"];
  key: ByteString;
  last: ScoredMember;
}

class CursorTable {
  private readonly iterations = new Map<number, Iteration>();
  private lastCursor = 0;

  take(cursor: number): Iteration | undefined {
    const iteration = this.iterations.get(cursor);
    this.iterations.delete(cursor);
    return iteration;
  }

  keep(iteration: Iteration): number {
    this.lastCursor = this.lastCursor >= Number.MAX_SAFE_INTEGER ? 1 : this.lastCursor + 1;
    this.iterations.set(this.lastCursor, iteration);
    if (this.iterations.size > CURSORS_MAX) this.iterations.delete(this.iterations.keys().next().value as number);
    return this.lastCursor;
  }
}

const cursorTables = new WeakMap<Engine, CursorTable>();

function cursorTable(engine: Engine): CursorTable {
  let table = cursorTables.get(engine);
  if (table === undefined) {
    table = new CursorTable();
    cursorTables.set(engine, table);
  }
  return table;
}

function scanReply(cursor: number, elements: readonly ScoredMember[], match: Glob | null): Reply {
  const items: Reply[] = [];
  for (const [member, score] of elements) {
    if (match !== null && !match.matches(member)) continue;
    items.push(bulk(member), bulk(formatDouble(score)));
  }
  return array([bulk(String(cursor)), array(items)]);
}

export function zscan(ctx: CommandContext, args: ByteString[]): Reply {
  const cursorText = args[1]!;
  const cursor = parseElementCursor(cursorText);
  if (cursor === null) return INVALID_CURSOR;
  const sorted = readSortedSet(ctx, args[0]!);
  if (isReply(sorted)) return sorted;
  // As in Redis, a missing key answers an empty scan before the options are read.
  if (sorted === undefined) return EMPTY_SCAN;
  const options = parseElementScanOptions(args.slice(2));
  if (isReply(options)) return options;
  if (sorted.size <= SMALL_SET_MEMBERS) return scanReply(0, [...sorted.entries()], options.match);
  const table = cursorTable(ctx.engine);
  const known = cursor === 0n ? undefined : table.take(Number(cursor));
  let start = 0;
  if (known !== undefined && known.collection === ctx.collection && known.key === args[0]) {
    const [lastMember, lastScore] = known.last;
    start = sorted.countWhile((member, score) => compareElements(score, member, lastScore, lastMember) <= 0);
  }
  const elements = sorted.slice(start, options.count);
  const finished = start + elements.length >= sorted.size;
  const next = finished ? 0 : table.keep({ collection: ctx.collection, key: args[0]!, last: elements[elements.length - 1]! });
  return scanReply(next, elements, options.match);
}
