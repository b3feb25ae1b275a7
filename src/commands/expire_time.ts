/**
 * Turning expire arguments (EX/PX/EXAT/PXAT of SET and GETEX; EXPIRE, PEXPIRE, EXPIREAT,
 * PEXPIREAT) into the absolute instant an item stores, in milliseconds since the epoch.
 *
 * Relative times count from ctx.nowMs, the entry's clock, so every replica computes the
 * same instant. Redis accepts any instant that fits a signed 64-bit millisecond count;
 * walnut stores instants as JS numbers and refuses those beyond ±2^53 ms (about 285,000
 * years) with Redis' "invalid expire time" error rather than rounding them.
 */
import type { ByteString } from "../engine/bytes.js";
import { NOT_AN_INTEGER } from "./access.js";
import { parseInteger } from "./numbers.js";
import { error, type Reply } from "../engine/reply.js";

export type TimeUnit = "seconds" | "milliseconds";

/** How an expire argument is meant: its unit, and whether it counts from now. */
export interface ExpiryForm {
  unit: TimeUnit;
  relative: boolean;
}

/** The forms of SET's and GETEX's expiry options. */
export const EXPIRY_OPTIONS: ReadonlyMap<string, ExpiryForm> = new Map<string, ExpiryForm>([
  ["EX", { unit: "seconds", relative: true }],
  ["PX", { unit: "milliseconds", relative: true }],
  ["EXAT", { unit: "seconds", relative: false }],
  ["PXAT", { unit: "milliseconds", relative: false }],
]);

const INSTANT_MS_MAX = BigInt(Number.MAX_SAFE_INTEGER);

export function invalidExpireTime(command: string): Reply {
  return error("ERR", `invalid expire time in '${command.toLowerCase()}' command`);
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/**
 * The absolute instant `amount` (in `form`) means at `nowMs`, or null when out of range.
 * Out of range is Redis' overflow check (seconds times 1000, plus now, must fit 64 bits)
 * or walnut's limit of 2^53 ms ahead; an instant further back than -2^53 ms is as much in
 * the past as -2^53 ms itself (the key goes), so it is answered as that.
 */
export function expiryInstantMs(amount: bigint, form: ExpiryForm, nowMs: number): number | null {
  if (form.unit === "seconds" && (amount > INT64_MAX / 1000n || amount < INT64_MIN / 1000n)) return null;
  let instantMs = form.unit === "seconds" ? amount * 1000n : amount;
  const baseMs = form.relative ? BigInt(Math.trunc(nowMs)) : 0n;
  if (instantMs > INT64_MAX - baseMs) return null;
  instantMs += baseMs;
  if (instantMs > INSTANT_MS_MAX) return null;
  // The instant 0 would read as NO_EXPIRY (0) and keep the key forever: -1 is as much in the past.
  if (instantMs === 0n) return -1;
  return Number(instantMs < -INSTANT_MS_MAX ? -INSTANT_MS_MAX : instantMs);
}

/**
 * The instant of a SET/GETEX/SETEX expiry option: a positive integer in `form`.
 * Answers NOT_AN_INTEGER or "invalid expire time in '<command>' command" otherwise.
 */
export function positiveExpiryInstantMs(options: {
  text: ByteString;
  form: ExpiryForm;
  nowMs: number;
  command: string;
}): number | Reply {
  const amount = parseInteger(options.text);
  if (amount === null) return NOT_AN_INTEGER;
  const instantMs = amount <= 0n ? null : expiryInstantMs(amount, options.form, options.nowMs);
  return instantMs === null ? invalidExpireTime(options.command) : instantMs;
}
