/**
 * Doubles as Redis 7.0 spells them in replies (addReplyDouble): ZSCORE, ZINCRBY, ZRANGE
 * WITHSCORES ... in RESP2 (a bulk string) and RESP3 (a `,` double) alike, with C's
 * "%.17g": 17 significant digits, correctly rounded (ties to even, on the exact binary
 * value), trailing zeros dropped, and an exponent ("1e+20", "9.9999999999999995e-08")
 * when the decimal exponent is below -4 or at least 17. So 0.1 is
 * "0.10000000000000001", 1.5 is "1.5", 3 is "3"; inf and -inf are "inf" and "-inf" as
 * Redis writes them; NaN "nan".
 *
 * INCRBYFLOAT and HINCRBYFLOAT do not use this: Redis formats their result as a long
 * double with %.17Lf and trims trailing zeros, which is the command's business.
 */

const SIGNIFICANT_DIGITS = 17;

export function formatDouble(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  const sign = value < 0 ? "-" : "";
  const { digits, exponent } = significantDigits(Math.abs(value));
  return sign + layOut(digits, exponent);
}

/**
 * The 17 significant digits of a positive finite double and the decimal exponent of the
 * first one. JavaScript's toExponential rounds ties away from zero where C rounds them to
 * even; a tie needs the exact value to end in a 5 at the 18th digit, so only then is the
 * exact decimal expansion worked out.
 */
function significantDigits(value: number): { digits: string; exponent: number } {
  const eighteen = value.toExponential(SIGNIFICANT_DIGITS);
  const [mantissa18] = eighteen.split("e") as [string, string];
  if (!mantissa18.endsWith("5")) {
    const [mantissa, exponentText] = value.toExponential(SIGNIFICANT_DIGITS - 1).split("e") as [string, string];
    return { digits: mantissa.replace(".", ""), exponent: Number(exponentText) };
  }
  return exactlyRounded(value);
}

/** Rounds the exact decimal value of `value` to 17 digits, ties to even. */
function exactlyRounded(value: number): { digits: string; exponent: number } {
  const bits = new DataView(new ArrayBuffer(8));
  bits.setFloat64(0, value);
  const high = bits.getUint32(0);
  const low = bits.getUint32(4);
  const biasedExponent = (high >>> 20) & 0x7ff;
  let mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
  if (biasedExponent !== 0) mantissa |= 1n << 52n;
  const binaryExponent = (biasedExponent === 0 ? 1 : biasedExponent) - 1075;
  // value = mantissa × 2^binaryExponent = integer × 10^-fractionDigits
  let integer: bigint;
  let fractionDigits: number;
  if (binaryExponent >= 0) {
    integer = mantissa << BigInt(binaryExponent);
    fractionDigits = 0;
  } else {
    integer = mantissa * 5n ** BigInt(-binaryExponent);
    fractionDigits = -binaryExponent;
  }
  const all = integer.toString();
  let exponent = all.length - 1 - fractionDigits;
  if (all.length <= SIGNIFICANT_DIGITS) return { digits: all.padEnd(SIGNIFICANT_DIGITS, "0"), exponent };
  let kept = BigInt(all.slice(0, SIGNIFICANT_DIGITS));
  const rest = all.slice(SIGNIFICANT_DIGITS);
  const half = "5" + "0".repeat(rest.length - 1);
  if (rest > half || (rest === half && kept % 2n === 1n)) kept += 1n;
  let digits = kept.toString();
  if (digits.length > SIGNIFICANT_DIGITS) {
    digits = digits.slice(0, SIGNIFICANT_DIGITS);
    exponent += 1;
  }
  return { digits, exponent };
}

/** %g's layout of 17 digits d.ddd × 10^exponent, trailing zeros removed. */
function layOut(digits: string, exponent: number): string {
  if (exponent < -4 || exponent >= SIGNIFICANT_DIGITS) {
    const fraction = digits.slice(1).replace(/0+$/, "");
    const exponentText = String(Math.abs(exponent)).padStart(2, "0");
    return `${digits[0]}${fraction === "" ? "" : "." + fraction}e${exponent < 0 ? "-" : "+"}${exponentText}`;
  }
  if (exponent < 0) return ("0." + "0".repeat(-exponent - 1) + digits).replace(/\.?0+$/, "");
  const integerPart = digits.slice(0, exponent + 1);
  const fraction = digits.slice(exponent + 1).replace(/0+$/, "");
  return fraction === "" ? integerPart : `${integerPart}.${fraction}`;
}
