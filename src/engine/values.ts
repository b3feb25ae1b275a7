/**
 * The values walnut stores, and the record kept for every key.
 *
 * Types follow LokiKV's typed values, spelled the way Redis users expect where Redis has
 * the type: a `string` holds bytes (text or binary), a `blob` holds bytes that were given
 * as binary (the embedded API returns them as Buffers), `integer` is a signed 64-bit
 * integer (bigint, so INCR overflows exactly where Redis does), `float` a double,
 * `boolean`, `list` a list of byte strings (a ListDeque: one packed string while small, a ring buffer, O(1) at both ends, when large), `hash` a map of
 * fields to values (hash_fields.ts), `set` a set of members (both byte strings, in insertion order),
 * `zset` a sorted set (sorted_set.ts: members with scores, ordered by score) and `stream`
 * a Redis stream (stream.ts: entries by ID, consumer groups). A HyperLogLog
 * is a `string` holding Redis' HLL bytes (hll_format.ts), as in Redis.
 *
 * Over RESP walnut answers Redis' name for a kind (redisTypeName): Redis has no integer,
 * float, boolean or blob types, they are all strings to it (TYPE, SCAN TYPE).
 * Walnut's own kind stays visible through WALNUT.TYPE, the HTTP API and the embedded API.
 *
 * An Item is never mutated while a checkpoint may be reading it: see
 * Collection.itemForUpdate.
 */
import type { ByteString } from "./bytes.js";
import { HashFields } from "./hash_fields.js";
import { SortedSet } from "./sorted_set.js";
import { ListDeque } from "./list_deque.js";
import { Stream } from "./stream.js";

export const valueKinds = ["string", "blob", "integer", "float", "boolean", "list", "hash", "set", "zset", "stream"] as const;
export type ValueKind = (typeof valueKinds)[number];

export type ValueOf<K extends ValueKind> = K extends "string" | "blob"
  ? ByteString
  : K extends "integer"
    ? bigint
    : K extends "float"
      ? number
      : K extends "boolean"
        ? boolean
        : K extends "list"
          ? ListDeque
          : K extends "hash"
            ? HashFields
            : K extends "set"
              ? Set<ByteString>
              : K extends "zset"
                ? SortedSet
                : Stream;

export type StoredValue =
  | { kind: "string"; value: ByteString }
  | { kind: "blob"; value: ByteString }
  | { kind: "integer"; value: bigint }
  | { kind: "float"; value: number }
  | { kind: "boolean"; value: boolean }
  | { kind: "list"; value: ListDeque }
  | { kind: "hash"; value: HashFields }
  | { kind: "set"; value: Set<ByteString> }
  | { kind: "zset"; value: SortedSet }
  | { kind: "stream"; value: Stream };

/** The type Redis reports (TYPE, SCAN TYPE) for a value of this kind. */
export type RedisTypeName = "string" | "list" | "hash" | "set" | "zset" | "stream";

export function redisTypeName(kind: ValueKind): RedisTypeName {
  switch (kind) {
    case "list":
    case "hash":
    case "set":
    case "zset":
    case "stream":
      return kind;
    default:
      return "string";
  }
}

/** No expiry. Expiry instants are absolute milliseconds since the Unix epoch. */
export const NO_EXPIRY = 0;

/** Bits of Item.state: the kind's index in valueKinds, then largeEncoding, then the access clock. */
const KIND_MASK = 0b1111;
const LARGE_ENCODING_BIT = 0b10000;
/** The access clock is kept plus one (0: not accessed since this node loaded the key), above bit 5. */
const ACCESS_CLOCK_SHIFT = 5;
const BELOW_ACCESS_CLOCK = (1 << ACCESS_CLOCK_SHIFT) - 1;

/** What Item.accessClock answers for a key no command read or wrote since this node loaded it. */
export const NOT_ACCESSED = -1;

function kindIndex(kind: ValueKind): number {
  switch (kind) {
    case "string":
      return 0;
    case "blob":
      return 1;
    case "integer":
      return 2;
    case "float":
      return 3;
    case "boolean":
      return 4;
    case "list":
      return 5;
    case "hash":
      return 6;
    case "set":
      return 7;
    case "zset":
      return 8;
    case "stream":
      return 9;
  }
}

/**
 * What a collection keeps per key: the value, its version (the log index of the key's
 * last write, like etcd's mod revision) and its absolute expiry instant (0 = none).
 *
 * It is the one object every key costs, so it is kept to four fields (56 bytes on 64-bit
 * V8, where six cost 72; src/bench/memory_resp.ts measures it):
 * - `state` packs the kind, largeEncoding and the access clock into one small integer
 *   (30 bits: V8 keeps it in the object itself);
 * - `expiry` is null when the key has none. Were it the number 0, V8 may keep the field as
 *   a double once any key gets an expiry, boxing a 16-byte number in every Item (it does
 *   in a plain script of a million Items: 72 bytes each become 88); with null for none,
 *   only the items that expire hold one.
 */
export class Item {
  value: ByteString | bigint | number | boolean | ListDeque | HashFields | Set<ByteString> | SortedSet | Stream;
  version: number;
  private state: number;
  private expiry: number | null;

  constructor(value: StoredValue, version: number, expiresAtMs: number) {
    this.value = value.value;
    this.version = version;
    this.state = kindIndex(value.kind);
    this.expiry = expiresAtMs === NO_EXPIRY ? null : expiresAtMs;
  }

  get kind(): ValueKind {
    return valueKinds[this.state & KIND_MASK] as ValueKind;
  }

  /** The absolute expiry instant, milliseconds since the Unix epoch; NO_EXPIRY (0) for none. */
  get expiresAtMs(): number {
    return this.expiry ?? NO_EXPIRY;
  }

  set expiresAtMs(instantMs: number) {
    this.expiry = instantMs === NO_EXPIRY ? null : instantMs;
  }

  /**
   * Redis' LRU clock (access_clock.ts) when a command last read or wrote the key, for OBJECT
   * IDLETIME; NOT_ACCESSED when none did since this node loaded it. Kept per node: reads
   * on one node do not change another's, and checkpoints do not carry it, as Redis'
   * replicas and RDB files do not.
   */
  get accessClock(): number {
    return (this.state >>> ACCESS_CLOCK_SHIFT) - 1;
  }

  set accessClock(clock: number) {
    this.state = (this.state & BELOW_ACCESS_CLOCK) | ((clock + 1) << ACCESS_CLOCK_SHIFT); // clock < 2^24: 30 bits in all
  }

  /**
   * The value sits in Redis' large encoding even if it would fit the compact one now: Redis
   * never converts back (a hash that once held 513 fields stays a hashtable after HDEL, an
   * APPENDed string stays raw). Set by writes (commands/encoding.ts), copied by clone(), not
   * checkpointed: Redis too recomputes encodings when it loads a value.
   */
  get largeEncoding(): boolean {
    return (this.state & LARGE_ENCODING_BIT) !== 0;
  }

  set largeEncoding(large: boolean) {
    this.state = large ? this.state | LARGE_ENCODING_BIT : this.state & ~LARGE_ENCODING_BIT;
  }

  /** The item's value with its kind, for exhaustive switches. */
  stored(): StoredValue {
    return { kind: this.kind, value: this.value } as StoredValue;
  }

  isExpiredAt(nowMs: number): boolean {
    const expiry = this.expiry;
    return expiry !== null && expiry <= nowMs;
  }

  /** A deep copy: lists, hashes, sets and sorted sets are copied so the original stays untouched. */
  clone(): Item {
    const copy = new Item(this.stored(), this.version, this.expiresAtMs);
    copy.state = this.state;
    const value = this.value;
    if (value instanceof ListDeque) copy.value = value.clone();
    else if (value instanceof HashFields) copy.value = value.clone();
    else if (value instanceof Set) copy.value = new Set(value);
    else if (value instanceof SortedSet) copy.value = value.clone();
    else if (value instanceof Stream) copy.value = value.clone();
    return copy;
  }
}
