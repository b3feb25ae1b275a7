/**
 * The count argument of HRANDFIELD and SRANDMEMBER (and the bound ZRANDMEMBER shares), read
 * as Redis 7.0 reads it: a signed 64-bit integer from -LONG_MAX to LONG_MAX, so that its
 * magnitude fits (a negative count asks for that many picks, repeats allowed). walnut refuses
 * more than limits.randomPicksMax repeated picks, which Redis would stream out.
 */
import type { ByteString } from "../engine/bytes.js";
import { limits } from "../lib/limits.js";
import { NOT_AN_INTEGER } from "./access.js";
import { INT64_MAX, parseInteger } from "./numbers.js";
import { error, type Reply } from "../engine/reply.js";

const OUT_OF_RANGE: Reply = Object.freeze(
  // Redis 7.0's own wording, "must between" included (getRangeLongFromObjectOrReply).
  error("ERR", `value is out of range, value must between ${-INT64_MAX} and ${INT64_MAX}`),
);

/** The count, or the error Redis answers for it. */
export function randomCount(text: ByteString): bigint | Reply {
  const count = parseInteger(text);
  if (count === null) return NOT_AN_INTEGER;
  if (count < -INT64_MAX) return OUT_OF_RANGE;
  return count;
}

/** walnut's own bound on repeated picks (checked after Redis' checks); null when `count` is within it. */
export function tooManyPicks(count: bigint): Reply | null {
  if (count >= -BigInt(limits.randomPicksMax)) return null;
  return error("ERR", `Cannot answer ${-count} random picks: at most ${limits.randomPicksMax} (walnut builds the reply in memory)`);
}
