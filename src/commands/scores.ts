/**
 * Reading sorted-set arguments the way Redis 7.0 reads them: scores, score bounds and lex
 * bounds. Redis reads numbers with C's strtod, so walnut reads them with the same grammar
 * (`readStrtod`): optional spaces, a sign, decimal or hexadecimal ("0x1p3") digits with an
 * exponent, "inf"/"infinity", "nan".
 *
 * - A score (ZADD, ZINCRBY, WEIGHTS) is Redis' getDoubleFromObject: the whole text, no
 *   leading space, not NaN, and no overflow or underflow to zero ("1e400" and "1e-400"
 *   are refused, "inf" is fine).
 * - A score bound (ZCOUNT, ZRANGEBYSCORE ...) is "(" for exclusive, then strtod with
 *   leading spaces allowed and overflow to inf allowed; "" reads as 0; NaN is refused.
 * - A lex bound (ZRANGEBYLEX ...) is "-" (below everything), "+" (above everything),
 *   "[member" (inclusive) or "(member" (exclusive); anything else is refused.
 */
import type { ByteString } from "../engine/bytes.js";
import { compareElements } from "../engine/sorted_set.js";

const WHITESPACE = new Set([" ", "\t", "\n", "\v", "\f", "\r"]);
const DECIMAL = /^([+-]?)([0-9]*)(?:\.([0-9]*))?/;
const EXPONENT = /^[eE][+-]?[0-9]+/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?/;
const BINARY_EXPONENT = /^[pP]([+-]?[0-9]+)/;
const SPECIAL = /^([+-]?)(infinity|inf|nan)/i;

/** What strtod read from the start of a text. */
interface StrtodResult {
  value: number;
  /** Characters consumed (0: nothing numeric was found). */
  end: number;
  /** The text had a non-zero digit but the value rounded to 0, or finite digits gave ±inf (strtod's ERANGE). */
  outOfRange: boolean;
}

/** C's strtod on a byte string: reads the longest numeric prefix, after optional leading whitespace. */
export function readStrtod(text: ByteString): StrtodResult {
  let start = 0;
  while (start < text.length && WHITESPACE.has(text[start]!)) start += 1;
  const rest = text.slice(start);
  const special = SPECIAL.exec(rest);
  if (special !== null) {
    const word = special[2]!.toLowerCase();
    const negative = special[1] === "-";
    const value = word === "nan" ? NaN : negative ? -Infinity : Infinity;
    return { value, end: start + special[0].length, outOfRange: false };
  }
  const hex = HEX.exec(rest);
  if (hex !== null && (hex[2]! + (hex[3] ?? "")).length > 0) return readHex(hex, rest, start);
  const decimal = DECIMAL.exec(rest);
  const digits = decimal === null ? "" : decimal[2]! + (decimal[3] ?? "");
  if (decimal === null || digits.length === 0) return { value: 0, end: 0, outOfRange: false };
  let length = decimal[0].length;
  const exponent = EXPONENT.exec(rest.slice(length));
  if (exponent !== null) length += exponent[0].length;
  const value = Number(rest.slice(0, length));
  const overflow = !Number.isFinite(value);
  const underflow = value === 0 && /[1-9]/.test(digits);
  return { value, end: start + length, outOfRange: overflow || underflow };
}

function readHex(match: RegExpExecArray, rest: string, start: number): StrtodResult {
  const integerDigits = match[2]!;
  const fractionDigits = match[3] ?? "";
  let length = match[0].length;
  let binaryExponent = 0;
  const exponent = BINARY_EXPONENT.exec(rest.slice(length));
  if (exponent !== null) {
    length += exponent[0].length;
    binaryExponent = Number(exponent[1]);
  }
  const mantissa = BigInt("0x" + (integerDigits + fractionDigits || "0"));
  const magnitude = Number(mantissa) * 2 ** (binaryExponent - 4 * fractionDigits.length);
  const value = match[1] === "-" ? -magnitude : magnitude;
  const outOfRange = !Number.isFinite(value) || (value === 0 && mantissa !== 0n);
  return { value, end: start + length, outOfRange };
}

/** A score argument (ZADD, ZINCRBY, WEIGHTS), or null where Redis answers "not a valid float". */
export function parseScore(text: ByteString): number | null {
  if (text.length === 0 || WHITESPACE.has(text[0]!)) return null;
  const read = readStrtod(text);
  if (read.end !== text.length || read.outOfRange || Number.isNaN(read.value)) return null;
  return read.value;
}

export interface ScoreBound {
  value: number;
  exclusive: boolean;
}

/** One end of a score range ("(1.5", "-inf", "3"), or null where Redis answers "min or max is not a float". */
export function parseScoreBound(text: ByteString): ScoreBound | null {
  const exclusive = text.startsWith("(");
  const number = exclusive ? text.slice(1) : text;
  const read = readStrtod(number);
  if (read.end !== number.length || Number.isNaN(read.value)) return null;
  return { value: read.value, exclusive };
}

export interface ScoreRange {
  min: ScoreBound;
  max: ScoreBound;
}

/** True when no score can be in the range (min above max, or equal with an exclusive end). */
export function isEmptyScoreRange(range: ScoreRange): boolean {
  const { min, max } = range;
  return min.value > max.value || (min.value === max.value && (min.exclusive || max.exclusive));
}

/** True when `score` is below the range's lower end. */
export function isBelowMin(score: number, min: ScoreBound): boolean {
  return min.exclusive ? score <= min.value : score < min.value;
}

/** True when `score` is within the range's upper end. */
export function isWithinMax(score: number, max: ScoreBound): boolean {
  return max.exclusive ? score < max.value : score <= max.value;
}

export type LexBound = { type: "lowest" } | { type: "highest" } | { type: "member"; member: ByteString; exclusive: boolean };

/** One end of a lex range, or null where Redis answers "min or max not valid string range item". */
export function parseLexBound(text: ByteString): LexBound | null {
  if (text === "-") return { type: "lowest" };
  if (text === "+") return { type: "highest" };
  if (text.startsWith("(")) return { type: "member", member: text.slice(1), exclusive: true };
  if (text.startsWith("[")) return { type: "member", member: text.slice(1), exclusive: false };
  return null;
}

export interface LexRange {
  min: LexBound;
  max: LexBound;
}

/** Redis' sdscmplex: "-" below every member, "+" above, members bytewise. */
function compareLex(a: LexBound, b: LexBound): number {
  if (a.type === b.type && a.type !== "member") return 0;
  if (a.type === "lowest" || b.type === "highest") return -1;
  if (a.type === "highest" || b.type === "lowest") return 1;
  const left = (a as { member: ByteString }).member;
  const right = (b as { member: ByteString }).member;
  return compareElements(0, left, 0, right);
}

/** True when no member can be in the range. "-" and "+" count as exclusive, as in Redis. */
export function isEmptyLexRange(range: LexRange): boolean {
  const order = compareLex(range.min, range.max);
  const exclusive = isExclusive(range.min) || isExclusive(range.max);
  return order > 0 || (order === 0 && exclusive);
}

function isExclusive(bound: LexBound): boolean {
  return bound.type !== "member" || bound.exclusive;
}

/** True when `member` is below the range's lower end. */
export function isBelowLexMin(member: ByteString, min: LexBound): boolean {
  if (min.type === "lowest") return false;
  if (min.type === "highest") return true;
  return min.exclusive ? member <= min.member : member < min.member;
}

/** True when `member` is within the range's upper end. */
export function isWithinLexMax(member: ByteString, max: LexBound): boolean {
  if (max.type === "highest") return true;
  if (max.type === "lowest") return false;
  return max.exclusive ? member < max.member : member <= max.member;
}
