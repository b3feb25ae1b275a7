/**
 * Splitting of an inline command (`SET key "a value"`), the form telnet users and
 * `redis-cli` pipes send, with Redis' quoting rules (its sdssplitargs):
 *
 * - arguments are separated by blanks (space, \t, \n, \r, \v, \f); a line of blanks
 *   has no arguments and is skipped by the caller;
 * - "double quotes" take the escapes \n \r \t \b \a and \xHH (two hex digits); any other
 *   backslashed character stands for itself (\" is a quote, \\ a backslash);
 * - 'single quotes' take only \' as an escape;
 * - a closing quote must be followed by a blank or the end of the line, and an
 *   unterminated quote makes the whole line invalid;
 * - a quote may open in the middle of an argument: a"b c" is the one argument "ab c".
 *
 * Worked example: `SET k "a\x41\n" 'it\'s'` → ["SET", "k", "aA\n", "it's"].
 *
 * One deliberate difference: Redis, being C, stops reading at a NUL byte; walnut treats
 * NUL as an ordinary byte of an unquoted argument.
 */
import type { ByteString } from "../engine/bytes.js";
import { byteStringAt } from "./input_buffer.js";

const SPACE = 0x20;
const TAB = 0x09;
const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;
const BACKSLASH = 0x5c;

/** C's isspace() in the C locale (space, \t \n \v \f \r): what Redis skips between arguments. */
function isBlank(byte: number): boolean {
  return byte === SPACE || (byte >= TAB && byte <= CARRIAGE_RETURN);
}

/** What ends an unquoted argument (Redis does not count \v and \f here). */
function endsUnquoted(byte: number): boolean {
  return byte === SPACE || byte === TAB || byte === LINE_FEED || byte === CARRIAGE_RETURN;
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x41 + 10;
  return -1;
}

const escapedBytes: Record<number, number> = {
  0x6e: LINE_FEED, // \n
  0x72: CARRIAGE_RETURN, // \r
  0x74: TAB, // \t
  0x62: 0x08, // \b
  0x61: 0x07, // \a
};

/**
 * The arguments of the inline command in `line[start, end)` (the line without its
 * terminator), or null when its quotes are unbalanced.
 */
export function splitInlineArguments(line: Buffer, start: number, end: number): ByteString[] | null {
  const argv: ByteString[] = [];
  let position = start;
  for (;;) {
    while (position < end && isBlank(line[position]!)) position++;
    if (position === end) return argv;
    const argument = readArgument(line, position, end);
    if (argument === null) return null;
    argv.push(argument.value);
    position = argument.next;
  }
}

/** Reads one argument starting at a non-blank byte. */
function readArgument(line: Buffer, start: number, end: number): { value: ByteString; next: number } | null {
  let position = start;
  while (position < end) {
    const byte = line[position]!;
    if (endsUnquoted(byte)) break;
    if (byte === DOUBLE_QUOTE || byte === SINGLE_QUOTE) return readQuotedArgument(line, start, position, end);
    position++;
  }
  return { value: byteStringAt(line, start, position), next: position };
}

/** Reads an argument whose quote opens at `quote` (after `start` if it opens mid-argument). */
function readQuotedArgument(line: Buffer, start: number, quote: number, end: number): { value: ByteString; next: number } | null {
  const bytes = Array.from(line.subarray(start, quote));
  const closing =
    line[quote] === DOUBLE_QUOTE
      ? readDoubleQuoted(line, quote + 1, end, bytes)
      : readSingleQuoted(line, quote + 1, end, bytes);
  if (closing < 0) return null;
  // The closing quote must be followed by a blank or the end of the line.
  if (closing + 1 < end && !isBlank(line[closing + 1]!)) return null;
  return { value: Buffer.from(bytes).toString("latin1"), next: closing + 1 };
}

/** Appends the content of a "double quoted" part to `bytes`; returns the closing quote's position, or -1. */
function readDoubleQuoted(line: Buffer, start: number, end: number, bytes: number[]): number {
  let position = start;
  while (position < end) {
    const byte = line[position]!;
    if (byte === DOUBLE_QUOTE) return position;
    if (byte === BACKSLASH && position + 1 < end) {
      const escaped = line[position + 1]!;
      const high = position + 3 < end ? hexValue(line[position + 2]!) : -1;
      const low = position + 3 < end ? hexValue(line[position + 3]!) : -1;
      if (escaped === 0x78 && high >= 0 && low >= 0) {
        bytes.push(high * 16 + low);
        position += 4;
      } else {
        bytes.push(escapedBytes[escaped] ?? escaped);
        position += 2;
      }
      continue;
    }
    bytes.push(byte);
    position++;
  }
  return -1;
}

/** Appends the content of a 'single quoted' part to `bytes`; returns the closing quote's position, or -1. */
function readSingleQuoted(line: Buffer, start: number, end: number, bytes: number[]): number {
  let position = start;
  while (position < end) {
    const byte = line[position]!;
    if (byte === BACKSLASH && position + 1 < end && line[position + 1] === SINGLE_QUOTE) {
      bytes.push(SINGLE_QUOTE);
      position += 2;
      continue;
    }
    if (byte === SINGLE_QUOTE) return position;
    bytes.push(byte);
    position++;
  }
  return -1;
}
