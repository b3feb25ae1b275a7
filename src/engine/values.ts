/**
 * The values walnut stores, and the record kept for every key.
 *
 * Types follow LokiKV's typed values, spelled the way Redis users expect where Redis has
 * the type: a `string` holds bytes (text or binary), a `blob` holds bytes that were given
 * as binary (the embedded API returns them as Buffers), `integer` is a signed 64-bit
 * integer (bigint, so INCR overflows exactly where Redis does), `float` a double,
 * `boolean`, `list` a list of byte strings, `hyperloglog` 16384 6-bit registers, `hash` a
 * map of fields to values and `set` a set of members (both byte strings, in insertion order).
 *
 * Over RESP walnut answers Redis' name for a kind (redisTypeName): Redis has no integer,
 * float, boolean, blob or hyperloglog types, they are all strings to it (TYPE, SCAN TYPE).
 * Walnut's own kind stays visible through WALNUT.TYPE, the HTTP API and the embedded API.
 *
 * An Item is never mutated while a checkpoint may be reading it: see
 * Collection.itemForUpdate.
 */
import type { ByteString } from "./bytes.js";

export const valueKinds = ["string", "blob", "integer", "float", "boolean", "list", "hyperloglog", "hash", "set"] as const;
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
          ? ByteString[]
          : K extends "hash"
            ? Map<ByteString, ByteString>
            : K extends "set"
              ? Set<ByteString>
              : Uint8Array;

export type StoredValue =
  | { kind: "string"; value: ByteString }
  | { kind: "blob"; value: ByteString }
  | { kind: "integer"; value: bigint }
  | { kind: "float"; value: number }
  | { kind: "boolean"; value: boolean }
  | { kind: "list"; value: ByteString[] }
  | { kind: "hyperloglog"; value: Uint8Array }
  | { kind: "hash"; value: Map<ByteString, ByteString> }
  | { kind: "set"; value: Set<ByteString> };

/** The type Redis reports (TYPE, SCAN TYPE) for a value of this kind. */
export type RedisTypeName = "string" | "list" | "hash" | "set";

export function redisTypeName(kind: ValueKind): RedisTypeName {
  switch (kind) {
    case "list":
    case "hash":
    case "set":
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
  value: ByteString | bigint | number | boolean | ByteString[] | Uint8Array | Map<ByteString, ByteString> | Set<ByteString>;
  version: number;
  expiresAtMs: number;
  /**
   * When a command last read or wrote the key, for OBJECT IDLETIME (0: not since this node
   * loaded it). Redis' LRU clock, kept per node: reads on one node do not change another's,
   * and checkpoints do not carry it, as Redis' replicas and RDB files do not.
   */
  accessedAtMs = 0;
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

  /** A deep copy: lists, registers, hashes and sets are copied so the original stays untouched. */
  clone(): Item {
    const copy = new Item(this.stored(), this.version, this.expiresAtMs);
    copy.accessedAtMs = this.accessedAtMs;
    copy.largeEncoding = this.largeEncoding;
    const value = this.value;
    if (Array.isArray(value)) copy.value = value.slice();
    else if (value instanceof Uint8Array) copy.value = value.slice();
    else if (value instanceof Map) copy.value = new Map(value);
    else if (value instanceof Set) copy.value = new Set(value);
    return copy;
  }
}
