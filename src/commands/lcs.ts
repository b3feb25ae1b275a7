/**
 * LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest common
 * subsequence of two strings, as Redis 7.0 computes it. Redis fills the whole
 * (len1+1)×(len2+1) table and walks it back from the end, preferring to step in key2
 * when both ways keep the same length; walnut does the same, so that among several
 * longest subsequences it answers the very one Redis answers, with the same IDX ranges
 * (listed from the end of the strings backwards, as Redis lists them).
 *
 * LEN alone needs only two rows of the table. The full table is refused beyond
 * limits.lcsTableCellsMax cells with Redis' own error for a table it could not allocate.
 */
import type { ByteString } from "../engine/bytes.js";
import { limits } from "../lib/limits.js";
import { isWord, liveItem, NOT_AN_INTEGER, SYNTAX_ERROR, textOf } from "./access.js";
import { defineCommand } from "./define.js";
import { parseInteger } from "./numbers.js";
import { array, bulk, error, integer, map, type Reply } from "../engine/reply.js";
import type { CommandContext, CommandSpec } from "./spec.js";

const NOT_STRINGS: Reply = Object.freeze(error("ERR", "The specified keys must contain string values"));
const LEN_AND_IDX: Reply = Object.freeze(error("ERR", "If you want both the length and indexes, please just use IDX."));
const TABLE_TOO_LARGE: Reply = Object.freeze(
  error("ERR", "Insufficient memory, failed allocating transient memory for LCS"),
);

interface LcsOptions {
  len: boolean;
  idx: boolean;
  withMatchLen: boolean;
  minMatchLen: bigint;
}

function parseOptions(args: ByteString[]): LcsOptions | Reply {
  const options: LcsOptions = { len: false, idx: false, withMatchLen: false, minMatchLen: 0n };
  for (let at = 0; at < args.length; at++) {
    const word = args[at]!;
    if (isWord(word, "IDX")) options.idx = true;
    else if (isWord(word, "LEN")) options.len = true;
    else if (isWord(word, "WITHMATCHLEN")) options.withMatchLen = true;
    else if (isWord(word, "MINMATCHLEN") && at + 1 < args.length) {
      const length = parseInteger(args[at + 1]!);
      if (length === null) return NOT_AN_INTEGER;
      options.minMatchLen = length < 0n ? 0n : length;
      at++;
    } else return SYNTAX_ERROR;
  }
  if (options.idx && options.len) return LEN_AND_IDX;
  return options;
}

/** The length of the longest common subsequence, in two rows of the table. */
function lcsLength(a: ByteString, b: ByteString): number {
  let previous = new Uint32Array(b.length + 1);
  let current = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    const byte = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      current[j] = byte === b.charCodeAt(j - 1) ? previous[j - 1]! + 1 : Math.max(previous[j]!, current[j - 1]!);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length]!;
}

/** The full table: cell (i, j) holds the LCS length of a[0..i) and b[0..j). */
function lcsTable(a: ByteString, b: ByteString): Uint32Array {
  const width = b.length + 1;
  const table = new Uint32Array((a.length + 1) * width);
  for (let i = 1; i <= a.length; i++) {
    const byte = a.charCodeAt(i - 1);
    const row = i * width;
    const above = row - width;
    for (let j = 1; j <= b.length; j++) {
      table[row + j] = byte === b.charCodeAt(j - 1) ? table[above + j - 1]! + 1 : Math.max(table[above + j]!, table[row + j - 1]!);
    }
  }
  return table;
}

interface Match {
  aStart: number;
  aEnd: number;
  bStart: number;
  bEnd: number;
}

/** Walks the table back from the end: the subsequence and its runs of adjacent matches. */
function walkBack(a: ByteString, b: ByteString, table: Uint32Array): { text: ByteString; matches: Match[] } {
  const width = b.length + 1;
  const chars: string[] = [];
  const matches: Match[] = [];
  let run: Match | null = null;
  let i = a.length;
  let j = b.length;
  while (i > 0 && j > 0) {
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      chars.push(a[i - 1]!);
      if (run === null) run = { aStart: i - 1, aEnd: i - 1, bStart: j - 1, bEnd: j - 1 };
      else {
        run.aStart--;
        run.bStart--;
      }
      i--;
      j--;
      // A run that reached the start of either string ends here.
      if (run.aStart === 0 || run.bStart === 0) {
        matches.push(run);
        run = null;
      }
    } else {
      if (table[(i - 1) * width + j]! > table[i * width + j - 1]!) i--;
      else j--;
      if (run !== null) {
        matches.push(run);
        run = null;
      }
    }
  }
  return { text: chars.reverse().join(""), matches };
}

function lcs(ctx: CommandContext, [keyA, keyB, ...optionArgs]: ByteString[]): Reply {
  const itemA = liveItem(ctx, keyA!);
  const itemB = liveItem(ctx, keyB!);
  const a = itemA === undefined ? "" : textOf(itemA);
  const b = itemB === undefined ? "" : textOf(itemB);
  if (a === null || b === null) return NOT_STRINGS;
  const options = parseOptions(optionArgs);
  if (!("idx" in options)) return options;
  if (options.len) return integer(lcsLength(a, b));
  if ((a.length + 1) * (b.length + 1) > limits.lcsTableCellsMax) return TABLE_TOO_LARGE;
  const table = lcsTable(a, b);
  const { text, matches } = walkBack(a, b, table);
  if (!options.idx) return bulk(text);
  const shown = matches.filter((match) => options.minMatchLen === 0n || BigInt(match.aEnd - match.aStart + 1) >= options.minMatchLen);
  const matchReplies = shown.map((match) => {
    const entry = [array([integer(match.aStart), integer(match.aEnd)]), array([integer(match.bStart), integer(match.bEnd)])];
    if (options.withMatchLen) entry.push(integer(match.aEnd - match.aStart + 1));
    return array(entry);
  });
  return map([
    [bulk("matches"), array(matchReplies)],
    [bulk("len"), integer(text.length)],
  ]);
}

export const lcsCommands: CommandSpec[] = [
  defineCommand({
    name: "LCS",
    arity: -3,
    flags: ["readonly"],
    lastKey: 2,
    summary: "The longest common subsequence of two strings [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]",
    run: lcs,
  }),
];
