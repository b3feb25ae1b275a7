/**
 * Doubles as Redis 7.2+ spells them in replies (its d2string): ZSCORE in RESP2 (a bulk
 * string), RESP3 `,` doubles, and anything else a command answers with a double.
 *
 * - nan, inf, -inf, and 0 / -0;
 * - an integral value within ±2^62 as a plain integer, exactly: 3 → "3", 2^60 →
 *   "1152921504606846976" (no ".0");
 * - otherwise the shortest digits that read back to the same double, laid out as
 *   Redis' fpconv_dtoa does: plain when the decimal exponent is small ("1.5", "0.0001",
 *   "123456.789"), scientific otherwise ("1e-7", "1.2345678e-4", "1e+21").
 *
 * Redis' fpconv uses Grisu2, which for a tiny fraction of doubles emits one digit more
 * than the shortest; walnut emits the shortest (JavaScript's), which reads back to the
 * same double. INCRBYFLOAT and HINCRBYFLOAT do not use this: Redis formats their result
 * as a long double with %.17Lf and trims trailing zeros, which is the command's business.
 */

/** 2^62: Redis prints integral doubles up to this magnitude as integers (double2ll). */
const INTEGRAL_MAGNITUDE_MAX = 2 ** 62;

export function formatDouble(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  if (Number.isInteger(value) && Math.abs(value) <= INTEGRAL_MAGNITUDE_MAX) {
    return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
  }
  const sign = value < 0 ? "-" : "";
  // toExponential() with no argument gives the shortest round-trip digits: "1.2345e-7".
  const [mantissa, exponentText] = Math.abs(value).toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "");
  // The value is digits × 10^scale (fpconv calls the scale K).
  const scale = Number(exponentText) - (digits.length - 1);
  return sign + layOutDigits(digits, scale);
}

/** fpconv's emit_digits: plain integer, plain decimal, or scientific notation. */
function layOutDigits(digits: string, scale: number): string {
  const decimalExponent = scale + digits.length - 1;
  const exponentMagnitude = Math.abs(decimalExponent);
  if (scale >= 0 && exponentMagnitude < digits.length + 7) return digits + "0".repeat(scale);
  if (scale < 0 && (scale > -7 || exponentMagnitude < 4)) {
    const integerDigits = digits.length + scale;
    if (integerDigits <= 0) return "0." + "0".repeat(-integerDigits) + digits;
    return digits.slice(0, integerDigits) + "." + digits.slice(integerDigits);
  }
  const fraction = digits.length > 1 ? "." + digits.slice(1) : "";
  const exponentSign = decimalExponent < 0 ? "-" : "+";
  return `${digits[0]}${fraction}e${exponentSign}${exponentMagnitude}`;
}
