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

/**
 * What a collection keeps per key: the value, its version (the log index of the key's
 * last write, like etcd's mod revision) and its absolute expiry instant (0 = none).
 */
export class Item {
  kind: ValueKind;
  value: ByteString | bigint | number | boolean | ListDeque | HashFields | Set<ByteString> | SortedSet | Stream;
  version: number;
  expiresAtMs: number;
  /**
   * When a command last read or wrote the key, in whole seconds since the Unix epoch, for
   * OBJECT IDLETIME (0: not since this node loaded it). Redis' one-second LRU clock, kept per
   * node: reads on one node do not change another's, and checkpoints do not carry it, as
   * Redis' replicas and RDB files do not. Seconds fit a small integer (until 2038), which V8
   * keeps in the object itself; milliseconds would box a heap number per key.
   */
  accessedAtSeconds = 0;
  /**
   * The value sits in Redis' large encoding even if it would fit the compact one now: Redis
   * never converts back (a hash that once held 513 fields stays a hashtable after HDEL, an
   * APPENDed string stays raw). Set by writes (commands/encoding.ts), copied by clone(), not
   * checkpointed: Redis too recomputes encodings when it loads a value.
   */
  largeEncoding = false;

  constructor(value: StoredValue, version: number, expiresAtMs: number) {
    this.kind = value.kind;
    this.value = value.value;
    this.version = version;
    this.expiresAtMs = expiresAtMs;
  }

  /** The item's value with its kind, for exhaustive switches. */
  stored(): StoredValue {
    return { kind: this.kind, value: this.value } as StoredValue;
  }

  isExpiredAt(nowMs: number): boolean {
    return this.expiresAtMs !== NO_EXPIRY && this.expiresAtMs <= nowMs;
  }

  /** A deep copy: lists, hashes, sets and sorted sets are copied so the original stays untouched. */
  clone(): Item {
    const copy = new Item(this.stored(), this.version, this.expiresAtMs);
    copy.accessedAtSeconds = this.accessedAtSeconds;
    copy.largeEncoding = this.largeEncoding;
    const value = this.value;
    if (value instanceof ListDeque) copy.value = value.clone();
    else if (value instanceof HashFields) copy.value = value.clone();
    else if (value instanceof Set) copy.value = new Set(value);
    else if (value instanceof SortedSet) copy.value = value.clone();
    else if (value instanceof Stream) copy.value = value.clone();
    return copy;
  }
}
