/**
 * HINCRBYFLOAT's arithmetic, exactly as redis-server 7.0 does it on x86-64: both numbers are
 * read with strtold into an 80-bit long double (64-bit significand), added with one rounding
 * to nearest-even, and the sum is written with "%.17Lf" and its trailing zeros removed
 * (Redis' ld2string LD_STR_HUMAN). That is why `0.1` plus `0.2` answers "0.3" in Redis
 * where a double would give 0.30000000000000004; walnut emulates the format with bigints
 * so that the stored text, and so every later increment, is Redis' byte for byte.
 *
 * A value is sign × significand × 2^exponent with the significand below 2^64: normal
 * numbers have it in [2^63, 2^64), subnormals below, down to 2^-16445; above
 * (2^64 - 1) × 2^16320 is infinity.
 *
 * Accepted text is what Redis' string2ld accepts: decimal digits with an optional point and
 * exponent, strtold's hexadecimal form ("0x1.8p3"), an optional sign, "inf"/"infinity" in
 * any case; no surrounding spaces, no NaN, nothing that overflows to infinity or underflows
 * to zero, at most 5119 bytes.
 */
import type { ByteString } from "../engine/bytes.js";

/** A finite long double, exactly: (-1)^negative × significand × 2^exponent. */
export interface LongDouble {
  negative: boolean;
  significand: bigint;
  exponent: number;
}

export type ParsedLongDouble = LongDouble | "inf" | "-inf";

const SIGNIFICAND_BITS = 64;
const SIGNIFICAND_LIMIT = 1n << 64n;
/** The smallest exponent of the least significant bit (subnormals): 2^-16445. */
const EXPONENT_MIN = -16445;
/** The largest exponent of the least significant bit of a finite value. */
const EXPONENT_MAX = 16383 - 63;
/** string2ld copies the text into a buffer of MAX_LONG_DOUBLE_CHARS (5 × 1024) bytes. */
const TEXT_BYTES_MAX = 5 * 1024 - 1;
/** Decimal magnitudes past these certainly overflow or underflow (10^4933 > max, 10^-4952 < min/2). */
const DECIMAL_MAGNITUDE_MAX = 4934;
const DECIMAL_MAGNITUDE_MIN = -4952;
const FRACTION_DIGITS = 17;

const DECIMAL_SYNTAX = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/;
const HEXADECIMAL_SYNTAX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?[0-9]+))?$/;
const INFINITY_SYNTAX = /^([+-]?)(inf|infinity)$/i;

const ZERO: LongDouble = { negative: false, significand: 0n, exponent: 0 };

/** The long double strtold reads from `text` under string2ld's rules, or null when Redis refuses it. */
export function parseLongDouble(text: ByteString): ParsedLongDouble | null {
  if (text.length === 0 || text.length > TEXT_BYTES_MAX) return null;
  const infinity = INFINITY_SYNTAX.exec(text);
  if (infinity !== null) return infinity[1] === "-" ? "-inf" : "inf";
  const hex = HEXADECIMAL_SYNTAX.exec(text);
  if (hex !== null) return parseHexadecimal(hex);
  const parts = DECIMAL_SYNTAX.exec(text);
  if (parts === null) return null;
  const [, sign, whole = "", fraction = "", exponentText] = parts;
  if (whole.length === 0 && fraction.length === 0) return null;
  const negative = sign === "-";
  const digits = (whole + fraction).replace(/^0+/, "");
  if (digits.length === 0) return { ...ZERO, negative };
  // strtold saturates an absurd exponent: beyond ±10^6 the value is surely out of range.
  const written = exponentText === undefined ? 0 : Math.max(-1e6, Math.min(1e6, Number(exponentText)));
  const decimalExponent = written - fraction.length;
  const magnitude = digits.length + decimalExponent;
  if (magnitude > DECIMAL_MAGNITUDE_MAX) return null; // overflow: ERANGE with HUGE_VAL
  if (magnitude < DECIMAL_MAGNITUDE_MIN) return null; // underflow to zero: ERANGE with 0
  const mantissa = BigInt(digits);
  const rounded =
    decimalExponent >= 0
      ? roundRational(mantissa * 10n ** BigInt(decimalExponent), 1n, 0)
      : roundRational(mantissa, 10n ** BigInt(-decimalExponent), 0);
  if (rounded === null || rounded.significand === 0n) return null;
  return { ...rounded, negative };
}

/** strtold's hexadecimal form, "0x1.8p3" = 0x18 × 2^(3 - 4): exact in binary, rounded once. */
function parseHexadecimal([, sign, whole = "", fraction = "", exponentText]: RegExpExecArray): LongDouble | null {
  if (whole.length === 0 && fraction.length === 0) return null;
  const negative = sign === "-";
  const digits = (whole + fraction).replace(/^0+/, "");
  if (digits.length === 0) return { ...ZERO, negative };
  const written = exponentText === undefined ? 0 : Math.max(-1e6, Math.min(1e6, Number(exponentText)));
  const exponent = written - 4 * fraction.length;
  const magnitude = exponent + 4 * digits.length; // the value is below 2^magnitude
  if (magnitude > EXPONENT_MAX + SIGNIFICAND_BITS + 1) return null; // overflow
  if (magnitude < EXPONENT_MIN - 1) return null; // underflow to zero
  const rounded = roundRational(BigInt(`0x${digits}`), 1n, exponent);
  if (rounded === null || rounded.significand === 0n) return null;
  return { ...rounded, negative };
}

/** a + b rounded once to a long double; null when the sum is infinite. */
export function addLongDoubles(a: LongDouble, b: LongDouble): LongDouble | null {
  const exponent = Math.min(a.exponent, b.exponent);
  const scaled = (value: LongDouble): bigint => {
    const magnitude = value.significand << BigInt(value.exponent - exponent);
    return value.negative ? -magnitude : magnitude;
  };
  const sum = scaled(a) + scaled(b);
  if (sum === 0n) return ZERO;
  const rounded = roundRational(sum < 0n ? -sum : sum, 1n, exponent);
  return rounded === null ? null : { ...rounded, negative: sum < 0n };
}

/**
 * The nearest long double (ties to even) to numerator / denominator × 2^exponent, both
 * positive; null when it overflows to infinity.
 */
function roundRational(numerator: bigint, denominator: bigint, exponent: number): LongDouble | null {
  // Pick `shift` so that numerator / denominator / 2^shift lies in [2^63, 2^64).
  let shift = bitLength(numerator) - bitLength(denominator) - SIGNIFICAND_BITS;
  const quotientBelowLimit = (s: number): boolean =>
    s >= 0 ? numerator < (denominator << BigInt(s)) * SIGNIFICAND_LIMIT : numerator << BigInt(-s) < denominator * SIGNIFICAND_LIMIT;
  while (!quotientBelowLimit(shift)) shift += 1;
  while (quotientBelowLimit(shift - 1)) shift -= 1;
  // Subnormals: the least significant bit is never below 2^EXPONENT_MIN.
  if (exponent + shift < EXPONENT_MIN) shift = EXPONENT_MIN - exponent;
  const [top, bottom] = shift >= 0 ? [numerator, denominator << BigInt(shift)] : [numerator << BigInt(-shift), denominator];
  let significand = top / bottom;
  const remainder = top - significand * bottom;
  const twice = remainder * 2n;
  if (twice > bottom || (twice === bottom && (significand & 1n) === 1n)) significand += 1n;
  let resultExponent = exponent + shift;
  if (significand === SIGNIFICAND_LIMIT) {
    significand >>= 1n;
    resultExponent += 1;
  }
  if (resultExponent > EXPONENT_MAX) return null;
  return { negative: false, significand, exponent: resultExponent };
}

function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}

/** The value as Redis writes it: "%.17Lf" (ties to even), trailing zeros and point removed, never "-0". */
export function formatLongDouble(value: LongDouble): ByteString {
  let scaled: bigint; // |value| × 10^17, rounded to an integer
  const magnitude = value.significand * 10n ** BigInt(FRACTION_DIGITS);
  if (value.exponent >= 0) scaled = magnitude << BigInt(value.exponent);
  else {
    const divisor = 1n << BigInt(-value.exponent);
    scaled = magnitude / divisor;
    const twice = (magnitude - scaled * divisor) * 2n;
    if (twice > divisor || (twice === divisor && (scaled & 1n) === 1n)) scaled += 1n;
  }
  const digits = scaled.toString().padStart(FRACTION_DIGITS + 1, "0");
  const whole = digits.slice(0, -FRACTION_DIGITS);
  const fraction = digits.slice(-FRACTION_DIGITS).replace(/0+$/, "");
  const text = fraction.length === 0 ? whole : `${whole}.${fraction}`;
  return value.negative && text !== "0" ? `-${text}` : text;
}
