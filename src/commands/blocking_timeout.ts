/**
 * The timeout argument of the blocking commands (BLPOP, BLMOVE, BLMPOP ... and later
 * BZPOPMIN), read as Redis 7.0 reads it: seconds as a long double (decimal, exponent,
 * hexadecimal and "inf" forms, as strtold accepts them; no spaces, no NaN), converted to
 * milliseconds rounding up, so that 0.00001 waits 1 ms rather than forever. 0 waits
 * forever. A value whose milliseconds do not fit a signed 64-bit integer (inf, 1e100)
 * becomes negative in Redis' conversion, and is refused as negative, as Redis refuses it.
 */
import type { ByteString } from "../engine/bytes.js";
import { error, type Reply } from "../engine/reply.js";
import { parseFloatStrict } from "./numbers.js";

export const TIMEOUT_NOT_A_FLOAT: Reply = Object.freeze(error("ERR", "timeout is not a float or out of range"));
export const TIMEOUT_NEGATIVE: Reply = Object.freeze(error("ERR", "timeout is negative"));

const HEX_FLOAT_SYNTAX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?[0-9]+))?$/;
/** The most seconds whose milliseconds fit a signed 64-bit integer (as near as a double says). */
const SECONDS_MAX = 9_223_372_036_854_775.807;

/** A hexadecimal float as strtold reads it ("0x10" is 16, "0x1.8p1" is 3), or null. */
function parseHexFloat(text: ByteString): number | null {
  const match = HEX_FLOAT_SYNTAX.exec(text);
  if (match === null) return null;
  const [, sign, whole = "", fraction = "", exponent = "0"] = match;
  if (whole.length + fraction.length === 0) return null;
  let value = whole.length === 0 ? 0 : parseInt(whole, 16);
  for (let digit = 0; digit < fraction.length; digit++) value += parseInt(fraction[digit]!, 16) / 16 ** (digit + 1);
  value *= 2 ** Number(exponent);
  return sign === "-" ? -value : value;
}

/** The seconds a timeout argument says, or null when it is not a float Redis reads. */
function parseSeconds(text: ByteString): number | null {
  return parseFloatStrict(text) ?? parseHexFloat(text);
}

/** A blocking command's timeout in milliseconds (0: forever), or Redis' error reply. */
export function parseTimeout(text: ByteString): number | Reply {
  const seconds = parseSeconds(text);
  if (seconds === null || Number.isNaN(seconds)) return TIMEOUT_NOT_A_FLOAT;
  // Redis casts ceil(seconds * 1000) to long long: out of range (inf included) comes out as LLONG_MIN.
  if (seconds > SECONDS_MAX || seconds < -SECONDS_MAX) return TIMEOUT_NEGATIVE;
  const milliseconds = Math.ceil(seconds * 1000);
  if (milliseconds < 0) return TIMEOUT_NEGATIVE;
  // -0 (from -0.0001) waits forever, as 0 does; beyond 2^53 ms (285,000 years) is forever in practice.
  return milliseconds === 0 ? 0 : Math.min(milliseconds, Number.MAX_SAFE_INTEGER);
}

export function isTimeout(parsed: number | Reply): parsed is number {
  return typeof parsed === "number";
}
