/**
 * When a walnut reply counts as the same as redis-server's.
 *
 * Byte-for-byte equal is always the same. Otherwise the replies are compared exactly as
 * parsed values, except where Redis itself does not define the answer:
 * - order: SMEMBERS, SINTER, SUNION, SDIFF, KEYS, HKEYS, HVALS, HGETALL (a hash that ever
 *   went past Redis' listpack limits, 128 fields or a 64-byte field or value, stays a hash
 *   table, so its order cannot be told from the reply), SPOP with a count, SORT ... BY
 *   nosort and SORT ... BY <pattern> ALPHA (ties keep no order), geo searches without
 *   ASC/DESC (or with COUNT ANY);
 * - SCAN cursors: SCAN, HSCAN, SSCAN, ZSCAN compare their items as a set when the call
 *   started at cursor 0 and both servers say the iteration is over (cursor 0), and only the
 *   reply's shape otherwise;
 * - random picks: RANDOMKEY, SPOP, SRANDMEMBER, HRANDFIELD, ZRANDMEMBER compare shape only
 *   (nil or not, how many items, of which types);
 * - time: TTL and EXPIRETIME within TIME_TOLERANCE_SECONDS, PTTL and PEXPIRETIME within
 *   that many seconds in milliseconds (the servers run the same command moments apart);
 *   the idle times of XPENDING's extended rows and of XINFO CONSUMERS by shape only.
 * An error reply is never normalized: its text must match.
 * EXEC's reply is compared item by item with the commands it ran (the runner passes them).
 */
import type { Reply } from "../../engine/reply.js";

/** How far apart two TTLs of one key may be: the servers answer moments apart on a busy 2-core machine. */
export const TIME_TOLERANCE_SECONDS = 2;

const UNORDERED = new Set(["SMEMBERS", "SINTER", "SUNION", "SDIFF", "KEYS", "HKEYS", "HVALS"]);
const SCANS = new Set(["SCAN", "HSCAN", "SSCAN", "ZSCAN"]);
const RANDOM = new Set(["RANDOMKEY", "SRANDMEMBER", "HRANDFIELD", "ZRANDMEMBER"]);
const GEO_SEARCHES = new Set(["GEORADIUS", "GEORADIUSBYMEMBER", "GEORADIUS_RO", "GEORADIUSBYMEMBER_RO", "GEOSEARCH"]);
const SECONDS = new Set(["TTL", "EXPIRETIME"]);
const MILLISECONDS = new Set(["PTTL", "PEXPIRETIME"]);

/** A reply as a string that is equal for equal replies (the parsed value, types included). */
export function canonical(reply: Reply): string {
  switch (reply.type) {
    case "status": return `+${reply.text}`;
    case "error": return `-${reply.text}`;
    case "integer": return `:${reply.value.toString()}`;
    case "bulk": return `$${JSON.stringify(reply.value)}`;
    case "nil": return "_";
    case "double": return `,${Object.is(reply.value, -0) ? "-0" : String(reply.value)}`;
    case "boolean": return `#${reply.value ? "t" : "f"}`;
    case "array": return `*[${reply.items.map(canonical).join(",")}]`;
    case "set": return `~[${reply.items.map(canonical).join(",")}]`;
    case "map": return `%[${reply.entries.map(([key, value]) => `${canonical(key)}=>${canonical(value)}`).join(",")}]`;
  }
}

/** The reply with its items sorted (a map's entries, a flat array's pairs when `pairs`). */
function unordered(reply: Reply, pairs = false): string {
  if (reply.type === "map") return `%{${reply.entries.map(([key, value]) => `${canonical(key)}=>${canonical(value)}`).sort().join(",")}}`;
  if (reply.type !== "array" && reply.type !== "set") return canonical(reply);
  const items = reply.items.map(canonical);
  if (!pairs) return `${reply.type}{${items.sort().join(",")}}`;
  const grouped: string[] = [];
  for (let index = 0; index < items.length; index += 2) grouped.push(`${items[index]}=>${items[index + 1] ?? ""}`);
  return `${reply.type}{${grouped.sort().join(",")}}`;
}

/** What a random pick is allowed to vary in: the values; never the reply's kind, length or item kinds. */
function shape(reply: Reply): string {
  switch (reply.type) {
    case "array":
    case "set":
      return `${reply.type}[${reply.items.map(shape).join(",")}]`;
    case "map":
      return `map[${reply.entries.map(([key, value]) => `${shape(key)}=>${shape(value)}`).join(",")}]`;
    case "error":
      return canonical(reply);
    default:
      return reply.type;
  }
}

const IDLE: Reply = { type: "integer", value: 0n };

/** XPENDING's rows [id, consumer, idle, deliveries] and XINFO CONSUMERS' "idle" field, with the idle time set to 0. */
function withoutIdleTimes(reply: Reply): Reply {
  if (reply.type === "map") {
    return { ...reply, entries: reply.entries.map(([key, value]) => [key, key.type === "bulk" && key.value === "idle" ? IDLE : withoutIdleTimes(value)]) };
  }
  if (reply.type !== "array") return reply;
  const items = reply.items;
  const isPendingRow = items.length === 4 && items[0]?.type === "bulk" && items[1]?.type === "bulk" && items[2]?.type === "integer" && items[3]?.type === "integer";
  if (isPendingRow) return { ...reply, items: [items[0]!, items[1]!, IDLE, items[3]!] };
  return { ...reply, items: items.map((item, index) => (index > 0 && items[index - 1]?.type === "bulk" && (items[index - 1] as { value: unknown }).value === "idle" ? IDLE : withoutIdleTimes(item))) };
}

function hasWord(argv: readonly string[], ...words: string[]): boolean {
  return argv.slice(1).some((argument) => words.includes(argument.toUpperCase()));
}

function closeInTime(redis: Reply, walnut: Reply, toleranceUnits: number): boolean {
  if (redis.type !== "integer" || walnut.type !== "integer") return false;
  const a = Number(redis.value);
  const b = Number(walnut.value);
  // -1 (no expiry) and -2 (no key) are exact answers, not times.
  if (a < 0 || b < 0) return a === b;
  return Math.abs(a - b) <= toleranceUnits;
}

function scanItemsAreSame(name: string, requested: string, redis: Reply, walnut: Reply): boolean {
  if (redis.type !== "array" || walnut.type !== "array" || redis.items.length !== 2 || walnut.items.length !== 2) return false;
  const [redisCursor, redisItems] = redis.items as [Reply, Reply];
  const [walnutCursor, walnutItems] = walnut.items as [Reply, Reply];
  if (redisCursor.type !== "bulk" || walnutCursor.type !== "bulk") return false;
  // Only a whole iteration (from cursor 0 to cursor 0) has a defined content: Redis' cursors are table positions.
  if (requested === "0" && redisCursor.value === "0" && walnutCursor.value === "0") {
    const pairs = name === "HSCAN" || name === "ZSCAN";
    return unordered(redisItems, pairs) === unordered(walnutItems, pairs);
  }
  return redisItems.type === "array" && walnutItems.type === "array";
}

/**
 * Whether walnut's reply to `argv` is the same as redis-server's, given where Redis leaves
 * the answer open. `queued`: for EXEC, the commands the transaction ran, in order.
 */
export function sameReply(argv: readonly string[], redis: Reply, walnut: Reply, queued: readonly string[][] = []): boolean {
  const exact = canonical(redis) === canonical(walnut);
  if (exact) return true;
  if (redis.type === "error" || walnut.type === "error") return false;
  const name = (argv[0] ?? "").toUpperCase();
  if (name === "EXEC") {
    if (redis.type !== "array" || walnut.type !== "array" || redis.items.length !== walnut.items.length) return false;
    if (queued.length !== redis.items.length) return false;
    return redis.items.every((item, index) => sameReply(queued[index]!, item, walnut.items[index]!));
  }
  if (UNORDERED.has(name)) return unordered(redis) === unordered(walnut);
  if (name === "HGETALL") return unordered(redis, true) === unordered(walnut, true);
  if (SCANS.has(name)) return scanItemsAreSame(name, (name === "SCAN" ? argv[1] : argv[2]) ?? "", redis, walnut);
  if (RANDOM.has(name)) return shape(redis) === shape(walnut);
  if (name === "SPOP") {
    const count = Number(argv[2] ?? "NaN");
    return count >= 100 ? unordered(redis) === unordered(walnut) : shape(redis) === shape(walnut);
  }
  if (name === "SORT" || name === "SORT_RO") {
    // BY nosort keeps the container's order; BY <pattern> ALPHA leaves ties (equal or missing weights) unordered.
    const unsorted = hasWord(argv, "NOSORT") || (hasWord(argv, "BY") && hasWord(argv, "ALPHA"));
    return unsorted && unordered(redis) === unordered(walnut);
  }
  if (GEO_SEARCHES.has(name)) {
    const ordered = hasWord(argv, "ASC", "DESC") || (hasWord(argv, "COUNT") && !hasWord(argv, "ANY"));
    return !ordered && unordered(redis) === unordered(walnut);
  }
  if (name === "XPENDING" || name === "XINFO") return canonical(withoutIdleTimes(redis)) === canonical(withoutIdleTimes(walnut));
  if (SECONDS.has(name)) return closeInTime(redis, walnut, TIME_TOLERANCE_SECONDS);
  if (MILLISECONDS.has(name)) return closeInTime(redis, walnut, TIME_TOLERANCE_SECONDS * 1000);
  return false;
}
