/**
 * The encoding Redis 7.0 would hold a value in, for OBJECT ENCODING and OBJECT REFCOUNT.
 * Redis picks a compact or a large representation by size; walnut's sorted sets and hashes
 * switch between theirs at the same limits (engine/sorted_set.ts, engine/hash_fields.ts:
 * one packed string up to them, a skip list or a Map past them, never back); its lists
 * switch at 8 KB (engine/list_deque.ts, Redis 7.2's rule: 7.0 answers quicklist whatever
 * the size) and its sets keep one representation. The answer is computed from the content here, so it is the same
 * whichever representation a value is in, and tools (redis-cli --memkeys, GUIs, tests) read the answer, so walnut answers
 * what redis-server 7.0 with its built-in defaults answers for the same data:
 *
 * - strings: "int" when the bytes are an integer by Redis' strict rule (string2l: no '+',
 *   no leading zeros, no "-0", within int64); "embstr" up to 44 bytes; "raw" above, and
 *   for a string edited in place (APPEND to an existing key, SETRANGE) whatever its length.
 *   Walnut's integer kind is "int", its float and boolean kinds read as their text, a
 *   hyperloglog is "raw" (Redis builds HLLs as raw strings).
 * - lists: "quicklist" (Redis 7.0 has no other list encoding; listpack lists came in 7.2).
 * - hashes: "listpack" up to hash-max-listpack-entries (512, the compiled default: the
 *   sample redis.conf says 128) fields with every field and value at most
 *   hash-max-listpack-value (64) bytes; "hashtable" otherwise.
 * - sets: "intset" up to set-max-intset-entries (512) members that are all integers;
 *   "hashtable" otherwise.
 * - sorted sets: "listpack" up to zset-max-listpack-entries (128) members of at most
 *   zset-max-listpack-value (64) bytes; "skiplist" otherwise.
 *
 * Redis never converts a value back to its compact encoding (a hash that once had 513
 * fields stays a hashtable after HDEL): every write that puts an item notes when it has
 * outgrown the compact encoding (Item.largeEncoding, kept until the value is replaced).
 * Like Redis, walnut forgets this when it loads a value from a checkpoint, and recomputes.
 */
import type { ByteString } from "../engine/bytes.js";
import { HashFields, COMPACT_ENTRIES_MAX as HASH_COMPACT_ENTRIES_MAX, COMPACT_VALUE_BYTES_MAX as HASH_COMPACT_VALUE_BYTES_MAX } from "../engine/hash_fields.js";
import { SortedSet, COMPACT_ENTRIES_MAX as ZSET_COMPACT_ENTRIES_MAX, COMPACT_MEMBER_BYTES_MAX as ZSET_COMPACT_MEMBER_BYTES_MAX } from "../engine/sorted_set.js";
import type { Item } from "../engine/values.js";
import { assert } from "../lib/assert.js";
import { parseInteger } from "./numbers.js";

/** Redis 7.0's compiled defaults (config.c), which redis-server uses without a config file. */
export const HASH_LISTPACK_ENTRIES_MAX = 512;
export const HASH_LISTPACK_VALUE_BYTES_MAX = 64;
export const SET_INTSET_ENTRIES_MAX = 512;
export const ZSET_LISTPACK_ENTRIES_MAX = 128;
export const ZSET_LISTPACK_VALUE_BYTES_MAX = 64;
// The engine's compact representations switch at the same limits (see fitsCompactEncoding).
assert(HASH_COMPACT_ENTRIES_MAX === HASH_LISTPACK_ENTRIES_MAX && HASH_COMPACT_VALUE_BYTES_MAX === HASH_LISTPACK_VALUE_BYTES_MAX, "hash limits agree");
assert(ZSET_COMPACT_ENTRIES_MAX === ZSET_LISTPACK_ENTRIES_MAX && ZSET_COMPACT_MEMBER_BYTES_MAX === ZSET_LISTPACK_VALUE_BYTES_MAX, "sorted set limits agree");
/** Strings up to this many bytes are embstr (OBJ_ENCODING_EMBSTR_SIZE_LIMIT). */
export const EMBSTR_BYTES_MAX = 44;
/** Redis shares the integers 0..9999 (OBJ_SHARED_INTEGERS): OBJECT REFCOUNT answers INT_MAX for them. */
const SHARED_INTEGERS = 10000n;
export const SHARED_REFCOUNT = 2147483647;

/**
 * A sorted set as this file needs to see one: the zset kind is added by a parallel branch,
 * so it is read by shape (its size and members in order) instead of by name.
 */
interface ScoredMembers {
  readonly size: number;
  slice(start: number, count: number): ReadonlyArray<readonly [ByteString, number]>;
}

function isScoredMembers(value: unknown): value is ScoredMembers {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { size?: unknown }).size === "number" &&
    typeof (value as { slice?: unknown }).slice === "function"
  );
}

/** The members of a sorted set in score order, or null when `value` is not one. */
export function sortedSetMembers(value: unknown): Array<readonly [ByteString, number]> | null {
  if (!isScoredMembers(value)) return null;
  return [...value.slice(0, value.size)];
}

/** True when every byte string is at most `bytesMax` long (stops at the first longer one). */
function allShort(texts: Iterable<ByteString>, bytesMax: number): boolean {
  for (const text of texts) if (text.length > bytesMax) return false;
  return true;
}

function hashFits(fields: HashFields): boolean {
  if (fields.size > HASH_LISTPACK_ENTRIES_MAX) return false;
  for (const [field, value] of fields) {
    if (field.length > HASH_LISTPACK_VALUE_BYTES_MAX || value.length > HASH_LISTPACK_VALUE_BYTES_MAX) return false;
  }
  return true;
}

function setFits(members: Set<ByteString>): boolean {
  if (members.size > SET_INTSET_ENTRIES_MAX) return false;
  for (const member of members) if (parseInteger(member) === null) return false;
  return true;
}

function sortedSetFits(value: ScoredMembers): boolean {
  if (value.size > ZSET_LISTPACK_ENTRIES_MAX) return false;
  return allShort(
    value.slice(0, value.size).map(([member]) => member),
    ZSET_LISTPACK_VALUE_BYTES_MAX,
  );
}

/** True when an aggregate's content fits Redis' compact encoding (strings and lists: true). */
function fitsCompactEncoding(item: Item): boolean {
  const value = item.value;
  // A compact sorted set or hash holds exactly what fits (the limits are the same), so a
  // write need not walk it; a large one may have shrunk back under them and is walked.
  if (value instanceof HashFields) return value.isCompact || hashFits(value);
  if (value instanceof Set) return setFits(value);
  if (value instanceof SortedSet && value.isCompact) return true;
  if (isScoredMembers(value)) return sortedSetFits(value);
  return true;
}

/**
 * Called for every item a write puts: marks it as in Redis' large encoding once its content
 * outgrew the compact one. Costs at most one pass over a compact-sized value (512 entries).
 */
export function noteEncodingGrowth(item: Item): void {
  if (!item.largeEncoding && !fitsCompactEncoding(item)) item.largeEncoding = true;
}

/** Marks a string edited in place (APPEND to an existing value, SETRANGE): Redis makes it raw. */
export function markEditedInPlace(item: Item): void {
  item.largeEncoding = true;
}

/** Redis' encoding for the bytes of a string: int, embstr or raw. */
export function stringEncoding(text: ByteString): "int" | "embstr" | "raw" {
  if (text.length <= 20 && parseInteger(text) !== null) return "int";
  return text.length <= EMBSTR_BYTES_MAX ? "embstr" : "raw";
}

/** What OBJECT ENCODING answers for `item`, given the bytes it reads as when it is string-like. */
export function redisEncoding(item: Item, text: ByteString | null): string {
  const kind = item.kind;
  switch (kind) {
    case "integer":
      return "int";
    case "float": // INCRBYFLOAT stores its text as a string object without trying int: "3" is embstr
      return !item.largeEncoding && (text ?? "").length <= EMBSTR_BYTES_MAX ? "embstr" : "raw";
    case "string":
    case "blob":
    case "boolean":
      if (item.largeEncoding) return "raw";
      return stringEncoding(text ?? "");
    case "list":
      return "quicklist";
    case "hash":
      return item.largeEncoding || !fitsCompactEncoding(item) ? "hashtable" : "listpack";
    case "set":
      return item.largeEncoding || !fitsCompactEncoding(item) ? "hashtable" : "intset";
    case "stream":
      return "stream";
    default:
      // The sorted set kind (added in parallel, read by shape).
      return item.largeEncoding || !fitsCompactEncoding(item) ? "skiplist" : "listpack";
  }
}

/**
 * What OBJECT REFCOUNT answers: Redis shares the objects of the integers 0..9999 held in
 * the int encoding (INT_MAX references); every other value has one reference.
 */
export function redisRefcount(item: Item, text: ByteString | null): number {
  if (redisEncoding(item, text) !== "int" || text === null) return 1;
  const value = BigInt(text);
  return value >= 0n && value < SHARED_INTEGERS ? SHARED_REFCOUNT : 1;
}
