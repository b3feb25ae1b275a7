/**
 * Numbers as Redis reads and writes them in arguments and string values: signed 64-bit
 * integers (exact, as bigint), floats (IEEE doubles), and booleans for walnut's typed
 * values.
 *
 * Integers follow Redis' strict rule: optional '-', no '+', no leading zeros, no spaces,
 * within int64 ("007", " 7", "+7" and "-0" are not integers). Floats accept decimal and
 * exponent forms, C's hexadecimal forms ("0x10", "0x1p3") and "inf"/"infinity" (as strtold
 * does), never NaN, never surrounding
 * spaces. Floats are written like INCRBYFLOAT writes them: no exponent, no trailing
 * zeros, "3" rather than "3.0", never "-0"; the digits are the shortest that read back
 * as the same double (Redis computes in 80-bit long doubles; walnut's float is a double).
 */
import type { ByteString } from "../engine/bytes.js";

export const INT64_MAX = 2n ** 63n - 1n;
export const INT64_MIN = -(2n ** 63n);

const INTEGER_SYNTAX = /^(0|-?[1-9][0-9]{0,18})$/;
const FLOAT_SYNTAX = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;
const INFINITY_SYNTAX = /^([+-]?)(inf|infinity)$/i;
/** C's hexadecimal floats, which strtold reads too: "0x10" is 16, "0x1.8p1" is 3. */
const HEX_FLOAT_SYNTAX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?[0-9]+))?$/;
/** Redis refuses longer float arguments (MAX_LONG_DOUBLE_CHARS). */
const FLOAT_TEXT_BYTES_MAX = 5 * 1024;

/** A signed 64-bit integer in Redis' strict syntax, or null. */
export function parseInteger(text: ByteString): bigint | null {
  if (!INTEGER_SYNTAX.test(text)) return null;
  const value = BigInt(text);
  return value > INT64_MAX || value < INT64_MIN ? null : value;
}

/** A float (not NaN; infinities allowed, as strtold reads them), or null. */
export function parseFloatStrict(text: ByteString): number | null {
  if (text.length > FLOAT_TEXT_BYTES_MAX) return null;
  const infinity = INFINITY_SYNTAX.exec(text);
  if (infinity !== null) return infinity[1] === "-" ? -Infinity : Infinity;
  if (FLOAT_SYNTAX.test(text)) return Number(text);
  return parseHexFloat(text);
}

/** A C hexadecimal float (at least one hex digit, an optional binary exponent), or null. */
function parseHexFloat(text: ByteString): number | null {
  const match = HEX_FLOAT_SYNTAX.exec(text);
  if (match === null) return null;
  const [, sign, whole = "", fraction = "", exponent = "0"] = match;
  if (whole.length + fraction.length === 0) return null;
  const mantissa = Number(BigInt(`0x${whole}${fraction}`));
  const value = mantissa * 2 ** (Number(exponent) - 4 * fraction.length);
  return sign === "-" ? -value : value;
}

/** "true" or "false" in any case, or null. */
export function parseBoolean(text: ByteString): boolean | null {
  const lower = text.toLowerCase();
  if (lower === "true") return true;
  if (lower === "false") return false;
  return null;
}

/** Redis writes INCRBYFLOAT's result with "%.17Lf": never more than 17 decimals. */
const DECIMALS_MAX = 17;

/**
 * A finite double as INCRBYFLOAT writes it: 1.5 → "1.5", 3 → "3", 1e21 → "1000000000000000000000",
 * 5e-324 → "0" (rounded to 17 decimals, as Redis' "%.17Lf" does, trailing zeros dropped).
 */
export function formatFloat(value: number): ByteString {
  if (value === 0) return "0"; // also -0
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  const shortest = String(value);
  const exponentAt = shortest.indexOf("e");
  const plain = exponentAt < 0 ? shortest : expandExponent(shortest.slice(0, exponentAt), Number(shortest.slice(exponentAt + 1)));
  const pointAt = plain.indexOf(".");
  if (pointAt < 0 || plain.length - pointAt - 1 <= DECIMALS_MAX) return plain;
  // Only numbers below 1 reach here (a double has at most 17 significant digits), so toFixed is exact.
  const rounded = value.toFixed(DECIMALS_MAX).replace(/\.?0+$/, "");
  return rounded === "-0" ? "0" : rounded;
}

/** Writes mantissa × 10^exponent ("-1.25", 22) without an exponent. */
function expandExponent(mantissa: string, exponent: number): string {
  const negative = mantissa.startsWith("-");
  const unsigned = negative ? mantissa.slice(1) : mantissa;
  const pointAt = unsigned.indexOf(".");
  const digits = unsigned.replace(".", "");
  // Position of the decimal point within `digits` once the exponent is applied.
  const point = (pointAt < 0 ? unsigned.length : pointAt) + exponent;
  let text: string;
  if (point <= 0) text = `0.${"0".repeat(-point)}${digits}`;
  else if (point >= digits.length) text = digits + "0".repeat(point - digits.length);
  else text = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${text}` : text;
}
